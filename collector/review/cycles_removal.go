package review

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// Removal states of a revoked item.
const (
	// RemovalPending: no completed scan since the revocation shows the
	// grant gone yet, and it is not due.
	RemovalPending = "pending"
	// RemovalOverdue: still pending past its due time.
	RemovalOverdue = "overdue"
	// RemovalConfirmed: a completed scan of the grant's agent and source,
	// started after the revocation, no longer showed it.
	RemovalConfirmed = "confirmed"
	// RemovalRegressed: confirmed, then a later scan showed the grant
	// again.
	RemovalRegressed = "regressed"
)

// Removal is what the scans showed of one revoked item.
type Removal struct {
	State string
	// RevokedAt is the revocation; DueAt when it turns overdue.
	RevokedAt, DueAt time.Time
	// ConfirmedBy and ConfirmedAt: the scan that no longer showed the
	// grant, and when it finished (the latest confirmation).
	ConfirmedBy string
	ConfirmedAt *time.Time
	// RegressedBy and RegressedAt: the scan that showed it again, and
	// when (the latest regression).
	RegressedBy string
	RegressedAt *time.Time
	// Agent and Source last reported the grant ("" when no scan ever
	// stored it).
	Agent, Source string
	Edit          Edit
}

// Edit names what to change to remove a grant, from the way the item
// holds it (its via chain, nearest the principal first).
type Edit struct {
	// Kind is group (remove the principal from the group Target),
	// policy (edit the policy Target), rule (edit the rule Target: a
	// sudoers line, a key file) or resource (the grant is on the resource
	// itself: remove it there).
	Kind   string
	Target string
	Chain  []string
}

// EditOf says what to change to remove it's grant.
func EditOf(it store.ReviewItem) Edit {
	chain := slices.Clone(it.Via)
	if len(chain) == 0 {
		if it.ResourceType == "group" && it.Permission == "member" {
			return Edit{Kind: "group", Target: it.ResourceID, Chain: []string{}}
		}
		return Edit{Kind: "resource", Target: it.ResourceID, Chain: []string{}}
	}
	first := chain[0]
	lower := strings.ToLower(first)
	switch {
	case strings.HasPrefix(lower, "member of "):
		return Edit{Kind: "group", Target: strings.TrimSpace(first[len("member of "):]), Chain: chain}
	case strings.Contains(lower, "policy"):
		return Edit{Kind: "policy", Target: first, Chain: chain}
	case it.ResourceType == "policy":
		return Edit{Kind: "policy", Target: first, Chain: chain}
	case strings.HasPrefix(lower, "sudoers") || strings.Contains(first, ":"):
		return Edit{Kind: "rule", Target: first, Chain: chain}
	}
	// A directory chain (LDAP nested groups, an IAM group): the principal
	// is a direct member of the first group named.
	return Edit{Kind: "group", Target: first, Chain: chain}
}

// Revocation is a revoked item and what the scans showed of it.
type Revocation struct {
	Item    store.RevokedItem
	Removal Removal
}

// RevocationFilter narrows Revocations: States (any of), Campaign.
type RevocationFilter struct {
	States   []string
	Campaign string
}

// Check says what is wrong with f, if anything.
func (f RevocationFilter) Check() error {
	for _, s := range f.States {
		switch s {
		case RemovalPending, RemovalOverdue, RemovalConfirmed, RemovalRegressed:
		default:
			return fmt.Errorf("%w: state must be pending, overdue, confirmed or regressed", ErrInvalid)
		}
	}
	return nil
}

// Revocations lists the revoked items with their removal state, oldest
// revocation first. It reads the revoked items, the latest stored row of
// each grant (current or not) and the completed scans since, and records
// the confirmations and regressions those show that were not recorded
// yet: a grant removed and granted again between two such reads (Run's
// interval, or an API read) is not seen as confirmed.
func (c *Cycles) Revocations(ctx context.Context, f RevocationFilter) ([]Revocation, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	var ids []string
	if f.Campaign != "" {
		ids = []string{f.Campaign}
	}
	items, err := c.o.Store.RevokedItems(ctx, ids...)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	evs, err := c.o.Store.RemovalEvents(ctx, ids...)
	if err != nil {
		return nil, err
	}
	principals := make([]string, len(items))
	for i, it := range items {
		principals[i] = it.PrincipalID
	}
	obs, err := c.o.Store.GrantObservations(ctx, principals)
	if err != nil {
		return nil, err
	}
	var agents []string
	for _, o := range obs {
		agents = append(agents, o.AgentID)
	}
	scans, err := c.o.Store.CompletedScans(ctx, agents, items[0].DecidedAt)
	if err != nil {
		return nil, err
	}
	now := c.o.Now().UTC()
	t := removalTracker{events: map[[2]string][]store.RemovalEvent{}, scans: map[[2]string][]store.CompletedScan{}, now: now,
		due: c.o.RemovalDue}
	for _, e := range evs {
		k := [2]string{e.CampaignID, e.ItemID}
		t.events[k] = append(t.events[k], e)
	}
	for _, s := range scans {
		k := [2]string{s.AgentID, s.Source}
		t.scans[k] = append(t.scans[k], s)
	}
	var fresh []store.RemovalEvent
	out := make([]Revocation, 0, len(items))
	for _, it := range items {
		o, seen := obs[store.GrantKey{PrincipalID: it.PrincipalID, ResourceID: it.ResourceID, Permission: it.Permission}]
		r, ev := t.state(it.ReviewItem, o, seen)
		if ev != nil {
			fresh = append(fresh, *ev)
		}
		if len(f.States) == 0 || slices.Contains(f.States, r.State) {
			out = append(out, Revocation{Item: it, Removal: r})
		}
	}
	if len(fresh) > 0 {
		// Two collectors recording the same event append it twice: the
		// latest event per item is the state either way.
		if err := c.o.Store.AppendRemovalEvents(ctx, fresh); err != nil {
			return out, err
		}
	}
	return out, nil
}

// RemovalsFor returns the removal state of the campaign's revoked items,
// by item id.
func (c *Cycles) RemovalsFor(ctx context.Context, campaignID string) (map[string]Removal, error) {
	rs, err := c.Revocations(ctx, RevocationFilter{Campaign: campaignID})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Removal, len(rs))
	for _, r := range rs {
		out[r.Item.ItemID] = r.Removal
	}
	return out, nil
}

// removalTracker computes removal states from the recorded events and
// the completed scans, by (agent, source).
type removalTracker struct {
	events map[[2]string][]store.RemovalEvent // by (campaign, item), oldest first
	scans  map[[2]string][]store.CompletedScan
	now    time.Time
	due    time.Duration
}

// state is it's removal state given the latest stored row of its grant
// (o, when seen), and the event to record when the scans show a change
// not recorded yet.
func (t removalTracker) state(it store.ReviewItem, o store.GrantObservation, seen bool) (Removal, *store.RemovalEvent) {
	r := Removal{RevokedAt: it.DecidedAt, DueAt: it.DecidedAt.Add(t.due), Edit: EditOf(it)}
	if seen {
		r.Agent, r.Source = o.AgentID, o.Source
	}
	evs := t.events[[2]string{it.CampaignID, it.ItemID}]
	var last *store.RemovalEvent
	for i := range evs {
		e := evs[i]
		switch e.State {
		case RemovalConfirmed:
			r.ConfirmedBy, r.ConfirmedAt = e.ScanID, &e.At
		case RemovalRegressed:
			r.RegressedBy, r.RegressedAt = e.ScanID, &e.At
		}
		last = &e
	}
	var ev *store.RemovalEvent
	switch {
	case seen && (last == nil || last.State == RemovalRegressed) && !o.Current:
		since := it.DecidedAt
		if last != nil {
			since = last.At
		}
		if s, ok := t.confirming(o, since); ok {
			at := s.FinishedAt
			ev = &store.RemovalEvent{CampaignID: it.CampaignID, ItemID: it.ItemID, State: RemovalConfirmed, ScanID: s.ScanID,
				At: at, RecordedAt: t.now}
			r.ConfirmedBy, r.ConfirmedAt = s.ScanID, &at
		}
	case seen && last != nil && last.State == RemovalConfirmed && o.Current && o.ObservedAt.After(last.At):
		at := o.ObservedAt
		ev = &store.RemovalEvent{CampaignID: it.CampaignID, ItemID: it.ItemID, State: RemovalRegressed, ScanID: o.ScanID,
			At: at, RecordedAt: t.now}
		r.RegressedBy, r.RegressedAt = o.ScanID, &at
	}
	switch {
	case ev != nil:
		r.State = ev.State
	case last != nil:
		r.State = last.State
	case t.now.After(r.DueAt):
		r.State = RemovalOverdue
	default:
		r.State = RemovalPending
	}
	return r, ev
}

// confirming is the first completed scan of o's agent and source that
// started at or after since and did not report the grant (its stored row
// is older than the scan's start and from another scan).
func (t removalTracker) confirming(o store.GrantObservation, since time.Time) (store.CompletedScan, bool) {
	for _, s := range t.scans[[2]string{o.AgentID, o.Source}] {
		if !s.StartedAt.Before(since) && s.ScanID != o.ScanID && !o.ObservedAt.After(s.StartedAt) {
			return s, true
		}
	}
	return store.CompletedScan{}, false
}
