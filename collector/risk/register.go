package risk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// The risk register: the current asset and principal risks in one list,
// each with an owner and a status that people set. The risks are computed
// when read; only the owners and statuses are stored, append-only, so each
// item keeps its history.

// Register item kinds.
const (
	KindAsset     = "asset"
	KindPrincipal = "principal"
)

// Statuses an item can have; items nobody has touched are open.
const (
	StatusOpen       = "open"
	StatusAccepted   = "accepted"
	StatusMitigating = "mitigating"
	StatusResolved   = "resolved"
)

var statuses = map[string]bool{StatusOpen: true, StatusAccepted: true, StatusMitigating: true, StatusResolved: true}

// Limits on what people type into the register.
const (
	maxOwner   = 256
	maxComment = 4000
)

// assetCandidates is how many asset risks the register ranks: all of
// them, as far as Top looks (its exposures are bounded at 10,000).
const assetCandidates = 10000

// ErrInvalid marks a register request that cannot be right; the message
// says how to fix it.
var ErrInvalid = errors.New("invalid risk register request")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// RegisterItem is one risk in the register.
type RegisterItem struct {
	Kind, ID string
	// Title is the asset's location or the principal's name.
	Title, Host, Source string
	Score               int
	Factors             []Factor
	Owner, Status       string
	// The latest change, if any.
	Comment, ChangedBy string
	ChangedAt          *time.Time
}

// RegisterStore is what the register needs.
type RegisterStore interface {
	Store
	PrincipalStore
	RegisterStates(ctx context.Context) (map[store.RegisterKey]store.RegisterEntry, error)
	RegisterHistory(ctx context.Context, kind, itemID string) ([]store.RegisterEntry, error)
	AppendRegister(ctx context.Context, e store.RegisterEntry) error
	AssetOwners(ctx context.Context, ids []string) (map[string]string, error)
	AssetByID(ctx context.Context, id string) (store.Asset, error)
	Principals(ctx context.Context, f store.PrincipalFilter) ([]store.Principal, uint64, error)
}

// RegisterQuery selects register items. Empty Status and Kind select all.
type RegisterQuery struct {
	Limit        int
	Status, Kind string
	Stale        Staleness
}

// Register returns the top risks across assets and principals, highest
// score first, with their owners (by default an asset's file owner, none
// for a principal) and statuses.
func Register(ctx context.Context, st RegisterStore, q RegisterQuery) ([]RegisterItem, error) {
	if q.Status != "" && !statuses[q.Status] {
		return nil, invalid("status must be one of open, accepted, mitigating, resolved")
	}
	if q.Kind != "" && q.Kind != KindAsset && q.Kind != KindPrincipal {
		return nil, invalid("kind must be asset or principal")
	}
	var items []RegisterItem
	if q.Kind != KindPrincipal {
		assets, err := Top(ctx, st, assetCandidates)
		if err != nil {
			return nil, err
		}
		for _, a := range assets {
			items = append(items, RegisterItem{Kind: KindAsset, ID: a.AssetID, Title: a.Location, Host: a.Host, Source: a.Source,
				Score: a.Score, Factors: a.Factors})
		}
	}
	if q.Kind != KindAsset {
		principals, err := TopPrincipals(ctx, st, q.Stale, 0)
		if err != nil {
			return nil, err
		}
		for _, p := range principals {
			items = append(items, RegisterItem{Kind: KindPrincipal, ID: p.PrincipalID, Title: p.Name, Host: p.Host, Source: p.Source,
				Score: p.Score, Factors: p.Factors})
		}
	}
	states, err := st.RegisterStates(ctx)
	if err != nil {
		return nil, err
	}
	kept := items[:0]
	for _, it := range items {
		it.Status = StatusOpen
		if e, ok := states[store.RegisterKey{Kind: it.Kind, ItemID: it.ID}]; ok {
			it.Owner, it.Status, it.Comment, it.ChangedBy = e.Owner, e.Status, e.Comment, e.ChangedBy
			at := e.ChangedAt
			it.ChangedAt = &at
		}
		if q.Status == "" || it.Status == q.Status {
			kept = append(kept, it)
		}
	}
	items = kept
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Title != b.Title {
			return a.Title < b.Title
		}
		return a.ID < b.ID
	})
	if q.Limit > 0 && len(items) > q.Limit {
		items = items[:q.Limit]
	}
	// Default owners only for what is returned: an owner lookup per asset
	// of the whole estate would be most of the cost.
	var ids []string
	for _, it := range items {
		if it.Kind == KindAsset && it.Owner == "" {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) > 0 {
		owners, err := st.AssetOwners(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i := range items {
			if items[i].Kind == KindAsset && items[i].Owner == "" {
				items[i].Owner = owners[items[i].ID]
			}
		}
	}
	return items, nil
}

// Change is an update of a register item. A nil Owner or Status keeps the
// current one; an empty Owner goes back to the default owner.
type Change struct {
	Kind, ID      string
	Owner, Status *string
	Comment       string
	By            string
	At            time.Time
}

// Update records a change of an item's owner or status and returns the
// item's state after it. Accepting or resolving a risk needs a comment
// saying why; the item must exist (a current asset or principal).
func Update(ctx context.Context, st RegisterStore, c Change) (store.RegisterEntry, error) {
	if err := checkKind(c.Kind); err != nil {
		return store.RegisterEntry{}, err
	}
	switch {
	case c.Owner == nil && c.Status == nil:
		return store.RegisterEntry{}, invalid("give an owner, a status or both")
	case c.Status != nil && !statuses[*c.Status]:
		return store.RegisterEntry{}, invalid("status must be one of open, accepted, mitigating, resolved")
	case c.Status != nil && (*c.Status == StatusAccepted || *c.Status == StatusResolved) && c.Comment == "":
		return store.RegisterEntry{}, invalid("a comment is required to set status %s: say why", *c.Status)
	case c.Owner != nil && len(*c.Owner) > maxOwner:
		return store.RegisterEntry{}, invalid("owner is longer than %d bytes", maxOwner)
	case len(c.Comment) > maxComment:
		return store.RegisterEntry{}, invalid("comment is longer than %d bytes", maxComment)
	}
	if err := exists(ctx, st, c.Kind, c.ID); err != nil {
		return store.RegisterEntry{}, err
	}
	hist, err := st.RegisterHistory(ctx, c.Kind, c.ID)
	if err != nil {
		return store.RegisterEntry{}, err
	}
	e := store.RegisterEntry{Kind: c.Kind, ItemID: c.ID, Status: StatusOpen, Comment: c.Comment, ChangedBy: c.By, ChangedAt: c.At.UTC()}
	if len(hist) > 0 {
		last := hist[len(hist)-1]
		e.Owner, e.Status = last.Owner, last.Status
	}
	if c.Owner != nil {
		e.Owner = *c.Owner
	}
	if c.Status != nil {
		e.Status = *c.Status
	}
	if err := st.AppendRegister(ctx, e); err != nil {
		return store.RegisterEntry{}, err
	}
	return e, nil
}

// History returns an item's changes, oldest first; store.ErrNotFound when
// the item neither exists nor has a history.
func History(ctx context.Context, st RegisterStore, kind, id string) ([]store.RegisterEntry, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	hist, err := st.RegisterHistory(ctx, kind, id)
	if err != nil || len(hist) > 0 {
		return hist, err
	}
	if err := exists(ctx, st, kind, id); err != nil {
		return nil, err
	}
	return []store.RegisterEntry{}, nil
}

func checkKind(kind string) error {
	if kind != KindAsset && kind != KindPrincipal {
		return invalid("kind must be asset or principal, not %q", clip(kind))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func exists(ctx context.Context, st RegisterStore, kind, id string) error {
	if kind == KindAsset {
		_, err := st.AssetByID(ctx, id)
		return err
	}
	ps, _, err := st.Principals(ctx, store.PrincipalFilter{IDs: []string{id}, Limit: 1})
	if err == nil && len(ps) == 0 {
		err = store.ErrNotFound
	}
	return err
}
