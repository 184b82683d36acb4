package store

import (
	"context"
	"time"
)

const tokenColumns = `token_hash, role, agent_id, name, created_at, expires_at, revoked, max_uses`

// ListTokens returns every stored token (revoked and expired ones too),
// oldest first. Agent tokens are included: revoking one is how an agent is
// cut off.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	return selectAll(ctx, s, "listing tokens", Token.read,
		`SELECT `+tokenColumns+` FROM {db}.api_tokens FINAL ORDER BY created_at, token_hash`)
}

// TokensByHashPrefix returns the tokens whose hash starts with prefix (at
// most limit of them), so a caller can tell unknown from ambiguous.
func (s *Store) TokensByHashPrefix(ctx context.Context, prefix string, limit int) ([]Token, error) {
	return selectAll(ctx, s, "looking up tokens by id", Token.read, `SELECT `+tokenColumns+` FROM {db}.api_tokens FINAL
		WHERE startsWith(token_hash, ?) ORDER BY token_hash LIMIT ?`, prefix, limit)
}

// TokenUses returns how many times the token (an enroll secret) was used.
func (s *Store) TokenUses(ctx context.Context, hash string) (uint64, error) {
	return s.count(ctx, "counting a token's uses", `SELECT count() AS n FROM {db}.token_uses WHERE token_hash = ?`, hash)
}

// PutTokenUse records one use of a token (an enrollment).
func (s *Store) PutTokenUse(ctx context.Context, hash, agentID string, at time.Time) error {
	return s.insert(ctx, "token_uses", "token_hash, agent_id, used_at", 1, func(int) []any {
		return []any{hash, agentID, dateTime(&at)}
	})
}
