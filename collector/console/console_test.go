package console

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/config"
)

// apiStub stands for the REST API behind the console: these tests check
// only what the console itself answers.
var apiStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-From", "api")
	w.WriteHeader(http.StatusTeapot)
})

func TestIndexAndHeaders(t *testing.T) {
	h := Handler(Options{API: apiStub})
	for _, p := range []string{"/", "/index.html", "/console/static/app.js", "/console/static/app.css", "/console/session"} {
		t.Run(p, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.Equal(t, CSP, w.Header().Get("Content-Security-Policy"))
			require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
			require.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
			switch {
			case strings.HasSuffix(p, ".js"):
				require.Contains(t, w.Header().Get("Content-Type"), "javascript")
			case strings.HasSuffix(p, ".css"):
				require.Contains(t, w.Header().Get("Content-Type"), "text/css")
			case p == "/" || p == "/index.html":
				require.Contains(t, w.Header().Get("Content-Type"), "text/html")
				require.Contains(t, w.Body.String(), `src="/console/static/app.js"`)
			}
		})
	}
	// Everything else is the API's.
	for _, p := range []string{"/api/v1/assets", "/healthz", "/nope"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		require.Equal(t, http.StatusTeapot, w.Code, p)
		require.Empty(t, w.Header().Get("Content-Security-Policy"), p)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", nil))
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
}

// Nothing is loaded from another origin: no absolute URL, protocol-
// relative URL or inline script/style in the embedded files.
func TestAssetsSelfContained(t *testing.T) {
	abs := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	n := 0
	require.NoError(t, fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := fs.ReadFile(assets, p)
		require.NoError(t, err)
		s := string(b)
		require.False(t, abs.MatchString(s), "%s refers to another origin: %q", p, abs.FindString(s))
		if strings.HasSuffix(p, ".html") {
			for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(s, -1) {
				require.Contains(t, tag, "src=", p+": inline scripts break the CSP")
			}
			require.NotContains(t, s, "style=", p)
			require.NotContains(t, s, " on", p+": inline event handlers break the CSP")
		}
		require.NotContains(t, s, "innerHTML", p+": data must go in as text")
		require.NotContains(t, s, "localStorage", p)
		require.NotContains(t, s, "sessionStorage", p)
		return nil
	}))
	require.GreaterOrEqual(t, n, 5)
}

func TestSessionInfoLoggedOut(t *testing.T) {
	h := Handler(Options{API: apiStub})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/console/session", nil))
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `{"logged_in":false,"sso":false}`, w.Body.String())
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
}

func TestLoginRefusesBeforeCheckingTheToken(t *testing.T) {
	h := Handler(Options{API: apiStub}) // no Tokens: these must not get that far
	for _, tc := range []struct {
		name    string
		ct      string
		headers map[string]string
		body    string
		status  int
	}{
		{"form post from anywhere", "application/x-www-form-urlencoded", nil, "token=x", http.StatusUnsupportedMediaType},
		{"text/plain", "text/plain", nil, `{"token":"x"}`, http.StatusUnsupportedMediaType},
		{"other origin", "application/json", map[string]string{"Origin": "https://evil.example"}, `{"token":"x"}`, http.StatusForbidden},
		{"cross-site fetch", "application/json", map[string]string{"Sec-Fetch-Site": "cross-site"}, `{"token":"x"}`, http.StatusForbidden},
		{"no token", "application/json", nil, `{}`, http.StatusBadRequest},
		{"not json", "application/json", nil, `token`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/console/login", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.ct)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			require.Empty(t, w.Result().Cookies())
		})
	}
}

func TestSSOOffWhenNotConfigured(t *testing.T) {
	h := Handler(Options{API: apiStub})
	for _, p := range []string{"/console/sso/start", "/console/sso/callback?state=x&code=y"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		require.Equal(t, http.StatusNotFound, w.Code, p)
	}
}

func TestCleanName(t *testing.T) {
	require.Equal(t, "ann@example.com", cleanName(" ann@exa\x00mple.com\n"))
	long := strings.Repeat("é", 150) // 300 bytes
	got := cleanName(long)
	require.LessOrEqual(t, len(got), 200)
	require.True(t, strings.HasPrefix(long, got))
	require.Equal(t, 100, len([]rune(got)))
}

func TestFromConfig(t *testing.T) {
	st, sso, err := FromConfig(config.Console{SessionTTL: 2 * time.Hour}, config.OIDC{}, nil, nil, nil)
	require.NoError(t, err)
	require.NotNil(t, st)
	require.Nil(t, sso, "no oidc section, no single sign-on")
	require.Equal(t, 2*time.Hour, st.TTL())

	_, sso, err = FromConfig(config.Console{}, config.OIDC{Issuer: "https://idp.example.com", ClientID: "c",
		RedirectURL: "https://s.example.com/console/sso/callback",
		Roles:       []config.OIDCRole{{Claim: "groups", Value: "admins", Role: "admin"}}}, nil, nil, nil)
	require.NoError(t, err)
	require.NotNil(t, sso)
}
