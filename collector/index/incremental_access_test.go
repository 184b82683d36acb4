package index_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// A directory scanned again without one of its memberships: the
// incremental build folds only the directory agent's entitlements again
// (store's idx_entitlement_segs) and computes again the grants of what
// changed, and every access-map read (readers, reach, principals,
// principal exposures, impact) answers as after a full build, without
// the membership.
func TestIncrementalDirectoryRescanMatchesFull(t *testing.T) {
	ctx, st, x := oneClock(t)
	bobID := "ldap-user-bob"
	directory := func(f *fleet, scanID string, bobMember bool) {
		f.principal(wire.SourceLDAP, "dc-1", scanID, groupID, "analysts", "group", false)
		f.principal(wire.SourceLDAP, "dc-1", scanID, analystID, "ann", "user", false)
		f.principal(wire.SourceLDAP, "dc-1", scanID, bobID, "bob", "user", true)
		f.grant(wire.SourceLDAP, "dc-1", scanID, analystID, groupID, "member")
		if bobMember {
			f.grant(wire.SourceLDAP, "dc-1", scanID, bobID, groupID, "member")
		}
		f.done(wire.SourceLDAP, "dc-1", scanID)
	}
	f := &fleet{at: t0}
	files := map[string][]string{}
	for _, h := range fixtureHosts {
		files[h] = hostScan(f, h, "s1-"+h, 4, nil)
		for i, id := range files[h] {
			f.grant(wire.SourceFS, h, "s1-"+h, user(h, "root"), id, "write")
			if i%2 == 1 {
				f.grant(wire.SourceFS, h, "s1-"+h, groupID, id, "read")
			}
		}
	}
	directory(f, "s1-ldap", true)
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))
	require.Zero(t, newestBase(t, st), "a process's first build is full")
	before, err := st.ReachableAssets(ctx, bobID, 1000)
	require.NoError(t, err)
	require.Len(t, before, 6, "bob reads the group's files (two of four on each of three hosts)")

	// The directory an hour later: bob is no longer in the group.
	f2 := &fleet{at: t0.Add(time.Hour)}
	directory(f2, "s2-ldap", false)
	require.NoError(t, st.InsertRecords(ctx, f2.recs))
	require.NoError(t, x.Build(ctx))
	if os.Getenv(storetest.EnvOnCluster) == "1" {
		require.Zero(t, newestBase(t, st), "cluster mode builds in full")
	} else {
		require.NotZero(t, newestBase(t, st), "the build after the directory's rescan starts from the first")
		require.Zero(t, recomputed(t, st), "no asset changed")
	}
	incremental := readAll(t, st, files["web-1"][1], files["db-1"][3])
	require.NoError(t, x.BuildFull(ctx))
	require.Zero(t, newestBase(t, st))
	full := readAll(t, st, files["web-1"][1], files["db-1"][3])
	sameReads(t, full, incremental)
	// The change is there (both builds could otherwise have missed it).
	require.Empty(t, full["reach "+bobID], "bob reads nothing once out of the group")
	readers, ok := full["readers "+files["web-1"][1]].([]store.Reader)
	require.True(t, ok)
	var names []string
	for _, r := range readers {
		names = append(names, r.Name)
	}
	require.Equal(t, "[ann root]", fmt.Sprint(names), "the group's file is read by ann, not bob")
}
