// Command ingest measures the collector's ingest path (HTTPS, gzip NDJSON,
// identity checks, token re-keying) against a bare clickhouse-go batch
// insert of the same rows into the same schema, in one
// run on one ClickHouse, and prints both rates and their ratio. It also
// prints the agent's resident memory while idle in `run` mode.
//
// Usage: ingest -clickhouse 127.0.0.1:9000 -n 1000000 -agents 8 -agent-bin bin/sightline-agent
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
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/tlsserve"
	"github.com/sightline-dev/sightline/internal/testpki"
	"github.com/sightline-dev/sightline/internal/wire"
)

func main() {
	addr := flag.String("clickhouse", "127.0.0.1:9000", "ClickHouse native address")
	n := flag.Int("n", 1_000_000, "pii records to load")
	agents := flag.Int("agents", 8, "concurrent simulated agents")
	batch := flag.Int("batch", 5000, "records per agent batch")
	agentBin := flag.String("agent-bin", "", "sightline-agent binary for the idle RSS check (skipped when empty)")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the collector phase to this file")
	flag.Parse()
	if err := run(context.Background(), *addr, *n, *agents, *batch, *agentBin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var cpuProfile string

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

func run(ctx context.Context, addr string, n, agents, batch int, agentBin string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	recs := records(n)
	suffix := fmt.Sprint(time.Now().Unix())

	// Two databases with the collector's schema: one for each path.
	open := func(db string) (*store.Store, error) {
		st, err := store.Open(ctx, store.Options{Addr: addr, Database: db, Logger: log})
		if err != nil {
			return nil, err
		}
		_, err = st.Migrate(ctx)
		return st, err
	}
	bareDB, collDB := "bench_bare_"+suffix, "bench_coll_"+suffix
	bareStore, err := open(bareDB)
	if err != nil {
		return err
	}
	defer bareStore.Close()
	collStore, err := open(collDB)
	if err != nil {
		return err
	}
	defer collStore.Close()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	if err != nil {
		return err
	}
	defer func() {
		for _, db := range []string{bareDB, collDB} {
			_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		}
		conn.Close()
	}()

	// 1. Bare clickhouse-go: the same rows, one PrepareBatch per 50k rows
	// (the collector's default flush size), no HTTP, no JSON.
	start := time.Now()
	const chunk = 50000
	for off := 0; off < n; off += chunk {
		end := min(off+chunk, n)
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+bareDB+".pii_findings (asset_id, type, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version)")
		if err != nil {
			return err
		}
		for i := off; i < end; i++ {
			r := &recs[i]
			if err := b.Append(r.AssetID, r.Type, r.Category, r.Location, r.Host, r.Source, r.AgentID, r.ScanID,
				uint64(r.Count), uint64(r.Distinct), r.Confidence, r.Samples, r.Tokens, r.Where,
				r.ObservedAt, uint64(r.ObservedAt.UnixNano())); err != nil {
				return err
			}
		}
		if err := b.Send(); err != nil {
			return err
		}
	}
	bare := time.Since(start)

	// 2. Through the collector: real HTTP on loopback, gzip NDJSON batches
	// with Idempotency-Keys from concurrent agents. Bodies are encoded
	// before the clock starts: that is the agents' work, not the collector's.
	authn := auth.New(auth.Options{Store: collStore})
	fl := fleet.New(fleet.Options{Store: collStore, Auth: authn})
	// Re-keyed as the collector does (ephemeral keys: nothing is searched).
	ing := ingest.New(ingest.Options{Store: collStore, Logger: log, Rekey: fl.Keys().Rekey})
	ingCtx, stopIng := context.WithCancel(ctx)
	ingDone := make(chan struct{})
	go func() { defer close(ingDone); ing.Run(ingCtx) }()
	defer func() { stopIng(); <-ingDone }()
	srv := api.New(api.Options{Store: collStore, Auth: authn, Fleet: fl, Ingester: ing,
		MaxBodyBytes: 16 << 20, MaxDecodedBytes: 128 << 20, Logger: log})
	// Over TLS, as agents reach the collector: a private CA, the
	// collector's own listener code (collector/tlsserve).
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(tls.NewListener(ln, tlsSrv.TLSConfig())) }()
	defer hs.Close()
	base := "https://" + ln.Addr().String()

	secret, _, err := authn.Create(ctx, auth.RoleAgentEnroll, "bench", "", 0)
	if err != nil {
		return err
	}
	type job struct {
		key  string
		body []byte
	}
	tokens := make([]string, agents)
	jobs := make([][]job, agents)
	for a := 0; a < agents; a++ {
		en, err := fl.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: fmt.Sprintf("bench-%d", a)})
		if err != nil {
			return err
		}
		tokens[a] = en.Token
	}
	for off, k := 0, 0; off < n; off, k = off+batch, k+1 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		enc := wire.NewEncoder(zw)
		for i := off; i < min(off+batch, n); i++ {
			if err := enc.Encode(&recs[i]); err != nil {
				return err
			}
		}
		_ = zw.Close()
		jobs[k%agents] = append(jobs[k%agents], job{fmt.Sprintf("b-%d", k), buf.Bytes()})
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: agents,
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	start = time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, agents)
	for a := 0; a < agents; a++ {
		wg.Add(1)
		go func(a int) {
			defer wg.Done()
			for _, j := range jobs[a] {
				req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/ingest", bytes.NewReader(j.body))
				req.Header.Set("Authorization", "Bearer "+tokens[a])
				req.Header.Set("Content-Type", "application/x-ndjson")
				req.Header.Set("Content-Encoding", "gzip")
				req.Header.Set("Idempotency-Key", j.key)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("ingest: %s: %s", resp.Status, body)
					return
				}
			}
		}(a)
	}
	wg.Wait()
	coll := time.Since(start)
	close(errs)
	for err := range errs {
		return err
	}

	for _, db := range []string{bareDB, collDB} {
		var got uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".pii_findings").Scan(&got); err != nil {
			return err
		}
		if got != uint64(n) {
			return fmt.Errorf("%s holds %d rows, want %d", db, got, n)
		}
	}
	bareRate := float64(n) / bare.Seconds()
	collRate := float64(n) / coll.Seconds()
	fmt.Printf("ingest benchmark: %d pii records, ClickHouse at %s\n", n, addr)
	fmt.Printf("  bare clickhouse-go batch insert: %8.2fs  %10.0f records/s\n", bare.Seconds(), bareRate)
	fmt.Printf("  collector /api/v1/ingest over TLS, tokens re-keyed (%d agents, %d-record gzip batches): %8.2fs  %10.0f records/s\n", agents, batch, coll.Seconds(), collRate)
	fmt.Printf("  ratio collector/bare: %.2f (goal >= 0.50)\n", collRate/bareRate)

	if agentBin != "" {
		rss, err := idleRSS(ctx, agentBin, base, pki.CA, secret)
		if err != nil {
			return fmt.Errorf("agent idle RSS: %w", err)
		}
		fmt.Printf("  agent idle RSS in run mode: %.1f MB (goal <= 30 MB)\n", float64(rss)/(1<<20))
	}
	return nil
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
