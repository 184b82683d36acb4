package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// A detail page reads one principal by its key range; the answer must be
// the list's (the whole current view's) row for it.
func TestPrincipalByIDAgreesWithList(t *testing.T) {
	s := identities(t)
	ctx := context.Background()
	all, _, err := s.Principals(ctx, store.PrincipalFilter{StaleBefore: staleBefore, Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Len(t, all, 13)
	grants, err := s.Entitlements(ctx, nil, nil, "")
	require.NoError(t, err)
	for _, p := range all {
		t.Run(p.Name, func(t *testing.T) {
			one, total, err := s.Principals(ctx, store.PrincipalFilter{IDs: []string{p.ID}, StaleBefore: staleBefore, Limit: 1})
			require.NoError(t, err)
			require.Equal(t, uint64(1), total)
			require.Equal(t, []store.Principal{p}, one)

			want := []store.Entitlement{}
			for _, g := range grants {
				if g.PrincipalID == p.ID {
					want = append(want, g)
				}
			}
			got, err := s.Entitlements(ctx, nil, []string{p.ID}, "")
			require.NoError(t, err)
			require.Equal(t, want, append([]store.Entitlement{}, got...))
		})
	}
	// Filters still apply on top of the key range.
	for _, tc := range []struct {
		name string
		f    store.PrincipalFilter
		want []string
	}{
		{"two ids", store.PrincipalFilter{IDs: []string{"alice", "bob"}}, []string{"alice", "bob"}},
		{"id and filter", store.PrincipalFilter{IDs: []string{"alice", "bob"}, Disabled: ptr(true)}, []string{"bob"}},
		{"unknown id", store.PrincipalFilter{IDs: []string{"nobody-at-all"}}, []string{}},
		{"empty ids", store.PrincipalFilter{IDs: []string{}}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, total, err := s.Principals(ctx, tc.f)
			require.NoError(t, err)
			require.Equal(t, tc.want, names(items))
			require.Equal(t, uint64(len(tc.want)), total)
		})
	}
	perm, err := s.Entitlements(ctx, nil, []string{"alice", "iam-u1"}, "member")
	require.NoError(t, err)
	require.Len(t, perm, 1)
	require.Equal(t, "staff", perm[0].ResourceID)
}

// AssetByLocation finds an asset through the read index's location
// lookup, and one newer than the index's build by the scan it falls back
// to.
func TestAssetByLocation(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	fs := fixture{agent: "ag", host: "h1", source: wire.SourceFS, scan: "f1", at: base}
	fs2 := fixture{agent: "ag2", host: "h2", source: wire.SourceFS, scan: "f2", at: base}
	a, same := fs.asset("/srv/a.csv"), fs2.asset("/srv/a.csv")
	a.Owner = "hr-admin"
	insert(t, s, a, same, fs.pii("/srv/a.csv", "email", "contact", 5))
	storetest.BuildIndex(t, s)
	late := fs.asset("/srv/late.csv")
	insert(t, s, late)

	for _, tc := range []struct {
		name, location, host, wantID, wantHost string
	}{
		{"indexed, by host", "file:///srv/a.csv", "h1", a.AssetID, "h1"},
		{"indexed, the other host", "file:///srv/a.csv", "h2", same.AssetID, "h2"},
		{"newer than the index", "file:///srv/late.csv", "h1", late.AssetID, "h1"},
		{"newer than the index, any host", "file:///srv/late.csv", "", late.AssetID, "h1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.AssetByLocation(ctx, tc.location, tc.host, "")
			require.NoError(t, err)
			require.Equal(t, tc.wantID, got.ID)
			require.Equal(t, tc.wantHost, got.Host)
			require.Equal(t, tc.location, got.Location)
		})
	}
	got, err := s.AssetByLocation(ctx, "file:///srv/a.csv", "h1", "")
	require.NoError(t, err)
	require.Equal(t, "hr-admin", got.Owner)
	_, err = s.AssetByLocation(ctx, "file:///srv/a.csv", "h3", "")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.AssetByLocation(ctx, "file:///srv/none.csv", "", "")
	require.ErrorIs(t, err, store.ErrNotFound)
	// Two hosts' assets at one location: no answer picks one.
	_, err = s.AssetByLocation(ctx, "file:///srv/a.csv", "", "")
	require.ErrorIs(t, err, store.ErrAmbiguousLocation)
	got, err = s.AssetByLocation(ctx, "file:///srv/a.csv", "h2", wire.SourceFS)
	require.NoError(t, err)
	require.Equal(t, same.AssetID, got.ID)
	_, err = s.AssetByLocation(ctx, "file:///srv/a.csv", "h2", wire.SourceSMB)
	require.ErrorIs(t, err, store.ErrNotFound)
}
