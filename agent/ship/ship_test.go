package ship

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/spool"
	"github.com/sightline-dev/sightline/agent/transport"
	"github.com/sightline-dev/sightline/agent/transport/transporttest"
	"github.com/sightline-dev/sightline/internal/syncbuf"
	"github.com/sightline-dev/sightline/internal/testpki"
)

// canary is in every record the tests ship; it must never reach a log.
const canary = "CANARY-j***@e***.com"

// request is what the test collector received.
type request struct {
	method, path string
	header       http.Header
	body         string // gunzipped
	gzipErr      error
}

// collector is a test ingest endpoint that answers from a script and
// records what it received, and in what order relative to the shipper's
// Ack and Reject calls.
type collector struct {
	mu       sync.Mutex
	script   []reply
	requests []request
	events   *events
}

type reply struct {
	status int
	header map[string]string
	body   string
	gate   chan struct{} // when set, the answer waits for it
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := request{method: r.Method, path: r.URL.Path, header: r.Header.Clone()}
	zr, err := gzip.NewReader(r.Body)
	if err == nil {
		var b []byte
		b, err = io.ReadAll(zr)
		req.body = string(b)
	}
	req.gzipErr = err

	c.mu.Lock()
	c.requests = append(c.requests, req)
	rp := reply{status: http.StatusOK}
	if len(c.script) > 0 {
		rp, c.script = c.script[0], c.script[1:]
	}
	c.mu.Unlock()

	if rp.gate != nil {
		<-rp.gate
	}
	c.events.add(fmt.Sprintf("%d %s", rp.status, r.Header.Get("Idempotency-Key")))
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rp.status)
	_, _ = io.WriteString(w, rp.body)
}

func (c *collector) got() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slicesClone(c.requests)
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

type events struct {
	mu sync.Mutex
	l  []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.l = append(e.l, s)
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slicesClone(e.l)
}

// source is the real spool, with Ack and Reject recorded and a signal once
// nothing is left to ship.
type source struct {
	*spool.Spool
	events  *events
	drained chan struct{}
	once    sync.Once
}

func (s *source) Ack(seg *spool.Segment) error {
	s.events.add("ack " + seg.ID)
	defer s.check()
	return s.Spool.Ack(seg)
}

func (s *source) Reject(seg *spool.Segment, reason string) error {
	s.events.add("reject " + seg.ID)
	defer s.check()
	return s.Spool.Reject(seg, reason)
}

func (s *source) check() {
	if st := s.Stats(); st.Ready == 0 && st.OpenRecords == 0 {
		s.once.Do(func() { close(s.drained) })
	}
}

type rig struct {
	dir    string
	src    *source
	col    *collector
	srv    *httptest.Server
	sh     *Shipper
	events *events
	logs   *syncbuf.Buffer

	mu     sync.Mutex
	sleeps []time.Duration
}

// newRig wires a spool (2 records a segment), a test collector answering
// from script (then 200), and a shipper whose waits are recorded instead
// of slept: lo 100ms, hi 1s, and the top of every jitter range.
func newRig(t *testing.T, o Options, script ...reply) *rig {
	t.Helper()
	r := &rig{dir: t.TempDir(), events: &events{}, logs: &syncbuf.Buffer{}}
	r.col = &collector{script: script, events: r.events}
	r.srv = httptest.NewServer(r.col)
	t.Cleanup(r.srv.Close)
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sp, err := spool.Open(context.Background(), spool.Options{Dir: r.dir, SegmentRecords: 2, FlushInterval: time.Hour, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close() })
	r.src = &source{Spool: sp, events: r.events, drained: make(chan struct{})}

	if o.URL == "" {
		o.URL = r.srv.URL + "/api/v1/ingest"
	}
	o.Token = "agent-token"
	o.Logger = logger
	if o.MinBackoff == 0 {
		o.MinBackoff, o.MaxBackoff = 100*time.Millisecond, time.Second
	}
	if o.Rand == nil {
		o.Rand = func() float64 { return 1 }
	}
	o.Sleep = func(ctx context.Context, d time.Duration) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.sleeps = append(r.sleeps, d)
		return ctx.Err()
	}
	r.sh = New(o)
	t.Cleanup(func() {
		require.NotContains(t, r.logs.String(), "CANARY", "record contents must never be logged")
		require.NotContains(t, r.logs.String(), "agent-token", "the token must never be logged")
	})
	return r
}

// add spools lines (sealed two at a time, the rest by Flush) and returns
// the segments in shipping order.
func (r *rig) add(t *testing.T, n int) []*spool.Segment {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		require.NoError(t, r.src.Append(ctx, []byte(fmt.Sprintf(`{"n":%d,"sample":%q}`, i, canary))))
	}
	require.NoError(t, r.src.Flush(ctx))
	var segs []*spool.Segment
	entries, err := filepath.Glob(filepath.Join(r.dir, "*.ready"))
	require.NoError(t, err)
	for _, p := range entries {
		segs = append(segs, &spool.Segment{ID: strings.TrimSuffix(filepath.Base(p), ".ready"), Path: p})
	}
	return segs
}

// run ships until the spool is empty, then stops the shipper.
func (r *rig) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.sh.Run(ctx, r.src) }()
	select {
	case <-r.src.drained:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatalf("spool not drained; events: %v", r.events.list())
	}
	cancel()
	require.NoError(t, <-done)
}

func (r *rig) waits() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slicesClone(r.sleeps)
}

func line(i int) string { return fmt.Sprintf(`{"n":%d,"sample":%q}`, i, canary) + "\n" }

func requireWellFormed(t *testing.T, req request, seg *spool.Segment) {
	t.Helper()
	require.NoError(t, req.gzipErr, "the body is gzip")
	require.Equal(t, http.MethodPost, req.method)
	require.Equal(t, "/api/v1/ingest", req.path)
	require.Equal(t, "gzip", req.header.Get("Content-Encoding"))
	require.Equal(t, "application/x-ndjson", req.header.Get("Content-Type"))
	require.Equal(t, "Bearer agent-token", req.header.Get("Authorization"))
	require.Equal(t, seg.ID, req.header.Get("Idempotency-Key"))
	require.True(t, strings.HasPrefix(req.header.Get("User-Agent"), "sightline-agent"), req.header.Get("User-Agent"))
}

func TestSendOutcomes(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const apiErr = `{"error":{"code":"invalid_record","message":"line 2: field \"kind\" is required"}}`
	tests := []struct {
		reply      reply
		outcome    Outcome
		reason     string
		retryAfter time.Duration
	}{
		{reply{status: 200}, Delivered, "", 0},
		{reply{status: 201}, Delivered, "", 0},
		{reply{status: 204}, Delivered, "", 0},
		{reply{status: 400, body: apiErr}, Rejected, `400 Bad Request: invalid_record: line 2: field "kind" is required`, 0},
		{reply{status: 400, body: "<html>bad</html>"}, Rejected, "400 Bad Request", 0},
		{reply{status: 413, body: `{"error":{"code":"too_large","message":"batch over 8 MiB"}}`}, Rejected, "segment_bytes", 0},
		{reply{status: 422, body: apiErr}, Rejected, "invalid_record", 0},
		{reply{status: 401, body: `{"error":{"code":"unauthorized","message":"unknown agent token"}}`}, Retry, "unknown agent token", 0},
		{reply{status: 403}, Retry, "403 Forbidden", 0},
		{reply{status: 404}, Retry, "404 Not Found", 0},
		{reply{status: 408}, Retry, "408", 0},
		{reply{status: 429, header: map[string]string{"Retry-After": "7"}}, Retry, "429", 7 * time.Second},
		{reply{status: 500}, Retry, "500", 0},
		{reply{status: 502}, Retry, "502", 0},
		{reply{status: 503, header: map[string]string{"Retry-After": "2"}}, Retry, "503", 2 * time.Second},
		{reply{status: 503, header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}}, Retry, "503", 90 * time.Second},
		{reply{status: 503, header: map[string]string{"Retry-After": "soon"}}, Retry, "503", 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d %s", tc.reply.status, tc.reply.header["Retry-After"]), func(t *testing.T) {
			r := newRig(t, Options{Now: func() time.Time { return now }}, tc.reply)
			segs := r.add(t, 2)
			res, err := r.sh.Send(context.Background(), segs[0])
			require.NoError(t, err)
			require.Equal(t, tc.outcome, res.Outcome)
			require.Equal(t, tc.reply.status, res.Status)
			require.Contains(t, res.Reason, tc.reason)
			require.Equal(t, tc.retryAfter, res.RetryAfter)

			got := r.col.got()
			require.Len(t, got, 1)
			requireWellFormed(t, got[0], segs[0])
			require.Equal(t, line(0)+line(1), got[0].body)
			require.Equal(t, 1, r.src.Stats().Ready, "Send alone never deletes")
		})
	}
}

func TestRunDeliversInOrder(t *testing.T) {
	r := newRig(t, Options{})
	segs := r.add(t, 5)
	require.Len(t, segs, 3)
	r.run(t)

	got := r.col.got()
	require.Len(t, got, 3)
	for i, want := range []string{line(0) + line(1), line(2) + line(3), line(4)} {
		requireWellFormed(t, got[i], segs[i])
		require.Equal(t, want, got[i].body)
	}
	require.Equal(t, Stats{Batches: 3, Records: 5}, r.sh.Stats())
	require.Empty(t, r.waits())
	left, err := filepath.Glob(filepath.Join(r.dir, "*.ready"))
	require.NoError(t, err)
	require.Empty(t, left, "delivered batches are deleted")
}

func TestAckOnlyAfter2xx(t *testing.T) {
	gate := make(chan struct{})
	r := newRig(t, Options{}, reply{status: 500}, reply{status: 200, gate: gate})
	segs := r.add(t, 2)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.sh.Run(ctx, r.src) }()
	// The second attempt is inside the collector, which has not answered.
	require.Eventually(t, func() bool { return len(r.col.got()) == 2 }, 10*time.Second, time.Millisecond)
	require.Equal(t, []string{"500 " + segs[0].ID}, r.events.list(), "no Ack after a 500, nor before the answer")
	_, err := os.Stat(segs[0].Path)
	require.NoError(t, err, "the batch is still on disk")

	close(gate)
	<-r.src.drained
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, []string{"500 " + segs[0].ID, "200 " + segs[0].ID, "ack " + segs[0].ID}, r.events.list())
	_, err = os.Stat(segs[0].Path)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds beat the shorter backoff", "2", 2 * time.Second},
		{"HTTP date", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{"capped at 5×MaxBackoff", "3600", 50 * time.Second},
		{"shorter than the backoff: the backoff wins", "0", 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second, Now: func() time.Time { return now }},
				reply{status: 503, header: map[string]string{"Retry-After": tc.retryAfter}})
			r.add(t, 1)
			r.run(t)
			require.Equal(t, []time.Duration{tc.want}, r.waits())
			require.Len(t, r.col.got(), 2, "the same batch again after the wait")
		})
	}
}

func TestBackoffGrowsIsCappedAndResets(t *testing.T) {
	r := newRig(t, Options{},
		reply{status: 500}, reply{status: 502}, reply{status: 503}, reply{status: 429}, reply{status: 408}, reply{status: 500},
		reply{status: 200}, // first batch in: the backoff starts over
		reply{status: 500}, reply{status: 200})
	segs := r.add(t, 4)
	r.run(t)
	ms := time.Millisecond
	require.Equal(t, []time.Duration{200 * ms, 400 * ms, 800 * ms, time.Second, time.Second, time.Second, 200 * ms}, r.waits())
	got := r.col.got()
	require.Len(t, got, 9)
	for i, req := range got {
		want := segs[0].ID
		if i >= 7 {
			want = segs[1].ID
		}
		require.Equal(t, want, req.header.Get("Idempotency-Key"), "a retry resends the same batch with the same key")
	}
	require.Equal(t, Stats{Batches: 2, Records: 4, Retries: 7}, r.sh.Stats())
	require.Contains(t, r.logs.String(), "collector is taking batches again")
}

func TestBackoff(t *testing.T) {
	lo, hi := 500*time.Millisecond, time.Minute
	tests := []struct {
		attempt int
		u       float64
		want    time.Duration
	}{
		{1, 0, lo},
		{1, 0.5, 750 * time.Millisecond},
		{1, 1, time.Second},
		{4, 1, 8 * time.Second},
		{4, 0.5, 500*time.Millisecond + 3750*time.Millisecond},
		{7, 1, hi}, // 64s, capped
		{7, 0, lo}, // full jitter reaches down to lo at any attempt
		{1000, 1, hi},
		{1 << 30, 0.5, lo + (hi-lo)/2},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, Backoff(tc.attempt, lo, hi, tc.u), "attempt %d u %v", tc.attempt, tc.u)
	}
	require.Equal(t, time.Duration(1<<62), Backoff(100, 1<<61, 1<<62, 1), "no overflow near the top")
	require.Equal(t, 2*time.Second, Backoff(3, 0, 2*time.Second, 1), "lo 0 still grows")
}

func TestRejectSetsTheBatchAsideAndMovesOn(t *testing.T) {
	for _, status := range []int{400, 413, 422} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			r := newRig(t, Options{}, reply{status: status, body: `{"error":{"code":"invalid_record","message":"line 1: field \"kind\" is required"}}`})
			segs := r.add(t, 3)
			r.run(t)

			require.Len(t, r.col.got(), 2, "the rejected batch is not sent again")
			require.Empty(t, r.waits(), "and not waited on")
			require.Equal(t, Stats{Batches: 1, Records: 1, Rejected: 1}, r.sh.Stats())
			require.Equal(t, []string{
				fmt.Sprintf("%d %s", status, segs[0].ID), "reject " + segs[0].ID,
				"200 " + segs[1].ID, "ack " + segs[1].ID,
			}, r.events.list())

			reason, err := os.ReadFile(filepath.Join(r.dir, "rejected", segs[0].ID+".reason"))
			require.NoError(t, err)
			require.Contains(t, string(reason), `invalid_record: line 1: field "kind" is required`)
			body, err := os.ReadFile(filepath.Join(r.dir, "rejected", segs[0].ID+".ndjson"))
			require.NoError(t, err)
			require.Equal(t, line(0)+line(1), string(body))
		})
	}
}

func TestUnauthorizedKeepsTheBatchAndSaysReEnroll(t *testing.T) {
	r := newRig(t, Options{},
		reply{status: 401, body: `{"error":{"code":"unauthorized","message":"unknown agent token"}}`},
		reply{status: 401, body: `{"error":{"code":"unauthorized","message":"unknown agent token"}}`},
		reply{status: 403, body: `{"error":{"code":"forbidden","message":"batch refused: line 1: agent a1 speaks for host \"web-1\""}}`})
	segs := r.add(t, 1)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := r.sh.Send(ctx, segs[0])
	require.NoError(t, err)
	require.Equal(t, Retry, res.Outcome)
	require.Equal(t, 1, r.src.Stats().Ready, "kept")

	r.run(t)
	require.Equal(t, []string{"401 " + segs[0].ID, "401 " + segs[0].ID, "403 " + segs[0].ID, "200 " + segs[0].ID, "ack " + segs[0].ID}, r.events.list())
	require.Regexp(t, `level=ERROR msg=".*re-enroll the agent.*segment=`+segs[0].ID+`.*status=401`, r.logs.String())
	// A 403 is a batch this agent may not send: the collector's reason
	// says what to fix.
	require.Regexp(t, `level=ERROR msg="collector refused this agent's batch.*segment=`+segs[0].ID+`.*status=403.*speaks for host`, r.logs.String())
	require.Len(t, r.waits(), 2)
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	// An address where nothing listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := l.Addr().String()
	require.NoError(t, l.Close())

	var dials atomic.Int32
	var live string
	transport := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			addr := live
			if dials.Add(1) <= 2 { // the collector is down for two attempts
				addr = dead
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	r := newRig(t, Options{Client: &http.Client{Transport: transport, Timeout: 10 * time.Second}})
	live = r.srv.Listener.Addr().String()
	segs := r.add(t, 1)

	res, err := r.sh.Send(context.Background(), segs[0])
	require.ErrorContains(t, err, "connection refused")
	require.Equal(t, Retry, res.Outcome)
	require.Zero(t, res.Status)

	r.run(t)
	require.Equal(t, []time.Duration{200 * time.Millisecond}, r.waits(), "one refused attempt in Run, then through")
	require.Equal(t, []string{"200 " + segs[0].ID, "ack " + segs[0].ID}, r.events.list())
	require.Equal(t, Stats{Batches: 1, Records: 1, Retries: 1}, r.sh.Stats())
	require.Contains(t, r.logs.String(), "could not reach the collector")
}

func TestRunStopsWithContextAndClosedSpool(t *testing.T) {
	r := newRig(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.sh.Run(ctx, r.src) }()
	cancel() // waiting in Next for a batch
	require.NoError(t, <-done)

	require.NoError(t, r.src.Close())
	require.NoError(t, r.sh.Run(context.Background(), r.src), "a closed spool ends Run")
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"7", 7 * time.Second},
		{"0", 0},
		{"-3", 0},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
		{"99999999999999999", 365 * 24 * time.Hour},
		{"soon", 0},
		{"", 0},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, retryAfter(tc.in, now), tc.in)
	}
}

// A collector whose certificate is trusted but not from the pinned CA gets
// nothing, and the log says what to do rather than "could not reach".
func TestPinMismatchKeepsTheBatchAndSaysReEnroll(t *testing.T) {
	ca1, err := testpki.NewCA("pinned CA")
	require.NoError(t, err)
	ca2, err := testpki.NewCA("other trusted CA")
	require.NoError(t, err)
	leaf2, err := ca2.Server()
	require.NoError(t, err)
	srv := transporttest.Start(t, http.NotFoundHandler(), leaf2, nil)
	client, err := transport.New(transport.Options{URL: srv.URL, CAPEM: append(append([]byte{}, ca1.CertPEM...), ca2.CertPEM...),
		Pin: transport.Fingerprint(ca1.Cert)})
	require.NoError(t, err)
	r := newRig(t, Options{URL: srv.URL + "/api/v1/ingest", Client: client})
	segs := r.add(t, 1)

	ctx := context.Background()
	res, err := r.sh.Send(ctx, segs[0])
	require.ErrorIs(t, err, transport.ErrPinMismatch)
	require.Equal(t, Retry, res.Outcome)
	require.Equal(t, 1, r.src.Stats().Ready, "kept")
	r.sh.logRetry(ctx, segs[0], res, err)
	require.Regexp(t, `level=ERROR msg=".*pinned at enrollment.*re-enroll the agent`, r.logs.String())
}
