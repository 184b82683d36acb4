package index_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// extraFile adds an fs file of host at loc with one email finding.
func (f *fleet) extraFile(host, scanID, loc string) {
	a := f.env(wire.KindAsset, wire.SourceFS, host, scanID)
	a.AssetID, a.AssetType, a.Location = wire.StableID("fs", host, loc), "file", loc
	f.recs = append(f.recs, a)
	p := f.env(wire.KindPII, wire.SourceFS, host, scanID)
	p.AssetID, p.Location, p.Type, p.Category, p.Confidence = a.AssetID, loc, "email", "contact", wire.ConfidenceHigh
	p.Count, p.Distinct, p.Samples = 3, 3, []string{"j***@e***.com"}
	f.recs = append(f.recs, p)
}

// An incremental build places new assets between their neighbours'
// location ranks (store's placeAssets) and renumbers no other; rescans
// that each add a hundred files in the same gap narrow it until it has
// no room, and the build then ranks every asset again. The answers are a
// full build's all along.
func TestIncrementalRanksUntilNoRoom(t *testing.T) {
	if os.Getenv(storetest.EnvOnCluster) == "1" {
		t.Skip("cluster mode builds in full")
	}
	ctx, st, x := oneClock(t)
	f := &fleet{at: t0}
	files := map[string][]string{}
	for _, h := range fixtureHosts {
		files[h] = hostScan(f, h, "s1-"+h, 3, nil)
	}
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))
	db := "`" + st.Database() + "`"
	renumbered := 0
	for round := 1; round <= 5 && renumbered == 0; round++ {
		fr := &fleet{at: t0.Add(time.Duration(round) * time.Hour)}
		scanID := fmt.Sprintf("s%d-web-1", round+1)
		hostScan(fr, "web-1", scanID, 3, nil)
		// Round r's files sort after f000.csv and before every earlier
		// round's ("-" sorts before "."), so each round places a hundred
		// files in the gap the one before left after f000.csv.
		for r := 1; r <= round; r++ {
			for i := 0; i < 100; i++ {
				fr.extraFile("web-1", scanID, "file:///srv/web-1/f000a"+strings.Repeat("-0000", r-1)+fmt.Sprintf("-%04d.csv", i))
			}
		}
		require.NoError(t, st.InsertRecords(ctx, fr.recs))
		require.NoError(t, x.Build(ctx))
		require.NotZero(t, newestBase(t, st), "round %d starts from the build before", round)
		// Every host's rows written by this build: the ranks were given
		// again (placed assets rewrite web-1's rows only).
		var n []struct {
			Others uint64 `ch:"others"`
		}
		require.NoError(t, st.Conn().Select(ctx, &n, `SELECT countIf(seg != gen) AS others FROM `+db+`.idx_asset_segs
			WHERE gen = (SELECT max(gen) FROM `+db+`.idx_builds)`))
		if n[0].Others == 0 {
			renumbered = round
		}
	}
	// 2^20 apart: a hundred fit in the first gap, in a hundredth of it,
	// in a hundredth of that, not a fourth time.
	require.Equal(t, 4, renumbered, "the round whose build ranked every asset again")
	incremental := readAll(t, st, files["web-2"][0], files["db-1"][1])
	require.NoError(t, x.BuildFull(ctx))
	full := readAll(t, st, files["web-2"][0], files["db-1"][1])
	sameReads(t, full, incremental)
	require.Contains(t, fmt.Sprint(full["assets by location"]), "f000a-0000-0000-0000-0099.csv")
}

// A bucket's jurisdiction and whether it is public are its objects' too,
// the objects its own account's scan reports with it; an object another
// account reports at the same bucket name is that account's (a made-up
// account's public bucket marked the real one's system public:
// api's TestDataMapBucketIsItsOwn). When a rescan changes the bucket, the
// incremental build answers as a full one.
func TestIncrementalBucketChangeIsItsAccounts(t *testing.T) {
	ctx, st, x := oneClock(t)
	bucket := func(f *fleet, host, scanID string, attrs map[string]string) string {
		id := wire.StableID("s3", host, "s3://corp-data")
		b := f.env(wire.KindAsset, wire.SourceS3, host, scanID)
		b.AssetID, b.AssetType, b.Location, b.Attributes = id, "bucket", "s3://corp-data", attrs
		f.recs = append(f.recs, b)
		return id
	}
	object := func(f *fleet, host, scanID, loc string) {
		o := f.env(wire.KindAsset, wire.SourceS3, host, scanID)
		o.AssetID, o.AssetType, o.Location = wire.StableID("s3", host, loc), "object", loc
		f.recs = append(f.recs, o)
		p := f.env(wire.KindPII, wire.SourceS3, host, scanID)
		p.AssetID, p.Location, p.Type, p.Category, p.Confidence = o.AssetID, loc, "iban", "financial", wire.ConfidenceHigh
		p.Count, p.Distinct, p.Samples = 4, 4, []string{"DE****"}
		f.recs = append(f.recs, p)
	}
	f := &fleet{at: t0}
	bucketID := bucket(f, "aws", "s1-aws", map[string]string{"public": "true", "jurisdiction": "EU"})
	object(f, "aws", "s1-aws", "s3://corp-data/people.csv")
	f.done(wire.SourceS3, "aws", "s1-aws")
	object(f, "aws-2", "s1-aws-2", "s3://corp-data/other.csv")
	f.done(wire.SourceS3, "aws-2", "s1-aws-2")
	hostScan(f, "web-1", "s1-web-1", 2, nil)
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))
	systems := func() map[store.SystemKey]store.SystemTotals {
		_, m, err := st.DataMap(ctx)
		require.NoError(t, err)
		return m
	}
	own, other := store.SystemKey{Source: "s3", Host: "aws", Bucket: "s3://corp-data"}, store.SystemKey{Source: "s3", Host: "aws-2", Bucket: "s3://corp-data"}
	m := systems()
	require.Equal(t, "EU", m[own].Jurisdiction)
	require.True(t, m[own].PublicBucket)
	require.Contains(t, m, other)
	require.Empty(t, m[other].Jurisdiction, "another account's object at the bucket's name")
	require.False(t, m[other].PublicBucket, "another account's object at the bucket's name")

	f2 := &fleet{at: t0.Add(time.Hour)}
	bucket(f2, "aws", "s2-aws", map[string]string{"public": "false", "jurisdiction": "US"})
	object(f2, "aws", "s2-aws", "s3://corp-data/people.csv")
	f2.done(wire.SourceS3, "aws", "s2-aws")
	require.NoError(t, st.InsertRecords(ctx, f2.recs))
	require.NoError(t, x.Build(ctx))
	if os.Getenv(storetest.EnvOnCluster) != "1" {
		require.NotZero(t, newestBase(t, st))
	}
	incremental := readAll(t, st, bucketID, bucketID)
	require.NoError(t, x.BuildFull(ctx))
	full := readAll(t, st, bucketID, bucketID)
	sameReads(t, full, incremental)
	require.Contains(t, fmt.Sprint(full["data map"]), "US")
	m = systems()
	require.Equal(t, "US", m[own].Jurisdiction)
	require.False(t, m[own].PublicBucket)
	require.Empty(t, m[other].Jurisdiction)
}

// A build whose base's findings or asset rows are gone (a token rekey
// empties idx_findings) is full: PlanIndex finds a generation the base
// reads missing.
func TestIncrementalNeedsTheBaseRows(t *testing.T) {
	if os.Getenv(storetest.EnvOnCluster) == "1" {
		t.Skip("cluster mode builds in full")
	}
	for _, table := range []string{"idx_findings", "idx_assets"} {
		t.Run(table, func(t *testing.T) {
			ctx, st, x := oneClock(t)
			f := &fleet{at: t0}
			hostScan(f, "web-1", "s1-web-1", 3, nil)
			require.NoError(t, st.InsertRecords(ctx, f.recs))
			require.NoError(t, x.Build(ctx))
			require.NoError(t, x.Build(ctx))
			require.NotZero(t, newestBase(t, st), "with its base's rows there, a build is incremental")
			require.NoError(t, st.Conn().Exec(ctx, "TRUNCATE TABLE `"+st.Database()+"`."+table))
			require.NoError(t, x.Build(ctx))
			require.Zero(t, newestBase(t, st), "without them, full")
			as, n, err := st.Assets(ctx, store.AssetFilter{Limit: 10})
			require.NoError(t, err)
			require.Equal(t, uint64(3), n)
			require.Len(t, as, 3)
		})
	}
}
