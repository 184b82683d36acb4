// Command api loads a large data set through the store (pii rows,
// entitlements, principals, assets) and measures p50/p95 latency of the
// main read endpoints over real HTTP, with a bare ClickHouse count over the
// same table as the baseline in the same run. Then it rescans one host and
// times the incremental read-index build that follows against a full one.
//
// Usage: api -clickhouse 127.0.0.1:9000 -pii 10000000 -entitlements 1000000 -principals 100000
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/deploy/bench/internal/benchrun"
	sharedconfig "github.com/sightline-dev/sightline/internal/config"
	"github.com/sightline-dev/sightline/internal/wire"
)

func main() {
	addr := flag.String("clickhouse", "127.0.0.1:9000", "ClickHouse native address")
	nPII := flag.Int("pii", 10_000_000, "pii rows")
	nEnt := flag.Int("entitlements", 1_000_000, "entitlement rows")
	nPri := flag.Int("principals", 100_000, "principal rows")
	runs := flag.Int("runs", 20, "requests per endpoint")
	dbName := flag.String("db", "", "database to use (default: a new one named after the time)")
	skipLoad := flag.Bool("skip-load", false, "measure a database loaded by an earlier run with the same -db and sizes")
	reuseIndex := flag.Bool("reuse-index", false, "with -skip-load: keep the read index an earlier run built")
	logLevel := flag.String("log", "warn", "log level (debug: the read index build's steps with their times)")
	flag.Parse()
	log := sharedconfig.Logger(*logLevel, os.Stderr)
	benchrun.Main("bench-api", func(ctx context.Context) error {
		return run(ctx, log, *addr, *dbName, *skipLoad, *skipLoad && *reuseIndex, *nPII, *nEnt, *nPri, *runs)
	})
}

const hosts = 200

var types = []struct{ typ, cat, sample string }{
	{"email", "contact", "j***@e***.com"}, {"credit_card", "financial", "**** **** **** 4242"},
	{"us_ssn", "government_id", "***-**-6789"}, {"ip_address", "network", "10.*.*.7"}, {"iban", "financial", "DE****3000"},
}

func run(ctx context.Context, log *slog.Logger, addr, db string, skipLoad, reuseIndex bool, nPII, nEnt, nPri, runs int) error {
	if db == "" {
		db = fmt.Sprintf("sl_bench_api_%d", time.Now().Unix())
	}
	st, err := benchrun.OpenStore(ctx, addr, db, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// The key file sits next to the run's database name, so a -skip-load
	// run finds the key pair its data was stored with.
	ks, err := keys.Open(ctx, keys.Options{Path: filepath.Join(os.TempDir(), db+".keys.json"), Store: st, Logger: log})
	if err != nil {
		return err
	}
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn, Keys: ks})
	// Loaded straight into the store, so keyed as stored (both steps).
	tok := ks.SearchToken
	t0 := time.Now().UTC().Truncate(time.Second)

	var load time.Duration
	if !skipLoad {
		start := time.Now()
		if err := loadData(ctx, st, tok, t0, nPII, nEnt, nPri); err != nil {
			return err
		}
		load = time.Since(start)
	}

	// The read index is built once over the loaded data, timed: that is the
	// price of the reads below, paid once per change, not per request.
	// One writer, so one clock: the incremental build after the rescan
	// need not read again what was loaded just before the first build
	// (clockSkew; a collector allows store.DefaultClockSkew).
	idx := index.New(index.Options{Store: st, MaxLag: 24 * time.Hour, Logger: log, ClockSkew: clockSkew})
	bstart := time.Now()
	if !reuseIndex {
		if err := idx.Build(ctx); err != nil {
			return err
		}
	}
	buildTime := time.Since(bstart)
	ing := ingest.New(ingest.Options{Store: st, Logger: log})
	srv := api.New(api.Options{Store: st, Auth: authn, Fleet: fl, Ingester: ing, Index: idx, Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	admin, _, err := authn.Create(ctx, auth.RoleAdmin, "bench", "", 0)
	if err != nil {
		return err
	}
	call := func(method, path, body string) (time.Duration, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+admin)
		s := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
		}
		return time.Since(s), nil
	}
	// Baselines in the same run, through the same driver: the floor (a
	// round trip that reads nothing) and what every aggregate read cost
	// before the read index (one count over the current-findings view).
	timeQuery := func(n int, q string) ([]time.Duration, error) {
		ds := make([]time.Duration, 0, n)
		for i := 0; i < n; i++ {
			s := time.Now()
			var out []struct {
				N uint64 `ch:"n"`
			}
			if err := st.Conn().Select(ctx, &out, strings.ReplaceAll(q, "{db}", db)); err != nil {
				return nil, err
			}
			ds = append(ds, time.Since(s))
		}
		return ds, nil
	}
	floor, err := timeQuery(runs, `SELECT toUInt64(1) AS n`)
	if err != nil {
		return err
	}
	live, err := timeQuery(3, `SELECT count() AS n FROM {db}.current_pii_findings`)
	if err != nil {
		return err
	}
	assets := nPII / len(types)
	fmt.Printf("api benchmark: %d pii rows on %d assets, %d entitlements, %d principals, %d hosts (loaded in %s)\n",
		assets*len(types), assets, nEnt, nPri, hosts, load.Round(time.Second))
	fmt.Printf("  read index built in %s (once per change of the data, in the background)\n", buildTime.Round(100*time.Millisecond))
	p50, p95 := pct(floor)
	fmt.Printf("  %-58s p50 %8s  p95 %8s\n", "baseline: SELECT 1 (the floor)", p50, p95)
	liveP50, liveP95 := pct(live)
	fmt.Printf("  %-58s p50 %8s  p95 %8s\n", "baseline: count over the current-findings view (no index)", liveP50, liveP95)
	for _, e := range []struct{ method, path, body string }{
		{"GET", "/api/v1/inventory/summary", ""},
		{"GET", "/api/v1/assets?type=file&limit=100", ""},
		{"GET", "/api/v1/risk/assets?limit=20", ""},
		{"POST", "/api/v1/subjects/search", `{"identifiers":[{"type":"email","value":"person-42@example.com"}]}`},
		{"POST", "/api/v1/incidents/impact", `{"hosts":["host-001"]}`},
		// Principal risk and the register read every principal's reach in one query.
		{"GET", "/api/v1/principals?stale=true&privileged=true&limit=100", ""},
		{"GET", "/api/v1/risk/principals?limit=20", ""},
		{"GET", "/api/v1/risk/register?limit=20&status=open", ""},
	} {
		ds := make([]time.Duration, 0, runs)
		for i := 0; i < runs; i++ {
			d, err := call(e.method, e.path, e.body)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		p50, p95 := pct(ds)
		verdict := "meets"
		if p95 > 300*time.Millisecond {
			verdict = "MISSES"
		}
		fmt.Printf("  %-58s p50 %8s  p95 %8s  (%s the 300 ms p95 goal; %.3f of the view count)\n",
			e.method+" "+e.path, p50, p95, verdict, float64(p95)/float64(max(liveP95, 1)))
	}
	if reuseIndex {
		fmt.Println("  (-reuse-index: no rescan, so no incremental build, timed)")
		return nil
	}
	// One host scanned again, then the index brought up to date from the
	// build above (incremental), then rebuilt whole over the same data.
	if err := rescanData(ctx, st, tok, t0, nPII, nEnt, nPri); err != nil {
		return err
	}
	istart := time.Now()
	if err := idx.Build(ctx); err != nil {
		return err
	}
	incr := time.Since(istart)
	var newest []struct {
		Base    uint64 `ch:"base"`
		Changed uint64 `ch:"changed"`
	}
	q := strings.ReplaceAll(`SELECT any(base) AS base, count() AS changed FROM {db}.idx_changed
		ANY LEFT JOIN (SELECT gen, base FROM {db}.idx_builds) USING gen
		WHERE gen = (SELECT max(gen) FROM {db}.idx_builds)`, "{db}", db)
	if err := st.Conn().Select(ctx, &newest, q); err != nil {
		return err
	}
	if len(newest) != 1 || newest[0].Base == 0 {
		return fmt.Errorf("the build after the rescan was not incremental (see the log)")
	}
	fstart := time.Now()
	if err := idx.BuildFull(ctx); err != nil {
		return err
	}
	full := time.Since(fstart)
	verdict := "meets"
	if incr > incrementalGoal {
		verdict = "MISSES"
	}
	fmt.Printf("  read index after one host's rescan: incremental build %s (%d assets recomputed; %s the %s goal), full build %s (%.0f%%)\n",
		incr.Round(100*time.Millisecond), newest[0].Changed, verdict, incrementalGoal, full.Round(100*time.Millisecond), 100*float64(incr)/float64(max(full, 1)))
	return nil
}

// incrementalGoal is issue 18's bound on an incremental build after one
// host's rescan at the bench's default size (10,000,000 pii rows).
const incrementalGoal = 5 * time.Second

// clockSkew is the skew the bench's indexer allows between collectors'
// clocks (one process writes here, so one clock); the load pauses this
// long and half again after the last finding (writeData).
const clockSkew = time.Second

// rescanHost is the host whose fs scan is repeated (rescanData) to time an
// incremental build.
const rescanHost = 1

// loadData writes the data set through the store's insert path.
func loadData(ctx context.Context, st *store.Store, tok func([]byte) string, t0 time.Time, nPII, nEnt, nPri int) error {
	return writeData(ctx, st, tok, t0, nPII, nEnt, nPri, false)
}

// rescanData writes a second fs scan of rescanHost an hour after t0: a
// tenth of its files are gone, 100 files are new, a tenth hold more, and
// a tenth of its grants are gone.
func rescanData(ctx context.Context, st *store.Store, tok func([]byte) string, t0 time.Time, nPII, nEnt, nPri int) error {
	return writeData(ctx, st, tok, t0, nPII, nEnt, nPri, true)
}

// writeData writes the data set, or with rescan only rescanHost's second
// fs scan.
func writeData(ctx context.Context, st *store.Store, tok func([]byte) string, t0 time.Time, nPII, nEnt, nPri int, rescan bool) error {
	var batch []wire.Record
	flush := func(force bool) error {
		if len(batch) >= 200_000 || (force && len(batch) > 0) {
			if err := st.InsertRecords(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		return nil
	}
	add := func(r wire.Record) error {
		batch = append(batch, r)
		return flush(false)
	}
	at, scanSuffix := t0, ""
	if rescan {
		at, scanSuffix = t0.Add(time.Hour), "-2"
	}
	env := func(kind, source string, h int) wire.Record {
		host := fmt.Sprintf("host-%03d", h)
		return wire.Record{Kind: kind, Source: source, ScanID: source + "-" + host + scanSuffix, ObservedAt: at, Host: host, AgentID: "agent-" + host}
	}
	assets := nPII / len(types)
	extra := 0
	if rescan {
		extra = 100 * hosts
	}
	for a := 0; a < assets+extra; a++ {
		h := a % hosts
		if rescan && (h != rescanHost || (a < assets && a/hosts%10 == 0)) {
			continue
		}
		r := env(wire.KindAsset, wire.SourceFS, h)
		loc := fmt.Sprintf("file:///srv/data/host-%03d/export-%07d.csv", h, a)
		r.AssetID, r.AssetType, r.Location = wire.StableID("fs", r.Host, loc), "file", loc
		r.Attributes = map[string]string{"world_readable": fmt.Sprint(a%7 == 0), "mode": "0640"}
		if err := add(r); err != nil {
			return err
		}
		for k, ty := range types {
			p := env(wire.KindPII, wire.SourceFS, h)
			p.AssetID, p.Location, p.Type, p.Category, p.Confidence = r.AssetID, loc, ty.typ, ty.cat, wire.ConfidenceHigh
			p.Count, p.Distinct, p.Samples = int64(20+a%50), int64(1+a%20), []string{ty.sample}
			if rescan && a/hosts%10 == 1 {
				p.Count += 100
			}
			p.Tokens = []string{tok([]byte(fmt.Sprintf("person-%d@example.com", (a*len(types)+k)%1_000_000)))}
			if err := add(p); err != nil {
				return err
			}
		}
	}
	// The scans that delivered them, then (first load only) the
	// directory's accounts and the grants, once the clock has left the
	// skew window of the last finding: what an incremental build reads
	// again after a base is what was stored within the skew of its
	// watermark, and in a fleet the scans of the base are older than
	// that. Without the pause every pair's scan would count as new.
	for h := 0; h < hosts; h++ {
		for _, src := range []string{wire.SourceFS, wire.SourceHost} {
			if rescan && (h != rescanHost || src != wire.SourceFS) {
				continue
			}
			r := env(wire.KindScan, src, h)
			fin := at.Add(time.Minute)
			r.Scanner, r.StartedAt, r.FinishedAt, r.Status = src, &at, &fin, wire.StatusOK
			if err := add(r); err != nil {
				return err
			}
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	if !rescan {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(clockSkew + clockSkew/2):
		}
	}
	for i := 0; i < nPri && !rescan; i++ {
		r := env(wire.KindPrincipal, wire.SourceHost, i%hosts)
		r.PrincipalID, r.Name, r.PrincipalType = wire.LocalPrincipalID(r.Host, "user", fmt.Sprintf("u%06d", i)), fmt.Sprintf("u%06d", i), "user"
		r.Privileged = i%50 == 0
		if r.Privileged {
			r.PrivilegedVia = []string{"member of sudo"}
		}
		if err := add(r); err != nil {
			return err
		}
	}
	for i := 0; i < nEnt; i++ {
		h := i % hosts
		if rescan && (h != rescanHost || i/hosts%10 == 0) {
			continue
		}
		r := env(wire.KindEntitlement, wire.SourceFS, h)
		a := (i * 7) % max(assets, 1)
		loc := fmt.Sprintf("file:///srv/data/host-%03d/export-%07d.csv", a%hosts, a)
		r.PrincipalID = wire.LocalPrincipalID(r.Host, "user", fmt.Sprintf("u%06d", (i*13)%max(nPri, 1)))
		r.ResourceID, r.ResourceType, r.Permission, r.Via = wire.StableID("fs", fmt.Sprintf("host-%03d", a%hosts), loc), "file", "read", []string{"owner"}
		if err := add(r); err != nil {
			return err
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	if rescan {
		return nil
	}
	// The same for the accounts and grants, then one more write (another
	// agent's empty scan) that the base build's window (the skew before
	// its last write) holds alone, as in a fleet that reports all day:
	// the access map's incremental build (per agent) reads again the
	// entitlements of every agent that stored any within the window, and
	// without this that was every agent's.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(clockSkew + clockSkew/2):
	}
	r := env(wire.KindScan, wire.SourceHost, hosts)
	fin := at.Add(time.Minute)
	r.Scanner, r.StartedAt, r.FinishedAt, r.Status = wire.SourceHost, &at, &fin, wire.StatusOK
	return st.InsertRecords(ctx, []wire.Record{r})
}

func pct(ds []time.Duration) (time.Duration, time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(p float64) time.Duration {
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(time.Millisecond)
	}
	return at(0.50), at(0.95)
}
