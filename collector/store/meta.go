package store

import (
	"context"
	"time"
)

// Batch is one agent request that was stored, remembered so that a repeat
// of it (same Idempotency-Key) is answered without storing it twice.
type Batch struct {
	AgentID, Key string
	Records      int
	ReceivedAt   time.Time
}

// Agent is an enrolled agent: a row of agents, and the head of the API's
// view of it.
type Agent struct {
	ID         string    `ch:"agent_id" json:"agent_id"`
	Hostname   string    `ch:"hostname" json:"hostname"`
	OS         string    `ch:"os" json:"os"`
	Version    string    `ch:"agent_version" json:"version"`
	EnrolledAt time.Time `ch:"enrolled_at" json:"enrolled_at"`
	LastSeen   time.Time `ch:"last_seen" json:"last_seen"`
	// ClientCert is the client certificate the agent enrolled with (its
	// subject and issuer), which its token must come with; "" if none.
	ClientCert string `ch:"client_cert" json:"client_cert,omitempty"`
}

// Token is a stored API or agent token; only its hash is kept.
// It is the row of api_tokens too.
type Token struct {
	Hash      string    `ch:"token_hash"`
	Role      string    `ch:"role"`
	AgentID   string    `ch:"agent_id"`
	Name      string    `ch:"name"`
	CreatedAt time.Time `ch:"created_at"`
	// ExpiresAt is nil for a token that never expires (stored as 0).
	ExpiresAt *time.Time `ch:"expires_at"`
	Revoked   bool       `ch:"revoked"`
	// MaxUses bounds the enrollments of an enroll secret; 0 = no bound.
	MaxUses uint32 `ch:"max_uses"`
}

// read is t as read: times in UTC, no expiry nil.
func (t Token) read() Token {
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), optTimeOf(t.ExpiresAt)
	return t
}

// BatchesSeen reports which of keys were already stored for agentID.
func (s *Store) BatchesSeen(ctx context.Context, agentID string, keys []string) (map[string]bool, error) {
	seen := make(map[string]bool)
	for _, chunk := range chunks(keys) {
		// has(array, x) rather than `IN (?)`: a slice bound into IN fails
		// on 18.16. No FINAL: existence is all that matters here.
		found, err := selectAll(ctx, s, "checking for repeated batches", func(r struct {
			Key string `ch:"idempotency_key"`
		}) string {
			return r.Key
		}, `SELECT DISTINCT idempotency_key FROM {db}.ingest_batches WHERE agent_id = ? AND has(?, idempotency_key)`, agentID, chunk)
		if err != nil {
			return nil, err
		}
		for _, k := range found {
			seen[k] = true
		}
	}
	return seen, nil
}

// PutBatches records stored batches. Call it after InsertRecords succeeded
// for their records, so a batch is never marked seen but missing.
func (s *Store) PutBatches(ctx context.Context, b []Batch) error {
	if len(b) == 0 {
		return nil
	}
	return s.insert(ctx, "ingest_batches", "agent_id, idempotency_key, records, received_at, version", len(b), func(i int) []any {
		n := b[i].Records
		if n < 0 {
			n = 0
		}
		return []any{b[i].AgentID, b[i].Key, uint32(n), dateTime(&b[i].ReceivedAt), s.nextVersion()}
	})
}

// PutAgent creates or replaces an agent (enrollment, heartbeat).
func (s *Store) PutAgent(ctx context.Context, a Agent) error {
	return s.insert(ctx, "agents", "agent_id, hostname, os, agent_version, enrolled_at, last_seen, client_cert, version", 1, func(int) []any {
		return []any{a.ID, a.Hostname, a.OS, a.Version, dateTime(&a.EnrolledAt), dateTime(&a.LastSeen), a.ClientCert, s.nextVersion()}
	})
}

// utc is a as read, with its times in UTC.
func (a Agent) utc() Agent {
	a.EnrolledAt, a.LastSeen = a.EnrolledAt.UTC(), a.LastSeen.UTC()
	return a
}

const agentColumns = `agent_id, hostname, os, agent_version, enrolled_at, last_seen, client_cert`

// ListAgents returns every agent, ordered by hostname.
func (s *Store) ListAgents(ctx context.Context) ([]Agent, error) {
	return selectAll(ctx, s, "listing agents", Agent.utc,
		`SELECT `+agentColumns+` FROM {db}.agents FINAL ORDER BY hostname, agent_id`)
}

// GetAgent returns one agent, or ErrNotFound.
func (s *Store) GetAgent(ctx context.Context, id string) (Agent, error) {
	return selectOne(ctx, s, "reading an agent", "agent", Agent.utc,
		`SELECT `+agentColumns+` FROM {db}.agents FINAL WHERE agent_id = ?`, id)
}

// PutToken creates or replaces a token (revoking is a put with Revoked).
func (s *Store) PutToken(ctx context.Context, t Token) error {
	return s.insert(ctx, "api_tokens", "token_hash, role, agent_id, name, created_at, expires_at, revoked, max_uses, version", 1, func(int) []any {
		return []any{t.Hash, t.Role, t.AgentID, t.Name, dateTime(&t.CreatedAt), dateTime(t.ExpiresAt), flag(t.Revoked), t.MaxUses, s.nextVersion()}
	})
}

// TokenByHash returns the token with this hash, or ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (Token, error) {
	return selectOne(ctx, s, "reading a token", "token", Token.read,
		`SELECT `+tokenColumns+` FROM {db}.api_tokens FINAL WHERE token_hash = ?`, hash)
}

// GetSetting returns a setting's value, or ErrNotFound.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	return selectOne(ctx, s, "reading a setting", "setting", func(r struct {
		Value string `ch:"value"`
	}) string {
		return r.Value
	}, "SELECT `value` FROM {db}.settings FINAL WHERE `key` = ?", key)
}

// PutSetting creates or replaces a setting.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	return s.insert(ctx, "settings", "`key`, `value`, version", 1, func(int) []any {
		return []any{key, value, s.nextVersion()}
	})
}
