package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/deploy/bench/internal/benchrun"
	sharedconfig "github.com/sightline-dev/sightline/internal/config"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/tick"
)

// Options configure one load run. Zero values take the defaults.
type Options struct {
	CollectorBin  string        // the sightline-collector binary (make build)
	ClickHouse    string        // native host:port of a ClickHouse the bench may create a database in
	Database      string        // default sl_bench_load_<unix time>
	Agents        int           // simulated agents (default 200)
	Duration      time.Duration // the load window (default 3m)
	Readers       int           // concurrent API clients (default 4)
	SpoolBytes    int64         // each agent's spool bound (default 2 MiB: one 1 MiB segment ships while one fills); drained after the window
	FilesPerScan  int           // files per simulated fs scan (default 40)
	DrainTimeout  time.Duration // how long spools may take to empty after the window (default 10m)
	Sample        time.Duration // how often the stored rate is sampled (default 5s)
	ClickHousePID string        // pid file of ClickHouse, to report its CPU (optional)
	CAFile        string        // speak https to the collector, trusting this CA
	ExtraConfig   string        // YAML appended to the collector's generated config (e.g. its TLS section)
	WorkDir       string        // spools, collector config and log (default a new temp dir, removed after)
	KeepDatabase  bool          // leave the database for inspection
	Logger        *slog.Logger  // the bench's own progress; agents' warnings go to WorkDir/agents.log
}

func (o *Options) defaults() {
	o.Agents = defaults.Positive(o.Agents, 200)
	o.Duration = defaults.Positive(o.Duration, 3*time.Minute)
	switch {
	case o.Readers == 0:
		o.Readers = 4
	case o.Readers < 0: // no API clients: ingest alone
		o.Readers = 0
	}
	o.SpoolBytes = defaults.Positive(o.SpoolBytes, 2<<20)
	o.FilesPerScan = defaults.Positive(o.FilesPerScan, 40)
	o.DrainTimeout = defaults.Positive(o.DrainTimeout, 10*time.Minute)
	o.Sample = defaults.Positive(o.Sample, 5*time.Second)
	if o.Database == "" {
		o.Database = fmt.Sprintf("sl_bench_load_%d", time.Now().UnixNano())
	}
	if o.Logger == nil {
		o.Logger = sharedconfig.Logger("info", os.Stderr)
	}
}

// Report is what one run measured.
type Report struct {
	Options   Options
	Base      string // the collector's URL
	Generated Kinds
	Segments  int // spool segments the collector acknowledged

	Window      time.Duration // the load window as measured
	StoredInWin float64       // records the collector stored during the window (sightline_ingest_records_total)
	Rate        float64       // StoredInWin / Window
	MinRate     float64       // slowest sample interval in the window
	MaxRate     float64       // fastest sample interval
	Drain       time.Duration // from the end of the window until every spool was empty
	Retries     int64         // shipper attempts that were retried (busy, timeouts)

	API     []EndpointLatency
	Overall EndpointLatency

	PeakRSS int64 // collector VmHWM, bytes

	CPU        CPUShare // where the machine's CPU went during the window
	LoadBefore string   // /proc/loadavg when the window started: other work on the machine skews the figures
	LoadAfter  string

	LogErrors   int      // error lines in the collector's log
	FirstErrors []string // the first of them

	Final       ingestMetrics
	Problems    []string // exactly-once violations; empty means it held
	ExactlyOnce bool
	StateHeld   bool // condition (1) alone: each record one row under FINAL
}

// Run starts the collector, enrolls the agents, runs the load window,
// drains, and checks exactly-once. An error means the bench could not run;
// an exactly-once violation is in the Report (Problems), not an error.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	log := o.Logger
	rep := &Report{Options: o}
	if o.WorkDir == "" {
		dir, err := os.MkdirTemp("", "sightline-bench-load")
		if err != nil {
			return nil, fmt.Errorf("creating a work directory: %w", err)
		}
		defer os.RemoveAll(dir)
		o.WorkDir = dir
	}
	if err := os.MkdirAll(o.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the work directory: %w", err)
	}

	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{o.ClickHouse}, ReadTimeout: 5 * time.Minute})
	if err != nil {
		return nil, fmt.Errorf("connecting to ClickHouse at %s: %w", o.ClickHouse, err)
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		return nil, fmt.Errorf("ClickHouse at %s does not answer (start one with deploy/scripts/clickhouse-start.sh): %w", o.ClickHouse, err)
	}
	if !dbName.MatchString(o.Database) {
		return nil, fmt.Errorf("-db %q must be a plain identifier", o.Database)
	}
	if !o.KeepDatabase {
		defer func() { _ = conn.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+o.Database) }()
	}

	log.Info("starting the collector", "bin", o.CollectorBin, "database", o.Database)
	col, err := startCollector(ctx, collectorOptions{Bin: o.CollectorBin, ClickHouse: o.ClickHouse, Database: o.Database,
		Dir: o.WorkDir, CAFile: o.CAFile, ExtraConfig: o.ExtraConfig, Conns: o.Agents + o.Readers + 4})
	if err != nil {
		return nil, err
	}
	defer col.stop()
	rep.Base = col.base
	run := time.Now().Unix()
	secret, err := col.token(ctx, auth.RoleAgentEnroll, fmt.Sprintf("bench-load-enroll-%d", run))
	if err != nil {
		return nil, err
	}
	admin, err := col.token(ctx, auth.RoleAdmin, fmt.Sprintf("bench-load-admin-%d", run))
	if err != nil {
		return nil, err
	}

	agentLogf, err := os.Create(filepath.Join(o.WorkDir, "agents.log"))
	if err != nil {
		return nil, fmt.Errorf("creating the agents' log: %w", err)
	}
	defer agentLogf.Close()
	agentLog := sharedconfig.Logger("warn", agentLogf)
	log.Info("enrolling agents", "agents", o.Agents)
	agents, err := enrollAll(ctx, o.Agents, agentOptions{Base: col.base, Secret: secret, Client: col.client,
		Dir: filepath.Join(o.WorkDir, "agents"), SpoolBytes: o.SpoolBytes, FilesPerScan: o.FilesPerScan, Logger: agentLog})
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, a := range agents {
			_ = a.sp.Close()
		}
	}()

	// Shippers run until the spools are drained; generators and readers
	// only during the window.
	shipCtx, stopShip := context.WithCancel(ctx)
	defer stopShip()
	genCtx, stopGen := context.WithCancel(ctx)
	defer stopGen()
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	var ships, gens, reads sync.WaitGroup
	genErrs := make([]error, len(agents))
	shipErrs := make([]error, len(agents))

	m0, err := scrape(ctx, col.client, col.base)
	if err != nil {
		return nil, err
	}
	chPID := 0
	if o.ClickHousePID != "" {
		if chPID, err = benchrun.ReadPID(o.ClickHousePID); err != nil {
			return nil, err
		}
	}
	rep.LoadBefore = loadavg()
	log.Info("load window starts", "duration", o.Duration, "agents", o.Agents, "readers", o.Readers, "loadavg", rep.LoadBefore)
	cpu0 := takeCPU(col.cmd.Process.Pid, chPID)
	t0 := time.Now()
	for i, a := range agents {
		ships.Add(1)
		go func() { defer ships.Done(); shipErrs[i] = a.sh.Run(shipCtx, a.src) }()
		gens.Add(1)
		go func() { defer gens.Done(); genErrs[i] = a.generate(genCtx) }()
	}
	lat := newLatencies()
	for r := 0; r < o.Readers; r++ {
		reads.Add(1)
		go func() { defer reads.Done(); readLoop(readCtx, col.client, col.base, admin, r, lat) }()
	}

	// Sample the stored count through the window.
	prev, prevT := m0.Records, t0
	rep.MinRate = -1
	end := t0.Add(o.Duration)
	for now := time.Now(); now.Before(end); now = time.Now() {
		if err := tick.Sleep(ctx, min(o.Sample, end.Sub(now))); err != nil {
			return nil, err
		}
		m, err := scrape(ctx, col.client, col.base)
		if err != nil {
			return nil, err
		}
		t := time.Now()
		r := (m.Records - prev) / t.Sub(prevT).Seconds()
		if t.Sub(prevT) >= o.Sample/2 { // a short tail interval says little
			if rep.MinRate < 0 || r < rep.MinRate {
				rep.MinRate = r
			}
			rep.MaxRate = max(rep.MaxRate, r)
		}
		log.Info("progress", "elapsed", t.Sub(t0).Round(time.Second), "stored", int64(m.Records), "records_per_s", int64(r))
		prev, prevT = m.Records, t
	}
	rep.CPU = share(cpu0, takeCPU(col.cmd.Process.Pid, chPID), time.Since(t0).Seconds(), chPID > 0)
	rep.LoadAfter = loadavg()
	rep.Window = prevT.Sub(t0)
	rep.StoredInWin = prev - m0.Records
	rep.Rate = rep.StoredInWin / rep.Window.Seconds()
	rep.MinRate = max(rep.MinRate, 0)
	stopRead()
	stopGen()
	gens.Wait()
	reads.Wait()
	if err := errors.Join(genErrs...); err != nil {
		return nil, fmt.Errorf("generating records: %w", err)
	}
	rep.API, rep.Overall = lat.report()

	// Drain: seal what is open and wait for every spool to empty.
	log.Info("load window over; draining the spools")
	drainStart := time.Now()
	for _, a := range agents {
		if err := a.sp.Flush(ctx); err != nil {
			return nil, err
		}
	}
	lastLog := drainStart
	for deadline := drainStart.Add(o.DrainTimeout); ; {
		left, bytes := 0, int64(0)
		for _, a := range agents {
			if !a.drained() {
				left++
			}
			bytes += a.sp.Stats().Bytes
		}
		if left == 0 {
			break
		}
		if time.Since(lastLog) >= 10*time.Second {
			log.Info("draining", "agents_with_records_left", left, "spooled_mb", bytes>>20, "elapsed", time.Since(drainStart).Round(time.Second))
			lastLog = time.Now()
		}
		if time.Now().After(deadline) {
			log.Warn("spools did not drain in time", "agents_with_records_left", left, "timeout", o.DrainTimeout)
			break
		}
		if err := tick.Sleep(ctx, 200*time.Millisecond); err != nil {
			return nil, err
		}
	}
	rep.Drain = time.Since(drainStart)
	stopShip()
	ships.Wait()
	if err := errors.Join(shipErrs...); err != nil {
		return nil, fmt.Errorf("shipping: %w", err)
	}

	rep.Final, err = scrape(ctx, col.client, col.base)
	if err != nil {
		return nil, err
	}
	if rep.PeakRSS, err = col.peakRSS(); err != nil {
		return nil, err
	}
	exp := make([]ExpectedAgent, len(agents))
	for i, a := range agents {
		acked, problems := a.src.snapshot()
		exp[i] = ExpectedAgent{ID: a.creds.AgentID, Host: a.host, Generated: a.Generated(), Acked: acked, Problems: problems, Left: !a.drained()}
		rep.Generated = rep.Generated.Add(exp[i].Generated)
		rep.Segments += len(acked)
		rep.Retries += a.sh.Stats().Retries
	}
	log.Info("checking exactly-once in ClickHouse")
	obs, err := observe(ctx, conn, o.Database, rep.Final)
	if err != nil {
		return nil, err
	}
	rep.Problems = judge(exp, obs)
	rep.StateHeld = stateHeld(exp, obs)
	rep.ExactlyOnce = len(rep.Problems) == 0
	if err := col.stop(); err != nil {
		log.Warn("stopping the collector", "err", err)
	}
	rep.LogErrors, rep.FirstErrors = col.logErrors(3)
	return rep, nil
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
