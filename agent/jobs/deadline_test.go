package jobs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/gcsscan/gcstest"
	"github.com/sightline-dev/sightline/agent/hostiletest"
	"github.com/sightline-dev/sightline/agent/policy"
	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/agent/scanstate"
	"github.com/sightline-dev/sightline/internal/wire"
)

// sink keeps what a scan emits; fail, when set, is what emit returns.
type sink struct {
	mu   sync.Mutex
	recs []*wire.Record
	fail error
}

func (s *sink) emit(r *wire.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.recs = append(s.recs, r)
	return nil
}

func (s *sink) kinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.recs {
		out = append(out, r.Kind)
	}
	return out
}

// slowScanner stands in for a scanner held by a slow server: it emits
// `before` records, waits for its context to end, then does what `after`
// says: "return" (the context's error, no scan record, as most scanners
// do), "ok" or "failed" (its own scan record, as a scanner that counted
// the cut as a problem does).
func slowScanner(before int, after string) func(context.Context, Emit) (*wire.Record, error) {
	return func(ctx context.Context, emit Emit) (*wire.Record, error) {
		run := scanrun.Begin(scanrun.Options{Scanner: "ldap", Source: wire.SourceLDAP, Host: "dir.example", AgentID: "agent-1"})
		for i := range before {
			r := run.Record(wire.KindPrincipal)
			r.PrincipalID, r.Name, r.PrincipalType = "p"+string(rune('a'+i)), "user", "user"
			if err := emit(&r); err != nil {
				return nil, err
			}
		}
		<-ctx.Done()
		switch after {
		case "ok":
			return run.Finish(wire.StatusOK, emit)
		case "failed":
			run.Problem("ldap scan: bind failed: " + ctx.Err().Error())
			rec, err := run.Finish(wire.StatusFailed, emit)
			if err != nil {
				return nil, err
			}
			return rec, errors.New("ldap scan: bind failed")
		}
		return nil, ctx.Err()
	}
}

// A scan max_duration ends keeps what it emitted, and its scan record
// (its own, amended, or one written for it) says it stopped and why; it
// keeps no state. The fake scanners wait for their context to end: no
// timing is asserted.
func TestMaxDurationEndsAScan(t *testing.T) {
	const d = 20 * time.Millisecond
	reason := "scan stopped at max_duration 20ms"
	tests := []struct {
		name    string
		before  int
		after   string
		status  string
		records int // before the scan record
		errs    []string
		errStat int64
		err     string // Once's and Deliver's error
	}{
		{name: "records, then the scanner returns", before: 2, after: "return", status: wire.StatusPartial, records: 2,
			errs: []string{reason}, errStat: 1},
		{name: "nothing read", after: "return", status: wire.StatusFailed, errs: []string{reason}, errStat: 1,
			err: "ldap scan failed: " + reason},
		{name: "the scanner's own record", before: 1, after: "ok", status: wire.StatusPartial, records: 1,
			errs: []string{reason}, errStat: 1},
		{name: "the scanner's own failed record", after: "failed", status: wire.StatusFailed,
			errs: []string{"ldap scan: bind failed: context deadline exceeded", reason}, errStat: 2,
			err: "ldap " + reason + ": ldap scan: bind failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"once", "deliver"} {
				commits, flushed := 0, 0
				j := Job{Name: "ldap", Host: "dir.example", agentID: "agent-1", MaxDuration: d, Scan: slowScanner(tc.before, tc.after),
					Commit: func() error { commits++; return nil }}
				var out sink
				var logBuf bytes.Buffer
				log := slog.New(slog.NewTextHandler(&logBuf, nil))
				var res *wire.Record
				var err error
				if mode == "once" {
					res, err = Once(context.Background(), j, out.emit, log)
				} else {
					res, err = Deliver(context.Background(), j, out.emit, func(context.Context) error { flushed++; return nil }, log)
					require.Equal(t, 1, flushed, "what was read ships")
				}
				if tc.err == "" {
					require.NoError(t, err, mode)
				} else {
					require.EqualError(t, err, tc.err, mode)
				}
				require.Zero(t, commits, "a scan cut short keeps no state")
				require.NotNil(t, res)
				require.Len(t, out.recs, tc.records+1)
				require.Same(t, res, out.recs[tc.records], "the scan record is emitted last")
				require.Equal(t, wire.KindScan, res.Kind)
				require.Equal(t, tc.status, res.Status)
				require.Equal(t, tc.errs, res.Errors)
				require.Equal(t, tc.errStat, res.Stats["errors"])
				require.Equal(t, "ldap", res.Scanner)
				require.Equal(t, wire.SourceLDAP, res.Source)
				require.Equal(t, "dir.example", res.Host)
				require.Equal(t, "agent-1", res.AgentID)
				require.NoError(t, res.Validate())
				for _, r := range out.recs[:tc.records] {
					require.Equal(t, r.ScanID, res.ScanID, "the records belong to the scan")
					require.Equal(t, r.ObservedAt, *res.StartedAt)
				}
				if mode == "deliver" && tc.err == "" {
					require.Contains(t, logBuf.String(), reason)
				}
			}
		})
	}
}

// What is not max_duration's doing passes through as it was: no bound
// (no deadline at all), the agent stopping, an emit that fails.
func TestMaxDurationLeavesOtherEndsAlone(t *testing.T) {
	var deadline bool
	j := Job{Name: "ldap", Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
		_, deadline = ctx.Deadline()
		rec := &wire.Record{Kind: wire.KindScan, Scanner: "ldap", Status: wire.StatusOK}
		return rec, emit(rec)
	}}
	var out sink
	res, err := Once(context.Background(), j, out.emit, slog.Default())
	require.NoError(t, err)
	require.False(t, deadline, "max_duration 0: no deadline")
	require.Equal(t, wire.StatusOK, res.Status)

	// The agent stops (its context is cancelled) within max_duration.
	ctx, cancel := context.WithCancel(context.Background())
	j = Job{Name: "ldap", MaxDuration: time.Hour, Scan: slowScanner(1, "return")}
	out = sink{}
	go func() {
		for len(out.kinds()) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res, err = Once(ctx, j, out.emit, slog.Default())
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, res)
	require.Equal(t, []string{wire.KindPrincipal}, out.kinds(), "no scan record for a scan the agent stopped")

	// Emitting fails (the spool is full): that error, no record written.
	boom := errors.New("spool full")
	j = Job{Name: "ldap", MaxDuration: time.Millisecond, Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
		<-ctx.Done()
		r := wire.Record{Kind: wire.KindPrincipal}
		return nil, emit(&r)
	}}
	out = sink{fail: boom}
	res, err = Once(context.Background(), j, out.emit, slog.Default())
	require.ErrorIs(t, err, boom)
	require.Nil(t, res)
}

// The table's Build gives each job its section's max_duration: 2h by
// default for a network scanner, 30m for host, none for fs, as set.
func TestBuildTakesMaxDuration(t *testing.T) {
	s := config.Default().Scans
	s.FS.Paths = []string{t.TempDir()}
	s.LDAP.URL, s.LDAP.BaseDN = "ldaps://dir.example:636", "dc=example"
	env := Env{TokenKey: []byte("0123456789abcdef"), Getenv: func(string) string { return "" }}
	build := func(name string, s config.Scans) Job {
		e, ok := Lookup(name)
		require.True(t, ok)
		j, err := e.Build(context.Background(), s, env)
		require.NoError(t, err)
		return j
	}
	require.Zero(t, build("fs", s).MaxDuration)
	require.Equal(t, config.DefaultHostMaxDuration, build("host", s).MaxDuration)
	ldap := build("ldap", s)
	require.Equal(t, 2*time.Hour, ldap.MaxDuration)
	require.Equal(t, "dir.example", ldap.Host, "as ldapscan names the server")
	s.FS.MaxDuration, s.LDAP.MaxDuration = time.Minute, 0
	require.Equal(t, time.Minute, build("fs", s).MaxDuration)
	require.Zero(t, build("ldap", s).MaxDuration)
	for _, e := range Table() {
		require.True(t, wire.KnownSource(e.Name), "a scanner's name is its records' source: %s", e.Name)
	}
}

// max_duration is a policy setting: it tunes how long a scan may take and
// names no file, server or credential. agent.yaml can pin it.
func TestMaxDurationIsAPolicySetting(t *testing.T) {
	require.NoError(t, policy.Check(policy.Settings{"ldap": map[string]any{"max_duration": "30m"}}))
	var fe *policy.FieldError
	require.ErrorAs(t, policy.Check(policy.Settings{"ldap": map[string]any{"max_duration": "-1s"}}), &fe)
	require.Equal(t, "scans.ldap.max_duration", fe.Field)
	require.ErrorAs(t, policy.Check(policy.Settings{"ldap": map[string]any{"max_duration": 5}}), &fe)
	require.Equal(t, "scans.ldap.max_duration", fe.Field)

	got, err := policy.Apply(config.Default().Scans, []string{"scans.db.max_duration"},
		policy.Settings{"ldap": map[string]any{"max_duration": "30m"}, "db": map[string]any{"max_duration": "0s"}})
	require.NoError(t, err)
	require.Equal(t, 30*time.Minute, got.Scans.LDAP.MaxDuration)
	require.Equal(t, config.DefaultMaxDuration, got.Scans.DB.MaxDuration, "pinned")
	require.Equal(t, []string{"scans.db.max_duration"}, got.Conflicts)
}

// A directory that accepts the connection and never answers: the scan
// returns at max_duration, failed (nothing was read) with the reason, so
// the scheduler logs it and tries again at the next interval.
func TestLDAPScanOfASilentServerStopsAtMaxDuration(t *testing.T) {
	addr := hostiletest.Silent(t)
	s := config.Default().Scans
	s.LDAP.URL, s.LDAP.BaseDN, s.LDAP.MaxDuration = "ldap://"+addr, "dc=example,dc=com", 200*time.Millisecond
	e, _ := Lookup("ldap")
	j, err := e.Build(context.Background(), s, Env{AgentID: "agent-1", Getenv: func(string) string { return "" }})
	require.NoError(t, err)

	var out sink
	flushed := 0
	res, err := Deliver(context.Background(), j, out.emit, func(context.Context) error { flushed++; return nil }, slog.Default())
	require.EqualError(t, err, "ldap scan failed: scan stopped at max_duration 200ms")
	require.Equal(t, 1, flushed)
	require.Equal(t, []string{wire.KindScan}, out.kinds())
	require.Equal(t, wire.StatusFailed, res.Status)
	require.Equal(t, []string{"scan stopped at max_duration 200ms"}, res.Errors)
	require.Equal(t, "127.0.0.1", res.Host, "the directory's record, as a scan that ran")
	require.NoError(t, res.Validate())
}

// A bucket whose second object drips forever: the first object's findings
// are emitted and kept, the scan returns at max_duration as partial with
// the reason, and no incremental state is saved (the next scan reads it
// all again). Without max_duration this object alone would hold the scan
// for its two-minute object timeout.
func TestGCSScanOfADrippingServerStopsAtMaxDuration(t *testing.T) {
	endpoint, _ := gcstest.Server(t, map[string]gcstest.Settings{"b": {Location: "EU"}}, []gcstest.Object{
		{Bucket: "b", Name: "a.txt", Content: []byte("contact jane.doe@example.com\n")},
		{Bucket: "b", Name: "slow.txt", Content: []byte("never read\n")},
	})
	upstream, err := url.Parse(endpoint)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: upstream.Scheme, Host: upstream.Host})
	var dripping atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/o/slow.txt") && r.URL.Query().Get("alt") == "media" {
			dripping.Add(1)
			hostiletest.Drip(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	data := t.TempDir()
	s := config.Default().Scans
	// Reading up to the dripping object takes under 150 ms under -race
	// here: the margin is for a loaded machine.
	s.GCS.Project, s.GCS.Endpoint, s.GCS.MaxDuration = "proj-1", srv.URL+upstream.Path, 2*time.Second
	env := Env{AgentID: "agent-1", TokenKey: []byte("0123456789abcdef"), Getenv: func(string) string { return "" },
		StatePath: func(n string) string { return scanstate.Path(data, n) }}
	e, _ := Lookup("gcs")
	j, err := e.Build(context.Background(), s, env)
	require.NoError(t, err)

	var out sink
	flushed := 0
	res, err := Deliver(context.Background(), j, out.emit, func(context.Context) error { flushed++; return nil }, slog.Default())
	require.NoError(t, err, "a partial scan is no failure: the scheduler carries on")
	require.Equal(t, int64(1), dripping.Load(), "the scan reached the dripping object (else raise max_duration: this machine is slow)")
	require.Equal(t, 1, flushed)
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Equal(t, []string{"scan stopped at max_duration 2s"}, res.Errors)
	require.Equal(t, "proj-1", res.Host)
	require.NoError(t, res.Validate())
	var pii []*wire.Record
	for _, r := range out.recs {
		require.Equal(t, res.ScanID, r.ScanID)
		if r.Kind == wire.KindPII {
			pii = append(pii, r)
			require.Equal(t, "gs://b/a.txt", r.Location)
		}
	}
	require.NotEmpty(t, pii, "the first object's findings are kept")
	require.Same(t, res, out.recs[len(out.recs)-1])
	require.NoFileExists(t, filepath.Join(data, "gcs-state.json"), "a scan cut short keeps no state")
}

// TestLeftBehindScanner: a scanner blocked in a call no context
// interrupts (a read on a hung NFS home directory; here a channel) held
// its job for ever, and the agent's next runs of that scanner with it. It
// is left behind leaveAfter past max_duration: the scan record is written
// for it, what it emits later is refused, and no new scan of that scanner
// starts until it returns.
func TestLeftBehindScanner(t *testing.T) {
	release := make(chan struct{})
	var lateEmit atomic.Value
	hung := func(ctx context.Context, emit Emit) (*wire.Record, error) {
		run := scanrun.Begin(scanrun.Options{Scanner: "host", Source: wire.SourceHost, Host: "h1", AgentID: "agent-1"})
		r := run.Record(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType = "pa", "user", "user"
		if err := emit(&r); err != nil {
			return nil, err
		}
		<-release // deaf to ctx, as a read in the kernel is
		r2 := run.Record(wire.KindPrincipal)
		r2.PrincipalID, r2.Name, r2.PrincipalType = "pb", "user", "user"
		err := emit(&r2)
		lateEmit.Store(err)
		return nil, err
	}
	var stuck atomic.Int32
	j := Job{Name: "host", Host: "h1", agentID: "agent-1", MaxDuration: 20 * time.Millisecond, leave: 20 * time.Millisecond,
		Scan: hung, Stuck: &stuck, Commit: func() error { t.Error("a scan left behind keeps no state"); return nil }}
	var out sink
	log := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	done := make(chan struct{})
	var res *wire.Record
	var err error
	go func() {
		defer close(done)
		res, err = Deliver(context.Background(), j, out.emit, func(context.Context) error { return nil }, log)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the job waited for a scanner that never returns")
	}
	require.NoError(t, err, "one record was shipped: partial, not failed")
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Contains(t, res.Errors[len(res.Errors)-1], "did not return within 20ms after it")
	require.Equal(t, []string{wire.KindPrincipal, wire.KindScan}, out.kinds())
	require.Equal(t, int32(1), stuck.Load())

	_, err = Deliver(context.Background(), j, out.emit, func(context.Context) error { return nil }, log)
	require.ErrorContains(t, err, "an earlier one was left behind at max_duration and has not returned yet")

	close(release)
	require.Eventually(t, func() bool { return stuck.Load() == 0 }, 30*time.Second, 5*time.Millisecond, "it counts itself out once it returns")
	require.ErrorIs(t, lateEmit.Load().(error), errLeftBehind, "what it emits after it was left behind is refused")
	require.Equal(t, []string{wire.KindPrincipal, wire.KindScan}, out.kinds(), "nothing more reached the spool")
}
