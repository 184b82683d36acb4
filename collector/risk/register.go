package risk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/clip"
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

// check says what is wrong with q, if anything, as an ErrInvalid.
func (q RegisterQuery) check() error {
	if q.Status != "" && !statuses[q.Status] {
		return invalid("status must be one of open, accepted, mitigating, resolved")
	}
	if q.Kind != "" && q.Kind != KindAsset && q.Kind != KindPrincipal {
		return invalid("kind must be asset or principal")
	}
	return nil
}

// Register returns the top risks across assets and principals, highest
// score first, with their owners (by default an asset's file owner, none
// for a principal) and statuses.
func Register(ctx context.Context, st RegisterStore, q RegisterQuery) ([]RegisterItem, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	var items []RegisterItem
	if q.Kind != KindPrincipal {
		assets, err := Top(ctx, st, assetCandidates)
		if err != nil {
			return nil, err
		}
		for _, a := range assets {
			items = append(items, a.registerItem())
		}
	}
	if q.Kind != KindAsset {
		principals, err := TopPrincipals(ctx, st, q.Stale, 0)
		if err != nil {
			return nil, err
		}
		for _, p := range principals {
			items = append(items, p.registerItem())
		}
	}
	states, err := st.RegisterStates(ctx)
	if err != nil {
		return nil, err
	}
	items = rankRegister(items, states, q)
	// Default owners only for what is returned: an owner lookup per asset
	// of the whole estate would be most of the cost.
	if ids := unowned(items); len(ids) > 0 {
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

func (s Score) registerItem() RegisterItem {
	return RegisterItem{Kind: KindAsset, ID: s.AssetID, Title: s.Location, Host: s.Host, Source: s.Source,
		Score: s.Score, Factors: s.Factors}
}

func (s PrincipalScore) registerItem() RegisterItem {
	return RegisterItem{Kind: KindPrincipal, ID: s.PrincipalID, Title: s.Name, Host: s.Host, Source: s.Source,
		Score: s.Score, Factors: s.Factors}
}

// rankRegister gives items their state (open when nobody touched them),
// keeps those with q's status, and returns the first q.Limit (all for 0)
// by score, then kind, title and id.
func rankRegister(items []RegisterItem, states map[store.RegisterKey]store.RegisterEntry, q RegisterQuery) []RegisterItem {
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
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
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
	if q.Limit > 0 && len(kept) > q.Limit {
		kept = kept[:q.Limit]
	}
	return kept
}

// unowned are the assets among items that nobody was made owner of.
func unowned(items []RegisterItem) []string {
	var ids []string
	for _, it := range items {
		if it.Kind == KindAsset && it.Owner == "" {
			ids = append(ids, it.ID)
		}
	}
	return ids
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

// check says what is wrong with c, if anything, as an ErrInvalid.
// Accepting or resolving a risk needs a comment saying why.
func (c Change) check() error {
	if err := checkKind(c.Kind); err != nil {
		return err
	}
	switch {
	case c.Owner == nil && c.Status == nil:
		return invalid("give an owner, a status or both")
	case c.Status != nil && !statuses[*c.Status]:
		return invalid("status must be one of open, accepted, mitigating, resolved")
	case c.Status != nil && (*c.Status == StatusAccepted || *c.Status == StatusResolved) && c.Comment == "":
		return invalid("a comment is required to set status %s: say why", *c.Status)
	case c.Owner != nil && len(*c.Owner) > maxOwner:
		return invalid("owner is longer than %d bytes", maxOwner)
	case len(c.Comment) > maxComment:
		return invalid("comment is longer than %d bytes", maxComment)
	}
	return nil
}

// after is the item's entry once c is applied to its history (oldest
// first): what c does not change stays as the latest entry left it, and
// an untouched item starts open with no owner.
func (c Change) after(hist []store.RegisterEntry) store.RegisterEntry {
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
	return e
}

// Update records a change of an item's owner or status and returns the
// item's state after it. The change must pass check; the item must exist
// (a current asset or principal).
func Update(ctx context.Context, st RegisterStore, c Change) (store.RegisterEntry, error) {
	if err := c.check(); err != nil {
		return store.RegisterEntry{}, err
	}
	if err := exists(ctx, st, c.Kind, c.ID); err != nil {
		return store.RegisterEntry{}, err
	}
	hist, err := st.RegisterHistory(ctx, c.Kind, c.ID)
	if err != nil {
		return store.RegisterEntry{}, err
	}
	e := c.after(hist)
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
		return invalid("kind must be asset or principal, not %q", clip.String(kind, 40))
	}
	return nil
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
