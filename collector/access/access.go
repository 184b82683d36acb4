// Package access answers who can reach what: the readers of an asset,
// through direct grants, group membership and "everyone" on its host.
package access

import (
	"context"
	"fmt"
	"sort"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Store is what access needs from the store.
type Store interface {
	AssetByLocation(ctx context.Context, location, host string) (store.Asset, error)
	Entitlements(ctx context.Context, resourceIDs, principalIDs []string, permission string) ([]store.Entitlement, error)
	Principals(ctx context.Context, f store.PrincipalFilter) ([]store.Principal, uint64, error)
	Exposures(ctx context.Context, limit int, ids ...string) ([]store.AssetExposure, error)
}

// Reader is a principal who can read an asset, and how.
type Reader struct {
	PrincipalID, Name, Type string
	Privileged              bool
	// Via is the path to the asset: "owner", "group finance",
	// "world-readable".
	Via []string
}

// Readers lists the accounts (and the groups and "everyone" they come
// through) that can read the asset at location: direct read grants, the
// members of a group that may read it, and every account of its host when
// it is world-readable. Accounts are listed once, with every path.
func Readers(ctx context.Context, st Store, location, host string) (store.Asset, []Reader, error) {
	asset, err := st.AssetByLocation(ctx, location, host)
	if err != nil {
		return asset, nil, err
	}
	grants, err := st.Entitlements(ctx, []string{asset.ID}, nil, "read")
	if err != nil {
		return asset, nil, err
	}
	everyone := wire.LocalPrincipalID(asset.Host, "everyone", "")
	via := map[string][]string{}
	var groups []string
	openToAll := false
	for _, g := range grants {
		switch {
		case g.PrincipalID == everyone:
			openToAll = true
		default:
			via[g.PrincipalID] = append(via[g.PrincipalID], g.Via...)
			groups = append(groups, g.PrincipalID)
		}
	}
	// Who is known, and which grantees are groups.
	known := map[string]store.Principal{}
	load := func(f store.PrincipalFilter) error {
		for offset := 0; ; offset += store.MaxLimit {
			f.Limit, f.Offset = store.MaxLimit, offset
			ps, total, err := st.Principals(ctx, f)
			if err != nil {
				return err
			}
			for _, p := range ps {
				known[p.ID] = p
			}
			if uint64(offset+len(ps)) >= total || len(ps) == 0 {
				return nil
			}
		}
	}
	if openToAll {
		if err := load(store.PrincipalFilter{Host: asset.Host, Source: wire.SourceHost}); err != nil {
			return asset, nil, err
		}
	} else if len(groups) > 0 {
		if err := load(store.PrincipalFilter{IDs: groups}); err != nil {
			return asset, nil, err
		}
	}
	var groupIDs []string
	for _, id := range groups {
		if known[id].Type == "group" {
			groupIDs = append(groupIDs, id)
		}
	}
	if len(groupIDs) > 0 {
		members, err := st.Entitlements(ctx, groupIDs, nil, "member")
		if err != nil {
			return asset, nil, err
		}
		var missing []string
		for _, m := range members {
			via[m.PrincipalID] = append(via[m.PrincipalID], "group "+known[m.ResourceID].Name)
			if _, ok := known[m.PrincipalID]; !ok {
				missing = append(missing, m.PrincipalID)
			}
		}
		if len(missing) > 0 {
			if err := load(store.PrincipalFilter{IDs: missing}); err != nil {
				return asset, nil, err
			}
		}
	}
	if openToAll {
		for id, p := range known {
			if p.Type != "group" {
				via[id] = append(via[id], "world-readable")
			}
		}
	}
	out := make([]Reader, 0, len(via))
	for id, v := range via {
		p, ok := known[id]
		if ok && p.Type == "group" {
			continue // its members are listed
		}
		r := Reader{PrincipalID: id, Name: p.Name, Type: p.Type, Privileged: p.Privileged, Via: dedupe(v)}
		if !ok {
			r.Name, r.Type = fmt.Sprintf("unknown account (%s)", id[:8]), "unknown"
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return asset, out, nil
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Reach is what a principal can get to.
type Reach struct {
	Principal    store.Principal
	Entitlements []store.Entitlement // held directly
	Groups       []string            // group ids it is a member of
	Assets       []store.Asset       // assets holding personal data it can read
}

// PrincipalReach returns a principal, its grants and memberships, and the
// assets with current personal data it can read: through its own read
// grants, its groups' (host and directory groups), everyone on its host,
// and buckets its IAM policies open.
func PrincipalReach(ctx context.Context, st Store, id string) (Reach, error) {
	ps, _, err := st.Principals(ctx, store.PrincipalFilter{IDs: []string{id}, Limit: 1})
	if err != nil {
		return Reach{}, err
	}
	if len(ps) == 0 {
		return Reach{}, store.ErrNotFound
	}
	r := Reach{Principal: ps[0]}
	if r.Entitlements, err = st.Entitlements(ctx, nil, []string{id}, ""); err != nil {
		return r, err
	}
	holders := []string{id}
	for _, e := range r.Entitlements {
		if e.Permission == "member" {
			r.Groups = append(r.Groups, e.ResourceID)
			holders = append(holders, e.ResourceID)
		}
	}
	if r.Principal.Source == wire.SourceHost {
		holders = append(holders, wire.LocalPrincipalID(r.Principal.Host, "everyone", ""))
	}
	grants, err := st.Entitlements(ctx, nil, holders, "")
	if err != nil {
		return r, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, g := range grants {
		if (g.Permission == "read" || g.Permission == "write") && !seen[g.ResourceID] {
			seen[g.ResourceID] = true
			ids = append(ids, g.ResourceID)
		}
	}
	if len(ids) == 0 {
		return r, nil
	}
	exp, err := st.Exposures(ctx, 10000, ids...)
	if err != nil {
		return r, err
	}
	for _, e := range exp {
		r.Assets = append(r.Assets, store.Asset{ID: e.AssetID, Type: e.AssetType, Location: e.Location, Host: e.Host, Attributes: e.Attributes})
	}
	return r, nil
}
