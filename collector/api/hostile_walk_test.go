package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
)

// TestHostileRequestsGetNo500: every route, as an administrator (who
// passes every role check, so the handler itself is reached), with
// hostile path parameters, every query parameter the route documents set
// to hostile values, and hostile bodies. A 5xx answer to a request is a
// bug: the caller is told nothing it can fix, and an unchecked value
// reached the store. Every failure is listed at once.
func TestHostileRequestsGetNo500(t *testing.T) {
	srv, _, authn := newAPI(t, 1<<20)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	admin, _, err := authn.Create(context.Background(), auth.RoleAdmin, "walker", "", 0)
	require.NoError(t, err)
	queries := documentedQueries(t)

	long := strings.Repeat("a", 9000)
	pathValues := []string{"%FF%FE", long, "..%2F..%2Fetc%2Fpasswd", "%00", "'%20OR%201=1--", "-1", "%E2%80%AE"}
	queryValues := []string{"-1", "99999999999999999999", "1e400", "%FF", "%00", long, "x'", "NaN"}
	bodies := []string{"", "null", "[]", `"x"`, `{"a":`, strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		`{"limit":1e400,"offset":-1,"agent_id":1,"name":{"a":1}}`, "\xff\xfe{}", `{"` + long + `":"` + long + `"}`}

	var fails []string
	codes := map[int]int{}
	do := func(method, path string, body string) {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		resp.Body.Close()
		codes[resp.StatusCode]++
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable {
			fails = append(fails, fmt.Sprintf("%s %s [%.60q]: %d %s", method, clipPath(path), body, resp.StatusCode, b))
		}
	}
	for _, r := range srv.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") || r.Path == "/api/v1/ingest" || r.Path == "/api/v1/agents/enroll" {
			continue // the agents' routes have their own hostile tests
		}
		hasParams := strings.ContainsAny(r.Path, ":*")
		for _, v := range pathValues {
			if hasParams {
				do(r.Method, fillParams(r.Path, v), "{}")
			}
		}
		base := routeParams.Replace(r.Path)
		for _, q := range queries[r.Method+" "+openAPIPath(r.Path)] {
			for _, v := range queryValues {
				do(r.Method, base+"?"+q+"="+v, "{}")
			}
			do(r.Method, base+"?"+q+"=1&"+q+"=2", "{}")
		}
		if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
			for _, b := range bodies {
				do(r.Method, base, b)
			}
		}
	}
	t.Logf("answers by status: %v", codes)
	require.Greater(t, codes[http.StatusOK]+codes[http.StatusCreated], 50, "the walk reached the handlers: %v", codes)
	require.Greater(t, codes[http.StatusBadRequest], 200, "the walk sent what the handlers refuse: %v", codes)
	require.Empty(t, fails, "requests answered 5xx:\n%s", strings.Join(fails, "\n"))
}

// fillParams sets every path parameter of a gin path to v.
func fillParams(p, v string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			parts[i] = v
		}
	}
	return strings.Join(parts, "/")
}

// openAPIPath is a gin path as the OpenAPI document writes it.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func clipPath(p string) string {
	if len(p) > 120 {
		return p[:120] + "…"
	}
	return p
}

// documentedQueries is, per "METHOD /path", the query parameters the
// OpenAPI document gives the route.
func documentedQueries(t *testing.T) map[string][]string {
	b, err := os.ReadFile("openapi.json")
	require.NoError(t, err)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"components"`
	}
	require.NoError(t, json.NewDecoder(bytes.NewReader(b)).Decode(&doc))
	out := map[string][]string{}
	for p, ops := range doc.Paths {
		for m, raw := range ops {
			var op struct {
				Parameters []struct {
					Ref  string `json:"$ref"`
					Name string `json:"name"`
					In   string `json:"in"`
				} `json:"parameters"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue
			}
			for _, prm := range op.Parameters {
				if prm.Ref != "" {
					c := doc.Components.Parameters[prm.Ref[strings.LastIndexByte(prm.Ref, '/')+1:]]
					prm.Name, prm.In = c.Name, c.In
				}
				if prm.In == "query" {
					k := strings.ToUpper(m) + " " + p
					out[k] = append(out[k], url.QueryEscape(prm.Name))
				}
			}
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}
