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

// A host's fs scan repeated without its accounts' scan: web-1 now grants
// its everyone three more files, and no longer the first, and a file it
// granted to everyone loses its personal data. The accounts holding
// through web-1's everyone are not rescanned, yet their reach changes:
// the incremental build computes it again for the holders of every grant
// that changed (store's principalReachSteps), and every read answers as
// after a full build.
func TestIncrementalGrantToEveryoneMatchesFull(t *testing.T) {
	ctx, st, x := oneClock(t)
	everyone := wire.LocalPrincipalID("web-1", "everyone", "")
	fsScan := func(f *fleet, scanID string, grants []int, noPII int) []string {
		var ids []string
		for i := 0; i < 5; i++ {
			if i == noPII {
				loc := fmt.Sprintf("file:///srv/web-1/f%03d.csv", i)
				a := f.env(wire.KindAsset, wire.SourceFS, "web-1", scanID)
				a.AssetID, a.AssetType, a.Location = wire.StableID("fs", "web-1", loc), "file", loc
				f.recs = append(f.recs, a)
				ids = append(ids, a.AssetID)
				continue
			}
			ids = append(ids, f.file("web-1", scanID, i, int64(10+i), "email"))
		}
		for _, i := range grants {
			f.grant(wire.SourceFS, "web-1", scanID, everyone, ids[i], "read")
		}
		f.done(wire.SourceFS, "web-1", scanID)
		return ids
	}
	f := &fleet{at: t0}
	ids := fsScan(f, "s1-web-1", []int{0, 1}, -1)
	for _, h := range fixtureHosts[1:] {
		hostScan(f, h, "s1-"+h, 3, nil)
	}
	f.principal(wire.SourceHost, "web-1", "s1-web-1-h", user("web-1", "root"), "root", "user", true)
	f.principal(wire.SourceHost, "web-1", "s1-web-1-h", user("web-1", "app"), "app", "user", false)
	f.done(wire.SourceHost, "web-1", "s1-web-1-h")
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))
	before, err := st.ReachableAssets(ctx, user("web-1", "app"), 1000)
	require.NoError(t, err)
	require.Len(t, before, 2, "app reads f000 and f001 through web-1's everyone")

	f2 := &fleet{at: t0.Add(time.Hour)}
	fsScan(f2, "s2-web-1", []int{1, 2, 3, 4}, 3)
	require.NoError(t, st.InsertRecords(ctx, f2.recs))
	require.NoError(t, x.Build(ctx))
	if os.Getenv(storetest.EnvOnCluster) != "1" {
		require.NotZero(t, newestBase(t, st), "the build after the rescan starts from the first")
	}
	incremental := readAll(t, st, ids[0], ids[2])
	require.NoError(t, x.BuildFull(ctx))
	full := readAll(t, st, ids[0], ids[2])
	sameReads(t, full, incremental)
	var got []string
	for _, a := range full["reach "+user("web-1", "app")].([]store.Asset) {
		got = append(got, a.Location)
	}
	require.ElementsMatch(t, []string{"file:///srv/web-1/f001.csv", "file:///srv/web-1/f002.csv", "file:///srv/web-1/f004.csv"}, got,
		"app reads f001, f002 and f004 now (f003 holds no personal data)")
}

// Groups within groups from two directories: dc-1 puts ann and bob in
// analysts, dc-2 puts analysts in finance, which reads a file of each
// host. dc-2 is scanned again without that membership: ann and bob, whose
// own rows and memberships did not change, lose the files; the
// incremental build follows the holders of every principal that held
// through the member of a membership that changed (store's buildReach),
// and every read answers as after a full build.
func TestIncrementalNestedGroupMatchesFull(t *testing.T) {
	ctx, st, x := oneClock(t)
	financeID, bobID := "ldap-group-finance", "ldap-user-bob"
	f := &fleet{at: t0}
	files := map[string][]string{}
	for _, h := range fixtureHosts {
		files[h] = hostScan(f, h, "s1-"+h, 3, nil)
		f.grant(wire.SourceFS, h, "s1-"+h, financeID, files[h][1], "read")
	}
	f.principal(wire.SourceLDAP, "dc-1", "s1-dc-1", groupID, "analysts", "group", false)
	f.principal(wire.SourceLDAP, "dc-1", "s1-dc-1", analystID, "ann", "user", false)
	f.principal(wire.SourceLDAP, "dc-1", "s1-dc-1", bobID, "bob", "user", false)
	f.grant(wire.SourceLDAP, "dc-1", "s1-dc-1", analystID, groupID, "member")
	f.grant(wire.SourceLDAP, "dc-1", "s1-dc-1", bobID, groupID, "member")
	f.done(wire.SourceLDAP, "dc-1", "s1-dc-1")
	// dc-2 reports finance from one source and its members from another
	// (as an account's IAM scan reports groups' members), so the
	// rescan below changes no principal's rows.
	f.principal(wire.SourceLDAP, "dc-2", "s1-dc-2", financeID, "finance", "group", false)
	f.done(wire.SourceLDAP, "dc-2", "s1-dc-2")
	dc2 := func(f *fleet, scanID string, nested bool) {
		if nested {
			f.grant(wire.SourceIAM, "dc-2", scanID, groupID, financeID, "member")
		}
		f.done(wire.SourceIAM, "dc-2", scanID)
	}
	dc2(f, "s1-dc-2-iam", true)
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))
	before, err := st.ReachableAssets(ctx, bobID, 1000)
	require.NoError(t, err)
	require.Len(t, before, 3, "bob reads finance's file on each host through analysts")

	f2 := &fleet{at: t0.Add(time.Hour)}
	dc2(f2, "s2-dc-2-iam", false)
	require.NoError(t, st.InsertRecords(ctx, f2.recs))
	require.NoError(t, x.Build(ctx))
	if os.Getenv(storetest.EnvOnCluster) != "1" {
		require.NotZero(t, newestBase(t, st), "the build after dc-2's rescan starts from the first")
	}
	incremental := readAll(t, st, files["web-1"][1], files["db-1"][1])
	require.NoError(t, x.BuildFull(ctx))
	full := readAll(t, st, files["web-1"][1], files["db-1"][1])
	sameReads(t, full, incremental)
	require.Empty(t, full["reach "+bobID], "bob reads nothing once analysts is out of finance")
	require.Empty(t, full["reach "+analystID], "nor does ann")
}

// A base spread over 32 generations (one rescan of a different host per
// build) makes the next build compact: every agent's entitlements and
// every grant are computed again, over all of the build's assets (the
// staged ones and base's others), and the reads are a full build's.
func TestIncrementalCompactMatchesFull(t *testing.T) {
	if testing.Short() {
		t.Skip("34 builds")
	}
	ctx, st, x := oneClock(t)
	var hosts []string
	for i := 0; i < 34; i++ {
		hosts = append(hosts, fmt.Sprintf("h-%02d", i))
	}
	scanAll := func(f *fleet, host, scanID string) []string {
		ids := hostScan(f, host, scanID, 2, nil)
		f.grant(wire.SourceFS, host, scanID, user(host, "app"), ids[0], "read")
		f.grant(wire.SourceFS, host, scanID, wire.LocalPrincipalID(host, "everyone", ""), ids[1], "read")
		return ids
	}
	f := &fleet{at: t0}
	var first []string
	for _, h := range hosts {
		first = append(first, scanAll(f, h, "s1-"+h)...)
	}
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))
	for i, h := range hosts {
		fr := &fleet{at: t0.Add(time.Duration(i+1) * time.Minute)}
		scanAll(fr, h, "s2-"+h)
		require.NoError(t, st.InsertRecords(ctx, fr.recs))
		require.NoError(t, x.Build(ctx))
		if os.Getenv(storetest.EnvOnCluster) != "1" {
			require.NotZero(t, newestBase(t, st), "build %d starts from the one before", i+2)
		}
	}
	incremental := readAll(t, st, first[0], first[3])
	require.NoError(t, x.BuildFull(ctx))
	full := readAll(t, st, first[0], first[3])
	sameReads(t, full, incremental)
	readers, ok := full["readers "+first[1]].([]store.Reader)
	require.True(t, ok)
	require.Len(t, readers, 2, "h-00's everyone file is read by its two accounts")
}
