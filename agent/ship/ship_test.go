package ship

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/spool"
)

// collector is a test server that answers from a script of statuses and
// records what it received.
type collector struct {
	mu      sync.Mutex
	script  []func(w http.ResponseWriter)
	bodies  []string
	keys    []string
	headers []http.Header
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		http.Error(w, "not gzip", 400)
		return
	}
	b, _ := io.ReadAll(zr)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bodies = append(c.bodies, string(b))
	c.keys = append(c.keys, r.Header.Get("Idempotency-Key"))
	c.headers = append(c.headers, r.Header.Clone())
	if len(c.script) == 0 {
		w.WriteHeader(200)
		return
	}
	next := c.script[0]
	c.script = c.script[1:]
	next(w)
}

func status(code int, hdr ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		if code == 400 {
			_, _ = w.Write([]byte(`{"error":{"code":"invalid_record","message":"line 1: field \"kind\": is required"}}`))
		}
	}
}

type rig struct {
	sp     *spool.Spool
	col    *collector
	sh     *Shipper
	sleeps []time.Duration
	mu     sync.Mutex
}

func newRig(t *testing.T, script ...func(http.ResponseWriter)) *rig {
	r := &rig{col: &collector{script: script}}
	srv := httptest.NewServer(r.col)
	t.Cleanup(srv.Close)
	sp, err := spool.Open(context.Background(), spool.Options{Dir: t.TempDir(), SegmentRecords: 2, FlushInterval: time.Hour})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close() })
	r.sp = sp
	r.sh = New(Options{URL: srv.URL, Token: "tok", MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second,
		Rand: func() float64 { return 1 },
		Sleep: func(ctx context.Context, d time.Duration) error {
			r.mu.Lock()
			r.sleeps = append(r.sleeps, d)
			r.mu.Unlock()
			return nil
		}})
	return r
}

func (r *rig) add(t *testing.T, lines ...string) {
	for _, l := range lines {
		require.NoError(t, r.sp.Append(context.Background(), []byte(l)))
	}
	require.NoError(t, r.sp.Flush(context.Background()))
}

// run ships until the spool is empty.
func (r *rig) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.sh.Run(ctx, r.sp) }()
	require.Eventually(t, func() bool { return r.sp.Stats().Ready == 0 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

func TestDeliversInOrderWithHeaders(t *testing.T) {
	r := newRig(t)
	r.add(t, `{"a":1}`, `{"a":2}`, `{"a":3}`)
	first, _ := r.sp.Next(context.Background())
	r.run(t)
	require.Equal(t, []string{"{\"a\":1}\n{\"a\":2}\n", "{\"a\":3}\n"}, r.col.bodies)
	require.Equal(t, first.ID, r.col.keys[0])
	h := r.col.headers[0]
	require.Equal(t, "Bearer tok", h.Get("Authorization"))
	require.Equal(t, "application/x-ndjson", h.Get("Content-Type"))
	require.Equal(t, "gzip", h.Get("Content-Encoding"))
	require.Equal(t, Stats{Batches: 2, Records: 3}, r.sh.Stats())
}

func TestRetryAfterAndBackoff(t *testing.T) {
	r := newRig(t, status(503, "Retry-After", "2"), status(500), status(500), status(429), status(401))
	r.add(t, `{"a":1}`)
	r.run(t)
	// Same batch, same key, every time; acknowledged only after the 200.
	require.Len(t, r.col.keys, 6)
	for _, k := range r.col.keys {
		require.Equal(t, r.col.keys[0], k)
	}
	// Retry-After 2s wins over the 100ms backoff; then the cap doubles up to 1s.
	require.Equal(t, []time.Duration{2 * time.Second, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second}, r.sleeps)
	require.EqualValues(t, 5, r.sh.Stats().Retries)
}

func TestRejectedBatchIsSetAsideAndQueueMoves(t *testing.T) {
	r := newRig(t, status(400))
	r.add(t, `{"bad":1}`, `{"bad":2}`, `{"good":3}`)
	r.run(t)
	require.Len(t, r.col.bodies, 2)
	require.EqualValues(t, 1, r.sh.Stats().Rejected)
	require.Empty(t, r.sleeps, "a rejected batch is not retried")
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	sp, err := spool.Open(context.Background(), spool.Options{Dir: t.TempDir(), FlushInterval: time.Hour})
	require.NoError(t, err)
	defer sp.Close()
	require.NoError(t, sp.Append(context.Background(), []byte(`{}`)))
	require.NoError(t, sp.Flush(context.Background()))
	sh := New(Options{URL: "http://127.0.0.1:1/api/v1/ingest"})
	seg, err := sp.Next(context.Background())
	require.NoError(t, err)
	res, err := sh.Send(context.Background(), seg)
	require.Error(t, err)
	require.Equal(t, Retry, res.Outcome)
	require.Equal(t, 1, sp.Stats().Ready, "nothing is deleted without a 2xx")
}

func TestBackoff(t *testing.T) {
	lo, hi := 500*time.Millisecond, time.Minute
	require.Equal(t, lo, Backoff(1, lo, hi, 0))
	require.Equal(t, lo, Backoff(1, lo, hi, 1))
	require.Equal(t, 4*time.Second, Backoff(4, lo, hi, 1))
	require.Equal(t, hi, Backoff(40, lo, hi, 1), "capped")
	require.Equal(t, hi, Backoff(100, lo, hi, 1), "no overflow")
	require.Less(t, Backoff(10, lo, hi, 0.5), hi)
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	require.Equal(t, 7*time.Second, retryAfter("7", now))
	require.Equal(t, 30*time.Second, retryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now))
	require.Zero(t, retryAfter("soon", now))
	require.Zero(t, retryAfter("", now))
}
