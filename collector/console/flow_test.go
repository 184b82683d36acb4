package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/session"
)

// client is a browser-like HTTP client: cookie jar, TLS to the test
// server, and the console's CSRF header from the jar.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, base: base, hc: &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: insecureTLS()}}}
}

func (c *client) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.base + "/")
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

func (c *client) do(method, path, body string, csrf bool) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	require.NoError(c.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if ck := c.cookie(session.CSRFCookieName); csrf && ck != nil {
		req.Header.Set(session.CSRFHeader, ck.Value)
	}
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The session and CSRF rules over plain HTTP, without a browser.
func TestTokenSessionFlow(t *testing.T) {
	col := startCollector(t)
	b := newClient(t, col.url)

	resp, body := b.do("POST", "/console/login", `{"token":"slt_admin_made_up"}`, false)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	require.Empty(t, resp.Cookies())

	resp, body = b.do("POST", "/console/login", `{"token":"`+col.admin+`"}`, false)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, `"role":"admin"`)
	for _, ck := range resp.Cookies() {
		require.True(t, ck.Secure, ck.Name)
		require.Equal(t, http.SameSiteStrictMode, ck.SameSite, ck.Name)
		require.Equal(t, ck.Name == session.CookieName, ck.HttpOnly, ck.Name)
	}
	first := b.cookie(session.CookieName)
	require.NotNil(t, first)

	resp, body = b.do("GET", "/api/v1/inventory/summary", "", false)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, body)
	require.Contains(t, body, session.CSRFHeader)
	resp, body = b.do("GET", "/api/v1/inventory/summary", "", true)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = b.do("POST", "/api/v1/tokens", `{"role":"reviewer","name":"via-console"}`, true)
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)

	// The console's calls are audited as the token.
	code, audit := col.call(t, "GET", "/api/v1/audit?limit=50", col.admin, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, auditors(t, audit), "test-admin admin")
	require.Contains(t, auditors(t, audit), "/api/v1/tokens")

	// Logging in again ends the previous session.
	resp, body = b.do("POST", "/console/login", `{"token":"`+col.admin+`"}`, false)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.NotEqual(t, first.Value, b.cookie(session.CookieName).Value)
	old := newClient(t, col.url)
	u, _ := url.Parse(col.url + "/")
	old.hc.Jar.SetCookies(u, []*http.Cookie{first})
	resp, _ = old.do("GET", "/api/v1/inventory/summary", "", false)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// Logout needs the CSRF header too, then the session is gone.
	resp, _ = b.do("POST", "/console/logout", "", false)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	current := b.cookie(session.CookieName)
	resp, _ = b.do("POST", "/console/logout", "", true)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Nil(t, b.cookie(session.CookieName), "logout clears the cookie")
	old.hc.Jar.SetCookies(u, []*http.Cookie{current})
	resp, _ = old.do("GET", "/api/v1/inventory/summary", "", false)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	_, body = b.do("GET", "/console/session", "", false)
	require.JSONEq(t, `{"logged_in":false,"sso":true}`, body)
}

// Two collectors behind one address: a browser logged in on one is served
// by the other (no sticky sessions), and a logout on either ends the
// session on both.
func TestSessionServedByAnyCollector(t *testing.T) {
	cols := startCollectors(t, 2)
	a := newClient(t, cols[0].url)
	resp, body := a.do("POST", "/console/login", `{"token":"`+cols[0].admin+`"}`, false)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	// The same cookies, sent to the other collector.
	b := newClient(t, cols[1].url)
	ua, _ := url.Parse(cols[0].url + "/")
	ub, _ := url.Parse(cols[1].url + "/")
	b.hc.Jar.SetCookies(ub, a.hc.Jar.Cookies(ua))
	resp, body = b.do("GET", "/api/v1/inventory/summary", "", true)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	_, body = b.do("GET", "/console/session", "", false)
	require.Contains(t, body, `"logged_in":true`)

	resp, _ = b.do("POST", "/console/logout", "", true)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	// The first collector learns of it from the store (it reuses a "live"
	// answer for at most a second).
	require.Eventually(t, func() bool {
		resp, _ := a.do("GET", "/api/v1/inventory/summary", "", true)
		return resp.StatusCode == http.StatusUnauthorized
	}, 10*time.Second, 200*time.Millisecond, "a session ended on one collector is still served by the other")
}

var authRequestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// ssoHTTP logs in through the provider's login form with a plain client.
func ssoHTTP(t *testing.T, b *client, user string) *http.Response {
	resp, body := b.do("GET", "/console/sso/start", "", false)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	m := authRequestID.FindStringSubmatch(body)
	require.Len(t, m, 2, "the provider's login page: %s", body)
	login := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	resp, err := b.hc.PostForm(login.String(), url.Values{"id": {m[1]}, "username": {user}, "password": {"verysecure"}})
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// The SSO flow without a browser: state binding, PKCE, the role mapping,
// and a replayed callback refused.
func TestSSOFlow(t *testing.T) {
	col := startCollector(t)
	b := newClient(t, col.url)
	resp := ssoHTTP(t, b, "rita")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "/", resp.Request.URL.Path, "back at the console")
	callback := resp.Request.Response.Request.URL // the callback that redirected to /
	require.Equal(t, "/console/sso/callback", callback.Path)
	require.NotEmpty(t, callback.Query().Get("code"))

	_, body := b.do("GET", "/console/session", "", false)
	var info struct {
		LoggedIn bool   `json:"logged_in"`
		Name     string `json:"name"`
		Role     string `json:"role"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	require.Equal(t, true, info.LoggedIn)
	require.Equal(t, "rita@example.com", info.Name)
	require.Equal(t, "reviewer", info.Role)

	// A reviewer's session gets the API's 403 for reads beyond reviews.
	r, body := b.do("GET", "/api/v1/assets", "", true)
	require.Equal(t, http.StatusForbidden, r.StatusCode, body)

	// Replaying the callback (its state cookie is gone) is refused, and
	// so is a callback in another browser.
	r, _ = b.do("GET", callback.RequestURI(), "", false)
	require.Equal(t, "sso_error=state", r.Request.URL.RawQuery)
	other := newClient(t, col.url)
	r, _ = other.do("GET", callback.RequestURI(), "", false)
	require.Equal(t, "sso_error=state", r.Request.URL.RawQuery)
	_, body = other.do("GET", "/console/session", "", false)
	require.Contains(t, body, `"logged_in":false`)

	// Someone whose claims map to no role gets no session.
	p := newClient(t, col.url)
	resp = ssoHTTP(t, p, "pat")
	require.Equal(t, "sso_error=no_role", resp.Request.URL.RawQuery)
	require.Nil(t, p.cookie(session.CookieName))
}

// TestSSOUnverifiedEmailIsNotAnIdentity: eve set ann's address in her
// profile at the provider, which says it is not verified. Roles map by
// email (ann@example.com is admin) and the session is named by it: the
// unverified address does neither, so eve gets no session at all rather
// than ann's admin role and name.
func TestSSOUnverifiedEmailIsNotAnIdentity(t *testing.T) {
	col := startCollector(t)
	b := newClient(t, col.url)
	resp := ssoHTTP(t, b, "eve")
	require.Equal(t, "sso_error=no_role", resp.Request.URL.RawQuery)
	require.Nil(t, b.cookie(session.CookieName))
	_, body := b.do("GET", "/console/session", "", false)
	require.Contains(t, body, `"logged_in":false`)

	// ann herself, verified, is still admin.
	a := newClient(t, col.url)
	ssoHTTP(t, a, "ann")
	_, body = a.do("GET", "/console/session", "", false)
	require.Contains(t, body, `"role":"admin"`)
	require.Contains(t, body, `"name":"ann@example.com"`)
}

// TestRevokedTokenEndsSession: an admin revokes the token a console
// session acts with. Its API calls are refused (the API checks the token
// on every call), and the console no longer shows the browser as logged
// in: the session ends and its cookies are cleared.
func TestRevokedTokenEndsSession(t *testing.T) {
	col := startCollector(t)
	ctx := context.Background()
	tok, rec, err := col.authn.Create(ctx, auth.RoleSecurity, "sec-to-revoke", "", 0)
	require.NoError(t, err)
	b := newClient(t, col.url)
	resp, body := b.do("POST", "/console/login", `{"token":"`+tok+`"}`, false)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	resp, body = b.do("GET", "/api/v1/inventory/summary", "", true)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	_, err = col.authn.Revoke(ctx, auth.ID(rec))
	require.NoError(t, err)
	resp, body = b.do("GET", "/api/v1/inventory/summary", "", true)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	_, body = b.do("GET", "/console/session", "", false)
	require.JSONEq(t, `{"logged_in":false,"sso":true}`, body)
	require.Nil(t, b.cookie(session.CookieName), "the cookie is cleared")
}
