// Package auth issues and checks bearer tokens. Only a token's SHA-256 is
// stored, so a read of the store does not yield a usable credential.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/defaults"
)

// Roles a token can carry.
const (
	RoleAdmin       = "admin"
	RoleSecurity    = "security"
	RolePrivacy     = "privacy"
	RoleReviewer    = "reviewer"
	RoleAgentEnroll = "agent-enroll" // may only enroll agents
	RoleAgent       = "agent"        // issued at enrollment; may only ingest
)

// CreatableRoles are the roles `token create` may issue; agent tokens come
// only from enrollment, bound to their agent id.
var CreatableRoles = []string{RoleAdmin, RoleSecurity, RolePrivacy, RoleReviewer, RoleAgentEnroll}

// Errors of Verify, mapped by the API to 401.
var (
	ErrNoToken      = errors.New("missing bearer token: send Authorization: Bearer <token>")
	ErrInvalidToken = errors.New("invalid token: it is unknown, revoked or expired; create a new one with `sightline-collector token create` (agents: enroll again)")
)

// TokenStore is the part of the store auth needs.
type TokenStore interface {
	PutToken(ctx context.Context, t store.Token) error
	TokenByHash(ctx context.Context, hash string) (store.Token, error)
	ListTokens(ctx context.Context) ([]store.Token, error)
	TokensByHashPrefix(ctx context.Context, prefix string, limit int) ([]store.Token, error)
	TokenUses(ctx context.Context, hash string) (uint64, error)
	PutTokenUse(ctx context.Context, hash, agentID string, at time.Time) error
}

// DefaultCacheTTL is Options.CacheTTL's default: a token revoked on one
// collector is refused by the others at most this long afterwards.
const DefaultCacheTTL = 30 * time.Second

// Defaults of the negative cache (Options.NegativeTTL, NegativeMax).
const (
	DefaultNegativeTTL = 30 * time.Second
	DefaultNegativeMax = 10000
)

// Options configures an Authenticator.
type Options struct {
	Store TokenStore
	// CacheTTL bounds how long a verified token is trusted without asking
	// the store again, i.e. how late a revocation takes effect.
	CacheTTL time.Duration
	// NegativeTTL is how long a token the store does not know is refused
	// without asking the store again, so a flood of made-up tokens does
	// not cost a ClickHouse query each. A token created later is not
	// delayed by it: its hash is random, so it can only be in this cache
	// if someone guessed it first, and tokens created through this
	// Authenticator are dropped from it anyway. NegativeMax bounds the
	// entries; past it, arbitrary ones are evicted.
	NegativeTTL time.Duration
	NegativeMax int
	Now         func() time.Time
}

// Authenticator verifies tokens with a short-lived cache so ingest does not
// query ClickHouse on every batch.
type Authenticator struct {
	o     Options
	mu    sync.Mutex
	cache map[string]cached
	// neg holds hashes the store did not know, until when to trust that.
	neg map[string]time.Time
	// useMu serialises the check-and-record of enroll secret uses.
	useMu sync.Mutex
}

type cached struct {
	tok     store.Token
	expires time.Time
}

// New returns an Authenticator.
func New(o Options) *Authenticator {
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = DefaultNegativeTTL
	}
	o.NegativeMax = defaults.Positive(o.NegativeMax, DefaultNegativeMax)
	return &Authenticator{o: o, cache: map[string]cached{}, neg: map[string]time.Time{}}
}

// Hash is how a token is stored and looked up.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Generate returns a new random token. The prefix names the role so a leaked
// token is recognisable in a secret scanner.
func Generate(role string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating token: %w", err)
	}
	return "slt_" + strings.ReplaceAll(role, "-", "") + "_" + base64.RawURLEncoding.EncodeToString(b), nil
}

// Create issues a token with role, stores its hash and returns the token.
// ttl 0 means it does not expire.
func (a *Authenticator) Create(ctx context.Context, role, name, agentID string, ttl time.Duration) (string, store.Token, error) {
	return a.create(ctx, role, name, agentID, ttl, 0)
}

func (a *Authenticator) create(ctx context.Context, role, name, agentID string, ttl time.Duration, maxUses uint32) (string, store.Token, error) {
	tok, err := Generate(role)
	if err != nil {
		return "", store.Token{}, err
	}
	now := a.o.Now().UTC()
	t := store.Token{Hash: Hash(tok), Role: role, AgentID: agentID, Name: name, CreatedAt: now, MaxUses: maxUses}
	if ttl > 0 {
		exp := now.Add(ttl)
		t.ExpiresAt = &exp
	}
	if err := a.o.Store.PutToken(ctx, t); err != nil {
		return "", store.Token{}, fmt.Errorf("storing token: %w", err)
	}
	a.mu.Lock()
	delete(a.neg, t.Hash)
	a.mu.Unlock()
	return tok, t, nil
}

// Verify returns the stored token for a presented one. Errors are
// ErrNoToken, ErrInvalidToken, or a store error (the store is unavailable).
func (a *Authenticator) Verify(ctx context.Context, token string) (store.Token, error) {
	if token == "" {
		return store.Token{}, ErrNoToken
	}
	h := Hash(token)
	now := a.o.Now()
	a.mu.Lock()
	c, ok := a.cache[h]
	negUntil, isNeg := a.neg[h]
	a.mu.Unlock()
	if !ok && isNeg && !now.After(negUntil) {
		return store.Token{}, ErrInvalidToken
	}
	if !ok || now.After(c.expires) {
		t, err := a.o.Store.TokenByHash(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			a.rememberUnknown(h, now)
			return store.Token{}, ErrInvalidToken
		}
		if err != nil {
			return store.Token{}, fmt.Errorf("checking token: %w", err)
		}
		c = cached{tok: t, expires: now.Add(a.o.CacheTTL)}
		a.mu.Lock()
		if len(a.cache) > 10000 { // bound memory against token spraying
			a.cache = map[string]cached{}
		}
		// A revocation made here while the store was being read wins over
		// the (older) row just read.
		if prev, ok := a.cache[h]; ok && prev.tok.Revoked && !now.After(prev.expires) {
			c = prev
		}
		a.cache[h] = c
		a.mu.Unlock()
	}
	if c.tok.Revoked || (c.tok.ExpiresAt != nil && now.After(*c.tok.ExpiresAt)) {
		return store.Token{}, ErrInvalidToken
	}
	return c.tok, nil
}

// rememberUnknown puts h in the negative cache, evicting when it is full.
func (a *Authenticator) rememberUnknown(h string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Full: drop arbitrary entries (map order), which costs O(1) rather
	// than a sweep per new entry during a flood.
	for k := range a.neg {
		if len(a.neg) < a.o.NegativeMax {
			break
		}
		delete(a.neg, k)
	}
	a.neg[h] = now.Add(a.o.NegativeTTL)
}

// Bearer extracts the token of an Authorization header.
func Bearer(header string) string {
	const p = "Bearer "
	if len(header) > len(p) && strings.EqualFold(header[:len(p)], p) {
		return strings.TrimSpace(header[len(p):])
	}
	return ""
}
