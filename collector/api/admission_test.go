package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/admission"
	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

// newAdmissionHarness is newHarness with the given admission options and a
// registry the test can read.
func newAdmissionHarness(t *testing.T, ao admission.Options) (*harness, *prometheus.Registry) {
	st := storetest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn})
	var srv *api.Server
	ing := ingest.New(ingest.Options{Store: st, BatchRows: 1000, BatchInterval: 20 * time.Millisecond, Logger: log,
		OnFlush: func(rows int, d time.Duration, err error) { srv.ObserveFlush(rows, d, err) }})
	done := make(chan struct{})
	go func() { defer close(done); ing.Run(ctx) }()
	reg := prometheus.NewRegistry()
	srv = api.New(api.Options{Store: st, Auth: authn, Fleet: fl, Ingester: ing, Registry: reg,
		MaxBodyBytes: 16 << 20, MaxDecodedBytes: 128 << 20, Logger: log, Admission: ao})
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); cancel(); <-done })
	h := &harness{t: t, st: st, srv: ts}
	var err error
	h.admin, _, err = authn.Create(ctx, auth.RoleAdmin, "test", "", 0)
	require.NoError(t, err)
	secret, _, err := authn.Create(ctx, auth.RoleAgentEnroll, "test", "", 0)
	require.NoError(t, err)
	code, body := h.do("POST", "/api/v1/agents/enroll", "", nil, strings.NewReader(`{"enroll_secret":"`+secret+`","hostname":"web-1"}`))
	require.Equal(t, http.StatusCreated, code, body)
	var en fleet.Enrollment
	require.NoError(t, json.Unmarshal([]byte(body), &en))
	h.agent = en.Token
	return h, reg
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestIngestRefusesGzipBomb(t *testing.T) {
	h, reg := newAdmissionHarness(t, admission.Options{})
	bomb := strings.Repeat(line(1, "s1")+"\n", 200000) // ~40 MB of records, gzips ~300x
	code, body := h.ingest("bomb", bomb)
	require.Equal(t, http.StatusRequestEntityTooLarge, code, body)
	e := decodeErr(t, body)
	require.Equal(t, "too_large", e.Error.Code)
	require.Contains(t, e.Error.Message, "expands more than 100x")
	require.Zero(t, gauge(t, reg, "sightline_ingest_memory_bytes"), "the refused batch gave its budget back")
	require.Zero(t, gauge(t, reg, "sightline_ingest_inflight"))

	// A normal batch still goes through; the budget is back to zero once it
	// is stored.
	code, body = h.ingest("ok", line(2, "s1")+"\n"+scanLine("s1")+"\n")
	require.Equal(t, http.StatusOK, code, body)
	require.Zero(t, gauge(t, reg, "sightline_ingest_memory_bytes"))
}

func TestIngestBatchBeyondBudget(t *testing.T) {
	// A 1 MiB budget holds its decoder overhead and ~500 records: a batch
	// of 2000 can never fit, so 413 rather than 503.
	h, reg := newAdmissionHarness(t, admission.Options{MemoryBudgetBytes: 1 << 20, MaxRatio: -1})
	var b strings.Builder
	for i := 0; i < 2000; i++ {
		b.WriteString(line(i, "s1") + "\n")
	}
	code, body := h.ingest("big", b.String())
	require.Equal(t, http.StatusRequestEntityTooLarge, code, body)
	require.Contains(t, decodeErr(t, body).Error.Message, "memory budget")
	require.Zero(t, gauge(t, reg, "sightline_ingest_memory_bytes"))
	code, body = h.ingest("small", line(1, "s1")+"\n")
	require.Equal(t, http.StatusOK, code, body)
}

func TestIngestInflightCapAnswers503(t *testing.T) {
	h, reg := newAdmissionHarness(t, admission.Options{MaxInflight: 1})
	// The first batch is admitted and then stalls mid-body.
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() {
		code, _ := h.do("POST", "/api/v1/ingest", h.agent, map[string]string{"Content-Type": "application/x-ndjson"}, pr)
		first <- code
	}()
	_, err := pw.Write([]byte(line(1, "s1") + "\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return gauge(t, reg, "sightline_ingest_inflight") == 1 }, 10*time.Second, 5*time.Millisecond)

	req, err := http.NewRequest("POST", h.srv.URL+"/api/v1/ingest", strings.NewReader(line(2, "s1")+"\n"))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+h.agent)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, string(b))
	require.Equal(t, "5", resp.Header.Get("Retry-After"))
	require.Equal(t, "busy", decodeErr(t, string(b)).Error.Code)

	require.NoError(t, pw.Close())
	require.Equal(t, http.StatusOK, <-first)
	require.Zero(t, gauge(t, reg, "sightline_ingest_inflight"))
}

func TestIngestAgentRateAnswers429(t *testing.T) {
	h, _ := newAdmissionHarness(t, admission.Options{AgentRate: 1, AgentBurst: 2})
	code, body := h.ingest("b1", line(1, "s1")+"\n"+line(2, "s1")+"\n"+line(3, "s1")+"\n")
	require.Equal(t, http.StatusOK, code, body, "a batch beyond the burst goes through once")
	req, err := http.NewRequest("POST", h.srv.URL+"/api/v1/ingest", strings.NewReader(line(4, "s1")+"\n"))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+h.agent)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, string(b))
	require.Equal(t, "too_many_requests", decodeErr(t, string(b)).Error.Code)
	ra := resp.Header.Get("Retry-After")
	require.Contains(t, []string{"1", "2"}, ra, "the debt of two records at one per second")
}
