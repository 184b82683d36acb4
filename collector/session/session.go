// Package session keeps the web console's sessions: who is logged in, with
// which role, until when, and the CSRF token every API call made with the
// session must echo.
//
// A session acts with a bearer token: the token an operator pasted at
// login, or one minted for an SSO login (see OIDC). Middleware turns a
// request carrying the session cookie and the CSRF header into the same
// request with that token, so the API's authentication, role checks and
// audit log apply to the console exactly as they do to curl: there is one
// definition of who may do what.
//
// A session is held by the browser, sealed: the cookie is the session
// encrypted and authenticated (AES-256-GCM) with a key every collector of
// the database derives from the shared key file (keys.Keys.ConsoleKey), so
// any collector behind one address opens it — no sticky sessions, and a
// restart logs no one out. The browser cannot read or alter what it
// holds; the bearer token inside never reaches a script (the cookie is
// HttpOnly). What cannot be sealed is an ending: a logout records the
// session's id as revoked (Revocations, in ClickHouse for a collector), and
// every collector refuses a revoked id until the session would have
// expired anyway.
package session

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/internal/defaults"
)

// Defaults of Options.
const (
	DefaultTTL         = 8 * time.Hour
	DefaultIdleTimeout = time.Hour
	DefaultMaxSessions = 10000
)

// How a session was opened.
const (
	ViaToken = "token"
	ViaSSO   = "sso"
)

// Errors of Store.Lookup.
var (
	ErrNoSession = errors.New("console session unknown or expired: log in again")
	// ErrUnavailable: whether a session was ended cannot be checked now.
	ErrUnavailable = errors.New("the collector cannot check console sessions right now; try again shortly")
)

// idBytes is the entropy of a session id and of a CSRF token.
const idBytes = 32

// idLen is the length of an id as it travels (unpadded base64url).
var idLen = base64.RawURLEncoding.EncodedLen(idBytes)

// touchEvery is how stale a session's last use may get before a request
// seals it again with the new time: the idle timeout counts in steps of
// it, and a page's burst of API calls does not set the cookie each time.
const touchEvery = time.Minute

// maxSealedLen bounds a cookie value opened: far above a real session
// (about 600 bytes), far below what a hostile one could make us decode.
const maxSealedLen = 4096

// revokedCheckTTL is how long a "not revoked" answer is reused for an id:
// the calls of one page load cost one lookup, and a logout on another
// collector takes effect here within it.
const revokedCheckTTL = time.Second

// Session is one logged-in browser.
type Session struct {
	ID string `json:"id"`
	// CSRF must come back in the CSRFHeader of every API call.
	CSRF string `json:"csrf"`
	// Token is the bearer token the session acts with. It travels only
	// sealed, in the HttpOnly cookie.
	Token string `json:"token"`
	// TokenID names the token in the token listing (auth.ID); for an SSO
	// session it is the minted token, revoked at logout.
	TokenID  string    `json:"token_id"`
	Role     string    `json:"role"`
	Name     string    `json:"name"`
	Via      string    `json:"via"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	Expires  time.Time `json:"expires"`
	// Sealed is the session as the cookie carries it (not sealed itself).
	Sealed string `json:"-"`
}

// Revocations records ended sessions where every collector sees them.
type Revocations interface {
	// RevokeSession records that session id ended; it is refused until
	// until (its expiry).
	RevokeSession(ctx context.Context, id string, until time.Time) error
	// SessionRevoked reports whether session id was ended.
	SessionRevoked(ctx context.Context, id string) (bool, error)
}

// Options configures a Store.
type Options struct {
	// TTL bounds a session's life from login; IdleTimeout ends it after
	// this long without a request.
	TTL, IdleTimeout time.Duration
	// Key seals sessions (at least 32 bytes; keys.Keys.ConsoleKey): every
	// collector of a database must have the same. Nil: a random key, so
	// sessions open on this process only (tests, a lone collector).
	Key []byte
	// Revocations records logouts for every collector; nil keeps them in
	// this process (enough for a lone collector).
	Revocations Revocations
	// MaxSessions bounds the ended sessions remembered in memory (the
	// cache of Revocations, or the record itself without one).
	MaxSessions int
	Now         func() time.Time
}

// Store opens and seals sessions. It is safe for concurrent use.
type Store struct {
	o    Options
	aead cipher.AEAD

	mu      sync.Mutex
	revoked map[string]time.Time // id → until
	checked map[string]time.Time // id → when Revocations said "live"
}

// sessionAAD ties a sealed value to its use (and format version).
var sessionAAD = []byte("sightline-console-session-v1")

// NewStore returns a Store. It fails only on a key shorter than 32 bytes
// or when no random key can be made.
func NewStore(o Options) (*Store, error) {
	o.TTL = defaults.Positive(o.TTL, DefaultTTL)
	o.IdleTimeout = defaults.Positive(o.IdleTimeout, DefaultIdleTimeout)
	o.MaxSessions = defaults.Positive(o.MaxSessions, DefaultMaxSessions)
	if o.Now == nil {
		o.Now = time.Now
	}
	aead, err := newAEAD(o.Key, "console sessions")
	if err != nil {
		return nil, err
	}
	return &Store{o: o, aead: aead, revoked: map[string]time.Time{}, checked: map[string]time.Time{}}, nil
}

// newAEAD is AES-256-GCM under a key derived from master for purpose (a
// random key when master is nil), so the session and the OIDC state never
// share a key.
func newAEAD(master []byte, purpose string) (cipher.AEAD, error) {
	if master == nil {
		master = make([]byte, 32)
		if _, err := rand.Read(master); err != nil {
			return nil, fmt.Errorf("making a random %s key: %w", purpose, err)
		}
	}
	if len(master) < 32 {
		return nil, fmt.Errorf("the %s key is %d bytes; it needs 32 (keys.Keys.ConsoleKey)", purpose, len(master))
	}
	m := hmac.New(sha256.New, master)
	m.Write([]byte("sightline " + purpose))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// TTL is the configured session lifetime (for minting SSO tokens that
// expire with the session).
func (s *Store) TTL() time.Duration { return s.o.TTL }

// NewID returns a random id (also used for CSRF tokens and OIDC state).
func NewID() (string, error) {
	b := make([]byte, idBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes for a session id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ParseID checks that v has the shape of an id NewID makes, so that
// arbitrary bytes never reach a lookup or a log line.
func ParseID(v string) (string, error) {
	if len(v) != idLen {
		return "", ErrNoSession
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(b) != idBytes {
		return "", ErrNoSession
	}
	return v, nil
}

// Create opens a session acting with token.
func (s *Store) Create(token, tokenID, role, name, via string) (Session, error) {
	id, err := NewID()
	if err != nil {
		return Session{}, err
	}
	csrf, err := NewID()
	if err != nil {
		return Session{}, err
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	ss := Session{ID: id, CSRF: csrf, Token: token, TokenID: tokenID, Role: role, Name: name, Via: via,
		Created: now, LastSeen: now, Expires: now.Add(s.o.TTL)}
	return ss, s.seal(&ss)
}

func (s *Store) seal(ss *Session) error {
	plain, err := json.Marshal(ss)
	if err != nil {
		return err
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("sealing a console session: %w", err)
	}
	ss.Sealed = base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, sessionAAD))
	return nil
}

// open is the session sealed in v, or ErrNoSession for anything that is
// not a session this key sealed.
func (s *Store) open(v string) (Session, error) {
	if len(v) > maxSealedLen {
		return Session{}, ErrNoSession
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(v)
	if err != nil || len(b) < s.aead.NonceSize()+s.aead.Overhead() {
		return Session{}, ErrNoSession
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], sessionAAD)
	if err != nil {
		return Session{}, ErrNoSession
	}
	var ss Session
	if err := json.Unmarshal(plain, &ss); err != nil {
		return Session{}, ErrNoSession
	}
	if _, err := ParseID(ss.ID); err != nil || ss.CSRF == "" || ss.Token == "" {
		return Session{}, ErrNoSession
	}
	ss.Sealed = v
	return ss, nil
}

// Lookup returns the live session sealed in v. A session past its TTL,
// idle for the idle timeout or ended is ErrNoSession; ErrUnavailable when
// whether it ended cannot be checked. When its last use is older than a
// minute it comes back with LastSeen now and sealed again (touched): the
// caller gives the browser the new cookie.
func (s *Store) Lookup(ctx context.Context, v string) (ss Session, touched bool, err error) {
	if ss, err = s.open(v); err != nil {
		return Session{}, false, err
	}
	now := s.o.Now()
	if !now.Before(ss.Expires) || now.Sub(ss.LastSeen) >= s.o.IdleTimeout {
		return Session{}, false, ErrNoSession
	}
	if revoked, err := s.isRevoked(ctx, ss.ID, now); err != nil {
		return Session{}, false, err
	} else if revoked {
		return Session{}, false, ErrNoSession
	}
	if now.Sub(ss.LastSeen) >= touchEvery {
		ss.LastSeen = now.UTC().Truncate(time.Second)
		if err := s.seal(&ss); err != nil {
			return Session{}, false, err
		}
		touched = true
	}
	return ss, touched, nil
}

func (s *Store) isRevoked(ctx context.Context, id string, now time.Time) (bool, error) {
	s.mu.Lock()
	if until, ok := s.revoked[id]; ok && now.Before(until) {
		s.mu.Unlock()
		return true, nil
	}
	if at, ok := s.checked[id]; ok && now.Sub(at) < revokedCheckTTL && !now.Before(at) {
		s.mu.Unlock()
		return false, nil
	}
	s.mu.Unlock()
	if s.o.Revocations == nil {
		return false, nil
	}
	revoked, err := s.o.Revocations.SessionRevoked(ctx, id)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !revoked {
		s.mu.Lock()
		s.sweepLocked(now)
		s.checked[id] = now
		s.mu.Unlock()
	}
	return revoked, nil
}

// Delete ends a session: it is refused from now on, by every collector
// that shares the Revocations.
func (s *Store) Delete(ctx context.Context, ss Session) error {
	now := s.o.Now()
	s.mu.Lock()
	s.sweepLocked(now)
	delete(s.checked, ss.ID)
	s.revoked[ss.ID] = ss.Expires
	s.mu.Unlock()
	if s.o.Revocations == nil {
		return nil
	}
	if err := s.o.Revocations.RevokeSession(ctx, ss.ID, ss.Expires); err != nil {
		return fmt.Errorf("recording the end of a console session (other collectors may still accept it until it expires): %w", err)
	}
	return nil
}

// sweepLocked drops expired revocations and stale checks, and bounds both
// maps by MaxSessions: checks are only a cache, and so are revocations
// when Revocations records them. Without Revocations a revocation is kept
// until its session would have expired (logouts within one TTL).
func (s *Store) sweepLocked(now time.Time) {
	for id, until := range s.revoked {
		if !now.Before(until) {
			delete(s.revoked, id)
		}
	}
	for id, at := range s.checked {
		if now.Sub(at) >= revokedCheckTTL || now.Before(at) {
			delete(s.checked, id)
		}
	}
	for id := range s.checked {
		if len(s.checked) < s.o.MaxSessions {
			break
		}
		delete(s.checked, id)
	}
	if s.o.Revocations == nil {
		return
	}
	for id := range s.revoked {
		if len(s.revoked) < s.o.MaxSessions {
			break
		}
		delete(s.revoked, id)
	}
}

// CSRFMatches reports whether got is the session's CSRF token, in
// constant time.
func CSRFMatches(ss Session, got string) bool {
	return got != "" && len(got) == len(ss.CSRF) && subtle.ConstantTimeCompare([]byte(got), []byte(ss.CSRF)) == 1
}
