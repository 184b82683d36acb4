package session

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// StateCookieName binds an OIDC login to the browser that started it, so
// a callback URL someone else started (login CSRF) is refused. It holds
// the login's state, nonce and PKCE verifier sealed (AES-GCM) with a key
// only the collectors know (OIDCOptions.Key), so logins in progress cost
// them no memory, cannot be flooded, and may end on any of them. It is SameSite=Lax because the identity
// provider's redirect back is a cross-site top-level navigation, which a
// Strict cookie would miss.
const StateCookieName = "__Host-sightline_oidc"

// loginWindow is how long a user may take at the identity provider.
const loginWindow = 10 * time.Minute

// stateAAD ties a sealed value to its use (and format version).
var stateAAD = []byte("sightline-oidc-state-v1")

// RoleRule maps a claim value to a Sightline role: a rule matches when the
// claim is this string, or an array holding it.
type RoleRule struct {
	Claim, Value, Role string
}

// OIDCOptions configures single sign-on.
type OIDCOptions struct {
	Issuer, ClientID, ClientSecret string
	// RedirectURL is the console's callback, as registered at the
	// provider: https://HOST/console/sso/callback.
	RedirectURL string
	// Scopes beyond openid (default: email, profile).
	Scopes []string
	// NameClaim names the person in the audit log and as a reviewer
	// (default: email).
	NameClaim string
	// Roles: the first rule that matches gives the role; no match, no
	// login.
	Roles []RoleRule
	// TrustUnverifiedEmail uses the email claim although the provider
	// does not say it verified it (email_verified true). Only for a
	// provider where nobody can set their own address and that does not
	// send email_verified.
	TrustUnverifiedEmail bool
	// HTTPClient talks to the provider (default: http.DefaultClient).
	HTTPClient *http.Client
	// Key seals the login state (the key sessions are sealed with; a key
	// of its own is derived from it), so the provider may send the browser
	// back to any collector of the database. Nil: a random key, and the
	// callback must reach this process.
	Key []byte
	Now func() time.Time
}

// Identity is who an SSO login proved to be.
type Identity struct {
	Subject, Name, Role string
}

// Errors of Finish, each a reason the console can show.
var (
	ErrState  = errors.New("single sign-on: the login state is missing, expired or from another browser; start the login again")
	ErrDenied = errors.New("single sign-on: the identity provider did not sign you in")
	ErrNoRole = errors.New("single sign-on: your account has no Sightline role (ask an admin to map one of your claims in oidc.roles)")
)

// pending is a login in progress, as sealed in the state cookie.
type pending struct {
	state, nonce, verifier string
	expires                time.Time
}

// OIDC runs the authorization code flow with PKCE against one provider.
// The provider's discovery document is fetched on first use (and again
// after a failure), so the collector starts while the provider is down.
type OIDC struct {
	o    OIDCOptions
	aead cipher.AEAD

	mu       sync.Mutex
	provider *oidc.Provider
}

// NewOIDC checks the options and returns an OIDC.
func NewOIDC(o OIDCOptions) (*OIDC, error) {
	switch {
	case o.Issuer == "" || o.ClientID == "" || o.RedirectURL == "":
		return nil, errors.New("single sign-on needs oidc.issuer, oidc.client_id and oidc.redirect_url")
	case len(o.Roles) == 0:
		return nil, errors.New("single sign-on needs at least one oidc.roles rule (claim, value, role)")
	}
	if o.NameClaim == "" {
		o.NameClaim = "email"
	}
	if o.Scopes == nil {
		o.Scopes = []string{"email", "profile"}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	aead, err := newAEAD(o.Key, "console single sign-on state")
	if err != nil {
		return nil, fmt.Errorf("single sign-on: %w", err)
	}
	return &OIDC{o: o, aead: aead}, nil
}

// seal encrypts and authenticates a login in progress for the cookie.
func (p *OIDC) seal(pd pending) (string, error) {
	nonce := make([]byte, p.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("single sign-on: sealing the login state: %w", err)
	}
	plain := strings.Join([]string{pd.state, pd.nonce, pd.verifier, strconv.FormatInt(pd.expires.Unix(), 10)}, ".")
	return base64.RawURLEncoding.EncodeToString(p.aead.Seal(nonce, nonce, []byte(plain), stateAAD)), nil
}

// open reverses seal; anything this process did not seal is ErrState.
func (p *OIDC) open(v string) (pending, error) {
	if len(v) > 1024 {
		return pending{}, ErrState
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(b) < p.aead.NonceSize() {
		return pending{}, ErrState
	}
	plain, err := p.aead.Open(nil, b[:p.aead.NonceSize()], b[p.aead.NonceSize():], stateAAD)
	if err != nil {
		return pending{}, ErrState
	}
	parts := strings.Split(string(plain), ".")
	if len(parts) != 4 {
		return pending{}, ErrState
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return pending{}, ErrState
	}
	return pending{state: parts[0], nonce: parts[1], verifier: parts[2], expires: time.Unix(exp, 0)}, nil
}

func (p *OIDC) discover(ctx context.Context) (*oidc.Provider, error) {
	p.mu.Lock()
	prov := p.provider
	p.mu.Unlock()
	if prov != nil {
		return prov, nil
	}
	prov, err := oidc.NewProvider(oidc.ClientContext(ctx, p.o.HTTPClient), p.o.Issuer)
	if err != nil {
		return nil, fmt.Errorf("single sign-on: reading the discovery document of %s: %w (check oidc.issuer and that the provider is reachable from the collector)", p.o.Issuer, err)
	}
	p.mu.Lock()
	p.provider = prov
	p.mu.Unlock()
	return prov, nil
}

func (p *OIDC) oauth(prov *oidc.Provider) oauth2.Config {
	return oauth2.Config{ClientID: p.o.ClientID, ClientSecret: p.o.ClientSecret, RedirectURL: p.o.RedirectURL,
		Endpoint: prov.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, p.o.Scopes...)}
}

// Start begins a login: it makes a state, nonce and PKCE verifier, seals
// them into a cookie that binds the login to this browser, and redirects
// to the provider.
func (p *OIDC) Start(w http.ResponseWriter, r *http.Request) error {
	prov, err := p.discover(r.Context())
	if err != nil {
		return err
	}
	state, err := NewID()
	if err != nil {
		return err
	}
	nonce, err := NewID()
	if err != nil {
		return err
	}
	verifier := oauth2.GenerateVerifier()
	sealed, err := p.seal(pending{state: state, nonce: nonce, verifier: verifier, expires: p.o.Now().Add(loginWindow)})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: StateCookieName, Value: sealed, Path: "/", MaxAge: int(loginWindow.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	cfg := p.oauth(prov)
	http.Redirect(w, r, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), http.StatusFound)
	return nil
}

// takePending checks the callback's state against the login sealed in
// the browser's cookie. The callback clears that cookie, and the
// provider's code is good once, so a replayed callback fails.
func (p *OIDC) takePending(r *http.Request) (pending, error) {
	state := r.URL.Query().Get("state")
	c, err := r.Cookie(StateCookieName)
	if err != nil || state == "" {
		return pending{}, ErrState
	}
	pd, err := p.open(c.Value)
	if err != nil || len(pd.state) != len(state) || subtle.ConstantTimeCompare([]byte(pd.state), []byte(state)) != 1 {
		return pending{}, ErrState
	}
	if !p.o.Now().Before(pd.expires) {
		return pending{}, ErrState
	}
	return pd, nil
}

// Finish completes a login at the callback: state, code exchange with
// the PKCE verifier, ID token signature, audience, expiry and nonce, then
// the claims (the ID token's, completed by the userinfo endpoint) mapped
// to a role. The caller clears the state cookie (ClearState).
func (p *OIDC) Finish(ctx context.Context, r *http.Request) (Identity, error) {
	pd, err := p.takePending(r)
	if err != nil {
		return Identity{}, err
	}
	if e := r.URL.Query().Get("error"); e != "" {
		return Identity{}, ErrDenied
	}
	prov, err := p.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	ctx = oidc.ClientContext(ctx, p.o.HTTPClient)
	cfg := p.oauth(prov)
	tok, err := cfg.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(pd.verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("single sign-on: exchanging the code at the provider: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, errors.New("single sign-on: the provider returned no ID token (is the openid scope allowed for this client?)")
	}
	idt, err := prov.Verifier(&oidc.Config{ClientID: p.o.ClientID, Now: p.o.Now}).Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("single sign-on: the ID token does not verify: %w", err)
	}
	if len(idt.Nonce) != len(pd.nonce) || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pd.nonce)) != 1 {
		return Identity{}, errors.New("single sign-on: the ID token's nonce does not match this login; start again")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("single sign-on: reading the ID token's claims: %w", err)
	}
	if prov.UserInfoEndpoint() != "" {
		ui, err := prov.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return Identity{}, fmt.Errorf("single sign-on: reading userinfo: %w", err)
		}
		// go-oidc refuses userinfo whose subject differs from the token's
		// only when asked to; check it here.
		if ui.Subject != idt.Subject {
			return Identity{}, errors.New("single sign-on: the userinfo subject differs from the ID token's")
		}
		extra := map[string]any{}
		if err := ui.Claims(&extra); err != nil {
			return Identity{}, fmt.Errorf("single sign-on: reading userinfo claims: %w", err)
		}
		for k, v := range extra {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}
	// An address the provider does not say it verified may be whatever
	// the user typed (many providers let people set their own, and send
	// no email_verified then): it must neither map a role ("email is
	// ann@…: admin") nor name the session (reviewer items and the audit
	// log go by that name).
	if !p.o.TrustUnverifiedEmail && !claimTrue(claims["email_verified"]) {
		delete(claims, "email")
	}
	role, ok := MapRole(claims, p.o.Roles)
	if !ok {
		return Identity{}, ErrNoRole
	}
	name, _ := claims[p.o.NameClaim].(string)
	if name == "" {
		name = idt.Subject
	}
	return Identity{Subject: idt.Subject, Name: name, Role: role}, nil
}

// claimTrue reports whether a boolean claim is true (some providers send
// "true" as a string).
func claimTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// ClearState removes the state cookie.
func ClearState(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: StateCookieName, Value: "", Path: "/", MaxAge: -1,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// MapRole returns the role of the first rule whose claim holds its value
// (the claim a string equal to it, or an array with an element equal to
// it). Comparison is exact: "Admins" is not "admins".
func MapRole(claims map[string]any, rules []RoleRule) (string, bool) {
	for _, rule := range rules {
		if claimHas(claims[rule.Claim], rule.Value) {
			return rule.Role, true
		}
	}
	return "", false
}

func claimHas(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	case []string:
		for _, s := range x {
			if s == want {
				return true
			}
		}
	case bool:
		return strings.EqualFold(want, fmt.Sprint(x))
	}
	return false
}
