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

// TestRouteRoles walks the whole route table with a token of each role
// that is not an administrator's: a route answers it only if the role is
// named for it below, so a route added without a role check, or with a
// wider one than its data allows, fails here. The privacy office's data
// (data-subject requests, records of processing, PIAs, subject search)
// stays from security, review setup from privacy, and everything but
// their own campaigns from reviewers and agents.
func TestRouteRoles(t *testing.T) {
	ctx := context.Background()
	srv, ts, authn := routeWalkServer(t)

	const (
		sec, priv, rev, agent = auth.RoleSecurity, auth.RolePrivacy, auth.RoleReviewer, auth.RoleAgent
	)
	read := []string{sec, priv}
	// Routes (method and gin path) and the roles besides admin they admit;
	// public ones admit anyone (each checks its own credential).
	public := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
		"GET /api/v1/openapi.json": true, "POST /api/v1/agents/enroll": true}
	admits := map[string][]string{
		"POST /api/v1/ingest":                           {agent},
		"GET /api/v1/agent/policy":                      {agent},
		"POST /api/v1/agent/policy/status":              {agent},
		"GET /api/v1/reviews":                           {sec, rev},
		"GET /api/v1/reviews/:id":                       {sec, rev},
		"GET /api/v1/reviews/:id/items":                 {sec, rev},
		"POST /api/v1/reviews/:id/items/:item/decision": {rev},
		"POST /api/v1/subjects/search":                  {priv},
		"GET /api/v1/risk/assets":                       read,
	}
	byPrefix := []struct {
		prefix string
		roles  []string
	}{
		{"/api/v1/dsr/", []string{priv}},
		{"/api/v1/records", []string{priv}},
		{"/api/v1/pias", []string{priv}},
		{"/api/v1/alerts/", read},
		{"/api/v1/reviews", []string{sec}},
		{"/api/v1/risk/", []string{sec}},
		{"/api/v1/tokens", nil},
		{"/api/v1/audit", nil},
		{"/api/v1/detectors", nil},
		{"PUT /api/v1/agents/", nil},
		{"PUT /api/v1/authorities/", nil},
		{"/api/v1/policies", []string{sec}}, // writes: admin only, checked below by the handler's own group
		{"/api/v1/commands/", []string{sec}},
		{"/api/v1/", read},
	}
	adminOnlyWrites := map[string]bool{"POST /api/v1/policies": true, "PUT /api/v1/policies/:id": true, "DELETE /api/v1/policies/:id": true}

	tokens := map[string]string{}
	for _, role := range []string{sec, priv, rev} {
		tok, _, err := authn.Create(ctx, role, "t-"+role, "", 0)
		require.NoError(t, err)
		tokens[role] = tok
	}
	tok, _, err := authn.Create(ctx, agent, "t-agent", "agent-1", 0)
	require.NoError(t, err)
	tokens[agent] = tok

	fill := routeParams
	checked := 0
	for _, r := range srv.Routes() {
		key := r.Method + " " + r.Path
		if public[key] {
			continue
		}
		allowed, ok := admits[key]
		if !ok {
			for _, p := range byPrefix {
				m, path, hasMethod := strings.Cut(p.prefix, " ")
				if !hasMethod {
					m, path = "", p.prefix
				}
				if (m == "" || m == r.Method) && strings.HasPrefix(r.Path, path) {
					allowed = p.roles
					break
				}
			}
			if adminOnlyWrites[key] {
				allowed = nil
			}
		}
		for role, tok := range tokens {
			ok := false
			for _, a := range allowed {
				ok = ok || a == role
			}
			if ok {
				continue
			}
			req, err := http.NewRequest(r.Method, ts.URL+fill.Replace(r.Path), strings.NewReader("{}"))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s with a %s token", key, role)
			checked++
		}
	}
	require.Greater(t, checked, 150, "the walk covered the route table")
}

// routeWalkServer is a collector API over a fresh store, for the tests
// that walk its whole route table.
func routeWalkServer(t *testing.T) (*api.Server, *httptest.Server, *auth.Authenticator) {
	st := storetest.New(t)
	authn := auth.New(auth.Options{Store: st})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := api.New(api.Options{Store: st, Auth: authn, Fleet: fleet.New(fleet.Options{Store: st, Auth: authn}), Logger: log})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts, authn
}

// routeParams fills a route's path parameters with values of their shape.
var routeParams = strings.NewReplacer(":id", "0123456789abcdef", ":item", "0123456789abcdef", ":system", "fs:web-1",
	":kind", "asset", ":asset", "a1", ":type", "email", ":source", "ldap", "*scope", "x")
