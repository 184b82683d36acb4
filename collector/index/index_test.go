package index_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

// scan returns the records of one completed fs scan of host with n files,
// each holding count emails.
func scan(host, scanID string, n int, count int64) []wire.Record {
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceFS, ScanID: scanID, ObservedAt: t0, AgentID: "ag-" + host, Host: host}
	}
	var recs []wire.Record
	for i := 0; i < n; i++ {
		loc := fmt.Sprintf("file:///srv/f%03d.csv", i)
		a := env(wire.KindAsset)
		a.AssetID, a.AssetType, a.Location = wire.StableID("fs", host, loc), "file", loc
		p := env(wire.KindPII)
		p.AssetID, p.Location, p.Type, p.Category, p.Confidence = a.AssetID, loc, "email", "contact", wire.ConfidenceHigh
		p.Count, p.Distinct, p.Samples = count, count, []string{"j***@e***.com"}
		recs = append(recs, a, p)
	}
	done := env(wire.KindScan)
	start, fin := t0.Add(-time.Minute), t0
	done.Scanner, done.StartedAt, done.FinishedAt, done.Status = "fs", &start, &fin, wire.StatusOK
	return append(recs, done)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func summaryAssets(t *testing.T, st *store.Store) uint64 {
	sum, err := st.Summary(context.Background(), store.FindingFilter{})
	require.NoError(t, err)
	return sum.Assets
}

func TestReadYourWrites(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	x := index.New(index.Options{Store: st, Logger: quiet()})

	stat, err := x.Ensure(ctx)
	require.NoError(t, err)
	require.True(t, stat.Fresh, "an empty store gets an empty, fresh index")
	require.Zero(t, summaryAssets(t, st))

	require.NoError(t, st.InsertRecords(ctx, scan("web-1", "s1", 3, 5)))
	state, err := st.IndexState(ctx)
	require.NoError(t, err)
	require.False(t, state.Fresh(), "a write makes the index stale")

	stat, err = x.Ensure(ctx)
	require.NoError(t, err)
	require.True(t, stat.Fresh)
	require.Equal(t, uint64(3), summaryAssets(t, st), "with MaxLag 0 a read after a write sees it")

	// Nothing written since: Ensure answers without building.
	before, err := st.IndexState(ctx)
	require.NoError(t, err)
	_, err = x.Ensure(ctx)
	require.NoError(t, err)
	after, err := st.IndexState(ctx)
	require.NoError(t, err)
	require.Equal(t, before.Gen, after.Gen)
}

func TestMaxLagServesTheOlderBuildThenCatchesUp(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	x := index.New(index.Options{Store: st, MaxLag: time.Hour, Logger: quiet()})
	require.NoError(t, st.InsertRecords(ctx, scan("web-1", "s1", 2, 5)))
	require.NoError(t, x.Build(ctx))

	require.NoError(t, st.InsertRecords(ctx, scan("db-1", "s2", 4, 5)))
	stat, err := x.Ensure(ctx)
	require.NoError(t, err)
	require.False(t, stat.Fresh, "the answer says it misses writes")

	// The background build Ensure started covers the new scan.
	require.Eventually(t, func() bool {
		s, err := st.IndexState(ctx)
		return err == nil && s.Fresh()
	}, 30*time.Second, 50*time.Millisecond)
	require.Equal(t, uint64(6), summaryAssets(t, st))
}

func TestOldGenerationsAreDropped(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	// One clock: the builds after the first read nothing again.
	x := index.New(index.Options{Store: st, Logger: quiet(), ClockSkew: time.Nanosecond})
	require.NoError(t, st.InsertRecords(ctx, scan("web-1", "s1", 2, 5)))
	for i := 0; i < 4; i++ {
		require.NoError(t, x.Build(ctx))
	}
	var gens []struct {
		N uint64 `ch:"n"`
	}
	for _, table := range []string{"idx_risk_top", "idx_summary", "idx_finding_segs", "idx_risk_segs", "idx_asset_segs"} {
		require.NoError(t, st.Conn().Select(ctx, &gens, "SELECT uniqExact(gen) AS n FROM `"+st.Database()+"`."+table))
		require.Equal(t, uint64(2), gens[0].N, "%s keeps the newest build and the one before", table)
	}
	// Findings, scores and asset rows stay in the generation that
	// recomputed them: nothing changed after the first build, so the
	// builds kept read its.
	db := "`" + st.Database() + "`"
	for table, segs := range map[string]string{"idx_findings": "idx_finding_segs", "idx_risk": "idx_risk_segs",
		"idx_assets": "idx_asset_segs", "idx_asset_ids": "idx_asset_segs", "idx_asset_locations": "idx_asset_segs"} {
		require.NoError(t, st.Conn().Select(ctx, &gens, "SELECT uniqExact(gen) AS n FROM "+db+"."+table+" WHERE gen NOT IN (SELECT seg FROM "+db+"."+segs+")"))
		require.Zero(t, gens[0].N, "%s keeps only what the kept builds read", table)
		require.NoError(t, st.Conn().Select(ctx, &gens, "SELECT uniqExact(gen) AS n FROM "+db+"."+table))
		require.Equal(t, uint64(1), gens[0].N, "the incremental builds recomputed no host's rows of %s", table)
	}
	require.Equal(t, uint64(2), summaryAssets(t, st))
}

func TestTopRisksAreTheBestScores(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	// Files of different volumes, some world-readable: scores differ and
	// tie, so rank order (score, then location) is exercised.
	var recs []wire.Record
	rng := rand.New(rand.NewSource(7))
	for i, r := range scan("web-1", "s1", 1500, 1) {
		if r.Kind == wire.KindPII {
			r.Count = int64(1 + rng.Intn(20000))
			r.Distinct = r.Count
		}
		if r.Kind == wire.KindAsset && i%3 == 0 {
			r.Attributes = map[string]string{"world_readable": "true"}
		}
		recs = append(recs, r)
	}
	require.NoError(t, st.InsertRecords(ctx, recs))
	x := index.New(index.Options{Store: st, Logger: quiet()})
	require.NoError(t, x.Build(ctx))

	// Every score, from the exposures, sorted here: the stored ranking
	// must be its head.
	ex, err := st.Exposures(ctx, 100000)
	require.NoError(t, err)
	require.Len(t, ex, 1500)
	all := make([]risk.Score, len(ex))
	for i, e := range ex {
		all[i] = risk.Assess(e)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Score != all[j].Score {
			return all[i].Score > all[j].Score
		}
		return all[i].Location < all[j].Location
	})
	top, err := risk.Top(ctx, st, 1000)
	require.NoError(t, err)
	require.Len(t, top, 1000, "at most MaxLimit are ranked")
	for i := range top {
		require.Equal(t, all[i].Location, top[i].Location, "rank %d", i+1)
		require.Equal(t, all[i].Score, top[i].Score, "rank %d", i+1)
		require.Equal(t, all[i].Factors, top[i].Factors, "rank %d", i+1)
	}
	one, ok, err := risk.Of(ctx, st, ex[0].AssetID)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, risk.Assess(ex[0]), one)
}

// A rebuild that fails leaves readers the older build, marked not fresh,
// instead of an error; nothing of the failed build becomes visible.
func TestFailedBuildKeepsTheOlderIndex(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	x := index.New(index.Options{Store: st, Logger: quiet()})
	require.NoError(t, st.InsertRecords(ctx, scan("web-1", "s1", 2, 5)))
	require.NoError(t, x.Build(ctx))

	// The build's last table is gone: every later build fails at its end.
	require.NoError(t, st.Conn().Exec(ctx, "DROP TABLE `"+st.Database()+"`.idx_risk_top"))
	require.NoError(t, st.InsertRecords(ctx, scan("db-1", "s2", 4, 5)))
	require.Error(t, x.Build(ctx))

	stat, err := x.Ensure(ctx)
	require.NoError(t, err)
	require.False(t, stat.Fresh)
	as, total, err := st.Assets(ctx, store.AssetFilter{})
	require.NoError(t, err)
	require.Equal(t, uint64(2), total, "the older build, without the failed one's rows")
	for _, a := range as {
		require.Equal(t, "web-1", a.Host)
	}
}

// The build counts which readers are not privileged and places assets
// (hosts by the collector's rules, objects by their bucket's region), so
// the scores carry those factors.
func TestBuildScoresReadersAndJurisdiction(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	recs := scan("web-1", "s1", 1, 50)
	file := recs[0]
	hostEnv := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceHost, ScanID: "h1", ObservedAt: t0, AgentID: "ag-web-1", Host: "web-1"}
	}
	for _, u := range []struct {
		name string
		priv bool
	}{{"root", true}, {"alice", false}} {
		p := hostEnv(wire.KindPrincipal)
		p.PrincipalID, p.Name, p.PrincipalType, p.Privileged = "uid:"+u.name+"@web-1", u.name, "user", u.priv
		if u.priv {
			p.PrivilegedVia = []string{"uid 0"}
		}
		g := hostEnv(wire.KindEntitlement)
		g.PrincipalID, g.ResourceID, g.ResourceType, g.Permission = p.PrincipalID, file.AssetID, "file", "read"
		recs = append(recs, p, g)
	}
	s3env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceS3, ScanID: "b1", ObservedAt: t0, AgentID: "ag-web-1", Host: "aws"}
	}
	bucket := s3env(wire.KindAsset)
	bucket.AssetID, bucket.AssetType, bucket.Location = "bk", "bucket", "s3://hr-us"
	bucket.Attributes = map[string]string{"jurisdiction": "US", "region": "us-east-1"}
	obj := s3env(wire.KindAsset)
	obj.AssetID, obj.AssetType, obj.Location = "obj", "object", "s3://hr-us/people.csv"
	pii := s3env(wire.KindPII)
	pii.AssetID, pii.Location, pii.Type, pii.Category, pii.Count, pii.Distinct = "obj", obj.Location, "email", "contact", 5, 5
	pii.Confidence = wire.ConfidenceHigh
	recs = append(recs, bucket, obj, pii)
	for i := range recs {
		require.NoError(t, recs[i].Validate(), "record %d", i)
	}
	require.NoError(t, st.InsertRecords(ctx, recs))

	x := index.New(index.Options{Store: st, Logger: quiet(), HomeJurisdiction: "EU",
		HostJurisdiction: func(host string) string { return map[string]string{"web-1": "EU"}[host] }})
	require.NoError(t, x.Build(ctx))

	factors := func(id string) map[string]int {
		sc, ok, err := risk.Of(ctx, st, id)
		require.NoError(t, err)
		require.True(t, ok, id)
		out := map[string]int{}
		for _, f := range sc.Factors {
			out[f.Name] = f.Points
		}
		return out
	}
	f := factors(file.AssetID)
	require.Contains(t, f, "2 principals can read it", "%v", f)
	require.Equal(t, 5, f["1 of them not privileged"], "alice is not privileged, root is: %v", f)
	require.NotContains(t, f, "stored in EU, outside EU (cross-border)")
	o := factors("obj")
	require.Equal(t, 10, o["stored in US, outside EU (cross-border)"], "the object takes its bucket's region: %v", o)
}
