package index_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// fleet builds the records of an incremental-build fixture: fs scans of
// several hosts with their accounts, a directory group, an s3 bucket with
// objects, and grants to accounts, the group, a host's everyone and the
// bucket.
type fleet struct {
	at   time.Time
	recs []wire.Record
}

func (f *fleet) env(kind, source, host, scanID string) wire.Record {
	return wire.Record{Kind: kind, Source: source, ScanID: scanID, ObservedAt: f.at, AgentID: "ag-" + host, Host: host}
}

func (f *fleet) done(source, host, scanID string) {
	r := f.env(wire.KindScan, source, host, scanID)
	start, fin := f.at.Add(-time.Minute), f.at
	r.Scanner, r.StartedAt, r.FinishedAt, r.Status = source, &start, &fin, wire.StatusOK
	f.recs = append(f.recs, r)
}

// file adds an fs file of host with findings of the given types (count
// each) and token "tok-<host>-<i>" on its first.
func (f *fleet) file(host, scanID string, i int, count int64, types ...string) string {
	loc := fmt.Sprintf("file:///srv/%s/f%03d.csv", host, i)
	a := f.env(wire.KindAsset, wire.SourceFS, host, scanID)
	a.AssetID, a.AssetType, a.Location = wire.StableID("fs", host, loc), "file", loc
	a.Attributes = map[string]string{"world_readable": fmt.Sprint(i%3 == 0)}
	f.recs = append(f.recs, a)
	for k, ty := range types {
		p := f.env(wire.KindPII, wire.SourceFS, host, scanID)
		p.AssetID, p.Location, p.Type, p.Category, p.Confidence = a.AssetID, loc, ty, "contact", wire.ConfidenceHigh
		p.Count, p.Distinct, p.Samples = count+int64(k), count, []string{"j***@e***.com"}
		if k == 0 {
			p.Tokens = []string{fmt.Sprintf("tok-%s-%d", host, i)}
		}
		f.recs = append(f.recs, p)
	}
	return a.AssetID
}

func (f *fleet) grant(source, host, scanID, principal, resource, perm string) {
	r := f.env(wire.KindEntitlement, source, host, scanID)
	r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission, r.Via = principal, resource, "file", perm, []string{"acl"}
	f.recs = append(f.recs, r)
}

func (f *fleet) principal(source, host, scanID, id, name, typ string, privileged bool) {
	r := f.env(wire.KindPrincipal, source, host, scanID)
	r.PrincipalID, r.Name, r.PrincipalType, r.Privileged = id, name, typ, privileged
	f.recs = append(f.recs, r)
}

func user(host, name string) string { return wire.LocalPrincipalID(host, "user", name) }

var (
	fixtureHosts = []string{"web-1", "web-2", "db-1"}
	groupID      = "ldap-group-analysts"
	analystID    = "ldap-user-ann"
)

// hostScan is one fs+host scan of host: files 0..n-1 (web-1's rescan
// passes its changes through edit).
func hostScan(f *fleet, host, scanID string, n int, edit func(i int) (keep bool, count int64)) []string {
	var ids []string
	for i := 0; i < n; i++ {
		keep, count := true, int64(10+i)
		if edit != nil {
			keep, count = edit(i)
		}
		if !keep {
			continue
		}
		types := []string{"email"}
		if i%2 == 1 {
			types = append(types, "us_ssn")
		}
		ids = append(ids, f.file(host, scanID, i, count, types...))
	}
	f.principal(wire.SourceHost, host, scanID+"-h", user(host, "root"), "root", "user", true)
	f.principal(wire.SourceHost, host, scanID+"-h", user(host, "app"), "app", "user", false)
	f.done(wire.SourceFS, host, scanID)
	f.done(wire.SourceHost, host, scanID+"-h")
	return ids
}

// oneClock is a store and an indexer for writes made one after another
// by one clock: no skew to allow for, so an incremental build reads only
// what changed.
func oneClock(t *testing.T) (context.Context, *store.Store, *index.Indexer) {
	st := storetest.New(t)
	return context.Background(), st, index.New(index.Options{Store: st, Logger: quiet(), ClockSkew: time.Nanosecond})
}

func TestIncrementalBuildMatchesFull(t *testing.T) {
	ctx, st, x := oneClock(t)

	f := &fleet{at: t0}
	files := map[string][]string{}
	for _, h := range fixtureHosts {
		files[h] = hostScan(f, h, "s1-"+h, 6, nil)
	}
	// Grants: the owner, the app account of another host, the directory
	// group, web-2's everyone.
	for _, h := range fixtureHosts {
		for i, id := range files[h] {
			f.grant(wire.SourceFS, h, "s1-"+h, user(h, "root"), id, "write")
			if i%2 == 0 {
				f.grant(wire.SourceFS, h, "s1-"+h, user("web-2", "app"), id, "read")
			}
			if i == 1 {
				f.grant(wire.SourceFS, h, "s1-"+h, groupID, id, "read")
			}
		}
	}
	f.grant(wire.SourceFS, "web-2", "s1-web-2", wire.LocalPrincipalID("web-2", "everyone", ""), files["web-2"][2], "read")
	// The directory: a group with one member.
	f.principal(wire.SourceLDAP, "dc-1", "s1-ldap", groupID, "analysts", "group", false)
	f.principal(wire.SourceLDAP, "dc-1", "s1-ldap", analystID, "ann", "user", false)
	f.grant(wire.SourceLDAP, "dc-1", "s1-ldap", analystID, groupID, "member")
	f.done(wire.SourceLDAP, "dc-1", "s1-ldap")
	// A bucket with two objects, one holding personal data, readable by
	// the group through a bucket grant.
	bucketID := wire.StableID("s3", "", "s3://corp-data")
	b := f.env(wire.KindAsset, wire.SourceS3, "aws", "s1-s3")
	b.AssetID, b.AssetType, b.Location = bucketID, "bucket", "s3://corp-data"
	b.Attributes = map[string]string{"public": "true", "jurisdiction": "EU"}
	f.recs = append(f.recs, b)
	for i := 0; i < 2; i++ {
		loc := fmt.Sprintf("s3://corp-data/o%d.csv", i)
		o := f.env(wire.KindAsset, wire.SourceS3, "aws", "s1-s3")
		o.AssetID, o.AssetType, o.Location = wire.StableID("s3", "", loc), "object", loc
		f.recs = append(f.recs, o)
		if i == 0 {
			p := f.env(wire.KindPII, wire.SourceS3, "aws", "s1-s3")
			p.AssetID, p.Location, p.Type, p.Category, p.Confidence = o.AssetID, loc, "iban", "financial", wire.ConfidenceHigh
			p.Count, p.Distinct, p.Samples, p.Tokens = 7, 7, []string{"DE****"}, []string{"tok-iban"}
			f.recs = append(f.recs, p)
		}
	}
	f.grant(wire.SourceS3, "aws", "s1-s3", groupID, bucketID, "read")
	f.done(wire.SourceS3, "aws", "s1-s3")
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))
	require.Zero(t, newestBase(t, st), "a process's first build is full")

	// web-1 is scanned again, an hour later: f001 is gone, f002 holds
	// more, f006 is new; app@web-2 loses its grant on f000 and the group
	// gains one on f004; root is no longer privileged. web-2's f003 email
	// finding is marked a false positive meanwhile.
	f2 := &fleet{at: t0.Add(time.Hour)}
	newIDs := hostScan(f2, "web-1", "s2-web-1", 7, func(i int) (bool, int64) {
		switch i {
		case 1:
			return false, 0
		case 2:
			return true, 99
		}
		return true, int64(10 + i)
	})
	f2.recs[len(f2.recs)-4].Privileged = false // root, below its scan records
	for i, id := range newIDs {
		f2.grant(wire.SourceFS, "web-1", "s2-web-1", user("web-1", "root"), id, "write")
		if i%2 == 0 && i != 0 {
			f2.grant(wire.SourceFS, "web-1", "s2-web-1", user("web-2", "app"), id, "read")
		}
	}
	f2.grant(wire.SourceFS, "web-1", "s2-web-1", groupID, wire.StableID("fs", "web-1", "file:///srv/web-1/f004.csv"), "read")
	// A grant web-1 reports on another host's file changes who reads an
	// asset the incremental build does not recompute.
	f2.grant(wire.SourceFS, "web-1", "s2-web-1", user("web-1", "app"), files["db-1"][0], "read")
	require.NoError(t, st.InsertRecords(ctx, f2.recs))
	web2f3 := files["web-2"][3]
	require.NoError(t, st.PutTriage(ctx, store.TriageChange{AssetID: web2f3, Type: "email", Location: "file:///srv/web-2/f003.csv",
		State: "false_positive", Reason: "test data", CountAt: 100, ChangedBy: "tester", ChangedAt: t0.Add(time.Hour)}))

	require.NoError(t, x.Build(ctx))
	if os.Getenv(storetest.EnvOnCluster) == "1" {
		require.Zero(t, newestBase(t, st), "cluster mode builds in full")
	} else {
		require.NotZero(t, newestBase(t, st), "the second build starts from the first")
		// web-1's files before and after (f000 to f006) and the triaged one.
		require.Equal(t, uint64(8), recomputed(t, st))
	}
	incremental := readAll(t, st, bucketID, web2f3)

	require.NoError(t, x.BuildFull(ctx))
	require.Zero(t, newestBase(t, st))
	full := readAll(t, st, bucketID, web2f3)

	sameReads(t, full, incremental)
	// And the changes are there (the comparison alone would pass on two
	// builds that both missed them).
	require.NotContains(t, fmt.Sprint(full["assets by location"]), "web-1/f001.csv")
	require.Contains(t, fmt.Sprint(full["assets by location"]), "web-1/f006.csv")
	require.NotContains(t, fmt.Sprint(full["findings"]), web2f3+" email")
}

// sameReads requires every read of readAll to answer the same, naming
// the first that does not.
func sameReads(t *testing.T, full, incremental map[string]any) {
	t.Helper()
	keys := slices.Sorted(maps.Keys(full))
	require.Equal(t, keys, slices.Sorted(maps.Keys(incremental)))
	for _, k := range keys {
		require.Equal(t, full[k], incremental[k], k)
	}
}

// newestBase is the base of the newest committed build (0: full).
func newestBase(t *testing.T, st *store.Store) uint64 {
	t.Helper()
	var rows []struct {
		Base uint64 `ch:"base"`
	}
	require.NoError(t, st.Conn().Select(context.Background(), &rows,
		"SELECT base FROM `"+st.Database()+"`.idx_builds ORDER BY gen DESC LIMIT 1"))
	require.Len(t, rows, 1)
	return rows[0].Base
}

// recomputed is how many assets the newest incremental build read again.
func recomputed(t *testing.T, st *store.Store) uint64 {
	t.Helper()
	var rows []struct {
		N uint64 `ch:"n"`
	}
	require.NoError(t, st.Conn().Select(context.Background(), &rows,
		"SELECT count() AS n FROM `"+st.Database()+"`.idx_changed WHERE gen = (SELECT max(gen) FROM `"+st.Database()+"`.idx_builds WHERE base != 0)"))
	require.Len(t, rows, 1)
	return rows[0].N
}

// readAll is every index read the API makes, keyed by what it is.
func readAll(t *testing.T, st *store.Store, bucketID, someAsset string) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	put := func(what string, v any, err error) {
		t.Helper()
		require.NoError(t, err, what)
		out[what] = v
	}
	sum, err := st.Summary(ctx, store.FindingFilter{})
	put("summary", sum, err)
	sum, err = st.Summary(ctx, store.FindingFilter{Host: "web-1"})
	put("summary web-1", sum, err)
	rows, systems, err := st.DataMap(ctx)
	put("data map", []any{rows, systems}, err)
	fs, n, err := st.Findings(ctx, store.FindingFilter{Limit: 1000})
	var keys []string
	for _, x := range fs {
		keys = append(keys, x.AssetID+" "+x.Type)
	}
	put("findings", []any{fs, n, keys}, err)
	var all []store.Asset
	for sort := range store.AssetSorts {
		for _, desc := range []bool{false, true} {
			for _, pii := range []bool{false, true} {
				for _, off := range []int{0, 5} {
					as, n, err := st.Assets(ctx, store.AssetFilter{Sort: sort, Desc: desc, WithPII: pii, Limit: 7, Offset: off})
					put(fmt.Sprintf("assets %s desc=%v pii=%v offset=%d", sort, desc, pii, off), []any{as, n}, err)
				}
			}
		}
	}
	all, n, err = st.Assets(ctx, store.AssetFilter{Limit: 1000})
	put("assets by location", []any{all, n}, err)
	as, n, err := st.Assets(ctx, store.AssetFilter{Type: "file", Host: "web-1", Limit: 100})
	put("assets of web-1", []any{as, n}, err)
	for _, a := range all {
		d, err := st.AssetByID(ctx, a.ID)
		put("asset "+a.ID, d, err)
		r, err := st.AssetReaders(ctx, a.ID)
		put("readers "+a.ID, r, err)
		rk, ok, err := st.RiskOf(ctx, a.ID)
		put("risk "+a.ID, []any{rk, ok}, err)
	}
	ps, n, err := st.IndexPrincipals(ctx, store.PrincipalFilter{Limit: 1000})
	put("principals", []any{ps, n}, err)
	for _, p := range ps {
		ra, err := st.ReachableAssets(ctx, p.ID, 1000)
		put("reach "+p.ID, ra, err)
	}
	pe, err := st.PrincipalExposures(ctx, t0)
	put("principal exposures", pe, err)
	top, err := st.TopRisks(ctx, 1000)
	put("top risks", top, err)
	// The alert rules read the newest build by its generation.
	state, err := st.IndexState(ctx)
	require.NoError(t, err)
	risky, err := st.RiskyAssets(ctx, state.Gen, 0)
	put("risky assets", risky, err)
	creds, err := st.CredentialFindings(ctx, state.Gen)
	put("credential findings", creds, err)
	ex, err := st.Exposures(ctx, 1000)
	put("exposures", ex, err)
	var toks []string
	for _, h := range fixtureHosts {
		for i := 0; i < 7; i++ {
			toks = append(toks, fmt.Sprintf("tok-%s-%d", h, i))
		}
	}
	hits, err := st.SubjectHits(ctx, append(toks, "tok-iban"))
	put("subject hits", hits, err)
	for _, sc := range []store.ImpactScope{
		{Hosts: []string{"web-1"}}, {Hosts: []string{"web-2", "aws"}}, {AssetIDs: []string{bucketID, someAsset}},
		{LocationPrefixes: []string{"file:///srv/web-1/"}}, {Principals: []string{analystID}}, {Principals: []string{user("web-2", "app")}},
	} {
		im, err := st.Impact(ctx, sc)
		put(fmt.Sprintf("impact %+v", sc), im, err)
	}
	return out
}

// Builds go on from the previous one until FullEvery has passed since
// the last full build; the next build is then full again (the safety net
// against anything an incremental build carries over wrongly).
func TestFullBuildEveryFullEvery(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := t0
	x := index.New(index.Options{Store: st, Logger: quiet(), ClockSkew: time.Nanosecond, FullEvery: time.Hour,
		Now: func() time.Time { return now }})
	require.NoError(t, st.InsertRecords(ctx, scan("web-1", "s1", 3, 2)))
	require.NoError(t, x.Build(ctx))
	require.Zero(t, newestBase(t, st), "a process's first build is full")
	for i, step := range []struct {
		after time.Duration
		full  bool
	}{{30 * time.Minute, false}, {20 * time.Minute, false}, {20 * time.Minute, true}, {10 * time.Minute, false}} {
		now = now.Add(step.after)
		require.NoError(t, st.InsertRecords(ctx, scan(fmt.Sprintf("web-%d", i+2), fmt.Sprintf("s%d", i+2), 2, 1)))
		require.NoError(t, x.Build(ctx))
		require.Equal(t, step.full, newestBase(t, st) == 0, "build %d, %s after the last one", i+2, step.after)
	}
}

// Builds from builds: each rescan recomputes its host's findings in its
// own generation and the others are read where an older build left them
// (store's idx_finding_segs), including a build the newest no longer
// keeps; the answers stay a full build's.
func TestIncrementalChainMatchesFull(t *testing.T) {
	ctx, st, x := oneClock(t)
	f := &fleet{at: t0}
	files := map[string][]string{}
	for _, h := range fixtureHosts {
		files[h] = hostScan(f, h, "s1-"+h, 5, nil)
		for _, id := range files[h] {
			f.grant(wire.SourceFS, h, "s1-"+h, user(h, "root"), id, "read")
		}
	}
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))
	// One host after another scanned again: a file gone, one holding
	// more, one new; the last rescan of web-1 again finds f000 gone.
	for round, host := range []string{"web-1", "db-1", "web-2", "web-1"} {
		fr := &fleet{at: t0.Add(time.Duration(round+1) * time.Hour)}
		scanID := fmt.Sprintf("s%d-%s", round+2, host)
		ids := hostScan(fr, host, scanID, 6, func(i int) (bool, int64) {
			return i != round%3, int64(10 + i + 40*(i%2))
		})
		for _, id := range ids {
			fr.grant(wire.SourceFS, host, scanID, user(host, "root"), id, "read")
		}
		require.NoError(t, st.InsertRecords(ctx, fr.recs))
		require.NoError(t, x.Build(ctx))
		if os.Getenv(storetest.EnvOnCluster) != "1" {
			require.NotZero(t, newestBase(t, st), "round %d starts from the build before", round)
		}
	}
	incremental := readAll(t, st, files["web-2"][0], files["db-1"][1])
	require.NoError(t, x.BuildFull(ctx))
	full := readAll(t, st, files["web-2"][0], files["db-1"][1])
	sameReads(t, full, incremental)
	require.NotContains(t, fmt.Sprint(full["assets by location"]), "web-1/f000.csv")
	require.Contains(t, fmt.Sprint(full["assets by location"]), "db-1/f005.csv")
}
