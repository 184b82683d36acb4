// Package review runs access-review campaigns: a scope over the current
// entitlements becomes review items; reviewers certify, revoke (with a
// required comment) or reassign them; every decision is kept; the
// campaign shows its progress and, after later scans, flags revoked
// entitlements that still exist.
package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Store is what reviews need.
type Store interface {
	ScopeEntitlements(ctx context.Context, f store.EntitlementFilter) ([]store.Entitlement, error)
	Exposures(ctx context.Context, limit int, ids ...string) ([]store.AssetExposure, error)
	Principals(ctx context.Context, f store.PrincipalFilter) ([]store.Principal, uint64, error)
	AssetByID(ctx context.Context, id string) (store.Asset, error)
	CreateCampaign(ctx context.Context, c store.Campaign, items []store.ReviewItem) error
	GetCampaign(ctx context.Context, id string) (store.Campaign, error)
	ReviewItems(ctx context.Context, campaignID string) ([]store.ReviewItem, error)
	AppendDecision(ctx context.Context, d store.Decision) error
	Decisions(ctx context.Context, campaignID string) ([]store.Decision, error)
}

// Scope selects the entitlements to review.
type Scope struct {
	PrivilegedOnly bool   `json:"privileged_only"`
	Source         string `json:"source"`
	ResourceType   string `json:"resource_type"`
	// PersonalDataOnly keeps grants on assets holding current personal data.
	PersonalDataOnly bool `json:"personal_data_only"`
}

// Reviewer modes other than a token name.
const (
	// ByOwner gives each item to the resource's owner.
	ByOwner = "@owner"
	// ByManager gives each item to the principal's manager: the reviewer
	// token named like the manager's account (the manager_name attribute a
	// directory scan sets).
	ByManager = "@manager"
)

// Where an item's reviewer came from (store.ReviewItem.ReviewerSource).
const (
	SourceNamed    = "named"
	SourceOwner    = "owner"
	SourceManager  = "manager"
	SourceFallback = "fallback"
)

// Request creates a campaign. Reviewer is a token name, "@owner" (the
// resource's owner) or "@manager" (the principal's manager), the last two
// with Fallback for items without one.
type Request struct {
	Name     string    `json:"name"`
	Scope    Scope     `json:"scope"`
	Reviewer string    `json:"reviewer"`
	Fallback string    `json:"fallback_reviewer"`
	Due      time.Time `json:"due"`
}

// ErrInvalid is a request that cannot be carried out as given.
var ErrInvalid = errors.New("invalid review request")

// ErrNotYours is a decision on another reviewer's item.
var ErrNotYours = errors.New("this item is assigned to another reviewer")

// Caps on a campaign request's fields: a request holds no lists, and its
// strings are names and filters, never documents.
const (
	MaxNameLen   = 200
	MaxFilterLen = 256
)

// Check says what is wrong with r, if anything, as an ErrInvalid.
func (r Request) Check() error {
	if r.Name == "" || r.Reviewer == "" {
		return fmt.Errorf("%w: name and reviewer are required", ErrInvalid)
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{{"name", r.Name, MaxNameLen}, {"reviewer", r.Reviewer, MaxFilterLen}, {"fallback_reviewer", r.Fallback, MaxFilterLen},
		{"scope.source", r.Scope.Source, MaxFilterLen}, {"scope.resource_type", r.Scope.ResourceType, MaxFilterLen}} {
		if len(f.v) > f.max {
			return fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalid, f.field, f.max)
		}
	}
	if strings.HasPrefix(r.Reviewer, "@") && r.Reviewer != ByOwner && r.Reviewer != ByManager {
		return fmt.Errorf("%w: reviewer must be a reviewer token's name, @owner or @manager", ErrInvalid)
	}
	if (r.Reviewer == ByOwner || r.Reviewer == ByManager) && (r.Fallback == "" || strings.HasPrefix(r.Fallback, "@")) {
		return fmt.Errorf("%w: %s needs a fallback_reviewer naming a reviewer token", ErrInvalid, r.Reviewer)
	}
	return nil
}

// defaultDue is how long a campaign runs when the request sets no due date.
const defaultDue = 14 * 24 * time.Hour

// campaign is the campaign r creates, by whom and when: its id is stable
// for the name and the creation time.
func (r Request) campaign(by string, now time.Time) store.Campaign {
	due := r.Due
	if due.IsZero() {
		due = now.Add(defaultDue)
	}
	scope, _ := json.Marshal(r.Scope) // plain fields: never fails
	return store.Campaign{ID: wire.StableID("campaign", r.Name, now.UTC().Format(time.RFC3339Nano))[:16], Name: r.Name,
		Scope: string(scope), Reviewer: r.Reviewer, Due: due.UTC(), CreatedBy: by, CreatedAt: now.UTC()}
}

// Create builds a campaign and its items from the current entitlements.
func Create(ctx context.Context, st Store, req Request, by string, now time.Time) (store.Campaign, int, error) {
	if err := req.Check(); err != nil {
		return store.Campaign{}, 0, err
	}
	ents, err := st.ScopeEntitlements(ctx, store.EntitlementFilter{PrivilegedOnly: req.Scope.PrivilegedOnly,
		Source: req.Scope.Source, ResourceType: req.Scope.ResourceType})
	if err != nil {
		return store.Campaign{}, 0, err
	}
	if req.Scope.PersonalDataOnly && len(ents) > 0 {
		ex, err := st.Exposures(ctx, 100000, resources(ents)...)
		if err != nil {
			return store.Campaign{}, 0, err
		}
		hold := map[string]bool{}
		for _, x := range ex {
			hold[x.AssetID] = true
		}
		ents = onResources(ents, hold)
	}
	c := req.campaign(by, now)
	people, err := principalsOf(ctx, st, distinct(ents, func(e store.Entitlement) string { return e.PrincipalID }), time.Time{})
	if err != nil {
		return store.Campaign{}, 0, err
	}
	var owners map[string]string
	if req.Reviewer == ByOwner {
		owners = map[string]string{}
		for _, id := range resources(ents) {
			if a, err := st.AssetByID(ctx, id); err == nil {
				owners[id] = a.Owner
			}
		}
	}
	items := assign(c, req, ents, people, owners)
	if err := st.CreateCampaign(ctx, c, items); err != nil {
		return store.Campaign{}, 0, err
	}
	return c, len(items), nil
}

// resources are the distinct resources of ents, in first-seen order.
func resources(ents []store.Entitlement) []string {
	return distinct(ents, func(e store.Entitlement) string { return e.ResourceID })
}

// distinct are the distinct keys of xs (nil for none), in first-seen
// order.
func distinct[T any](xs []T, key func(T) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if k := key(x); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// principalsOf reads the principals of ids, store.MaxLimit ids a query;
// staleBefore is the filter's (zero: the store's default).
func principalsOf(ctx context.Context, st Store, ids []string, staleBefore time.Time) ([]store.Principal, error) {
	var out []store.Principal
	for i := 0; i < len(ids); i += store.MaxLimit {
		ps, _, err := st.Principals(ctx, store.PrincipalFilter{IDs: ids[i:min(i+store.MaxLimit, len(ids))],
			StaleBefore: staleBefore, Limit: store.MaxLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

// onResources keeps the entitlements on the resources in keep.
func onResources(ents []store.Entitlement, keep map[string]bool) []store.Entitlement {
	kept := ents[:0]
	for _, e := range ents {
		if keep[e.ResourceID] {
			kept = append(kept, e)
		}
	}
	return kept
}

// assign makes campaign c's items of ents, each with its reviewer: the
// one req names, the resource's owner (owners, by resource), or the
// principal's manager (from people's manager_name), else req's fallback.
// people names the principals; one absent from it gets no name.
func assign(c store.Campaign, req Request, ents []store.Entitlement, people []store.Principal, owners map[string]string) []store.ReviewItem {
	names := map[string]string{}
	managers := map[string]string{} // principal → its manager's account name
	for _, p := range people {
		names[p.ID] = p.Name
		// Nobody reviews their own access, whatever the directory says.
		if m := p.Attributes["manager_name"]; m != "" && m != p.Name {
			managers[p.ID] = m
		}
	}
	items := make([]store.ReviewItem, 0, len(ents))
	for _, e := range ents {
		reviewer, source := req.Reviewer, SourceNamed
		switch req.Reviewer {
		case ByOwner:
			reviewer, source = owners[e.ResourceID], SourceOwner
		case ByManager:
			reviewer, source = managers[e.PrincipalID], SourceManager
		}
		if reviewer == "" {
			reviewer, source = req.Fallback, SourceFallback
		}
		items = append(items, store.ReviewItem{ItemID: wire.StableID(c.ID, e.PrincipalID, e.ResourceID, e.Permission)[:16],
			PrincipalID: e.PrincipalID, PrincipalName: names[e.PrincipalID], ResourceID: e.ResourceID,
			ResourceType: e.ResourceType, Permission: e.Permission, Via: e.Via, Privileged: e.Privileged, Reviewer: reviewer,
			ReviewerSource: source})
	}
	return items
}

// checkDecision says what is wrong with a decision, if anything: a revoke
// needs a comment saying why, a reassignment someone to go to.
func checkDecision(decision, comment, reassignTo string) error {
	switch decision {
	case "certify":
	case "revoke":
		if comment == "" {
			return fmt.Errorf("%w: a revoke needs a comment saying why", ErrInvalid)
		}
	case "reassign":
		if reassignTo == "" {
			return fmt.Errorf("%w: reassign needs reassign_to", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: decision must be certify, revoke or reassign", ErrInvalid)
	}
	return nil
}

// Decide records a decision on an item. Reviewers decide only their own
// items; admins (all=true) any.
func Decide(ctx context.Context, st Store, campaignID, itemID, decision, comment, reassignTo, by string, all bool, now time.Time) error {
	if err := checkDecision(decision, comment, reassignTo); err != nil {
		return err
	}
	if _, err := st.GetCampaign(ctx, campaignID); err != nil {
		return err
	}
	items, err := st.ReviewItems(ctx, campaignID)
	if err != nil {
		return err
	}
	if err := mayDecide(items, itemID, Viewer{Name: by, All: all}); err != nil {
		return err
	}
	return st.AppendDecision(ctx, store.Decision{CampaignID: campaignID, ItemID: itemID, Decision: decision,
		Comment: comment, ReassignTo: reassignTo, DecidedBy: by, DecidedAt: now.UTC()})
}

// mayDecide says whether v may decide the item itemID of items: not when
// it is not there (store.ErrNotFound), nor when it is another reviewer's
// (ErrNotYours).
func mayDecide(items []store.ReviewItem, itemID string, v Viewer) error {
	for _, it := range items {
		if it.ItemID == itemID {
			if !v.sees(it) {
				return ErrNotYours
			}
			return nil
		}
	}
	return store.ErrNotFound
}

// Status is a campaign's progress and its reconciliation.
type Status struct {
	Campaign   store.Campaign
	Items      int
	Decided    map[string]int // by decision
	Pending    int
	StillThere []store.ReviewItem // revoked, yet still present after the latest scans
}

// Viewer is who reads a campaign. A reviewer (All false) sees only the
// items assigned to them now (a reassignment moves the item); admins and
// security (All true) see every item.
type Viewer struct {
	Name string
	All  bool
}

// Everyone is the viewer that sees every item.
var Everyone = Viewer{All: true}

// sees reports whether v may see it.
func (v Viewer) sees(it store.ReviewItem) bool { return v.All || it.Reviewer == v.Name }

// Items lists the campaign's items v may see.
func Items(ctx context.Context, st Store, id string, v Viewer) ([]store.ReviewItem, error) {
	items, err := st.ReviewItems(ctx, id)
	if err != nil {
		return nil, err
	}
	return v.visible(items), nil
}

// visible keeps the items v may see.
func (v Viewer) visible(items []store.ReviewItem) []store.ReviewItem {
	out := items[:0]
	for _, it := range items {
		if v.sees(it) {
			out = append(out, it)
		}
	}
	return out
}

// Progress counts decisions and flags revoked entitlements that the
// latest scans still report.
func Progress(ctx context.Context, st Store, id string) (Status, error) {
	return ProgressFor(ctx, st, id, Everyone)
}

// ProgressFor is Progress as v may see it. A reviewer with no item in the
// campaign gets store.ErrNotFound, exactly as for a campaign that does not
// exist, so a reviewer cannot learn which campaigns exist. A reviewer with
// items sees the campaign's header and its counts (how many items, pending,
// decided: no item's identity), and only their own items among those
// revoked but still present.
func ProgressFor(ctx context.Context, st Store, id string, v Viewer) (Status, error) {
	c, err := st.GetCampaign(ctx, id)
	if err != nil {
		return Status{}, err
	}
	items, err := st.ReviewItems(ctx, id)
	if err != nil {
		return Status{}, err
	}
	if !v.All && !slices.ContainsFunc(items, v.sees) {
		return Status{}, store.ErrNotFound
	}
	s, revoked := tally(c, items, v)
	if len(revoked) == 0 {
		return s, nil
	}
	current, err := st.ScopeEntitlements(ctx, store.EntitlementFilter{ResourceIDs: revokedResources(revoked)})
	if err != nil {
		return s, err
	}
	s.StillThere = stillThere(revoked, current)
	return s, nil
}

// tally counts the campaign's items, pending and by decision, and returns
// the revoked items v may see.
func tally(c store.Campaign, items []store.ReviewItem, v Viewer) (Status, []store.ReviewItem) {
	s := Status{Campaign: c, Items: len(items), Decided: map[string]int{}}
	var revoked []store.ReviewItem
	for _, it := range items {
		if it.Decision == "" {
			s.Pending++
			continue
		}
		s.Decided[it.Decision]++
		if it.Decision == "revoke" && v.sees(it) {
			revoked = append(revoked, it)
		}
	}
	return s, revoked
}

func revokedResources(revoked []store.ReviewItem) []string {
	ids := make([]string, len(revoked))
	for i, it := range revoked {
		ids[i] = it.ResourceID
	}
	return ids
}

// stillThere are the revoked items whose grant (principal, resource,
// permission) is among the current entitlements.
func stillThere(revoked []store.ReviewItem, current []store.Entitlement) []store.ReviewItem {
	exists := map[[3]string]bool{}
	for _, e := range current {
		exists[[3]string{e.PrincipalID, e.ResourceID, e.Permission}] = true
	}
	var out []store.ReviewItem
	for _, it := range revoked {
		if exists[[3]string{it.PrincipalID, it.ResourceID, it.Permission}] {
			out = append(out, it)
		}
	}
	return out
}
