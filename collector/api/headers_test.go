package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
)

// TestEveryAnswerIsPrivate walks the whole route table, with an admin's
// token and with none, and an unknown path: every answer (data, CSV,
// error) tells browsers and proxies not to keep it, not to sniff it into
// something that runs, and not to let another site frame it. A finding
// list or a subject search left in a shared cache or a browser's disk
// cache is the data map leaking.
func TestEveryAnswerIsPrivate(t *testing.T) {
	srv, ts, authn := routeWalkServer(t)
	admin, _, err := authn.Create(context.Background(), auth.RoleAdmin, "adm", "", 0)
	require.NoError(t, err)

	check := func(method, path, token string) {
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader("{}"))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		what := method + " " + path + " (" + resp.Status + ")"
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), what)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), what)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'", what)
	}
	n := 0
	for _, r := range srv.Routes() {
		path := routeParams.Replace(r.Path)
		check(r.Method, path, admin)
		check(r.Method, path, "")
		n++
	}
	require.Greater(t, n, 80, "the walk covered the route table")
	check("GET", "/api/v1/no-such-route", admin)
	check("GET", "/api/v1/findings?format=csv", admin)
	check("GET", "/api/v1/records?format=csv", admin)
}
