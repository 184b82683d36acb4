// Package access answers who can reach what: the readers of an asset and
// the assets a principal reaches. Both come from the read index's one
// definition of reach (store/reach.go: holders through groups and
// "everyone", grants with bucket grants expanded to objects), so they
// agree with the reader counts of the asset list and the readable counts
// of principal risk.
package access

import (
	"context"

	"github.com/sightline-dev/sightline/collector/store"
)

// Store is what access needs from the store.
type Store interface {
	AssetByLocation(ctx context.Context, location, host, source string) (store.Asset, error)
	Entitlements(ctx context.Context, resourceIDs, principalIDs []string, permission string) ([]store.Entitlement, error)
	Principals(ctx context.Context, f store.PrincipalFilter) ([]store.Principal, uint64, error)
	AssetReaders(ctx context.Context, assetID string) ([]store.Reader, error)
	ReachableAssets(ctx context.Context, principalID string, limit int) ([]store.Asset, error)
}

// Reader is a principal who can read an asset, and how (Via: "owner",
// "group finance", "world-readable", "bucket policy: …").
type Reader = store.Reader

// Readers lists the accounts that can read the asset at location (on host
// and of source, when given; store.ErrAmbiguousLocation when several
// assets are there): through its own grants, the groups it is in and "everyone"
// on its host; a grant on a bucket covers its objects. Accounts are listed
// once, by name, with every path; groups through their members. It reads
// the read index: callers make it fresh first.
func Readers(ctx context.Context, st Store, location, host, source string) (store.Asset, []Reader, error) {
	asset, err := st.AssetByLocation(ctx, location, host, source)
	if err != nil {
		return asset, nil, err
	}
	readers, err := st.AssetReaders(ctx, asset.ID)
	return asset, readers, err
}

// Reach is what a principal can get to.
type Reach struct {
	Principal    store.Principal
	Entitlements []store.Entitlement // held directly
	Groups       []string            // group ids it is a member of
	Assets       []store.Asset       // assets holding personal data it can read or write
}

// maxReachAssets bounds the assets PrincipalReach lists.
const maxReachAssets = 10000

// PrincipalReach returns a principal, its grants and memberships, and the
// assets with current personal data it can read or write, by the read
// index's definition of reach (see Readers).
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
	for _, e := range r.Entitlements {
		if e.Permission == "member" {
			r.Groups = append(r.Groups, e.ResourceID)
		}
	}
	r.Assets, err = st.ReachableAssets(ctx, id, maxReachAssets)
	return r, err
}
