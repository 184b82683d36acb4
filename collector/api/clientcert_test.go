package api_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/internal/testpki"
)

// TestAgentTokenBoundToClientCert: over mutual TLS an agent is bound to
// the client certificate it enrolled with. Before, any certificate of the
// client CA admitted the connection and the token alone said who spoke,
// so a token copied off web-1 (a backup, a log) worked from web-9 with
// web-9's own certificate. A renewed certificate (same subject and
// issuer, new key) still works; an agent enrolled without one is unbound.
func TestAgentTokenBoundToClientCert(t *testing.T) {
	srv, st, authn := newAPI(t, 1<<20)
	ctx := context.Background()

	ca, err := testpki.NewCA("sightline test CA")
	require.NoError(t, err)
	leaf := func(l testpki.Leaf, err error) tls.Certificate {
		t.Helper()
		require.NoError(t, err)
		c, err := l.TLS()
		require.NoError(t, err)
		return c
	}
	server := leaf(ca.Server())
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{server}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: ca.Pool(),
		MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	t.Cleanup(ts.Close)

	clients := map[string]*http.Client{}
	for _, name := range []string{"web-1", "web-1 renewed", "web-9", "none"} {
		cfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
		if name != "none" {
			cfg.Certificates = []tls.Certificate{leaf(ca.Client(strings.TrimSuffix(name, " renewed")))}
		}
		clients[name] = &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	do := func(client, method, path, token, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := clients[client].Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	enroll := func(client, host string) fleet.Enrollment {
		t.Helper()
		secret, _, err := authn.Create(ctx, auth.RoleAgentEnroll, "e-"+host, "", 0)
		require.NoError(t, err)
		code, body := do(client, "POST", "/api/v1/agents/enroll", "", `{"enroll_secret":"`+secret+`","hostname":"`+host+`"}`)
		require.Equal(t, http.StatusCreated, code, body)
		var en fleet.Enrollment
		require.NoError(t, json.Unmarshal([]byte(body), &en))
		return en
	}
	web1 := enroll("web-1", "web-1")
	batch := `{"kind":"scan","source":"fs","scan_id":"s1","observed_at":"2026-11-01T10:00:00Z","scanner":"fs","started_at":"2026-11-01T10:00:00Z","finished_at":"2026-11-01T10:00:00Z","status":"ok"}` + "\n"

	for _, tc := range []struct {
		client string
		want   int
	}{
		{"web-1", http.StatusOK},
		{"web-1 renewed", http.StatusOK},
		{"web-9", http.StatusForbidden},
		{"none", http.StatusForbidden},
	} {
		code, body := do(tc.client, "GET", "/api/v1/agent/policy", web1.Token, "")
		require.Equal(t, tc.want, code, "%s: policy: %s", tc.client, body)
		code, body = do(tc.client, "POST", "/api/v1/ingest", web1.Token, batch)
		require.Equal(t, tc.want, code, "%s: ingest: %s", tc.client, body)
		if tc.want == http.StatusForbidden {
			require.Contains(t, body, "bound to the client certificate it enrolled with", tc.client)
			require.NotContains(t, body, "web-1", "the answer does not say which certificate: the caller may hold a stolen token")
		}
	}

	// The fleet view names the certificate; the refusals are audited.
	admin, _, err := authn.Create(ctx, auth.RoleAdmin, "admin", "", 0)
	require.NoError(t, err)
	code, body := do("web-1", "GET", "/api/v1/agents/"+web1.AgentID, admin, "")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"client_cert":"CN=web-1 issued by CN=sightline test CA"`)
	entries, _, err := st.Audit(ctx, 100, 0)
	require.NoError(t, err)
	refused := 0
	for _, e := range entries {
		if e.Status == http.StatusForbidden && strings.Contains(e.Result, "another client certificate") {
			refused++
			require.Equal(t, "agent_id="+web1.AgentID, e.Params)
		}
	}
	require.Equal(t, 4, refused, "web-9's and no certificate's, each on policy and ingest")

	// Enrolled without a certificate (TLS ended at a proxy): unbound.
	other := enroll("none", "web-2")
	for _, client := range []string{"none", "web-9"} {
		code, body := do(client, "GET", "/api/v1/agent/policy", other.Token, "")
		require.Equal(t, http.StatusOK, code, "%s: %s", client, body)
	}
}
