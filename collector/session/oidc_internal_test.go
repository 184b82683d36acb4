package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The state checks come before any network call, so they are tested
// without a provider (the browser test in collector/console runs the
// whole flow against a real one).
func TestFinishRefusesBadState(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	p, err := NewOIDC(OIDCOptions{Issuer: "http://127.0.0.1:1", ClientID: "c", RedirectURL: "https://x/cb",
		Roles: []RoleRule{{Claim: "email", Value: "a@b", Role: "admin"}}, Now: c.now})
	require.NoError(t, err)
	state, err := NewID()
	require.NoError(t, err)
	other, err := NewID()
	require.NoError(t, err)
	add := func() {
		p.pending[state] = pending{nonce: "n", verifier: "v", expires: c.t.Add(loginWindow)}
	}
	req := func(q, cookie string) *http.Request {
		r := httptest.NewRequest("GET", "/console/sso/callback?"+q, nil)
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: StateCookieName, Value: cookie})
		}
		return r
	}
	q := url.Values{"state": {state}, "code": {"x"}}.Encode()

	for _, tc := range []struct {
		name string
		r    *http.Request
	}{
		{"no cookie", req(q, "")},
		{"cookie of another login", req(q, other)},
		{"no state", req("code=x", state)},
		{"garbage state", req("state=%00&code=x", "%00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			add()
			_, err := p.Finish(context.Background(), tc.r)
			require.ErrorIs(t, err, ErrState)
		})
	}

	// A state is good once: the first use consumes it (here the provider
	// is unreachable, so that use fails later, at discovery).
	add()
	_, err = p.Finish(context.Background(), req(q, state))
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrState)
	_, err = p.Finish(context.Background(), req(q, state))
	require.ErrorIs(t, err, ErrState, "a replayed callback is refused")

	// An expired login is refused.
	add()
	c.t = c.t.Add(loginWindow)
	_, err = p.Finish(context.Background(), req(q, state))
	require.ErrorIs(t, err, ErrState)

	// The provider's error answer is a denial, once the state is right.
	c.t = time.Unix(1e9, 0)
	add()
	_, err = p.Finish(context.Background(), req(url.Values{"state": {state}, "error": {"access_denied"}}.Encode(), state))
	require.ErrorIs(t, err, ErrDenied)
}

func TestNewOIDCValidates(t *testing.T) {
	_, err := NewOIDC(OIDCOptions{Issuer: "https://idp", ClientID: "c", RedirectURL: "https://x/cb"})
	require.ErrorContains(t, err, "oidc.roles")
	_, err = NewOIDC(OIDCOptions{ClientID: "c", RedirectURL: "https://x/cb", Roles: []RoleRule{{"a", "b", "admin"}}})
	require.ErrorContains(t, err, "oidc.issuer")
}
