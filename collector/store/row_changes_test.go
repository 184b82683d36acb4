package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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

// logScan is an fs scan of host: n files, each with an email finding (and
// an ssn one on odd files), then the scan record.
func logScan(host, scanID string, at time.Time, n int) []wire.Record {
	var recs []wire.Record
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceFS, ScanID: scanID, ObservedAt: at, AgentID: "ag-" + host, Host: host}
	}
	for i := 0; i < n; i++ {
		loc := fmt.Sprintf("file:///srv/%s/f%03d.csv", host, i)
		a := env(wire.KindAsset)
		a.AssetID, a.AssetType, a.Location = wire.StableID("fs", host, loc), "file", loc
		recs = append(recs, a)
		for k, ty := range []string{"email", "us_ssn"}[:1+i%2] {
			p := env(wire.KindPII)
			p.AssetID, p.Location, p.Type, p.Category, p.Confidence = a.AssetID, loc, ty, "contact", wire.ConfidenceHigh
			p.Count, p.Distinct, p.Samples = int64(10+i+k), 1, []string{"j***@e***.com"}
			recs = append(recs, p)
		}
	}
	s := env(wire.KindScan)
	start, fin := at.Add(-time.Minute), at
	s.Scanner, s.StartedAt, s.FinishedAt, s.Status = wire.SourceFS, &start, &fin, wire.StatusOK
	return append(recs, s)
}

// storedRows is every (version, asset, host, agent, source) of table, in
// order; table is pii_findings, assets or row_changes.
func storedRows(t *testing.T, s *store.Store, table string) []string {
	t.Helper()
	var rows []struct {
		V     uint64 `ch:"version"`
		Asset string `ch:"asset_id"`
		Host  string `ch:"host"`
		Agent string `ch:"agent_id"`
		Src   string `ch:"source"`
	}
	require.NoError(t, s.Conn().Select(context.Background(), &rows,
		"SELECT version, asset_id, host, agent_id, source FROM `"+s.Database()+"`."+table))
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r.V, " ", r.Asset, " ", r.Host, " ", r.Agent, " ", r.Src))
	}
	slices.Sort(out)
	return out
}

// Every pii and asset row stored lands in row_changes with its version,
// asset, host and pair (what an incremental build reads instead of the
// tables' versions), whichever path stored it.
func TestRowChangesListEveryStoredRow(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	require.NoError(t, s.InsertRecords(ctx, logScan("web-1", "s1", at, 5)))
	require.NoError(t, s.InsertRecords(ctx, logScan("web-2", "s2", at, 3)))
	// A row stored again (a re-sent batch) is listed again: the log is
	// read as a set.
	require.NoError(t, s.InsertRecords(ctx, logScan("web-1", "s3", at.Add(time.Hour), 2)))

	want := append(storedRows(t, s, "pii_findings"), storedRows(t, s, "assets")...)
	slices.Sort(want)
	require.Len(t, want, 5+7+3+4+2+3) // assets and findings of the three batches
	require.Equal(t, want, storedRows(t, s, "row_changes"))

	sameCopies(t, s)
}

// sameCopies requires asset_hosts to hold the (asset, host) pairs of
// pii_findings (pii = 1) and assets (pii = 0), and pii_by_host and
// assets_by_host the same rows, under FINAL, as pii_findings and assets.
func sameCopies(t *testing.T, s *store.Store) {
	t.Helper()
	db := "`" + s.Database() + "`."
	rows := func(q string) []string {
		t.Helper()
		r, err := s.Conn().Query(context.Background(), "SELECT toString(tuple(*)) AS r FROM ("+q+") ORDER BY r")
		require.NoError(t, err)
		defer r.Close()
		var out []string
		for r.Next() {
			var v string
			require.NoError(t, r.Scan(&v))
			out = append(out, v)
		}
		require.NoError(t, r.Err())
		require.NotEmpty(t, out, q)
		return out
	}
	for _, pii := range []string{"1", "0"} {
		table := map[string]string{"1": "pii_findings", "0": "assets"}[pii]
		require.Equal(t, rows("SELECT DISTINCT cityHash64(asset_id), host FROM "+db+table),
			rows("SELECT DISTINCT asset_key, host FROM "+db+"asset_hosts WHERE pii = "+pii), table)
	}
	pii := "host, asset_id, type, owner_agent, category, location, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version"
	require.Equal(t, rows("SELECT "+pii+" FROM "+db+"pii_findings FINAL"), rows("SELECT "+pii+" FROM "+db+"pii_by_host FINAL"))
	assets := "host, asset_id, owner_agent, asset_type, location, source, agent_id, scan_id, owner, size, modified_at, attr_keys, attr_values, observed_at, version"
	require.Equal(t, rows("SELECT "+assets+" FROM "+db+"assets FINAL"), rows("SELECT "+assets+" FROM "+db+"assets_by_host FINAL"))
}

// Rows stored before migration 0032 are not in row_changes beyond its
// back-fill; the first build after it is full (a migration since the base),
// and the one after that reads, from the log, exactly the assets of the
// rows stored since.
func TestRowChangesAfterUpgrade(t *testing.T) {
	if os.Getenv(storetest.EnvOnCluster) == "1" {
		t.Skip("cluster mode builds in full")
	}
	ctx := context.Background()
	s := storetest.Open(t)
	_, err := s.MigrateUpTo(ctx, 31)
	require.NoError(t, err)
	_, err = s.DeclareViews(ctx)
	require.NoError(t, err)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, s.InsertRecords(ctx, logScan("web-1", "s1", at, 4)))
	require.NoError(t, s.InsertRecords(ctx, logScan("web-2", "s2", at, 4)))
	// A row older than the back-fill's day, as a collector long stopped
	// would have left it.
	old := uint64(time.Now().Add(-48 * time.Hour).UnixNano())
	require.NoError(t, s.Exec(ctx, "INSERT INTO `"+s.Database()+"`.assets (asset_id, host, agent_id, source, version) SELECT 'old-asset', 'web-3', 'ag-web-3', 'fs', "+fmt.Sprint(old)))

	x := index.New(index.Options{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ClockSkew: time.Nanosecond})
	require.NoError(t, x.Build(ctx)) // the process's first: full
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	var n []struct {
		N uint64 `ch:"n"`
	}
	require.NoError(t, s.Conn().Select(ctx, &n, "SELECT count() AS n FROM `"+s.Database()+"`.row_changes WHERE asset_id = 'old-asset'"))
	require.Equal(t, uint64(0), n[0].N, "the back-fill takes the last day only")
	backfilled := storedRows(t, s, "row_changes")
	require.Len(t, backfilled, 4+6+4+6, "the rows stored in the last day are back-filled")
	sameCopies(t, s) // back-filled whole, the old asset too

	require.NoError(t, s.InsertRecords(ctx, logScan("web-1", "s3", at.Add(time.Minute), 2)))
	require.NoError(t, x.Build(ctx))
	require.Zero(t, newestBuildBase(t, s), "the first build after a migration is full")

	// web-2 rescanned: only its files are read again, found in the log.
	require.NoError(t, s.InsertRecords(ctx, logScan("web-2", "s4", at.Add(2*time.Minute), 3)))
	require.NoError(t, x.Build(ctx))
	require.NotZero(t, newestBuildBase(t, s), "then builds are incremental")
	var ids []struct {
		ID string `ch:"asset_id"`
	}
	require.NoError(t, s.Conn().Select(ctx, &ids, "SELECT asset_id FROM `"+s.Database()+
		"`.idx_changed WHERE gen = (SELECT max(gen) FROM `"+s.Database()+"`.idx_builds) ORDER BY asset_id"))
	var got, want []string
	for _, r := range ids {
		got = append(got, r.ID)
	}
	for i := 0; i < 4; i++ { // web-2's four files: three rescanned, one gone
		want = append(want, wire.StableID("fs", "web-2", fmt.Sprintf("file:///srv/web-2/f%03d.csv", i)))
	}
	slices.Sort(want)
	require.Equal(t, want, got)
}

// newestBuildBase is the base of the newest committed build (0: full).
func newestBuildBase(t *testing.T, s *store.Store) uint64 {
	t.Helper()
	var rows []struct {
		Base uint64 `ch:"base"`
	}
	require.NoError(t, s.Conn().Select(context.Background(), &rows,
		"SELECT base FROM `"+s.Database()+"`.idx_builds ORDER BY gen DESC LIMIT 1"))
	require.Len(t, rows, 1)
	return rows[0].Base
}

// A full build drops the months of row_changes that ended a day before
// its watermark (every later build reads only past it): the log does not
// keep every row ever stored. The current month stays, and the builds
// after it still find what was stored since.
func TestFullBuildTrimsRowChanges(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	db := "`" + s.Database() + "`."
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	require.NoError(t, s.InsertRecords(ctx, logScan("web-1", "s1", at, 3)))
	// Log rows of months long past, as a year of scans leaves them.
	for _, ago := range []time.Duration{400 * 24 * time.Hour, 70 * 24 * time.Hour} {
		v := uint64(time.Now().Add(-ago).UnixNano())
		require.NoError(t, s.Exec(ctx, "INSERT INTO "+db+"row_changes (version, asset_id, host, agent_id, source) SELECT "+
			fmt.Sprint(v)+", 'gone', 'web-9', 'ag-web-9', 'fs'"))
	}
	count := func(q string) uint64 {
		t.Helper()
		var n []struct {
			N uint64 `ch:"n"`
		}
		require.NoError(t, s.Conn().Select(ctx, &n, "SELECT count() AS n FROM "+db+"row_changes "+q))
		return n[0].N
	}
	require.Equal(t, uint64(2), count("WHERE asset_id = 'gone'"))

	x := index.New(index.Options{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ClockSkew: time.Nanosecond})
	require.NoError(t, x.Build(ctx)) // the process's first: full
	require.Zero(t, count("WHERE asset_id = 'gone'"), "months that ended before the full build's watermark are dropped")
	require.Equal(t, uint64(3+4), count(""), "this month's rows stay")

	if os.Getenv(storetest.EnvOnCluster) == "1" {
		return // cluster mode builds in full
	}
	require.NoError(t, s.InsertRecords(ctx, logScan("web-2", "s2", at.Add(time.Minute), 2)))
	require.NoError(t, x.Build(ctx))
	require.NotZero(t, newestBuildBase(t, s), "the next build is incremental")
	var ids []struct {
		ID string `ch:"asset_id"`
	}
	require.NoError(t, s.Conn().Select(ctx, &ids, "SELECT asset_id FROM "+db+
		"idx_changed WHERE gen = (SELECT max(gen) FROM "+db+"idx_builds) ORDER BY asset_id"))
	require.Len(t, ids, 2, "it reads web-2's two files, found in the log")
}
