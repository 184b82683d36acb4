package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestLoadExactlyOnce is the smoke run: five agents for a few seconds
// against the real collector binary and a real ClickHouse, and every
// record must be stored exactly once.
func TestLoadExactlyOnce(t *testing.T) {
	addr := storetest.Addr(t)
	bin := buildCollector(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{
		CollectorBin: bin, ClickHouse: addr, Database: "sl_test_load_" + strings.ReplaceAll(t.Name(), "/", "_") + time.Now().Format("150405"),
		Agents: 5, Duration: 4 * time.Second, Readers: 1, FilesPerScan: 10, SpoolBytes: 256 << 10,
		Sample: time.Second, DrainTimeout: 2 * time.Minute, WorkDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	require.Empty(t, rep.Problems, "exactly once failed")
	require.True(t, rep.ExactlyOnce)
	require.Positive(t, rep.Generated.Total())
	require.Positive(t, rep.Generated.PII)
	require.Positive(t, rep.Generated.Principals)
	require.Positive(t, rep.Segments)
	require.Equal(t, float64(rep.Generated.Total()), rep.Final.FlushRows, "rows inserted")
	require.Zero(t, rep.Overall.Errors, "API errors under load: %s", rep.Overall.FirstError)
	require.Positive(t, rep.PeakRSS)
	require.Positive(t, rep.StoredInWin+float64(rep.Generated.Total()))
}

// buildCollector builds the collector binary from this checkout.
func buildCollector(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "sightline-collector")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/sightline-dev/sightline/collector")
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building the collector: %s", out)
	return bin
}

func TestGeneratorRecordsAreValidAndUniquelyKeyed(t *testing.T) {
	tok := pii.NewTokenizer([]byte("0123456789abcdef0123456789abcdef"))
	g := &generator{host: "load-007", files: 12, tok: tok, now: func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }}
	keys := map[string]map[string]bool{}
	var kinds Kinds
	for cycle := 0; cycle < 3; cycle++ {
		require.NoError(t, g.next(func(r *wire.Record) error {
			require.NoError(t, r.Validate(), "%+v", r)
			line, err := wire.Marshal(r)
			require.NoError(t, err)
			var back wire.Record
			require.NoError(t, wire.NewDecoder(strings.NewReader(string(line))).Decode(&back))
			// No made-up raw value may appear in a line: only masks and tokens.
			require.NotContains(t, string(line), "@example.com")
			require.NotContains(t, string(line), "41110000000")
			var key string
			switch r.Kind {
			case wire.KindAsset:
				key = r.AssetID
			case wire.KindPII:
				key = r.AssetID + "/" + r.Type
				require.NotEmpty(t, r.Samples)
				require.NotEmpty(t, r.Tokens)
			case wire.KindPrincipal:
				key = r.PrincipalID
			case wire.KindEntitlement:
				key = r.PrincipalID + "/" + r.ResourceID + "/" + r.Permission
			case wire.KindScan:
				key = r.ScanID
			}
			if keys[r.Kind] == nil {
				keys[r.Kind] = map[string]bool{}
			}
			require.False(t, keys[r.Kind][key], "%s key %s twice", r.Kind, key)
			keys[r.Kind][key] = true
			kinds.count(r.Kind)
			return nil
		}))
	}
	require.Equal(t, Kinds{Assets: 36, PII: 3 * (4*1 + 4*2 + 4*3), Principals: 3 * principalsPerScan, Entitlements: 36 + 3, Scans: 6}, kinds)
}

func TestGeneratorStopsAtEmitError(t *testing.T) {
	g := &generator{host: "h", files: 5, tok: pii.NewTokenizer(make([]byte, 16)), now: time.Now}
	n := 0
	err := g.next(func(*wire.Record) error {
		n++
		if n == 3 {
			return io.ErrShortWrite
		}
		return nil
	})
	require.ErrorIs(t, err, io.ErrShortWrite)
	require.Equal(t, 3, n)
}

func TestPercentiles(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // unsorted on purpose
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		want Percentiles
	}{
		{"empty", nil, Percentiles{}},
		{"one", ms(7), Percentiles{N: 1, P50: 7 * time.Millisecond, P95: 7 * time.Millisecond, P99: 7 * time.Millisecond, Max: 7 * time.Millisecond}},
		{"hundred", ms(hundred...), Percentiles{N: 100, P50: 50 * time.Millisecond, P95: 95 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}},
		{"twenty", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20),
			Percentiles{N: 20, P50: 10 * time.Millisecond, P95: 19 * time.Millisecond, P99: 20 * time.Millisecond, Max: 20 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, percentiles(tc.in))
		})
	}
}

func TestJudge(t *testing.T) {
	gen := Kinds{Assets: 10, PII: 20, Principals: 4, Entitlements: 10, Scans: 2}
	clean := func() ([]ExpectedAgent, Observed) {
		exp := []ExpectedAgent{{ID: "a1", Host: "load-000", Generated: gen, Acked: map[string]int{"s1": 30, "s2": 16}}}
		obs := Observed{
			Rows: map[string]map[string]int64{
				"assets": {"a1": 10}, "pii_findings": {"a1": 20}, "principals": {"a1": 4}, "entitlements": {"a1": 10}, "scans": {"a1": 2},
			},
			RawRows:    map[string]int64{"assets": 10, "pii_findings": 20, "principals": 4, "entitlements": 10, "scans": 2},
			Batches:    map[string]map[string]int{"a1": {"s1": 30, "s2": 16}},
			RawBatches: 2,
			Metrics:    ingestMetrics{FlushRows: 46},
		}
		return exp, obs
	}
	for _, tc := range []struct {
		name   string
		break_ func(exp []ExpectedAgent, obs *Observed)
		want   []string // substrings, one per expected problem
	}{
		{"clean", func([]ExpectedAgent, *Observed) {}, nil},
		{"lost record", func(_ []ExpectedAgent, o *Observed) {
			o.Rows["pii_findings"]["a1"] = 19
			o.RawRows["pii_findings"] = 19
		},
			[]string{"pii_findings: agent load-000 has 19 rows under FINAL, generated 20"}},
		{"unmerged copy", func(_ []ExpectedAgent, o *Observed) { o.RawRows["assets"] = 11 },
			[]string{"assets: 11 rows without FINAL but 10 with it"}},
		{"merged-away copy seen by the insert count", func(_ []ExpectedAgent, o *Observed) { o.Metrics.FlushRows = 76 },
			[]string{"inserted 76 rows for 46 generated records"}},
		{"failed insert", func(_ []ExpectedAgent, o *Observed) { o.Metrics.FlushErrors = 1 },
			[]string{"1 failed inserts"}},
		{"batch not recorded", func(_ []ExpectedAgent, o *Observed) { delete(o.Batches["a1"], "s2"); o.RawBatches = 1 },
			[]string{"acknowledged segment s2 is not recorded"}},
		{"batch recorded twice", func(_ []ExpectedAgent, o *Observed) { o.RawBatches = 3 },
			[]string{"ingest_batches: 3 rows without FINAL but 2 with it"}},
		{"batch never acknowledged", func(_ []ExpectedAgent, o *Observed) { o.Batches["a1"]["s3"] = 5; o.RawBatches = 3 },
			[]string{"batch s3 was recorded but never acknowledged"}},
		{"wrong batch size", func(_ []ExpectedAgent, o *Observed) { o.Batches["a1"]["s1"] = 29 },
			[]string{"segment s1 recorded with 29 records, it held 30"}},
		{"unknown agent", func(_ []ExpectedAgent, o *Observed) { o.Rows["scans"]["zz"] = 1; o.RawRows["scans"] = 3 },
			[]string{"scans: 1 rows of agent zz"}},
		{"rejected and left over", func(e []ExpectedAgent, _ *Observed) { e[0].Problems = []string{"s9: 400 bad"}; e[0].Left = true },
			[]string{"segment s9: 400 bad", "left in its spool"}},
		{"acknowledged fewer than generated", func(e []ExpectedAgent, o *Observed) {
			e[0].Acked = map[string]int{"s1": 30}
			delete(o.Batches["a1"], "s2")
			o.RawBatches = 1
		}, []string{"acknowledged 30 records, the agent generated 46"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, obs := clean()
			tc.break_(exp, &obs)
			got := judge(exp, obs)
			state := !strings.Contains(strings.Join(got, "\n"), "under FINAL, generated") && !strings.Contains(strings.Join(got, "\n"), "not one of the bench's")
			require.Equal(t, state, stateHeld(exp, obs))
			require.Len(t, got, len(tc.want), "%q", got)
			for i, w := range tc.want {
				require.Contains(t, got[i], w)
			}
		})
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# TYPE sightline_ingest_records_total counter
sightline_ingest_records_total{kind="asset"} 10
sightline_ingest_records_total{kind="pii"} 25
# TYPE sightline_ingest_flush_rows histogram
sightline_ingest_flush_rows_bucket{le="+Inf"} 2
sightline_ingest_flush_rows_sum 35
sightline_ingest_flush_rows_count 2
# TYPE sightline_ingest_flush_duration_seconds histogram
sightline_ingest_flush_duration_seconds_bucket{result="ok",le="+Inf"} 2
sightline_ingest_flush_duration_seconds_sum{result="ok"} 0.1
sightline_ingest_flush_duration_seconds_count{result="ok"} 2
sightline_ingest_flush_duration_seconds_bucket{result="error",le="+Inf"} 1
sightline_ingest_flush_duration_seconds_sum{result="error"} 0.2
sightline_ingest_flush_duration_seconds_count{result="error"} 1
# TYPE sightline_ingest_batches_total counter
sightline_ingest_batches_total{result="stored"} 4
sightline_ingest_batches_total{result="duplicate"} 3
sightline_ingest_batches_total{result="failed"} 2
`
	m, err := parseMetrics(strings.NewReader(text))
	require.NoError(t, err)
	require.Equal(t, ingestMetrics{Records: 35, FlushRows: 35, FlushErrors: 1, Duplicates: 3, FailedBatches: 2}, m)
	_, err = parseMetrics(strings.NewReader("not { metrics"))
	require.Error(t, err)
}

func TestProcReaders(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	cpu, err := procCPU(os.Getpid())
	require.NoError(t, err)
	require.GreaterOrEqual(t, cpu, 0.0)
	busy, total, err := machineCPU()
	require.NoError(t, err)
	require.Positive(t, total)
	require.LessOrEqual(t, busy, total)
	hwm, err := procStatusKB(os.Getpid(), "VmHWM")
	require.NoError(t, err)
	require.Positive(t, hwm)
	_, err = procStatusKB(os.Getpid(), "NoSuchField")
	require.Error(t, err)
}

func TestLogErrors(t *testing.T) {
	dir := t.TempDir()
	c := &collector{logPath: filepath.Join(dir, "collector.log")}
	n, first := c.logErrors(2)
	require.Zero(t, n, "no log yet")
	require.Empty(t, first)
	log := strings.Join([]string{
		`time=1 level=WARN msg="slow"`,
		`time=2 level=ERROR msg="ingest flush failed" err="boom"`,
		`time=3 level=ERROR msg="request failed" err="reading the index state: context canceled"`,
		`time=4 level=ERROR msg="request failed" err="timeout"`,
		`panic: oops`,
	}, "\n")
	require.NoError(t, os.WriteFile(c.logPath, []byte(log), 0o600))
	n, first = c.logErrors(2)
	require.Equal(t, 3, n)
	require.Equal(t, []string{`time=2 level=ERROR msg="ingest flush failed" err="boom"`, `time=4 level=ERROR msg="request failed" err="timeout"`}, first)
}
