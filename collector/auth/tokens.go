package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/sightline-dev/sightline/collector/store"
)

// IDLen is how many hex digits of a token's hash name it in listings, the
// audit log and revocation: enough to tell tokens apart, far too few to
// help anyone forge one.
const IDLen = 12

// MinIDLen is the shortest prefix Revoke accepts, so a slip of the
// keyboard cannot match (and revoke) some unrelated token.
const MinIDLen = 8

// Errors of token management. The API maps ErrInvalidRequest to 400,
// ErrUnknownToken to 404, ErrAmbiguousID and ErrNameTaken to 409.
var (
	ErrInvalidRequest = errors.New("invalid token request")
	ErrUnknownToken   = errors.New("no token has this id; list them with GET /api/v1/tokens or `sightline-collector token list`")
	ErrAmbiguousID    = errors.New("more than one token has an id starting with this; give more digits of it")
	ErrNameTaken      = errors.New("a live token already has this name; names identify people (reviewers are assigned by token name), so pick another or revoke the old token first")
)

// ID is a token's public name: the first IDLen hex digits of its hash.
func ID(t store.Token) string { return t.Hash[:min(IDLen, len(t.Hash))] }

// Live reports whether t still authenticates at now.
func Live(t store.Token, now time.Time) bool {
	return !t.Revoked && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// IssueRequest is a token to create through Issue.
type IssueRequest struct {
	Role, Name string
	// TTL 0 means the token does not expire.
	TTL time.Duration
	// RequireName refuses an empty Name (the API always sets it; the
	// command line keeps allowing unnamed tokens for scripts).
	RequireName bool
	// Uses bounds how many agents an enroll secret may enroll (0 = no
	// bound); only for RoleAgentEnroll.
	Uses int
}

// DefaultEnrollTTL is an enroll secret's lifetime when IssueRequest.TTL
// is 0: a secret pasted into deployment scripts should not work forever.
const DefaultEnrollTTL = 7 * 24 * time.Hour

// maxUses bounds IssueRequest.Uses (it is stored as UInt32).
const maxUses = 1 << 20

// maxNameLen bounds a token name: it is written into every audit row.
const maxNameLen = 200

// Issue creates a token of one of CreatableRoles after checking the
// request: a name, when given, must be unique among live tokens. Two
// concurrent Issue calls with the same name can both pass the check; the
// listing shows both and one can be revoked.
func (a *Authenticator) Issue(ctx context.Context, req IssueRequest) (string, store.Token, error) {
	if !creatable(req.Role) {
		return "", store.Token{}, fmt.Errorf("%w: role must be one of %s", ErrInvalidRequest, strings.Join(CreatableRoles, ", "))
	}
	if req.TTL < 0 {
		return "", store.Token{}, fmt.Errorf("%w: ttl must not be negative (0 = no expiry; for agent-enroll, %s)", ErrInvalidRequest, DefaultEnrollTTL)
	}
	switch {
	case req.Uses < 0 || req.Uses > maxUses:
		return "", store.Token{}, fmt.Errorf("%w: uses must be between 1 and %d (0 = no bound)", ErrInvalidRequest, maxUses)
	case req.Uses > 0 && req.Role != RoleAgentEnroll:
		return "", store.Token{}, fmt.Errorf("%w: uses applies to agent-enroll secrets only", ErrInvalidRequest)
	}
	if req.Role == RoleAgentEnroll && req.TTL == 0 {
		req.TTL = DefaultEnrollTTL
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "" && req.RequireName:
		return "", store.Token{}, fmt.Errorf("%w: name is required: it says who uses the token and appears in the audit log", ErrInvalidRequest)
	case len(name) > maxNameLen || strings.ContainsFunc(name, unicode.IsControl):
		return "", store.Token{}, fmt.Errorf("%w: name must be at most %d characters without control characters", ErrInvalidRequest, maxNameLen)
	}
	if name != "" {
		toks, err := a.o.Store.ListTokens(ctx)
		if err != nil {
			return "", store.Token{}, fmt.Errorf("checking token names: %w", err)
		}
		now := a.o.Now()
		for _, t := range toks {
			if t.Name == name && Live(t, now) {
				return "", store.Token{}, ErrNameTaken
			}
		}
	}
	return a.create(ctx, req.Role, name, "", req.TTL, uint32(req.Uses))
}

// UseEnrollSecret checks an enroll secret and records one use of it for
// agentID. It fails with ErrInvalidToken for a secret that is unknown,
// revoked, expired, of another role, or whose uses are all spent.
//
// The count is read and the use recorded under a mutex, so concurrent
// enrollments through one collector never exceed it. Collectors do not
// share that mutex: with N collectors behind one address, a secret may
// enroll up to N-1 agents more than its count when enrollments race.
func (a *Authenticator) UseEnrollSecret(ctx context.Context, secret, agentID string) (store.Token, error) {
	t, err := a.Verify(ctx, secret)
	if err != nil {
		return store.Token{}, err
	}
	if t.Role != RoleAgentEnroll {
		return store.Token{}, ErrInvalidToken
	}
	a.useMu.Lock()
	defer a.useMu.Unlock()
	if t.MaxUses > 0 {
		n, err := a.o.Store.TokenUses(ctx, t.Hash)
		if err != nil {
			return store.Token{}, fmt.Errorf("checking the enroll secret's uses: %w", err)
		}
		if n >= uint64(t.MaxUses) {
			return store.Token{}, ErrInvalidToken
		}
	}
	if err := a.o.Store.PutTokenUse(ctx, t.Hash, agentID, a.o.Now().UTC()); err != nil {
		return store.Token{}, fmt.Errorf("recording the enroll secret's use: %w", err)
	}
	return t, nil
}

func creatable(role string) bool {
	for _, r := range CreatableRoles {
		if r == role {
			return true
		}
	}
	return false
}

// List returns every token (never the token itself, only its stored
// record), agent tokens included, oldest first.
func (a *Authenticator) List(ctx context.Context) ([]store.Token, error) {
	toks, err := a.o.Store.ListTokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	return toks, nil
}

// Revoke revokes the one token whose hash starts with id (as ID prints
// it, or longer). The revocation is written as a new row version, and this
// Authenticator forgets the token at once; other collectors trust their
// cached copy until it expires, so elsewhere it takes effect within
// CacheTTL. Revoking a revoked token is not an error.
func (a *Authenticator) Revoke(ctx context.Context, id string) (store.Token, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < MinIDLen || len(id) > 64 || strings.Trim(id, "0123456789abcdef") != "" {
		return store.Token{}, fmt.Errorf("%w: a token id is %d to 64 hex digits, as the token listing shows it", ErrInvalidRequest, MinIDLen)
	}
	toks, err := a.o.Store.TokensByHashPrefix(ctx, id, 2)
	if err != nil {
		return store.Token{}, fmt.Errorf("looking up token %s: %w", id, err)
	}
	switch len(toks) {
	case 0:
		return store.Token{}, ErrUnknownToken
	case 1:
	default:
		return store.Token{}, ErrAmbiguousID
	}
	t := toks[0]
	if !t.Revoked {
		t.Revoked = true
		if err := a.o.Store.PutToken(ctx, t); err != nil {
			return store.Token{}, fmt.Errorf("revoking token %s: %w", ID(t), err)
		}
	}
	// A revoked entry rather than none: a Verify that read the old row
	// just before the write must not put it back (see Verify).
	a.mu.Lock()
	a.cache[t.Hash] = cached{tok: t, expires: a.o.Now().Add(a.o.CacheTTL)}
	a.mu.Unlock()
	return t, nil
}
