// Package session keeps the web console's sessions: who is logged in, with
// which role, until when, and the CSRF token every API call made with the
// session must echo.
//
// A session acts with a bearer token held only in the collector's memory:
// the token an operator pasted at login, or one minted for an SSO login
// (see OIDC). Middleware turns a request carrying the session cookie and
// the CSRF header into the same request with that token, so the API's
// authentication, role checks and audit log apply to the console exactly
// as they do to curl: there is one definition of who may do what.
//
// Sessions live in one collector's memory: with several collectors behind
// one address, the load balancer must keep a browser on one collector
// (sticky sessions), and a restart logs everyone out.
package session

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
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
	ErrFull      = errors.New("too many console sessions are open on this collector; try again later or raise console.max_sessions")
)

// idBytes is the entropy of a session id and of a CSRF token.
const idBytes = 32

// idLen is the length of an id as it travels (unpadded base64url).
var idLen = base64.RawURLEncoding.EncodedLen(idBytes)

// Session is one logged-in browser.
type Session struct {
	ID string
	// CSRF must come back in the CSRFHeader of every API call.
	CSRF string
	// Token is the bearer token the session acts with. It never leaves
	// the collector.
	Token string
	// TokenID names the token in the token listing (auth.ID); for an SSO
	// session it is the minted token, revoked at logout.
	TokenID    string
	Role, Name string
	Via        string
	Created    time.Time
	LastSeen   time.Time
	Expires    time.Time
}

// Options configures a Store.
type Options struct {
	// TTL bounds a session's life from login; IdleTimeout ends it after
	// this long without a request.
	TTL, IdleTimeout time.Duration
	// MaxSessions bounds memory; past it Create fails (expired sessions
	// are dropped first).
	MaxSessions int
	Now         func() time.Time
}

// Store holds sessions in memory. It is safe for concurrent use.
type Store struct {
	o  Options
	mu sync.Mutex
	m  map[string]*Session
}

// NewStore returns an empty Store.
func NewStore(o Options) *Store {
	o.TTL = defaults.Positive(o.TTL, DefaultTTL)
	o.IdleTimeout = defaults.Positive(o.IdleTimeout, DefaultIdleTimeout)
	o.MaxSessions = defaults.Positive(o.MaxSessions, DefaultMaxSessions)
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{o: o, m: map[string]*Session{}}
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
// arbitrary cookie bytes never reach a map lookup or a log line.
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
	now := s.o.Now()
	ss := &Session{ID: id, CSRF: csrf, Token: token, TokenID: tokenID, Role: role, Name: name, Via: via,
		Created: now, LastSeen: now, Expires: now.Add(s.o.TTL)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.o.MaxSessions {
		s.sweepLocked(now)
		if len(s.m) >= s.o.MaxSessions {
			return Session{}, ErrFull
		}
	}
	s.m[id] = ss
	return *ss, nil
}

// Lookup returns the live session with this id and marks it used. An
// expired or idle session is removed and ErrNoSession returned.
func (s *Store) Lookup(id string) (Session, error) {
	if _, err := ParseID(id); err != nil {
		return Session{}, err
	}
	now := s.o.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok {
		return Session{}, ErrNoSession
	}
	if s.expired(ss, now) {
		delete(s.m, id)
		return Session{}, ErrNoSession
	}
	ss.LastSeen = now
	return *ss, nil
}

// Delete ends a session and returns it (for revoking its minted token).
func (s *Store) Delete(id string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok {
		return Session{}, false
	}
	delete(s.m, id)
	return *ss, true
}

// Len is the number of sessions held (expired ones included until swept).
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *Store) expired(ss *Session, now time.Time) bool {
	return !now.Before(ss.Expires) || now.Sub(ss.LastSeen) >= s.o.IdleTimeout
}

func (s *Store) sweepLocked(now time.Time) {
	for id, ss := range s.m {
		if s.expired(ss, now) {
			delete(s.m, id)
		}
	}
}

// CSRFMatches reports whether got is the session's CSRF token, in
// constant time.
func CSRFMatches(ss Session, got string) bool {
	return got != "" && len(got) == len(ss.CSRF) && subtle.ConstantTimeCompare([]byte(got), []byte(ss.CSRF)) == 1
}
