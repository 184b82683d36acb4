package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

type harness struct {
	t     *testing.T
	st    *store.Store
	srv   *httptest.Server
	admin string
	agent string // agent token
}

// newAPI is the API over a fresh database with its ingester running
// until the test ends (after the caller's server is closed: register
// that cleanup after this one).
func newAPI(t *testing.T, maxBody int64) (*api.Server, *store.Store, *auth.Authenticator) {
	st := storetest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn})
	ing := ingest.New(ingest.Options{Store: st, BatchRows: 1000, BatchInterval: 20 * time.Millisecond, Logger: log})
	done := make(chan struct{})
	go func() { defer close(done); ing.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return api.New(api.Options{Store: st, Auth: authn, Fleet: fl, Ingester: ing,
		MaxBodyBytes: maxBody, MaxDecodedBytes: 4 * maxBody, Logger: log}), st, authn
}

func newHarness(t *testing.T, maxBody int64) *harness {
	srv, st, authn := newAPI(t, maxBody)
	ctx := context.Background()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

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
	require.Len(t, en.TokenKey, 64)
	h.agent = en.Token
	return h
}

func (h *harness) do(method, path, token string, hdr map[string]string, body io.Reader) (int, string) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, body)
	require.NoError(h.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func line(i int, scan string) string {
	return fmt.Sprintf(`{"kind":"pii","source":"fs","scan_id":%q,"observed_at":"2026-11-01T10:00:00Z","asset_id":"a%d","location":"file:///f%d.csv","type":"email","category":"contact","count":2,"distinct":1}`, scan, i, i)
}

func scanLine(scan string) string {
	return fmt.Sprintf(`{"kind":"scan","source":"fs","scan_id":%q,"observed_at":"2026-11-01T10:00:00Z","scanner":"fs","started_at":"2026-11-01T10:00:00Z","finished_at":"2026-11-01T10:01:00Z","status":"ok"}`, scan)
}

func gz(s string) io.Reader {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return &b
}

func (h *harness) ingest(key, body string) (int, string) {
	return h.do("POST", "/api/v1/ingest", h.agent, map[string]string{
		"Idempotency-Key": key, "Content-Encoding": "gzip", "Content-Type": "application/x-ndjson",
	}, gz(body))
}

func (h *harness) total() int {
	code, body := h.do("GET", "/api/v1/findings?limit=1000", h.admin, nil, nil)
	require.Equal(h.t, http.StatusOK, code, body)
	var page struct {
		Total int `json:"total"`
	}
	require.NoError(h.t, json.Unmarshal([]byte(body), &page), body)
	return page.Total
}

type apiErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func decodeErr(t *testing.T, body string) apiErr {
	var e apiErr
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	return e
}

func TestIngestBadInput(t *testing.T) {
	h := newHarness(t, 64<<10)
	good := line(1, "s1") + "\n" + line(2, "s1") + "\n" + scanLine("s1") + "\n"
	code, body := h.ingest("good-1", good)
	require.Equal(t, http.StatusOK, code, body)

	big := strings.Repeat(line(9, "s2")+"\n", 2000) // ~400 KB before gzip; compresses well, so send it raw
	tests := []struct {
		name     string
		token    string
		hdr      map[string]string
		body     io.Reader
		status   int
		code     string
		contains string
	}{
		{"malformed json", h.agent, map[string]string{"Content-Encoding": "gzip"}, gz(line(3, "s2") + "\n{\"kind\":\n"), 400, "invalid_record", "line 2"},
		{"unknown kind", h.agent, map[string]string{"Content-Encoding": "gzip"}, gz(line(3, "s2") + "\n" + line(4, "s2") + "\n" + `{"kind":"cat","source":"fs","scan_id":"s","observed_at":"2026-11-01T10:00:00Z"}` + "\n"), 400, "invalid_record", `line 3: field "kind"`},
		{"missing field", h.agent, nil, strings.NewReader(strings.Replace(line(3, "s2"), `"type":"email",`, "", 1)), 400, "invalid_record", `field "type"`},
		{"bad gzip", h.agent, map[string]string{"Content-Encoding": "gzip"}, strings.NewReader("not gzip"), 400, "bad_request", "gzip"},
		{"oversized body", h.agent, nil, strings.NewReader(big), 413, "too_large", "larger than"},
		{"empty batch", h.agent, nil, strings.NewReader("\n\n"), 400, "bad_request", "empty batch"},
		{"wrong content type", h.agent, map[string]string{"Content-Type": "text/csv"}, strings.NewReader(line(3, "s2")), 415, "unsupported_media_type", "x-ndjson"},
		{"missing token", "", nil, strings.NewReader(line(3, "s2")), 401, "unauthorized", "missing bearer token"},
		{"invalid token", "slt_agent_nope", nil, strings.NewReader(line(3, "s2")), 401, "unauthorized", "invalid token"},
		{"admin token cannot ingest", h.admin, nil, strings.NewReader(line(3, "s2")), 403, "forbidden", "an agent's token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.do("POST", "/api/v1/ingest", tc.token, tc.hdr, tc.body)
			require.Equal(t, tc.status, code, body)
			e := decodeErr(t, body)
			require.Equal(t, tc.code, e.Error.Code)
			require.Contains(t, e.Error.Message, tc.contains)
		})
	}
	// None of the rejected batches stored anything; the good one is intact.
	require.Equal(t, 2, h.total())

	// Reads need a reader token.
	code, _ = h.do("GET", "/api/v1/findings", h.agent, nil, nil)
	require.Equal(t, http.StatusForbidden, code)
	code, _ = h.do("GET", "/api/v1/findings", "", nil, nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, body = h.do("GET", "/api/v1/findings?limit=abc", h.admin, nil, nil)
	require.Equal(t, http.StatusBadRequest, code, body)
}

func TestIngestIdempotencyKey(t *testing.T) {
	h := newHarness(t, 1<<20)
	batch := line(1, "s1") + "\n" + scanLine("s1") + "\n"
	code, body := h.ingest("batch-1", batch)
	require.Equal(t, http.StatusOK, code, body)
	require.JSONEq(t, `{"accepted":2}`, body)
	code, body = h.ingest("batch-1", batch)
	require.Equal(t, http.StatusOK, code, body)
	require.JSONEq(t, `{"accepted":0,"duplicate":true}`, body)

	var rows uint64
	require.NoError(t, h.st.Conn().QueryRow(context.Background(),
		"SELECT count() FROM "+h.st.Database()+".pii_findings").Scan(&rows))
	require.EqualValues(t, 1, rows, "a repeated key must not be written again")
}

func TestEnrollDenied(t *testing.T) {
	h := newHarness(t, 1<<20)
	for _, secret := range []string{"wrong", h.admin} {
		code, body := h.do("POST", "/api/v1/agents/enroll", "", nil, strings.NewReader(`{"enroll_secret":"`+secret+`"}`))
		require.Equal(t, http.StatusUnauthorized, code, body)
		require.Contains(t, decodeErr(t, body).Error.Message, "token create --role agent-enroll")
	}
	code, _ := h.do("POST", "/api/v1/agents/enroll", "", nil, strings.NewReader(`{"enroll_secret":"x","bogus":1}`))
	require.Equal(t, http.StatusBadRequest, code)
}

func TestHealthAndMetrics(t *testing.T) {
	h := newHarness(t, 1<<20)
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/openapi.json"} {
		code, _ := h.do("GET", p, "", nil, nil)
		require.Equal(t, http.StatusOK, code, p)
	}
	code, body := h.ingest("m-1", line(1, "s1")+"\n")
	require.Equal(t, http.StatusOK, code, body)
	code, body = h.do("GET", "/metrics", "", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `sightline_ingest_records_total{kind="pii"} 1`)
	require.Contains(t, body, `sightline_ingest_batches_total{result="stored"} 1`)
	code, body = h.do("GET", "/nope", "", nil, nil)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "not_found", decodeErr(t, body).Error.Code)
}
