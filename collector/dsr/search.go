package dsr

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/subjects"
)

// Search runs the subject search for a case's tokens and stores what it
// found with the read index it read and the scans it covered. The caller
// makes the index fresh first (the API's fresh step). An open case
// becomes searching.
func (s *Service) Search(ctx context.Context, id, by string) (store.DSRSearch, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return store.DSRSearch{}, err
	}
	if c.Status == StatusClosed {
		return store.DSRSearch{}, fmt.Errorf("%w: case %s is closed; a closed case is not searched again", ErrConflict, c.ID)
	}
	if k := s.o.Keys(); k.Fingerprint() != c.KeyFingerprint || k.Generation() != c.KeyGen {
		return store.DSRSearch{}, fmt.Errorf("%w: the collector's keys were rotated after case %s was opened, so its tokens would miss newer findings; give the identifiers again (PUT .../identifiers), then search", ErrConflict, c.ID)
	}
	// The index state is read before the search: the search reads this
	// generation or a newer one, never an older one.
	st, err := s.o.Store.IndexState(ctx)
	if err != nil {
		return store.DSRSearch{}, err
	}
	idents := make([]int, len(c.TokenIDs))
	for i, v := range c.TokenIDs {
		idents[i] = int(v)
	}
	matches, err := subjects.TokensOf(c.Tokens, idents).Search(ctx, s.o.Store)
	if err != nil {
		return store.DSRSearch{}, err
	}
	cov, err := s.o.Store.ScanCoverage(ctx)
	if err != nil {
		return store.DSRSearch{}, err
	}
	hits := make([]store.DSRHit, len(matches))
	for i, m := range matches {
		ids := make([]uint16, len(m.Identifiers))
		for j, v := range m.Identifiers {
			ids[j] = uint16(v)
		}
		hits[i] = store.DSRHit{AssetID: m.AssetID, Location: m.Location, Host: m.Host, Source: m.Source, Type: m.Type,
			Count: m.Count, LastSeen: m.LastSeen, Identifiers: ids}
	}
	sr := store.DSRSearch{CaseID: c.ID, ID: newID(), SearchedAt: s.o.Now().UTC().Truncate(time.Second), SearchedBy: by,
		IndexGen: st.Gen, IndexBuiltAt: st.BuiltAt, Matches: uint32(len(hits)), Sources: uint32(len(cov))}
	if err := s.o.Store.PutDSRSearch(ctx, sr, hits, cov); err != nil {
		return store.DSRSearch{}, err
	}
	if c.Status == StatusOpen {
		c.Status, c.UpdatedBy, c.UpdatedAt = StatusSearching, by, sr.SearchedAt
		if err := s.o.Store.PutDSRCase(ctx, c); err != nil {
			return store.DSRSearch{}, err
		}
	}
	return sr, nil
}

// Searches lists a case's searches, oldest first.
func (s *Service) Searches(ctx context.Context, id string) ([]store.DSRSearch, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.o.Store.DSRSearches(ctx, id)
}

// Package is the response to a request: where the person's data was found
// and what was looked at, as of when.
type Package struct {
	Case        store.DSRCase
	Search      store.DSRSearch
	Found       []store.DSRHit
	Coverage    []store.DSRCoverage
	Statement   string
	GeneratedAt time.Time
}

// Package builds the response from a search of the case: searchID, or the
// latest when empty.
func (s *Service) Package(ctx context.Context, id, searchID string) (Package, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return Package{}, err
	}
	searches, err := s.o.Store.DSRSearches(ctx, id)
	if err != nil {
		return Package{}, err
	}
	if len(searches) == 0 {
		return Package{}, fmt.Errorf("%w: case %s has no search yet; run one (POST .../searches) first", ErrConflict, id)
	}
	sr := searches[len(searches)-1]
	if searchID != "" {
		if err := CheckID(searchID); err != nil {
			return Package{}, bad("search", "a search id as the case's search listing gives it")
		}
		i := slices.IndexFunc(searches, func(x store.DSRSearch) bool { return x.ID == searchID })
		if i < 0 {
			return Package{}, fmt.Errorf("search %s of case %s: %w", searchID, id, store.ErrNotFound)
		}
		sr = searches[i]
	}
	hits, cov, err := s.o.Store.DSRSearchRows(ctx, id, sr.ID)
	if err != nil {
		return Package{}, err
	}
	return Package{Case: c, Search: sr, Found: hits, Coverage: cov, Statement: statement(sr, hits, cov),
		GeneratedAt: s.o.Now().UTC().Truncate(time.Second)}, nil
}

// statement words the finding in one sentence, with its date.
func statement(sr store.DSRSearch, hits []store.DSRHit, cov []store.DSRCoverage) string {
	asOf := sr.IndexBuiltAt.Format(time.RFC3339)
	oldest := ""
	if len(cov) > 0 {
		o := cov[0].FinishedAt
		for _, c := range cov[1:] {
			if c.FinishedAt.Before(o) {
				o = c.FinishedAt
			}
		}
		oldest = "; the oldest of their latest completed scans finished " + o.Format(time.RFC3339)
	}
	if len(hits) == 0 {
		if len(cov) == 0 {
			return fmt.Sprintf("Not found: no source had completed a scan when searched (index as of %s), so nothing was covered.", asOf)
		}
		return fmt.Sprintf("Not found: none of the identifiers appears in the %d sources covered (index as of %s%s).", len(cov), asOf, oldest)
	}
	assets, hosts := map[string]bool{}, map[string]bool{}
	for _, h := range hits {
		assets[h.AssetID], hosts[h.Host] = true, true
	}
	return fmt.Sprintf("Found in %d assets on %d hosts among the %d sources covered (index as of %s%s).",
		len(assets), len(hosts), len(cov), asOf, oldest)
}

// Reminders are the cases still to answer (open or searching) that are
// overdue, or due within the window.
type Reminders struct {
	AsOf    time.Time
	Within  time.Duration
	Overdue []store.DSRCase
	DueSoon []store.DSRCase
}

// MaxReminderWindow bounds the window.
const MaxReminderWindow = 366 * 24 * time.Hour

// Reminders lists the cases to answer that are overdue or due within.
func (s *Service) Reminders(ctx context.Context, within time.Duration) (Reminders, error) {
	if within < 0 || within > MaxReminderWindow {
		return Reminders{}, bad("within_days", "between 0 and 366")
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	r := Reminders{AsOf: now, Within: within, Overdue: []store.DSRCase{}, DueSoon: []store.DSRCase{}}
	for _, st := range []string{StatusOpen, StatusSearching} {
		cs, err := s.o.Store.DSRCases(ctx, st)
		if err != nil {
			return Reminders{}, err
		}
		for _, c := range cs {
			switch {
			case !c.DueAt.After(now):
				r.Overdue = append(r.Overdue, c)
			case !c.DueAt.After(now.Add(within)):
				r.DueSoon = append(r.DueSoon, c)
			}
		}
	}
	for _, l := range [][]store.DSRCase{r.Overdue, r.DueSoon} {
		sort.SliceStable(l, func(i, j int) bool { return l[i].DueAt.Before(l[j].DueAt) })
	}
	return r, nil
}
