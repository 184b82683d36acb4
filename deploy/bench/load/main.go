// Command load is the collector's load proof (make bench-load): simulated
// agents — enrolled for real, spooling realistic records with the agent's
// spool and shipping them with the agent's shipper as gzip NDJSON over
// HTTP — against the real collector binary and a real ClickHouse, for a
// configurable window, while API clients read the main endpoints with an
// admin token. It prints the sustained stored rate, API latency under that
// load, the collector's peak RSS, each beside its goal, and checks that
// every record was stored exactly once; only that check failing (a
// correctness failure, not a speed one) makes it exit non-zero.
//
// Usage: load -clickhouse 127.0.0.1:9000 -collector-bin bin/sightline-collector [-duration 3m] [-agents 200] [-short]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Goals on the project's 2-core machine; printed beside the figures, never
// asserted.
const (
	goalRate   = 50_000                 // records/s stored, sustained
	goalP95    = 500 * time.Millisecond // API p95 under that load
	goalRSS    = 1 << 30                // collector peak RSS
	shortAgent = 20
)

func main() {
	var o Options
	flag.StringVar(&o.ClickHouse, "clickhouse", "127.0.0.1:9000", "ClickHouse native host:port (the bench creates and drops its own database)")
	flag.StringVar(&o.CollectorBin, "collector-bin", "bin/sightline-collector", "the collector binary (make build)")
	flag.StringVar(&o.Database, "db", "", "database name (default sl_bench_load_<time>)")
	flag.IntVar(&o.Agents, "agents", 200, "simulated agents")
	flag.DurationVar(&o.Duration, "duration", 3*time.Minute, "load window")
	flag.IntVar(&o.Readers, "readers", 4, "concurrent API clients (0: none, ingest alone)")
	flag.Int64Var(&o.SpoolBytes, "spool-bytes", 2<<20, "each agent's spool bound in bytes (the backlog drained after the window)")
	flag.IntVar(&o.FilesPerScan, "files-per-scan", 40, "files per simulated fs scan (each with 1-3 pii records and an entitlement)")
	flag.DurationVar(&o.DrainTimeout, "drain-timeout", 10*time.Minute, "how long the spools may take to empty after the window")
	flag.StringVar(&o.ClickHousePID, "clickhouse-pid", "", "ClickHouse's pid file, to report its CPU use (optional)")
	flag.StringVar(&o.CAFile, "ca-file", "", "speak https to the collector and trust this CA (PEM); give the collector's TLS section with -collector-config")
	flag.StringVar(&o.ExtraConfig, "collector-config", "", "YAML file appended to the collector config the bench writes (e.g. its tls: section)")
	flag.StringVar(&o.WorkDir, "work", "", "work directory for spools, the collector's config and logs (default: a temp dir, removed)")
	flag.BoolVar(&o.KeepDatabase, "keep-db", false, "keep the database after the run")
	short := flag.Bool("short", false, fmt.Sprintf("smoke run: 15s, %d agents, 2 readers (flags given explicitly win)", shortAgent))
	flag.Parse()
	if *short {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["duration"] {
			o.Duration = 15 * time.Second
		}
		if !set["agents"] {
			o.Agents = shortAgent
		}
		if !set["readers"] {
			o.Readers = 2
		}
	}
	if o.Readers == 0 {
		o.Readers = -1 // Options' zero value means the default
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-load:", err)
		os.Exit(2)
	}
	printReport(os.Stdout, rep)
	if !rep.ExactlyOnce {
		os.Exit(1)
	}
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func printReport(w io.Writer, r *Report) {
	o := r.Options
	g := r.Generated
	fmt.Fprintf(w, "load benchmark: %d simulated agents (agent/spool + agent/ship, gzip NDJSON), %d API clients, %s window\n",
		o.Agents, o.Readers, o.Duration)
	fmt.Fprintf(w, "  collector %s at %s, ClickHouse %s (database %s)\n", o.CollectorBin, r.Base, o.ClickHouse, o.Database)
	fmt.Fprintf(w, "  generated %d records (%d assets, %d pii, %d principals, %d entitlements, %d scans) in %d acknowledged segments; %d shipper retries\n",
		g.Total(), g.Assets, g.PII, g.Principals, g.Entitlements, g.Scans, r.Segments, r.Retries)
	fmt.Fprintf(w, "  stored during the window: %.0f records in %s (sightline_ingest_records_total); spools drained %s after it\n",
		r.StoredInWin, r.Window.Round(100*time.Millisecond), r.Drain.Round(100*time.Millisecond))
	fmt.Fprintf(w, "  sustained rate:   %9.0f records/s  (%s intervals: min %.0f, max %.0f)   goal >= %d/s: %s\n",
		r.Rate, o.Sample, r.MinRate, r.MaxRate, goalRate, verdict(r.Rate >= goalRate))
	fmt.Fprintf(w, "  API under load (admin token, %d clients in a loop):\n", o.Readers)
	fmt.Fprintf(w, "    %-20s %7s %10s %10s %10s %10s %7s\n", "endpoint", "n", "p50", "p95", "p99", "max", "errors")
	for _, e := range append(r.API, r.Overall) {
		fmt.Fprintf(w, "    %-20s %7d %10s %10s %10s %10s %7d\n", e.Name, e.N, ms(e.P50), ms(e.P95), ms(e.P99), ms(e.Max), e.Errors)
	}
	fmt.Fprintf(w, "    overall p95 %s   goal <= %s: %s\n", ms(r.Overall.P95), goalP95, verdict(r.Overall.N > 0 && r.Overall.P95 <= goalP95))
	if r.Overall.FirstError != "" {
		fmt.Fprintf(w, "    first API error: %s\n", r.Overall.FirstError)
	}
	fmt.Fprintf(w, "  collector peak RSS (VmHWM): %.0f MB   goal <= 1 GB: %s\n", float64(r.PeakRSS)/(1<<20), verdict(r.PeakRSS <= goalRSS))
	c := r.CPU
	ch := "not measured (no -clickhouse-pid)"
	if c.ClickHouseKnown {
		ch = fmt.Sprintf("%.2f", c.ClickHouse)
	}
	fmt.Fprintf(w, "  CPU during the window, in cores of %.0f: collector %.2f, ClickHouse %s, simulated agents + API clients %.2f, other processes %.2f (machine busy %.2f)\n",
		c.Cores, c.Collector, ch, c.Bench, c.Other, c.Busy)
	if srv := c.Collector + c.ClickHouse; c.ClickHouseKnown && srv > 0 && r.Rate > 0 {
		// Other work on the machine takes cores from the bench; the cost
		// per record is steadier than the rate, so it is printed too.
		fmt.Fprintf(w, "  cost: %.1f µs of collector + ClickHouse CPU per stored record (%.1f µs with the simulated agents); at that cost %.0f cores serving only the collector and ClickHouse would store about %.0f records/s (a projection, not a measurement)\n",
			srv/r.Rate*1e6, (srv+c.Bench)/r.Rate*1e6, c.Cores, c.Cores/srv*r.Rate)
	}
	fmt.Fprintf(w, "  load average before / after the window: %s / %s\n", r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(w, "  collector: %.0f rows inserted, %.0f failed inserts, %.0f duplicate batches answered from the idempotency record, %.0f batches answered with an error\n",
		r.Final.FlushRows, r.Final.FlushErrors, r.Final.Duplicates, r.Final.FailedBatches)
	fmt.Fprintf(w, "  collector log: %d error lines (requests the bench cut off at the end of the window not counted)\n", r.LogErrors)
	for _, l := range r.FirstErrors {
		fmt.Fprintf(w, "    %s\n", l)
	}
	fmt.Fprintf(w, "  exactly once means: %s\n", ExactlyOnceDefinition)
	if r.ExactlyOnce {
		fmt.Fprintf(w, "  exactly once: OK (%d records, %d batches)\n", g.Total(), r.Segments)
		return
	}
	fmt.Fprintf(w, "  exactly once: FAILED (%d problems)\n", len(r.Problems))
	if r.StateHeld {
		fmt.Fprintf(w, "    every record is one row of its table under FINAL (condition 1 held), but the write path was not exactly once:\n"+
			"    %.0f batches were answered with an error (%d shipper retries) and rows reached ClickHouse more than once;\n"+
			"    ReplacingMergeTree hides such copies once merged, the insert count (3) does not\n",
			r.Final.FailedBatches, r.Retries)
	}
	for i, p := range r.Problems {
		if i == 50 {
			fmt.Fprintf(w, "    … %d more\n", len(r.Problems)-i)
			break
		}
		fmt.Fprintf(w, "    - %s\n", p)
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
