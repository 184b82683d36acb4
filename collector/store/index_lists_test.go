package store_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// The identities list from the read index (idx_principals) must answer
// what the live view answers at the build: the same rows in the same
// order, the same totals, for every filter and page.
func TestIndexPrincipalsAgreeWithLive(t *testing.T) {
	s := identities(t)
	storetest.BuildIndex(t, s)
	ctx := context.Background()
	yes, no := ptr(true), ptr(false)
	filters := map[string]store.PrincipalFilter{
		"all":              {},
		"stale":            {Stale: yes},
		"not stale":        {Stale: no},
		"disabled":         {Disabled: yes},
		"enabled":          {Disabled: no},
		"without mfa":      {MFA: no},
		"with mfa":         {MFA: yes},
		"hygiene":          {Hygiene: "orphaned_admin_count"},
		"hygiene substr":   {Hygiene: "roastable"},
		"privileged":       {Privileged: yes},
		"unprivileged":     {Privileged: no},
		"host":             {Host: "dc1"},
		"source and type":  {Source: wire.SourceLDAP, Type: "group"},
		"stale privileged": {Stale: yes, Privileged: yes, Source: wire.SourceLDAP},
	}
	for name, f := range filters {
		for _, pg := range []struct{ limit, offset int }{{0, 0}, {3, 0}, {3, 3}, {4, 10}, {5, 100}} {
			t.Run(fmt.Sprintf("%s/%d+%d", name, pg.offset, pg.limit), func(t *testing.T) {
				f := f
				f.StaleBefore, f.Limit, f.Offset = staleBefore, pg.limit, pg.offset
				want, wantTotal, err := s.Principals(ctx, f)
				require.NoError(t, err)
				got, total, err := s.IndexPrincipals(ctx, f)
				require.NoError(t, err)
				require.Equal(t, wantTotal, total)
				require.Equal(t, want, got)
			})
		}
	}
	all, total, err := s.IndexPrincipals(ctx, store.PrincipalFilter{StaleBefore: staleBefore})
	require.NoError(t, err)
	require.Equal(t, uint64(13), total, "the fixture's principals")
	require.Len(t, all, 13)
}

// The list reads the build, not the writes after it: a principal stored
// since shows once the index is rebuilt (the API makes the index fresh
// before it reads).
func TestIndexPrincipalsAreAsOfTheBuild(t *testing.T) {
	s := identities(t)
	storetest.BuildIndex(t, s)
	ctx := context.Background()
	ldap := fixture{agent: "ag", host: "dc1", source: wire.SourceLDAP, scan: "l1", at: base}
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{ldap.principal(who{id: "S-1-5-new", name: "zoe", typ: "user"})}))
	f := store.PrincipalFilter{Host: "dc1", StaleBefore: staleBefore, Limit: store.MaxLimit}
	before, _, err := s.IndexPrincipals(ctx, f)
	require.NoError(t, err)
	require.NotContains(t, names(before), "zoe")
	storetest.BuildIndex(t, s)
	after, total, err := s.IndexPrincipals(ctx, f)
	require.NoError(t, err)
	require.Contains(t, names(after), "zoe")
	live, liveTotal, err := s.Principals(ctx, f)
	require.NoError(t, err)
	require.Equal(t, live, after)
	require.Equal(t, liveTotal, total)
}

// The asset list's default order (most people first) is read through
// idx_people_counts (a page's range of people, then only its assets
// sorted) and its totals from idx_asset_counts: every page and total must
// be what sorting and counting the assets gives.
func TestAssetDefaultOrderAndCounts(t *testing.T) {
	s := identities(t)
	storetest.BuildIndex(t, s)
	ctx := context.Background()
	for _, withPII := range []bool{false, true} {
		// Location order is loc_rank's order; people descending breaks
		// ties by it.
		byLoc, n, err := s.Assets(ctx, store.AssetFilter{WithPII: withPII, Limit: store.MaxLimit})
		require.NoError(t, err)
		require.Len(t, byLoc, int(n))
		require.NotZero(t, n)
		want := append([]store.Asset(nil), byLoc...)
		sort.SliceStable(want, func(i, j int) bool { return want[i].DistinctAtMost > want[j].DistinctAtMost })
		for _, pg := range []struct{ limit, offset int }{{store.MaxLimit, 0}, {2, 0}, {2, 2}, {3, 4}, {2, len(want) - 1}, {2, len(want)}} {
			got, total, err := s.Assets(ctx, store.AssetFilter{WithPII: withPII, Sort: "people", Desc: true, Limit: pg.limit, Offset: pg.offset})
			require.NoError(t, err)
			require.Equal(t, n, total)
			end := min(pg.offset+pg.limit, len(want))
			require.Equal(t, want[min(pg.offset, end):end], got, "with_pii=%v page %d+%d", withPII, pg.offset, pg.limit)
		}
		// Totals for the filters idx_asset_counts counts by.
		for _, f := range []store.AssetFilter{{Type: "object"}, {Type: "bucket"}, {Host: "h1"}, {Source: wire.SourceS3}, {Type: "file", Host: "h1"}, {Type: "nothing"}} {
			f.WithPII, f.Limit = withPII, store.MaxLimit
			var count uint64
			for _, a := range byLoc {
				if (f.Type == "" || a.Type == f.Type) && (f.Host == "" || a.Host == f.Host) && (f.Source == "" || a.Source == f.Source) {
					count++
				}
			}
			got, total, err := s.Assets(ctx, f)
			require.NoError(t, err)
			require.Equal(t, count, total, "%+v", f)
			require.Len(t, got, int(count))
		}
	}
}
