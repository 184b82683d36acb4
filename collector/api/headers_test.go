package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

// TestEveryAnswerIsPrivate walks the whole route table, with an admin's
// token and with none, and an unknown path: every answer (data, CSV,
// error) tells browsers and proxies not to keep it, not to sniff it into
// something that runs, and not to let another site frame it. A finding
// list or a subject search left in a shared cache or a browser's disk
// cache is the data map leaking.
func TestEveryAnswerIsPrivate(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	authn := auth.New(auth.Options{Store: st})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := api.New(api.Options{Store: st, Auth: authn, Fleet: fleet.New(fleet.Options{Store: st, Auth: authn}), Logger: log})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	admin, _, err := authn.Create(ctx, auth.RoleAdmin, "adm", "", 0)
	require.NoError(t, err)

	fill := strings.NewReplacer(":id", "0123456789abcdef", ":item", "0123456789abcdef", ":system", "fs:web-1",
		":kind", "asset", ":asset", "a1", ":type", "email", ":source", "ldap", "*scope", "x")
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
		path := fill.Replace(r.Path)
		check(r.Method, path, admin)
		check(r.Method, path, "")
		n++
	}
	require.Greater(t, n, 80, "the walk covered the route table")
	check("GET", "/api/v1/no-such-route", admin)
	check("GET", "/api/v1/findings?format=csv", admin)
	check("GET", "/api/v1/records?format=csv", admin)
}
