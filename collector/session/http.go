package session

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Cookie and header names. The __Host- prefix makes browsers refuse the
// cookie unless it is Secure, has Path=/ and no Domain, so a sibling
// subdomain cannot plant or overwrite it.
const (
	CookieName     = "__Host-sightline_session"
	CSRFCookieName = "__Host-sightline_csrf"
	CSRFHeader     = "X-Sightline-CSRF"
)

// SetCookies gives the browser the session cookie (HttpOnly: scripts never
// see it) and the CSRF cookie (readable by the console's script, which
// echoes it in CSRFHeader; another site can neither read it nor, with
// SameSite=Strict, make the browser send the session with its requests).
func SetCookies(w http.ResponseWriter, ss Session, now time.Time) {
	maxAge := int(ss.Expires.Sub(now).Seconds())
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: ss.Sealed, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: CSRFCookieName, Value: ss.CSRF, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: false, SameSite: http.SameSiteStrictMode})
}

// ClearCookies removes both cookies from the browser.
func ClearCookies(w http.ResponseWriter) {
	for _, n := range []string{CookieName, CSRFCookieName} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1,
			Secure: true, HttpOnly: n == CookieName, SameSite: http.SameSiteStrictMode})
	}
}

// FromRequest returns the live session sealed in r's session cookie, and
// whether it was touched (Lookup).
func (s *Store) FromRequest(r *http.Request) (Session, bool, error) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return Session{}, false, ErrNoSession
	}
	return s.Lookup(r.Context(), c.Value)
}

// Middleware lets a console session call the API. A request with an
// Authorization header passes unchanged (cookies are then ignored). A
// request with the session cookie must carry the session's CSRF token in
// CSRFHeader, whatever its method; it is then passed on with the session's
// bearer token and without cookies, so next authenticates, authorises and
// audits it as the token. A request with neither passes unchanged (next
// answers 401 where a token is needed).
func (s *Store) Middleware(next http.Handler, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if _, err := r.Cookie(CookieName); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		ss, touched, err := s.FromRequest(r)
		if errors.Is(err, ErrUnavailable) {
			log.Error("console session check failed", "err", err)
			WriteError(w, http.StatusServiceUnavailable, "store_unavailable", ErrUnavailable.Error())
			return
		}
		if err != nil {
			ClearCookies(w)
			WriteError(w, http.StatusUnauthorized, "unauthorized", err.Error())
			return
		}
		if !CSRFMatches(ss, r.Header.Get(CSRFHeader)) {
			log.Warn("console API call without a valid CSRF header refused", "method", r.Method, "path", r.URL.Path, "session_name", ss.Name)
			WriteError(w, http.StatusForbidden, "forbidden", "missing or wrong "+CSRFHeader+" header: API calls made with a console session must echo the "+CSRFCookieName+" cookie in it")
			return
		}
		if touched {
			SetCookies(w, ss, s.o.Now())
		}
		r2 := r.Clone(r.Context())
		r2.Header.Del("Cookie")
		r2.Header.Del(CSRFHeader)
		r2.Header.Set("Authorization", "Bearer "+ss.Token)
		next.ServeHTTP(w, r2)
	})
}

// ErrCSRF is returned by CheckCSRF.
var ErrCSRF = errors.New("missing or wrong " + CSRFHeader + " header")

// CheckCSRF checks r's CSRF header against ss (for the console's own
// state-changing endpoints, such as logout).
func CheckCSRF(ss Session, r *http.Request) error {
	if !CSRFMatches(ss, r.Header.Get(CSRFHeader)) {
		return ErrCSRF
	}
	return nil
}

// PrivateHeaders marks an API answer as data for its caller alone: no
// browser, proxy or shared cache keeps it (answers name where personal
// data lies, who reaches it, subject-search results), no browser sniffs
// it into something that runs, and no other site frames or embeds it
// (the CSP forbids everything; a server-rendered page sets its own).
func PrivateHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// WriteError answers in the API's error shape {"error":{"code","message"}},
// with the API's PrivateHeaders.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	PrivateHeaders(w.Header())
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
