package session

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestStore(c *clock, max int) *Store {
	return NewStore(Options{TTL: 8 * time.Hour, IdleTimeout: time.Hour, MaxSessions: max, Now: c.now})
}

func TestStoreLifetime(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)}
	s := newTestStore(c, 10)
	ss, err := s.Create("slt_tok", "abc", "admin", "ann", ViaToken)
	require.NoError(t, err)
	require.Len(t, ss.ID, idLen)
	require.Len(t, ss.CSRF, idLen)
	require.NotEqual(t, ss.ID, ss.CSRF)
	require.Equal(t, c.t.Add(8*time.Hour), ss.Expires)

	// Used every 50 minutes it lives until the absolute TTL.
	for i := 0; i < 10; i++ {
		c.t = c.t.Add(50 * time.Minute)
		got, err := s.Lookup(ss.ID)
		if c.t.Before(ss.Expires) {
			require.NoError(t, err, "after %d uses", i)
			require.Equal(t, "admin", got.Role)
			require.Equal(t, "slt_tok", got.Token)
		} else {
			require.ErrorIs(t, err, ErrNoSession)
		}
	}
	require.Equal(t, 0, s.Len(), "an expired session is dropped when looked up")

	// Idle for the idle timeout: gone.
	ss2, err := s.Create("t2", "", "privacy", "pat", ViaSSO)
	require.NoError(t, err)
	c.t = c.t.Add(time.Hour)
	_, err = s.Lookup(ss2.ID)
	require.ErrorIs(t, err, ErrNoSession)
}

func TestStoreDeleteAndUnknown(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	s := newTestStore(c, 10)
	ss, err := s.Create("t", "", "reviewer", "rita", ViaSSO)
	require.NoError(t, err)
	got, ok := s.Delete(ss.ID)
	require.True(t, ok)
	require.Equal(t, "rita", got.Name)
	_, ok = s.Delete(ss.ID)
	require.False(t, ok)
	_, err = s.Lookup(ss.ID)
	require.ErrorIs(t, err, ErrNoSession)
	for _, bad := range []string{"", "x", strings.Repeat("A", idLen+1), strings.Repeat("!", idLen)} {
		_, err = s.Lookup(bad)
		require.ErrorIs(t, err, ErrNoSession, bad)
	}
	other, err := NewID()
	require.NoError(t, err)
	_, err = s.Lookup(other)
	require.ErrorIs(t, err, ErrNoSession)
}

func TestStoreBound(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	s := newTestStore(c, 2)
	for i := 0; i < 2; i++ {
		_, err := s.Create("t", "", "admin", "a", ViaToken)
		require.NoError(t, err)
	}
	_, err := s.Create("t", "", "admin", "a", ViaToken)
	require.ErrorIs(t, err, ErrFull)
	// Once the old ones have expired they make room.
	c.t = c.t.Add(2 * time.Hour)
	_, err = s.Create("t", "", "admin", "a", ViaToken)
	require.NoError(t, err)
	require.Equal(t, 1, s.Len())
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
	s := newTestStore(c, 10)
	ss, err := s.Create("slt_admin_secret", "", "admin", "ann", ViaToken)
	require.NoError(t, err)
	var seen *http.Request
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r
		w.WriteHeader(299)
	}), nil)
	sessCookie := &http.Cookie{Name: CookieName, Value: ss.ID}
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
	SetCookies(w, Session{ID: "id", CSRF: "csrf", Expires: now.Add(time.Hour)}, now)
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
	require.True(t, sc.HttpOnly, "scripts must not read the session id")
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
