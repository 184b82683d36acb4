package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// memRevocations is Revocations held in a map, standing for the store two
// collectors share.
type memRevocations struct {
	mu   sync.Mutex
	m    map[string]time.Time
	fail error
	asks int
}

func (r *memRevocations) RevokeSession(_ context.Context, id string, until time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]time.Time{}
	}
	r.m[id] = until
	return nil
}

func (r *memRevocations) SessionRevoked(_ context.Context, id string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asks++
	if r.fail != nil {
		return false, r.fail
	}
	_, ok := r.m[id]
	return ok, nil
}

var testKey = bytes.Repeat([]byte{7}, 32)

func newTestStore(t *testing.T, c *clock, rev Revocations) *Store {
	t.Helper()
	s, err := NewStore(Options{TTL: 8 * time.Hour, IdleTimeout: time.Hour, Key: testKey, Revocations: rev, Now: c.now})
	require.NoError(t, err)
	return s
}

func TestStoreLifetime(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)}
	s := newTestStore(t, c, nil)
	ss, err := s.Create("slt_tok", "abc", "admin", "ann", ViaToken)
	require.NoError(t, err)
	require.Len(t, ss.ID, idLen)
	require.Len(t, ss.CSRF, idLen)
	require.NotEqual(t, ss.ID, ss.CSRF)
	require.Equal(t, c.t.Add(8*time.Hour), ss.Expires)
	require.NotContains(t, ss.Sealed, "slt_tok", "the cookie does not show the token")

	// Used every 50 minutes, with the cookie each answer gives back, it
	// lives until the absolute TTL.
	cookie := ss.Sealed
	for i := 0; i < 10; i++ {
		c.t = c.t.Add(50 * time.Minute)
		got, touched, err := s.Lookup(ctx, cookie)
		if c.t.Before(ss.Expires) {
			require.NoError(t, err, "after %d uses", i)
			require.True(t, touched, "a use after a minute seals the new time")
			require.Equal(t, "admin", got.Role)
			require.Equal(t, "slt_tok", got.Token)
			require.Equal(t, ss.ID, got.ID)
			cookie = got.Sealed
		} else {
			require.ErrorIs(t, err, ErrNoSession)
		}
	}
	// The first cookie, never refreshed, went idle long ago.
	_, _, err = s.Lookup(ctx, ss.Sealed)
	require.ErrorIs(t, err, ErrNoSession)

	// Idle for the idle timeout: gone.
	ss2, err := s.Create("t2", "", "privacy", "pat", ViaSSO)
	require.NoError(t, err)
	c.t = c.t.Add(59 * time.Second)
	_, touched, err := s.Lookup(ctx, ss2.Sealed)
	require.NoError(t, err)
	require.False(t, touched, "within a minute the cookie stays")
	c.t = c.t.Add(time.Hour)
	_, _, err = s.Lookup(ctx, ss2.Sealed)
	require.ErrorIs(t, err, ErrNoSession)
}

// A session sealed by one collector opens on another with the same key
// (two Stores), and a logout on either ends it on both.
func TestSessionsAcrossCollectors(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Unix(1e9, 0)}
	shared := &memRevocations{}
	a, b := newTestStore(t, c, shared), newTestStore(t, c, shared)
	ss, err := a.Create("t", "tid", "reviewer", "rita", ViaSSO)
	require.NoError(t, err)
	got, _, err := b.Lookup(ctx, ss.Sealed)
	require.NoError(t, err)
	require.Equal(t, "rita", got.Name)
	require.NoError(t, a.Delete(ctx, got))
	_, _, err = a.Lookup(ctx, ss.Sealed)
	require.ErrorIs(t, err, ErrNoSession)
	c.t = c.t.Add(revokedCheckTTL) // b's last "live" answer is reused no longer
	_, _, err = b.Lookup(ctx, ss.Sealed)
	require.ErrorIs(t, err, ErrNoSession, "ended on the other collector too")

	// Another key opens nothing; a store that cannot say whether a
	// session ended refuses it as unavailable, not as live.
	other, err := NewStore(Options{Key: bytes.Repeat([]byte{8}, 32), Now: c.now})
	require.NoError(t, err)
	ss2, err := b.Create("t", "", "admin", "ann", ViaToken)
	require.NoError(t, err)
	_, _, err = other.Lookup(ctx, ss2.Sealed)
	require.ErrorIs(t, err, ErrNoSession)
	shared.fail = errors.New("clickhouse down")
	c.t = c.t.Add(revokedCheckTTL)
	_, _, err = b.Lookup(ctx, ss2.Sealed)
	require.ErrorIs(t, err, ErrUnavailable)
}

// One page load's API calls ask the shared record once.
func TestRevocationChecksAreCached(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Unix(1e9, 0)}
	rev := &memRevocations{}
	s := newTestStore(t, c, rev)
	ss, err := s.Create("t", "", "admin", "ann", ViaToken)
	require.NoError(t, err)
	for range 5 {
		_, _, err := s.Lookup(ctx, ss.Sealed)
		require.NoError(t, err)
	}
	require.Equal(t, 1, rev.asks)
}

func TestStoreRefusesWhatItDidNotSeal(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Unix(1e9, 0)}
	s := newTestStore(t, c, nil)
	ss, err := s.Create("t", "", "reviewer", "rita", ViaSSO)
	require.NoError(t, err)
	flipped := []byte(ss.Sealed)
	flipped[len(flipped)/2] ^= 1
	id, err := NewID()
	require.NoError(t, err)
	for _, bad := range []string{"", "x", id, string(flipped), ss.Sealed + "A", strings.Repeat("A", maxSealedLen+1), strings.Repeat("!", idLen)} {
		_, _, err = s.Lookup(ctx, bad)
		require.ErrorIs(t, err, ErrNoSession, bad)
	}
	require.NoError(t, s.Delete(ctx, ss))
	_, _, err = s.Lookup(ctx, ss.Sealed)
	require.ErrorIs(t, err, ErrNoSession, "ended without a shared record: this process remembers")
	_, err = NewStore(Options{Key: []byte("short")})
	require.Error(t, err)
}

func TestCSRFMatches(t *testing.T) {
	ss := Session{CSRF: "abcdef"}
	for _, tc := range []struct {
		got  string
		want bool
	}{{"abcdef", true}, {"", false}, {"abcdeF", false}, {"abcde", false}, {"abcdefg", false}} {
		require.Equal(t, tc.want, CSRFMatches(ss, tc.got), tc.got)
	}
	require.False(t, CSRFMatches(Session{}, ""), "a session without a token matches nothing")
}

func TestMiddleware(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	s := newTestStore(t, c, nil)
	ss, err := s.Create("slt_admin_secret", "", "admin", "ann", ViaToken)
	require.NoError(t, err)
	var seen *http.Request
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		w.WriteHeader(299)
	}), nil)
	sessCookie := &http.Cookie{Name: CookieName, Value: ss.Sealed}
	csrfCookie := &http.Cookie{Name: CSRFCookieName, Value: ss.CSRF}

	for _, tc := range []struct {
		name     string
		method   string
		auth     string
		cookies  []*http.Cookie
		csrf     string
		status   int
		wantAuth string
	}{
		{"bearer passes untouched", "POST", "Bearer other", []*http.Cookie{sessCookie}, "", 299, "Bearer other"},
		{"nothing passes untouched", "GET", "", nil, "", 299, ""},
		{"session with CSRF acts with its token", "POST", "", []*http.Cookie{sessCookie, csrfCookie}, ss.CSRF, 299, "Bearer slt_admin_secret"},
		{"GET needs the header too", "GET", "", []*http.Cookie{sessCookie, csrfCookie}, "", 403, ""},
		{"POST without CSRF header refused", "POST", "", []*http.Cookie{sessCookie, csrfCookie}, "", 403, ""},
		{"wrong CSRF header refused", "DELETE", "", []*http.Cookie{sessCookie}, strings.Repeat("A", idLen), 403, ""},
		{"unknown session is 401", "GET", "", []*http.Cookie{{Name: CookieName, Value: "nope"}}, ss.CSRF, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			r := httptest.NewRequest(tc.method, "/api/v1/tokens", nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			for _, ck := range tc.cookies {
				r.AddCookie(ck)
			}
			if tc.csrf != "" {
				r.Header.Set(CSRFHeader, tc.csrf)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status != 299 {
				require.Nil(t, seen, "a refused request must not reach the API")
				var body struct {
					Error struct{ Code, Message string }
				}
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
				require.NotEmpty(t, body.Error.Message)
				// Marked as the API marks its own answers.
				require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
				require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
				require.Contains(t, w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")
				return
			}
			require.NotNil(t, seen)
			require.Equal(t, tc.wantAuth, seen.Header.Get("Authorization"))
			if tc.auth == "" && len(tc.cookies) > 0 {
				require.Empty(t, seen.Header.Get("Cookie"), "the API never sees the console's cookies")
				require.Empty(t, seen.Header.Get(CSRFHeader))
			}
		})
	}
}

func TestCookieFlags(t *testing.T) {
	now := time.Unix(1e9, 0)
	w := httptest.NewRecorder()
	SetCookies(w, Session{ID: "id", CSRF: "csrf", Sealed: "sealed", Expires: now.Add(time.Hour)}, now)
	cs := (&http.Response{Header: w.Header()}).Cookies()
	require.Len(t, cs, 2)
	byName := map[string]*http.Cookie{}
	for _, c := range cs {
		byName[c.Name] = c
	}
	sc, cc := byName[CookieName], byName[CSRFCookieName]
	require.NotNil(t, sc)
	require.NotNil(t, cc)
	for _, c := range []*http.Cookie{sc, cc} {
		require.True(t, c.Secure)
		require.Equal(t, http.SameSiteStrictMode, c.SameSite)
		require.Equal(t, "/", c.Path)
		require.Empty(t, c.Domain)
		require.Equal(t, 3600, c.MaxAge)
	}
	require.Equal(t, "sealed", sc.Value, "the cookie is the sealed session")
	require.True(t, sc.HttpOnly, "scripts must not read the session")
	require.False(t, cc.HttpOnly, "the console's script echoes the CSRF cookie")

	w = httptest.NewRecorder()
	ClearCookies(w)
	for _, c := range (&http.Response{Header: w.Header()}).Cookies() {
		require.Equal(t, -1, c.MaxAge, c.Name)
	}
}

func TestMapRole(t *testing.T) {
	rules := []RoleRule{
		{Claim: "groups", Value: "sightline-admins", Role: "admin"},
		{Claim: "groups", Value: "dpo", Role: "privacy"},
		{Claim: "email", Value: "rita@example.com", Role: "reviewer"},
	}
	for _, tc := range []struct {
		name   string
		claims string
		role   string
	}{
		{"array claim, first rule wins", `{"groups":["dpo","sightline-admins"]}`, "admin"},
		{"array claim", `{"groups":["staff","dpo"]}`, "privacy"},
		{"string claim", `{"email":"rita@example.com"}`, "reviewer"},
		{"case matters", `{"groups":["Sightline-Admins"]}`, ""},
		{"no claim", `{"sub":"x"}`, ""},
		{"wrong type", `{"groups":{"dpo":true},"email":["rita@example.com"]}`, "reviewer"},
		{"numbers are not strings", `{"groups":[1,2]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var claims map[string]any
			require.NoError(t, json.Unmarshal([]byte(tc.claims), &claims))
			role, ok := MapRole(claims, rules)
			require.Equal(t, tc.role != "", ok)
			require.Equal(t, tc.role, role)
		})
	}
}
