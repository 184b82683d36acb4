// Package console serves the web console at / : static pages (embedded,
// nothing from another origin) whose script calls the same REST API as
// any client, with a session cookie and CSRF header instead of a bearer
// token (collector/session). Login is by an API token pasted once, or by
// OpenID Connect single sign-on.
//
// Handler wraps the API handler: /, /index.html and /console/... are the
// console's; /api/... goes through the session middleware to the API;
// everything else (health, metrics, unknown paths) to the API unchanged.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/session"
	"github.com/sightline-dev/sightline/collector/store"
)

//go:embed assets
var assets embed.FS

// CSP allows nothing but this origin's own scripts, styles and API:
// no inline script or style, no other origin, no framing, no plugins.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Tokens is what the console needs from collector/auth.
type Tokens interface {
	Verify(ctx context.Context, token string) (store.Token, error)
	Create(ctx context.Context, role, name, agentID string, ttl time.Duration) (string, store.Token, error)
	Revoke(ctx context.Context, id string) (store.Token, error)
}

// Options configures the console.
type Options struct {
	// API is the collector's REST API (api.Server).
	API      http.Handler
	Tokens   Tokens
	Sessions *session.Store
	// OIDC, when set, offers single sign-on.
	OIDC   *session.OIDC
	Logger *slog.Logger
	Now    func() time.Time
}

// PeopleRoles are the roles that may open a console session; agent and
// enroll tokens may not.
var PeopleRoles = []string{auth.RoleAdmin, auth.RoleSecurity, auth.RolePrivacy, auth.RoleReviewer}

type handler struct {
	o      Options
	static http.Handler
	mux    *http.ServeMux
	api    http.Handler
	index  []byte
}

// Handler returns the collector's whole HTTP handler: console and API.
func Handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sessions == nil {
		st, err := session.NewStore(session.Options{Now: o.Now})
		if err != nil {
			panic(err) // only when the system has no random bytes
		}
		o.Sessions = st
	}
	_ = mime.AddExtensionType(".js", "text/javascript; charset=utf-8")
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		panic(err)
	}
	h := &handler{o: o, index: index, static: http.StripPrefix("/console/static/", http.FileServerFS(sub)),
		api: o.Sessions.Middleware(o.API, o.Logger)}
	m := http.NewServeMux()
	m.HandleFunc("GET /console/static/", h.serveStatic)
	m.HandleFunc("GET /console/session", h.sessionInfo)
	m.HandleFunc("POST /console/login", h.login)
	m.HandleFunc("POST /console/logout", h.logout)
	m.HandleFunc("GET /console/sso/start", h.ssoStart)
	m.HandleFunc("GET /console/sso/callback", h.ssoCallback)
	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		session.WriteError(w, http.StatusNotFound, "not_found", "no such console page")
	})
	h.mux = m
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/" || p == "/index.html":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			session.WriteError(w, http.StatusMethodNotAllowed, "bad_request", "the console page answers GET only")
			return
		}
		securityHeaders(w, r)
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(h.index)
	case strings.HasPrefix(p, "/console/"):
		securityHeaders(w, r)
		h.mux.ServeHTTP(w, r)
	case strings.HasPrefix(p, "/api/"):
		h.api.ServeHTTP(w, r)
	default:
		h.o.API.ServeHTTP(w, r)
	}
}

func (h *handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	// index.html is served at / only (http.FileServer would redirect it).
	if path.Base(r.URL.Path) == "index.html" {
		http.Redirect(w, r, "/", http.StatusMovedPermanently)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	h.static.ServeHTTP(w, r)
}

func securityHeaders(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if r.TLS != nil {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// Info is GET /console/session's answer.
type Info struct {
	LoggedIn  bool      `json:"logged_in"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role,omitempty"`
	Via       string    `json:"via,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// SSO says whether single sign-on is offered.
	SSO bool `json:"sso"`
}

func (h *handler) info(ss session.Session) Info {
	return Info{LoggedIn: true, Name: ss.Name, Role: ss.Role, Via: ss.Via, ExpiresAt: ss.Expires.UTC(), SSO: h.o.OIDC != nil}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *handler) sessionInfo(w http.ResponseWriter, r *http.Request) {
	ss, touched, err := h.o.Sessions.FromRequest(r)
	if errors.Is(err, session.ErrUnavailable) {
		session.WriteError(w, http.StatusServiceUnavailable, "store_unavailable", err.Error())
		return
	}
	if err != nil {
		writeJSON(w, http.StatusOK, Info{SSO: h.o.OIDC != nil})
		return
	}
	// A session acts with its token: once an admin revoked it (or it
	// expired), the session is over too, not shown as logged in with
	// every API call refused.
	if _, err := h.o.Tokens.Verify(r.Context(), ss.Token); errors.Is(err, auth.ErrInvalidToken) || errors.Is(err, auth.ErrNoToken) {
		h.end(r.Context(), ss)
		h.o.Logger.Info("console session ended: its token is revoked or expired", "name", ss.Name, "role", ss.Role, "via", ss.Via)
		session.ClearCookies(w)
		writeJSON(w, http.StatusOK, Info{SSO: h.o.OIDC != nil})
		return
	} else if err != nil {
		h.o.Logger.Error("console: checking a session's token failed", "err", err)
		session.WriteError(w, http.StatusServiceUnavailable, "store_unavailable", "the collector cannot check tokens right now; try again shortly")
		return
	}
	if touched {
		session.SetCookies(w, ss, h.o.Now())
	}
	writeJSON(w, http.StatusOK, h.info(ss))
}

// sameOrigin refuses a state-changing request another site's page sent:
// browsers set Origin on every cross-origin POST, and Sec-Fetch-Site on
// every request they make.
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		session.WriteError(w, http.StatusForbidden, "forbidden", "login must come from the console's own page")
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		session.WriteError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", `send {"token":"…"} as application/json`)
		return
	}
	var req struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil || strings.TrimSpace(req.Token) == "" {
		session.WriteError(w, http.StatusBadRequest, "bad_request", `send {"token":"…"}: the API token to log in with`)
		return
	}
	tok := strings.TrimSpace(req.Token)
	t, err := h.o.Tokens.Verify(r.Context(), tok)
	switch {
	case errors.Is(err, auth.ErrInvalidToken), errors.Is(err, auth.ErrNoToken):
		session.WriteError(w, http.StatusUnauthorized, "unauthorized", "this token is unknown, revoked or expired")
		return
	case err != nil:
		h.o.Logger.Error("console login: checking the token failed", "err", err)
		session.WriteError(w, http.StatusServiceUnavailable, "store_unavailable", "the collector cannot check tokens right now; try again shortly")
		return
	case !isPeopleRole(t.Role):
		session.WriteError(w, http.StatusForbidden, "forbidden", "a "+t.Role+" token cannot open the console; use an admin, security, privacy or reviewer token")
		return
	}
	h.endPrevious(r)
	ss, err := h.o.Sessions.Create(tok, auth.ID(t), t.Role, t.Name, session.ViaToken)
	if err != nil {
		session.WriteError(w, http.StatusServiceUnavailable, "busy", err.Error())
		return
	}
	h.o.Logger.Info("console login", "via", "token", "token_id", auth.ID(t), "name", t.Name, "role", t.Role)
	session.SetCookies(w, ss, h.o.Now())
	writeJSON(w, http.StatusOK, h.info(ss))
}

// endPrevious ends the session this browser had before logging in again,
// so a new login never leaves an old session (or its SSO token) behind.
func (h *handler) endPrevious(r *http.Request) {
	ss, _, err := h.o.Sessions.FromRequest(r)
	if err != nil {
		return
	}
	h.end(r.Context(), ss)
}

// end deletes a session and revokes the token minted for it, if any.
func (h *handler) end(ctx context.Context, ss session.Session) {
	if err := h.o.Sessions.Delete(ctx, ss); err != nil {
		h.o.Logger.Error("console: ending a session", "err", err)
	}
	if ss.Via == session.ViaSSO {
		if _, err := h.o.Tokens.Revoke(ctx, ss.TokenID); err != nil {
			h.o.Logger.Error("console: revoking an ended session's token failed; it expires with the session anyway", "token_id", ss.TokenID, "err", err)
		}
	}
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	ss, _, err := h.o.Sessions.FromRequest(r)
	if err != nil {
		session.ClearCookies(w)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err := session.CheckCSRF(ss, r); err != nil {
		session.WriteError(w, http.StatusForbidden, "forbidden", err.Error())
		return
	}
	// The token minted for an SSO login dies with it.
	h.end(r.Context(), ss)
	h.o.Logger.Info("console logout", "name", ss.Name, "role", ss.Role, "via", ss.Via)
	session.ClearCookies(w)
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) ssoStart(w http.ResponseWriter, r *http.Request) {
	if h.o.OIDC == nil {
		session.WriteError(w, http.StatusNotFound, "not_found", "single sign-on is not configured (oidc section of collector.yaml)")
		return
	}
	if err := h.o.OIDC.Start(w, r); err != nil {
		h.o.Logger.Error("console single sign-on could not start", "err", err)
		http.Redirect(w, r, "/?sso_error=unavailable", http.StatusSeeOther)
	}
}

func (h *handler) ssoCallback(w http.ResponseWriter, r *http.Request) {
	if h.o.OIDC == nil {
		session.WriteError(w, http.StatusNotFound, "not_found", "single sign-on is not configured (oidc section of collector.yaml)")
		return
	}
	session.ClearState(w)
	id, err := h.o.OIDC.Finish(r.Context(), r)
	if err != nil {
		code := "failed"
		switch {
		case errors.Is(err, session.ErrState):
			code = "state"
		case errors.Is(err, session.ErrDenied):
			code = "denied"
		case errors.Is(err, session.ErrNoRole):
			code = "no_role"
		}
		h.o.Logger.Warn("console single sign-on refused", "reason", code, "err", err)
		http.Redirect(w, r, "/?sso_error="+code, http.StatusSeeOther)
		return
	}
	name := cleanName(id.Name)
	// A token of the mapped role, named after the person and expiring
	// with the session: the API checks it like any other, the audit log
	// and reviewer assignments name the person, an admin sees (and can
	// revoke) it in the token list, and logout revokes it.
	tok, t, err := h.o.Tokens.Create(r.Context(), id.Role, name, "", h.o.Sessions.TTL())
	if err != nil {
		h.o.Logger.Error("console single sign-on: minting the session's token failed", "err", err)
		http.Redirect(w, r, "/?sso_error=unavailable", http.StatusSeeOther)
		return
	}
	h.endPrevious(r)
	ss, err := h.o.Sessions.Create(tok, t.Hash, id.Role, name, session.ViaSSO)
	if err != nil {
		http.Redirect(w, r, "/?sso_error=unavailable", http.StatusSeeOther)
		return
	}
	h.o.Logger.Info("console login", "via", "sso", "token_id", auth.ID(t), "name", name, "role", id.Role)
	session.SetCookies(w, ss, h.o.Now())
	http.Redirect(w, r, "/#/overview", http.StatusSeeOther)
}

// cleanName bounds a name from the identity provider as token names are
// bounded (no control characters, at most 200 bytes).
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	for len(s) > 200 {
		_, n := lastRune(s)
		s = s[:len(s)-n]
	}
	return s
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

func isPeopleRole(r string) bool {
	for _, p := range PeopleRoles {
		if p == r {
			return true
		}
	}
	return false
}
