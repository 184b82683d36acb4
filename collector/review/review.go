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

// Create builds a campaign and its items from the current entitlements.
func Create(ctx context.Context, st Store, req Request, by string, now time.Time) (store.Campaign, int, error) {
	if req.Name == "" || req.Reviewer == "" {
		return store.Campaign{}, 0, fmt.Errorf("%w: name and reviewer are required", ErrInvalid)
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{{"name", req.Name, MaxNameLen}, {"reviewer", req.Reviewer, MaxFilterLen}, {"fallback_reviewer", req.Fallback, MaxFilterLen},
		{"scope.source", req.Scope.Source, MaxFilterLen}, {"scope.resource_type", req.Scope.ResourceType, MaxFilterLen}} {
		if len(f.v) > f.max {
			return store.Campaign{}, 0, fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalid, f.field, f.max)
		}
	}
	if strings.HasPrefix(req.Reviewer, "@") && req.Reviewer != ByOwner && req.Reviewer != ByManager {
		return store.Campaign{}, 0, fmt.Errorf("%w: reviewer must be a reviewer token's name, @owner or @manager", ErrInvalid)
	}
	if (req.Reviewer == ByOwner || req.Reviewer == ByManager) && (req.Fallback == "" || strings.HasPrefix(req.Fallback, "@")) {
		return store.Campaign{}, 0, fmt.Errorf("%w: %s needs a fallback_reviewer naming a reviewer token", ErrInvalid, req.Reviewer)
	}
	if req.Due.IsZero() {
		req.Due = now.Add(14 * 24 * time.Hour)
	}
	ents, err := st.ScopeEntitlements(ctx, store.EntitlementFilter{PrivilegedOnly: req.Scope.PrivilegedOnly,
		Source: req.Scope.Source, ResourceType: req.Scope.ResourceType})
	if err != nil {
		return store.Campaign{}, 0, err
	}
	if req.Scope.PersonalDataOnly && len(ents) > 0 {
		seen := map[string]bool{}
		var ids []string
		for _, e := range ents {
			if !seen[e.ResourceID] {
				seen[e.ResourceID] = true
				ids = append(ids, e.ResourceID)
			}
		}
		ex, err := st.Exposures(ctx, 100000, ids...)
		if err != nil {
			return store.Campaign{}, 0, err
		}
		hold := map[string]bool{}
		for _, x := range ex {
			hold[x.AssetID] = true
		}
		kept := ents[:0]
		for _, e := range ents {
			if hold[e.ResourceID] {
				kept = append(kept, e)
			}
		}
		ents = kept
	}
	scope, _ := json.Marshal(req.Scope)
	c := store.Campaign{ID: wire.StableID("campaign", req.Name, now.UTC().Format(time.RFC3339Nano))[:16], Name: req.Name,
		Scope: string(scope), Reviewer: req.Reviewer, Due: req.Due.UTC(), CreatedBy: by, CreatedAt: now.UTC()}
	names := map[string]string{}
	managers := map[string]string{} // principal → its manager's account name
	var pids []string
	for _, e := range ents {
		if _, ok := names[e.PrincipalID]; !ok {
			names[e.PrincipalID] = ""
			pids = append(pids, e.PrincipalID)
		}
	}
	for i := 0; i < len(pids); i += store.MaxLimit {
		ps, _, err := st.Principals(ctx, store.PrincipalFilter{IDs: pids[i:min(i+store.MaxLimit, len(pids))], Limit: store.MaxLimit})
		if err != nil {
			return store.Campaign{}, 0, err
		}
		for _, p := range ps {
			names[p.ID] = p.Name
			// Nobody reviews their own access, whatever the directory says.
			if m := p.Attributes["manager_name"]; m != "" && m != p.Name {
				managers[p.ID] = m
			}
		}
	}
	owners := map[string]string{}
	items := make([]store.ReviewItem, 0, len(ents))
	for _, e := range ents {
		reviewer, source := req.Reviewer, SourceNamed
		switch req.Reviewer {
		case ByOwner:
			o, ok := owners[e.ResourceID]
			if !ok {
				if a, err := st.AssetByID(ctx, e.ResourceID); err == nil {
					o = a.Owner
				}
				owners[e.ResourceID] = o
			}
			reviewer, source = o, SourceOwner
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
	if err := st.CreateCampaign(ctx, c, items); err != nil {
		return store.Campaign{}, 0, err
	}
	return c, len(items), nil
}

// Decide records a decision on an item. Reviewers decide only their own
// items; admins (all=true) any.
func Decide(ctx context.Context, st Store, campaignID, itemID, decision, comment, reassignTo, by string, all bool, now time.Time) error {
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
	if _, err := st.GetCampaign(ctx, campaignID); err != nil {
		return err
	}
	items, err := st.ReviewItems(ctx, campaignID)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.ItemID != itemID {
			continue
		}
		if !all && it.Reviewer != by {
			return ErrNotYours
		}
		return st.AppendDecision(ctx, store.Decision{CampaignID: campaignID, ItemID: itemID, Decision: decision,
			Comment: comment, ReassignTo: reassignTo, DecidedBy: by, DecidedAt: now.UTC()})
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
	out := items[:0]
	for _, it := range items {
		if v.sees(it) {
			out = append(out, it)
		}
	}
	return out, nil
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
	s := Status{Campaign: c, Items: len(items), Decided: map[string]int{}}
	var revoked []store.ReviewItem
	var ids []string
	for _, it := range items {
		if it.Decision == "" {
			s.Pending++
			continue
		}
		s.Decided[it.Decision]++
		if it.Decision == "revoke" && v.sees(it) {
			revoked = append(revoked, it)
			ids = append(ids, it.ResourceID)
		}
	}
	if len(revoked) == 0 {
		return s, nil
	}
	current, err := st.ScopeEntitlements(ctx, store.EntitlementFilter{ResourceIDs: ids})
	if err != nil {
		return s, err
	}
	exists := map[[3]string]bool{}
	for _, e := range current {
		exists[[3]string{e.PrincipalID, e.ResourceID, e.Permission}] = true
	}
	for _, it := range revoked {
		if exists[[3]string{it.PrincipalID, it.ResourceID, it.Permission}] {
			s.StillThere = append(s.StillThere, it)
		}
	}
	return s, nil
}
