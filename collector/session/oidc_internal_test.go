package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func newTestOIDC(t *testing.T, c *clock) *OIDC {
	t.Helper()
	p, err := NewOIDC(OIDCOptions{Issuer: "http://127.0.0.1:1", ClientID: "c", RedirectURL: "https://x/cb",
		Roles: []RoleRule{{Claim: "email", Value: "a@b", Role: "admin"}}, Now: c.now})
	require.NoError(t, err)
	return p
}

func TestSealOpen(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	p := newTestOIDC(t, c)
	in := pending{state: "s", nonce: "n", verifier: "v", expires: c.t.Add(loginWindow)}
	v, err := p.seal(in)
	require.NoError(t, err)
	require.NotContains(t, v, "v.", "sealed, not readable")
	out, err := p.open(v)
	require.NoError(t, err)
	require.Equal(t, in, out)

	v2, err := p.seal(in)
	require.NoError(t, err)
	require.NotEqual(t, v, v2, "a fresh nonce per seal")

	// Another process's key, a flipped bit, truncation: all refused.
	other := newTestOIDC(t, c)
	_, err = other.open(v)
	require.ErrorIs(t, err, ErrState)
	b := []byte(v)
	b[len(b)/2] ^= 1
	if string(b) != v {
		_, err = p.open(string(b))
		require.ErrorIs(t, err, ErrState)
	}
	_, err = p.open(v[:len(v)-4])
	require.ErrorIs(t, err, ErrState)
	_, err = p.open(strings.Repeat("A", 2000))
	require.ErrorIs(t, err, ErrState)

	// Collectors with one key file share the key: the provider may send
	// the browser back to any of them. The session key never opens it.
	shared := func() *OIDC {
		q, err := NewOIDC(OIDCOptions{Issuer: "http://127.0.0.1:1", ClientID: "c", RedirectURL: "https://x/cb", Key: testKey,
			Roles: []RoleRule{{Claim: "email", Value: "a@b", Role: "admin"}}, Now: c.now})
		require.NoError(t, err)
		return q
	}
	v, err = shared().seal(in)
	require.NoError(t, err)
	out, err = shared().open(v)
	require.NoError(t, err)
	require.Equal(t, in, out)
	st, err := NewStore(Options{Key: testKey, Now: c.now})
	require.NoError(t, err)
	_, err = st.open(v)
	require.ErrorIs(t, err, ErrNoSession, "a state is not a session")
}

// The state checks come before any network call, so they are tested
// without a provider (collector/console's tests run the whole flow
// against a real one).
func TestFinishRefusesBadState(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	p := newTestOIDC(t, c)
	state, err := NewID()
	require.NoError(t, err)
	other, err := NewID()
	require.NoError(t, err)
	cookie := func(st string, exp time.Time) string {
		v, err := p.seal(pending{state: st, nonce: "n", verifier: "v", expires: exp})
		require.NoError(t, err)
		return v
	}
	good := cookie(state, c.t.Add(loginWindow))
	req := func(q, ck string) *http.Request {
		r := httptest.NewRequest("GET", "/console/sso/callback?"+q, nil)
		if ck != "" {
			r.AddCookie(&http.Cookie{Name: StateCookieName, Value: ck})
		}
		return r
	}
	q := url.Values{"state": {state}, "code": {"x"}}.Encode()

	for _, tc := range []struct {
		name string
		r    *http.Request
	}{
		{"no cookie", req(q, "")},
		{"cookie of another login", req(q, cookie(other, c.t.Add(loginWindow)))},
		{"the state itself as cookie", req(q, state)},
		{"no state", req("code=x", good)},
		{"expired", req(q, cookie(state, c.t))},
		{"garbage", req("state=%00&code=x", "%00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Finish(context.Background(), tc.r)
			require.ErrorIs(t, err, ErrState)
		})
	}

	// With the right cookie the state passes (and the unreachable
	// provider fails the login later, at discovery).
	_, err = p.Finish(context.Background(), req(q, good))
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrState)

	// The provider's error answer is a denial, once the state is right.
	_, err = p.Finish(context.Background(), req(url.Values{"state": {state}, "error": {"access_denied"}}.Encode(), good))
	require.ErrorIs(t, err, ErrDenied)
}

func TestNewOIDCValidates(t *testing.T) {
	_, err := NewOIDC(OIDCOptions{Issuer: "https://idp", ClientID: "c", RedirectURL: "https://x/cb"})
	require.ErrorContains(t, err, "oidc.roles")
	_, err = NewOIDC(OIDCOptions{ClientID: "c", RedirectURL: "https://x/cb", Roles: []RoleRule{{"a", "b", "admin"}}})
	require.ErrorContains(t, err, "oidc.issuer")
}
