// Command ingest measures the collector's ingest path (HTTPS, gzip NDJSON,
// identity checks, token re-keying, batching) against a bare clickhouse-go
// batch insert of exactly the rows the collector stores, in one run on one
// ClickHouse, and prints both rates and their ratio. It also prints the
// agent's resident memory while idle in `run` mode.
//
// The baseline is fair by construction and checked: the bare phase writes
// the collector's rows as the collector would store them (the enrolled
// host and agent of the batch that carries them, tokens re-keyed with the
// collector's key, the same columns) through the store's own connection
// pool into a second database with the same schema, and after each round
// the contents of pii_findings and of pii_tokens (filled by the
// materialized view) must be equal in both databases, versions aside.
//
// A shared machine makes single timings noisy, so -rounds repeats the pair
// (bare first in odd rounds, collector first in even ones, each phase
// starting once ClickHouse has finished merging), prints every round, and
// sums up with the median. CPU seconds of this process and, given
// -clickhouse-pid, of ClickHouse are printed per phase: they say where the
// time went even when other processes take the cores.
//
// Usage: ingest -clickhouse 127.0.0.1:9000 -n 1000000 -agents 8 -rounds 3 -agent-bin bin/sightline-agent
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	collectorconfig "github.com/sightline-dev/sightline/collector/config"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/tlsserve"
	"github.com/sightline-dev/sightline/deploy/bench/internal/benchrun"
	"github.com/sightline-dev/sightline/internal/gctune"
	"github.com/sightline-dev/sightline/internal/testpki"
	"github.com/sightline-dev/sightline/internal/wire"
)

type config struct {
	addr                string
	n, agents, batch    int
	rounds              int
	agentBin            string
	cpuProfile          string
	clickhousePID       int
	clickhousePIDFile   string
	bareChunk           int
	collectorBatchRows  int
	collectorMinRows    int
	collectorMaxPending int
	// profile switches the CPU profile on and off around collector phases.
	profile func(on bool)
}

func main() {
	var c config
	flag.StringVar(&c.addr, "clickhouse", "127.0.0.1:9000", "ClickHouse native address")
	flag.IntVar(&c.n, "n", 1_000_000, "pii records to load per phase")
	flag.IntVar(&c.agents, "agents", 8, "concurrent simulated agents")
	flag.IntVar(&c.batch, "batch", 5000, "records per agent batch")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds of (bare, collector); the summary is their median")
	flag.StringVar(&c.agentBin, "agent-bin", "", "sightline-agent binary for the idle RSS check (skipped when empty)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the collector phases to this file")
	flag.StringVar(&c.clickhousePIDFile, "clickhouse-pid", "", "ClickHouse's pid file, to report its CPU time per phase (optional)")
	flag.IntVar(&c.bareChunk, "bare-chunk", 50000, "rows per bare INSERT (the collector's default flush size)")
	flag.IntVar(&c.collectorBatchRows, "batch-rows", 0, "the collector's ingest.batch_rows (0: its default)")
	flag.IntVar(&c.collectorMinRows, "min-rows", 0, "the ingester's MinRows (0: its default)")
	flag.IntVar(&c.collectorMaxPending, "max-pending", 0, "the collector's ingest.max_pending_rows (0: its default)")
	flag.Parse()
	benchrun.Main("bench-ingest", func(ctx context.Context) error { return run(ctx, c) })
}

func records(n int) []wire.Record {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	types := []struct{ typ, cat, sample string }{
		{"email", "contact", "j***@e***.com"}, {"credit_card", "financial", "**** **** **** 4242"},
		{"us_ssn", "government_id", "***-**-6789"}, {"ip_address", "network", "10.*.*.7"},
	}
	recs := make([]wire.Record, n)
	for i := range recs {
		ty := types[i%len(types)]
		host := fmt.Sprintf("host-%03d", i%200)
		loc := fmt.Sprintf("file:///srv/data/%s/export-%07d.csv", host, i/len(types))
		recs[i] = wire.Record{
			Kind: wire.KindPII, Source: wire.SourceFS, ScanID: "scan-" + host, ObservedAt: t0, Host: host,
			AssetID: wire.StableID("fs", host, loc), Location: loc, Type: ty.typ, Category: ty.cat,
			Count: int64(20 + i%50), Distinct: int64(1 + i%20), Confidence: wire.ConfidenceHigh,
			Samples: []string{ty.sample}, Tokens: []string{fmt.Sprintf("%032x", i), fmt.Sprintf("%032x", i+1)},
			Where: []string{fmt.Sprintf("line %d", 2+i%100)},
		}
	}
	return recs
}

// phase is one timed load: wall time and the CPU it cost.
type phase struct {
	wall, selfCPU, chCPU time.Duration
}

func (p phase) rate(n int) float64 { return float64(n) / p.wall.Seconds() }

// flushStats observes the ingester's flushes (ingest.Options.OnFlush).
type flushStats struct {
	mu    sync.Mutex
	count int
	rows  int
	busy  time.Duration
}

func (f *flushStats) observe(rows int, d time.Duration, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		f.count++
		f.rows += rows
		f.busy += d
	}
}

type roundResult struct {
	bare, coll phase
	flushes    *flushStats
	// busyRetries counts batches the collector's admission answered 503
	// or 429 and the simulated agent sent again.
	busyRetries *atomic.Int64
}

func run(ctx context.Context, c config) error {
	log := benchrun.Logger()
	if c.clickhousePIDFile != "" {
		pid, err := benchrun.ReadPID(c.clickhousePIDFile)
		if err != nil {
			return err
		}
		c.clickhousePID = pid
	}
	recs := records(c.n)
	bodies, err := encodeBatches(recs, c.batch)
	if err != nil {
		return err
	}
	// The collector's garbage collector settings, as `serve` applies them
	// from a default collector.yaml. This process also holds the data set
	// (the records, their batches, and each round's stored copy): the
	// soft memory limit is raised by that much, or the collector would
	// run against a limit its own process never meets.
	gc := collectorconfig.Default().GC()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	gc.FallbackLimitBytes += 2 * int64(ms.HeapAlloc)
	fmt.Printf("  garbage collector: %s (the collector's 896 MiB plus twice the data set's %d MiB)\n",
		gctune.Apply(gc), ms.HeapAlloc>>20)
	pkiDir, err := os.MkdirTemp("", "sightline-bench-pki")
	if err != nil {
		return err
	}
	defer os.RemoveAll(pkiDir)
	ca, pki, err := testpki.WriteFiles(pkiDir)
	if err != nil {
		return err
	}
	tlsSrv, err := tlsserve.New(tlsserve.Config{CertFile: pki.ServerCert, KeyFile: pki.ServerKey})
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.agents,
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		// The first round's collector phase only.
		var once sync.Once
		c.profile = func(on bool) {
			if on {
				once.Do(func() { _ = pprof.StartCPUProfile(f) })
			} else {
				pprof.StopCPUProfile()
			}
		}
	}
	if c.profile == nil {
		c.profile = func(bool) {}
	}
	fmt.Printf("ingest benchmark: %d pii records per phase, %d round(s), ClickHouse at %s\n", c.n, c.rounds, c.addr)
	fmt.Printf("  collector: /api/v1/ingest over TLS, tokens re-keyed, %d agents, %d-record gzip batches\n", c.agents, c.batch)
	fmt.Printf("  bare: clickhouse-go batch insert of the same rows, %d rows per INSERT, same connection pool settings\n", c.bareChunk)
	var results []roundResult
	var lastBase, lastSecret string
	var lastStop func()
	for r := 0; r < c.rounds; r++ {
		res, base, secret, stop, err := round(ctx, c, log, r, recs, bodies, tlsSrv, client)
		if err != nil {
			return fmt.Errorf("round %d: %w", r+1, err)
		}
		if lastStop != nil {
			lastStop()
		}
		lastBase, lastSecret, lastStop = base, secret, stop
		results = append(results, res)
		fl := res.flushes
		fmt.Printf("  round %d: bare %8.0f rec/s (%.2fs; CPU bench %.2fs, ClickHouse %s)  collector %8.0f rec/s (%.2fs; CPU bench %.2fs, ClickHouse %s; %d flushes of %d rows avg, %.0f ms avg; %d busy retries)  ratio %.2f\n",
			r+1, res.bare.rate(c.n), res.bare.wall.Seconds(), res.bare.selfCPU.Seconds(), chCPU(c, res.bare),
			res.coll.rate(c.n), res.coll.wall.Seconds(), res.coll.selfCPU.Seconds(), chCPU(c, res.coll),
			fl.count, fl.rows/max(fl.count, 1), float64(fl.busy.Milliseconds())/float64(max(fl.count, 1)), res.busyRetries.Load(),
			res.coll.rate(c.n)/res.bare.rate(c.n))
	}
	if lastStop != nil {
		defer lastStop()
	}
	med := func(f func(roundResult) float64) float64 {
		v := make([]float64, len(results))
		for i, r := range results {
			v[i] = f(r)
		}
		slices.Sort(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	ratios := make([]float64, len(results))
	for i, r := range results {
		ratios[i] = r.coll.rate(c.n) / r.bare.rate(c.n)
	}
	fmt.Printf("  bare clickhouse-go batch insert (median):                  %10.0f records/s\n", med(func(r roundResult) float64 { return r.bare.rate(c.n) }))
	fmt.Printf("  collector /api/v1/ingest over TLS, re-keyed (median):      %10.0f records/s\n", med(func(r roundResult) float64 { return r.coll.rate(c.n) }))
	fmt.Printf("  ratio collector/bare: median %.2f, lowest %.2f over %d round(s) (goal >= 0.50)\n",
		med(func(r roundResult) float64 { return r.coll.rate(c.n) / r.bare.rate(c.n) }), slices.Min(ratios), len(results))

	if c.agentBin != "" {
		rss, err := idleRSS(ctx, c.agentBin, lastBase, pki.CA, lastSecret)
		if err != nil {
			return fmt.Errorf("agent idle RSS: %w", err)
		}
		fmt.Printf("  agent idle RSS in run mode: %.1f MB (goal <= 30 MB)\n", float64(rss)/(1<<20))
	}
	return nil
}

func chCPU(c config, p phase) string {
	if c.clickhousePID == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fs", p.chCPU.Seconds())
}

// batchBody is one agent batch as the agent sends it.
type batchBody struct {
	key  string
	body []byte
	off  int // index of its first record
	n    int
}

// encodeBatches gzips recs into NDJSON batches, as agents send them. It
// runs before any clock starts: that is the agents' work.
func encodeBatches(recs []wire.Record, batch int) ([]batchBody, error) {
	var out []batchBody
	for off, k := 0, 0; off < len(recs); off, k = off+batch, k+1 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		enc := wire.NewEncoder(zw)
		end := min(off+batch, len(recs))
		for i := off; i < end; i++ {
			if err := enc.Encode(&recs[i]); err != nil {
				return nil, err
			}
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		out = append(out, batchBody{key: fmt.Sprintf("b-%d", k), body: buf.Bytes(), off: off, n: end - off})
	}
	return out, nil
}

// round loads the records once through each path into fresh databases and
// checks that both hold the same rows. It leaves the collector serving
// (stop ends it) for the idle RSS check after the last round.
func round(ctx context.Context, c config, log *slog.Logger, r int, recs []wire.Record, bodies []batchBody,
	tlsSrv *tlsserve.Server, client *http.Client) (res roundResult, base, secret string, stop func(), err error) {
	res.flushes = &flushStats{}
	res.busyRetries = &atomic.Int64{}
	suffix := fmt.Sprintf("%d_%d", time.Now().Unix(), r)
	bareDB, collDB := "bench_bare_"+suffix, "bench_coll_"+suffix
	bareStore, err := benchrun.OpenStore(ctx, c.addr, bareDB, log)
	if err != nil {
		return res, "", "", nil, err
	}
	collStore, err := benchrun.OpenStore(ctx, c.addr, collDB, log)
	if err != nil {
		bareStore.Close()
		return res, "", "", nil, err
	}
	conn := bareStore.Conn()
	var cleanup []func()
	stopAll := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	stop = stopAll
	defer func() {
		// A failed round returns a nil stop: clean up here with the local.
		if err != nil {
			stopAll()
		}
	}()
	cleanup = append(cleanup, func() {
		for _, db := range []string{bareDB, collDB} {
			_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		}
		collStore.Close()
		bareStore.Close()
	})

	// The collector, as collector/main.go wires it: the ingest re-keys
	// tokens (ephemeral keys: nothing is searched), identity and admission
	// from api.New's defaults, over TLS with the collector's listener.
	authn := auth.New(auth.Options{Store: collStore})
	fl := fleet.New(fleet.Options{Store: collStore, Auth: authn})
	ing := ingest.New(ingest.Options{Store: collStore, Logger: log, Rekey: fl.Keys().Rekey,
		BatchRows: c.collectorBatchRows, MinRows: c.collectorMinRows, MaxPendingRows: c.collectorMaxPending,
		OnFlush: res.flushes.observe})
	ingCtx, stopIng := context.WithCancel(ctx)
	ingDone := make(chan struct{})
	go func() { defer close(ingDone); ing.Run(ingCtx) }()
	cleanup = append(cleanup, func() { stopIng(); <-ingDone })
	srv := api.New(api.Options{Store: collStore, Auth: authn, Fleet: fl, Ingester: ing,
		MaxBodyBytes: 16 << 20, MaxDecodedBytes: 128 << 20, Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, "", "", nil, err
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(tls.NewListener(ln, tlsSrv.TLSConfig())) }()
	cleanup = append(cleanup, func() { hs.Close() })
	base = "https://" + ln.Addr().String()

	secret, _, err = authn.Create(ctx, auth.RoleAgentEnroll, "bench", "", 0)
	if err != nil {
		return res, "", "", nil, err
	}
	type agent struct{ id, host, token string }
	agents := make([]agent, c.agents)
	for a := range agents {
		host := fmt.Sprintf("bench-%d", a)
		en, err := fl.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: host})
		if err != nil {
			return res, "", "", nil, err
		}
		agents[a] = agent{en.AgentID, host, en.Token}
	}

	// The rows as the collector stores them: batch k is agent k%agents's,
	// so its records get that agent's id and enrolled host (fs is a
	// host-local source), the ids the collector derives in that host's
	// scope (wire.DeriveIDs: the asset id names the host), and their
	// tokens the collector's re-keying.
	stored := make([]wire.Record, len(recs))
	for k, b := range bodies {
		ag := agents[k%len(agents)]
		for i := b.off; i < b.off+b.n; i++ {
			rec := recs[i]
			rec.AgentID, rec.Host = ag.id, ag.host
			wire.DeriveIDs(&rec)
			rec.Tokens = slices.Clone(rec.Tokens)
			fl.Keys().Rekey(rec.Tokens)
			stored[i] = rec
		}
	}

	bare := func() (phase, error) {
		return measure(ctx, c, conn, func() error { return bareInsert(ctx, conn, bareDB, stored, c.bareChunk) })
	}
	coll := func() (phase, error) {
		c.profile(true)
		defer c.profile(false)
		return measure(ctx, c, conn, func() error {
			var wg sync.WaitGroup
			errs := make(chan error, len(agents))
			for a := range agents {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := a; k < len(bodies); k += len(agents) {
						if err := post(client, base, agents[a].token, bodies[k], res.busyRetries); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			return <-errs
		})
	}
	if r%2 == 0 {
		if res.bare, err = bare(); err == nil {
			res.coll, err = coll()
		}
	} else {
		if res.coll, err = coll(); err == nil {
			res.bare, err = bare()
		}
	}
	if err != nil {
		return res, "", "", nil, err
	}
	if err := sameRows(ctx, conn, bareDB, collDB, c.n); err != nil {
		return res, "", "", nil, err
	}
	return res, base, secret, stop, nil
}

// bareInsert is the baseline: the stored rows straight into pii_findings
// with the columns and values collector/store writes, chunk rows per
// INSERT, one INSERT after the other, versions in row order as the
// collector assigns them. Values go in as the store sends them, column by
// column (scalars) and row by row (arrays), the driver's fastest way: a
// baseline slower than the collector's own insert would flatter the ratio.
func bareInsert(ctx context.Context, conn driver.Conn, db string, rows []wire.Record, chunk int) error {
	ver := uint64(time.Now().UnixNano())
	for off := 0; off < len(rows); off += chunk {
		part := rows[off:min(off+chunk, len(rows))]
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".pii_findings (asset_id, type, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version, owner_agent, tokens_rekeyed)")
		if err != nil {
			return err
		}
		strCol := func(f func(r *wire.Record) string) []string {
			v := make([]string, len(part))
			for i := range part {
				v[i] = f(&part[i])
			}
			return v
		}
		counts, distinct, vers := make([]uint64, len(part)), make([]uint64, len(part)), make([]uint64, len(part))
		observed, rekeyed := make([]time.Time, len(part)), make([]uint8, len(part))
		for i := range part {
			counts[i], distinct[i] = uint64(part[i].Count), uint64(part[i].Distinct)
			vers[i], observed[i], rekeyed[i] = ver+uint64(off+i), part[i].ObservedAt, 1
		}
		cols := []any{
			strCol(func(r *wire.Record) string { return r.AssetID }), strCol(func(r *wire.Record) string { return r.Type }),
			strCol(func(r *wire.Record) string { return r.Category }), strCol(func(r *wire.Record) string { return r.Location }),
			strCol(func(r *wire.Record) string { return r.Host }), strCol(func(r *wire.Record) string { return r.Source }),
			strCol(func(r *wire.Record) string { return r.AgentID }), strCol(func(r *wire.Record) string { return r.ScanID }),
			counts, distinct, strCol(func(r *wire.Record) string { return r.Confidence }),
			nil, nil, nil, // the arrays, below
			observed, vers, strCol(func(r *wire.Record) string { return r.AgentID }), rekeyed,
		}
		for c, v := range cols {
			if v != nil {
				if err := b.Column(c).Append(v); err != nil {
					return err
				}
			}
		}
		samples, tokens, where := b.Column(11), b.Column(12), b.Column(13)
		for i := range part {
			if err := samples.AppendRow(part[i].Samples); err != nil {
				return err
			}
			if err := tokens.AppendRow(part[i].Tokens); err != nil {
				return err
			}
			if err := where.AppendRow(part[i].Where); err != nil {
				return err
			}
		}
		if err := b.Send(); err != nil {
			return err
		}
	}
	return nil
}

// sameRows checks that both databases hold the same n rows in pii_findings
// and the same tokens in pii_tokens, all columns but the version (which is
// a clock reading) compared through an order-independent checksum.
func sameRows(ctx context.Context, conn driver.Conn, bareDB, collDB string, n int) error {
	const findings = "SELECT count(), sum(cityHash64(asset_id, type, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, arrayStringConcat(samples, '\\n'), arrayStringConcat(tokens, '\\n'), arrayStringConcat(locations, '\\n'), observed_at, owner_agent, tokens_rekeyed)) FROM %s.pii_findings"
	const tokens = "SELECT count(), sum(cityHash64(token, host, asset_id, type, scan_id)) FROM %s.pii_tokens"
	for _, q := range []string{findings, tokens} {
		var sums [2][2]uint64
		for i, db := range []string{bareDB, collDB} {
			if err := conn.QueryRow(ctx, fmt.Sprintf(q, db)).Scan(&sums[i][0], &sums[i][1]); err != nil {
				return fmt.Errorf("comparing the two databases: %w", err)
			}
		}
		if sums[0] != sums[1] {
			return fmt.Errorf("the collector and the bare insert stored different rows (count, checksum): bare %v, collector %v; the baseline is not fair", sums[0], sums[1])
		}
	}
	var got uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+collDB+".pii_findings").Scan(&got); err != nil {
		return err
	}
	if got != uint64(n) {
		return fmt.Errorf("%s holds %d rows, want %d", collDB, got, n)
	}
	return nil
}

// measure waits until ClickHouse has no merges running (so a phase does not
// pay for the previous one's parts), then times fn. The CPU figures run on
// until the merges fn caused are over: ClickHouse merges the parts of an
// insert after answering it, and a phase that inserts in smaller parts
// leaves it more of that work, whether or not it lands inside the timing.
func measure(ctx context.Context, c config, conn driver.Conn, fn func() error) (phase, error) {
	if err := benchrun.WaitMerges(ctx, conn); err != nil {
		return phase{}, err
	}
	self0, ch0 := benchrun.SelfCPU(), chTime(c)
	start := time.Now()
	if err := fn(); err != nil {
		return phase{}, err
	}
	wall := time.Since(start)
	self := benchrun.SelfCPU() - self0
	if err := benchrun.WaitMerges(ctx, conn); err != nil {
		return phase{}, err
	}
	return phase{wall: wall, selfCPU: self, chCPU: chTime(c) - ch0}, nil
}

// chTime is ClickHouse's CPU time so far (0 when its pid is not known).
func chTime(c config) time.Duration {
	if c.clickhousePID == 0 {
		return 0
	}
	d, _ := benchrun.ProcessCPU(c.clickhousePID)
	return d
}

// post sends one batch as an agent does: a 503 or 429 (the collector's
// admission: memory budget, in-flight cap, rate) is retried after a short
// pause with the same Idempotency-Key, so a busy collector slows the bench
// down instead of failing it. Retries are counted.
func post(client *http.Client, base, token string, b batchBody, retries *atomic.Int64) error {
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/ingest", bytes.NewReader(b.body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Idempotency-Key", b.key)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) && attempt < 1000:
			retries.Add(1)
			time.Sleep(time.Duration(20+attempt%5*20) * time.Millisecond)
		default:
			return fmt.Errorf("ingest: %s: %s", resp.Status, body)
		}
	}
}

// enrollCmd enrolls with the secret in the environment, as the README says.
func enrollCmd(ctx context.Context, bin, cfg, secret string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, "enroll", "--config", cfg)
	cmd.Env = append(os.Environ(), "SIGHTLINE_ENROLL_SECRET="+secret)
	return cmd
}

// idleRSS enrolls and starts the agent binary with a small scan, waits until
// it has finished scanning and shipping, and reads VmRSS.
func idleRSS(ctx context.Context, bin, base, caFile, secret string) (int64, error) {
	dir, err := os.MkdirTemp("", "sightline-rss")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "scan")
	_ = os.MkdirAll(data, 0o755)
	_ = os.WriteFile(filepath.Join(data, "people.csv"), []byte("email\nperson@example.com\n"), 0o644)
	cfg := filepath.Join(dir, "agent.yaml")
	_ = os.WriteFile(cfg, []byte(fmt.Sprintf("collector: %s\nca_file: %s\ndata_dir: %s\nscans:\n  fs:\n    enabled: true\n    paths: [%s]\n    interval: 1h\n", base, caFile, dir, data)), 0o600)
	if out, err := enrollCmd(ctx, bin, cfg, secret).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("enroll: %v: %s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, "run", "--config", cfg)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Idle: the scan and its shipping are over; wait until the spool is empty.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ready, _ := filepath.Glob(filepath.Join(dir, "spool", "*.ready"))
		open, _ := filepath.Glob(filepath.Join(dir, "spool", "*.open"))
		if len(ready) == 0 && len(open) == 0 {
			if _, err := os.Stat(filepath.Join(dir, "spool")); err == nil {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			var kb int64
			_, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")), "%d kB", &kb)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", cmd.Process.Pid)
}
