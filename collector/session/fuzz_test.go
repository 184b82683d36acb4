package session

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzParseID: any cookie value is either refused or exactly a 32-byte
// base64url id; it never panics.
func FuzzParseID(f *testing.F) {
	id, _ := NewID()
	for _, s := range []string{"", id, id + "=", strings.Repeat("A", idLen), strings.Repeat("_", idLen), "%00", id[:idLen-1] + "!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := ParseID(v)
		if err != nil {
			return
		}
		if got != v || len(v) != idLen {
			t.Fatalf("ParseID(%q) accepted a value of the wrong shape", v)
		}
	})
}

// FuzzCookieHeader: whatever Cookie header arrives, the middleware
// either refuses the request or passes it on without a session; it only
// lends a token to a session the key sealed, with that session's CSRF
// token.
func FuzzCookieHeader(f *testing.F) {
	c := &clock{t: time.Unix(1e9, 0)}
	s, err := NewStore(Options{Key: testKey, Now: c.now})
	if err != nil {
		f.Fatal(err)
	}
	ss, _ := s.Create("secret-token", "", "admin", "a", ViaToken)
	f.Add(CookieName+"="+ss.Sealed, ss.CSRF)
	f.Add(CookieName+"="+ss.Sealed+"; "+CookieName+"=x", ss.CSRF)
	f.Add("a=b; "+CookieName+"=\"quoted\"", "")
	f.Add(";;;=;", "x")
	f.Fuzz(func(t *testing.T, cookie, csrf string) {
		var gotAuth string
		h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotAuth = r.Header.Get("Authorization")
		}), nil)
		r := httptest.NewRequest("POST", "/api/v1/tokens", nil)
		r.Header.Set("Cookie", cookie)
		r.Header.Set(CSRFHeader, csrf)
		h.ServeHTTP(httptest.NewRecorder(), r)
		if gotAuth == "" {
			return
		}
		// Lent: the cookie must be a session the key sealed (in whichever
		// process made the seed) and the header its CSRF token.
		c, err := r.Cookie(CookieName)
		if err != nil {
			t.Fatalf("a token was lent without a session cookie (cookie %q)", cookie)
		}
		sealed, err := s.open(c.Value)
		if err != nil || csrf != sealed.CSRF || gotAuth != "Bearer "+sealed.Token {
			t.Fatalf("a token was lent without the session's CSRF token (cookie %q, csrf %q)", cookie, csrf)
		}
	})
}

// FuzzOpenSession: the session cookie comes back from the browser; only
// what the key sealed opens, and nothing panics.
func FuzzOpenSession(f *testing.F) {
	c := &clock{t: time.Unix(1e9, 0)}
	s, err := NewStore(Options{Key: testKey, Now: c.now})
	if err != nil {
		f.Fatal(err)
	}
	ss, err := s.Create("secret-token", "", "admin", "a", ViaToken)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ss.Sealed)
	f.Add(ss.Sealed[:len(ss.Sealed)-1])
	f.Add("")
	f.Add(strings.Repeat("_", 600))
	f.Fuzz(func(t *testing.T, v string) {
		// Only the seeds open (sealed with the same key, in whichever
		// process made them), and they hold what was sealed.
		got, err := s.open(v)
		if err == nil && (got.Token != "secret-token" || got.Name != "a" || got.Role != "admin") {
			t.Fatalf("opened a value the key did not seal: %q", v)
		}
	})
}

// FuzzMapRole: claims from a provider are untrusted JSON.
func FuzzMapRole(f *testing.F) {
	f.Add([]byte(`{"groups":["admins"]}`))
	f.Add([]byte(`{"groups":"admins"}`))
	f.Add([]byte(`{"groups":[null,{"x":1},"admins"]}`))
	rules := []RoleRule{{Claim: "groups", Value: "admins", Role: "admin"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var claims map[string]any
		if json.Unmarshal(data, &claims) != nil {
			return
		}
		role, ok := MapRole(claims, rules)
		if ok != (role == "admin") {
			t.Fatalf("MapRole = %q, %v", role, ok)
		}
	})
}

// FuzzOpenState: the OIDC state cookie comes back from the browser; only
// what this process sealed opens, and nothing panics.
func FuzzOpenState(f *testing.F) {
	c := &clock{t: time.Unix(1e9, 0)}
	p, err := NewOIDC(OIDCOptions{Issuer: "http://127.0.0.1:1", ClientID: "c", RedirectURL: "https://x/cb",
		Roles: []RoleRule{{Claim: "email", Value: "a@b", Role: "admin"}}, Now: c.now})
	if err != nil {
		f.Fatal(err)
	}
	good, err := p.seal(pending{state: "s", nonce: "n", verifier: "v", expires: c.t})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add("")
	f.Add("AAAA")
	f.Add(strings.Repeat("_", 200))
	f.Fuzz(func(t *testing.T, v string) {
		pd, err := p.open(v)
		if err == nil && v != good {
			t.Fatalf("opened a value this process did not seal: %q -> %+v", v, pd)
		}
	})
}
