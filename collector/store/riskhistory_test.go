package store_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

func TestSeverity(t *testing.T) {
	for _, tc := range []struct {
		score uint8
		want  string
	}{
		{0, store.SeverityLow}, {24, store.SeverityLow},
		{25, store.SeverityMedium}, {49, store.SeverityMedium},
		{50, store.SeverityHigh}, {74, store.SeverityHigh},
		{75, store.SeverityCritical}, {100, store.SeverityCritical}, {255, store.SeverityCritical},
	} {
		require.Equal(t, tc.want, store.Severity(tc.score), "score %d", tc.score)
	}
}

// The SQL bands that RecordRiskSnapshot groups by are Severity's, for
// every score a UInt8 can hold.
func TestSeveritySQLMatchesGo(t *testing.T) {
	s := storetest.New(t)
	var rows []struct {
		Score    uint8  `ch:"score"`
		Severity string `ch:"severity"`
	}
	q := `SELECT score, ` + store.SeveritySQL + ` AS severity FROM (SELECT toUInt8(number) AS score FROM system.numbers LIMIT 256)`
	require.NoError(t, s.Conn().Select(context.Background(), &rows, q))
	require.Len(t, rows, 256)
	for _, r := range rows {
		require.Equal(t, store.Severity(r.Score), r.Severity, "score %d", r.Score)
	}
}

// riskEstate stores one fs scan whose files score across the bands: the
// most sensitive category, the volume and world-readability vary.
func riskEstate(t *testing.T, s *store.Store, scanID string, at time.Time, files int) {
	t.Helper()
	start := at.Add(-time.Minute)
	env := wire.Record{Source: wire.SourceFS, ScanID: scanID, ObservedAt: at, AgentID: "ag-risk", Host: "risk-1"}
	var recs []wire.Record
	kinds := []struct {
		typ, cat string
		n        int64
		world    bool
	}{
		{"ssn", "government_id", 20000, true}, // 30 + 15 + 15 + 20: critical
		{"iban", "financial", 500, true},      // high
		{"email", "contact", 300, false},      // medium
		{"ipv4", "network", 1, false},         // low
	}
	for i := range files {
		k := kinds[i%len(kinds)]
		id := fmt.Sprintf("risk-%s-%d", scanID, i)
		loc := fmt.Sprintf("file:///data/%d.csv", i)
		a := env
		a.Kind, a.AssetID, a.AssetType, a.Location = wire.KindAsset, id, "file", loc
		if k.world {
			a.Attributes = map[string]string{"world_readable": "true"}
		}
		p := env
		p.Kind, p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Distinct = wire.KindPII, id, loc, k.typ, k.cat, k.n, k.n
		recs = append(recs, a, p)
	}
	sc := env
	sc.Kind, sc.Scanner, sc.StartedAt, sc.FinishedAt, sc.Status = wire.KindScan, "fs", &start, &at, wire.StatusOK
	recs = append(recs, sc)
	require.NoError(t, s.InsertRecords(context.Background(), recs))
}

// expectedSnapshot is what a snapshot of the current build must hold,
// computed in Go from the build's own scores (TopRisks reads them all for
// an estate this small).
func expectedSnapshot(t *testing.T, s *store.Store) []store.RiskSnapshot {
	t.Helper()
	rs, err := s.TopRisks(context.Background(), store.MaxLimit)
	require.NoError(t, err)
	by := map[[2]string]*store.RiskSnapshot{}
	for _, r := range rs {
		k := [2]string{r.AssetType, store.Severity(r.Score)}
		if by[k] == nil {
			by[k] = &store.RiskSnapshot{AssetType: k[0], Severity: k[1]}
		}
		e := by[k]
		e.Assets++
		e.ScoreSum += uint64(r.Score)
		e.ScoreMax = max(e.ScoreMax, r.Score)
	}
	out := make([]store.RiskSnapshot, 0, len(by))
	for _, e := range by {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AssetType != out[j].AssetType {
			return out[i].AssetType < out[j].AssetType
		}
		return out[i].Severity < out[j].Severity
	})
	return out
}

// ofGen is the snapshot rows of gen without their gen and time.
func ofGen(hist []store.RiskSnapshot, gen uint64) []store.RiskSnapshot {
	var out []store.RiskSnapshot
	for _, h := range hist {
		if h.Gen == gen {
			h.Gen, h.RecordedAt = 0, time.Time{}
			out = append(out, h)
		}
	}
	return out
}

func TestRecordRiskSnapshot(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)

	// Before any build: nothing to record.
	err := s.RecordRiskSnapshot(ctx, 42)
	require.ErrorContains(t, err, "no committed build")

	// An empty estate still leaves a point on the trend.
	storetest.BuildIndex(t, s)
	st0, err := s.IndexState(ctx)
	require.NoError(t, err)
	require.NoError(t, s.RecordRiskSnapshot(ctx, st0.Gen))

	now := time.Now().UTC().Truncate(time.Second)
	riskEstate(t, s, "scan-1", now.Add(-time.Hour), 8)
	storetest.BuildIndex(t, s)
	st1, err := s.IndexState(ctx)
	require.NoError(t, err)
	require.Greater(t, st1.Gen, st0.Gen)
	require.NoError(t, s.RecordRiskSnapshot(ctx, st1.Gen))
	want1 := expectedSnapshot(t, s)
	sev := map[string]bool{}
	for _, w := range want1 {
		sev[w.Severity] = true
	}
	require.Len(t, sev, 4, "the fixture should score in every band: %+v", want1)

	// Recording the same build again adds nothing.
	require.NoError(t, s.RecordRiskSnapshot(ctx, st1.Gen))

	// A later scan with more files, a new build, a new snapshot.
	riskEstate(t, s, "scan-2", now, 12)
	storetest.BuildIndex(t, s)
	st2, err := s.IndexState(ctx)
	require.NoError(t, err)
	require.NoError(t, s.RecordRiskSnapshot(ctx, st2.Gen))
	want2 := expectedSnapshot(t, s)

	// A third build drops the first builds' idx_ partitions; their history
	// stays. (Once the collector records every build itself, the third
	// build has its rows too: the same as the second's.)
	storetest.BuildIndex(t, s)
	st3, err := s.IndexState(ctx)
	require.NoError(t, err)

	hist, err := s.RiskHistory(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, []store.RiskSnapshot{{}}, ofGen(hist, st0.Gen), "empty build: one zero row")
	require.Equal(t, want1, ofGen(hist, st1.Gen))
	require.Equal(t, want2, ofGen(hist, st2.Gen))
	if third := ofGen(hist, st3.Gen); third != nil {
		require.Equal(t, want2, third)
	}
	for _, h := range hist {
		require.Contains(t, []uint64{st0.Gen, st1.Gen, st2.Gen, st3.Gen}, h.Gen)
	}

	var total1, total2 uint64
	for _, w := range want1 {
		total1 += w.Assets
	}
	for _, w := range want2 {
		total2 += w.Assets
	}
	require.Equal(t, uint64(8), total1)
	require.Equal(t, uint64(12), total2)

	// Each row carries its build's commit time, in build order.
	at := map[uint64]time.Time{}
	for _, h := range hist {
		if prev, ok := at[h.Gen]; ok {
			require.Equal(t, prev, h.RecordedAt)
		}
		at[h.Gen] = h.RecordedAt
	}
	require.False(t, at[st1.Gen].Before(at[st0.Gen]))
	require.False(t, at[st2.Gen].Before(at[st1.Gen]))
	require.Equal(t, st2.BuiltAt, at[st2.Gen])

	// since bounds the read.
	newest := hist[len(hist)-1].RecordedAt
	later, err := s.RiskHistory(ctx, newest.Add(time.Second))
	require.NoError(t, err)
	require.Empty(t, later)
	fromNewest, err := s.RiskHistory(ctx, newest)
	require.NoError(t, err)
	require.NotEmpty(t, fromNewest)
	for _, h := range fromNewest {
		require.Equal(t, newest, h.RecordedAt)
	}
}
