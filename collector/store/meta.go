package store

import (
	"context"
	"fmt"
	"time"
)

// Batch is one agent request that was stored, remembered so that a repeat
// of it (same Idempotency-Key) is answered without storing it twice.
type Batch struct {
	AgentID, Key string
	Records      int
	ReceivedAt   time.Time
}

// Agent is an enrolled agent.
type Agent struct {
	ID, Hostname, OS, Version string
	EnrolledAt, LastSeen      time.Time
}

// Token is a stored API or agent token; only its hash is kept.
type Token struct {
	Hash, Role, AgentID, Name string
	CreatedAt                 time.Time
	// ExpiresAt is nil for a token that never expires.
	ExpiresAt *time.Time
	Revoked   bool
	// MaxUses bounds the enrollments of an enroll secret; 0 = no bound.
	MaxUses uint32
}

// Bounds on one BatchesSeen query: the keys are inlined into the SQL text
// by client-side binding, and ClickHouse parses at most max_query_size
// (256 KiB by default) of it.
const (
	seenChunkKeys  = 500
	seenChunkBytes = 64 << 10
)

// BatchesSeen reports which of keys were already stored for agentID.
func (s *Store) BatchesSeen(ctx context.Context, agentID string, keys []string) (map[string]bool, error) {
	seen := make(map[string]bool)
	for start := 0; start < len(keys); {
		end, size := start, 0
		for end < len(keys) && end-start < seenChunkKeys && (end == start || size+len(keys[end]) <= seenChunkBytes) {
			size += len(keys[end])
			end++
		}
		var rows []struct {
			Key string `ch:"idempotency_key"`
		}
		// has(array, x) rather than `IN (?)`: a slice bound into IN fails
		// on 18.16. No FINAL: existence is all that matters here.
		err := s.conn.Select(ctx, &rows, s.sql(`SELECT DISTINCT idempotency_key FROM {db}.ingest_batches
			WHERE agent_id = ? AND has(?, idempotency_key)`), agentID, keys[start:end])
		if err != nil {
			return nil, s.wrap("checking for repeated batches", err)
		}
		for _, r := range rows {
			seen[r.Key] = true
		}
		start = end
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
	return s.insert(ctx, "agents", "agent_id, hostname, os, agent_version, enrolled_at, last_seen, version", 1, func(int) []any {
		return []any{a.ID, a.Hostname, a.OS, a.Version, dateTime(&a.EnrolledAt), dateTime(&a.LastSeen), s.nextVersion()}
	})
}

type agentRow struct {
	ID         string    `ch:"agent_id"`
	Hostname   string    `ch:"hostname"`
	OS         string    `ch:"os"`
	Version    string    `ch:"agent_version"`
	EnrolledAt time.Time `ch:"enrolled_at"`
	LastSeen   time.Time `ch:"last_seen"`
}

func (r agentRow) agent() Agent {
	return Agent{ID: r.ID, Hostname: r.Hostname, OS: r.OS, Version: r.Version,
		EnrolledAt: r.EnrolledAt.UTC(), LastSeen: r.LastSeen.UTC()}
}

const agentColumns = `agent_id, hostname, os, agent_version, enrolled_at, last_seen`

// ListAgents returns every agent, ordered by hostname.
func (s *Store) ListAgents(ctx context.Context) ([]Agent, error) {
	var rows []agentRow
	if err := s.conn.Select(ctx, &rows, s.sql(`SELECT `+agentColumns+` FROM {db}.agents FINAL ORDER BY hostname, agent_id`)); err != nil {
		return nil, s.wrap("listing agents", err)
	}
	out := make([]Agent, len(rows))
	for i, r := range rows {
		out[i] = r.agent()
	}
	return out, nil
}

// GetAgent returns one agent, or ErrNotFound.
func (s *Store) GetAgent(ctx context.Context, id string) (Agent, error) {
	var rows []agentRow
	if err := s.conn.Select(ctx, &rows, s.sql(`SELECT `+agentColumns+` FROM {db}.agents FINAL WHERE agent_id = ?`), id); err != nil {
		return Agent{}, s.wrap("reading an agent", err)
	}
	if len(rows) == 0 {
		return Agent{}, fmt.Errorf("agent: %w", ErrNotFound)
	}
	return rows[0].agent(), nil
}

// PutToken creates or replaces a token (revoking is a put with Revoked).
func (s *Store) PutToken(ctx context.Context, t Token) error {
	return s.insert(ctx, "api_tokens", "token_hash, role, agent_id, name, created_at, expires_at, revoked, max_uses, version", 1, func(int) []any {
		return []any{t.Hash, t.Role, t.AgentID, t.Name, dateTime(&t.CreatedAt), dateTime(t.ExpiresAt), flag(t.Revoked), t.MaxUses, s.nextVersion()}
	})
}

// TokenByHash returns the token with this hash, or ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (Token, error) {
	var rows []tokenRow
	err := s.conn.Select(ctx, &rows, s.sql(`SELECT `+tokenColumns+` FROM {db}.api_tokens FINAL WHERE token_hash = ?`), hash)
	if err != nil {
		return Token{}, s.wrap("reading a token", err)
	}
	if len(rows) == 0 {
		return Token{}, fmt.Errorf("token: %w", ErrNotFound)
	}
	return rows[0].token(), nil
}

// GetSetting returns a setting's value, or ErrNotFound.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var rows []struct {
		Value string `ch:"value"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql("SELECT `value` FROM {db}.settings FINAL WHERE `key` = ?"), key); err != nil {
		return "", s.wrap("reading a setting", err)
	}
	if len(rows) == 0 {
		return "", fmt.Errorf("setting: %w", ErrNotFound)
	}
	return rows[0].Value, nil
}

// PutSetting creates or replaces a setting.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	return s.insert(ctx, "settings", "`key`, `value`, version", 1, func(int) []any {
		return []any{key, value, s.nextVersion()}
	})
}
