package store

import (
	"context"
	"fmt"
	"time"
)

// Rotating the token encryption key (collector/keys.Rotate): every stored
// token is moved from one key generation to the next in place. Tokens live
// in pii_findings.tokens (the source of truth), pii_tokens.token (filled
// by pii_tokens_mv from pii_findings) and idx_findings.tokens (the read
// index), the last two rebuilt from the first; and in allow rules
// (triage.go) and principals' credential tokens (credentials.go). As for the re-keying
// of 0010, the cryptography runs in Go: no key may appear in SQL text.

// DefaultReencryptChunkRows is about how many assets' findings one step
// of ReencryptFindings rewrites (and holds in memory) when the caller
// gives no size.
const DefaultReencryptChunkRows = 20000

// ReencryptFindings rewrites every pii_findings row whose newest version
// is not at key generation to: transform moves its tokens in place, and
// the row is inserted again with a higher version and token_gen = to, so
// the rewrite replaces it. It returns how many rows it rewrote. The table
// is walked in ranges of about chunkRows asset ids, by the primary key, so
// each step reads only its own part of the table; each step is stored
// before the next is read, so a call that fails or is cancelled half way
// leaves some rows at to and the rest untouched, and the next call picks
// up only the rest: no token is transformed twice. Nothing else may write
// pii_findings meanwhile (collector/keys requires every collector
// stopped).
func (s *Store) ReencryptFindings(ctx context.Context, to uint32, chunkRows int, transform func(tokens []string) error) (int, error) {
	if chunkRows <= 0 {
		chunkRows = DefaultReencryptChunkRows
	}
	// Migration 0011 deletes ownerless originals with a mutation;
	// rewriting one of them would bring it back.
	if err := s.awaitMutations(ctx, "pii_findings"); err != nil {
		return 0, err
	}
	bounds, err := s.pendingAssetBounds(ctx, to, chunkRows)
	if err != nil {
		return 0, err
	}
	total := 0
	for i, lo := range bounds {
		q := `SELECT ` + latestFindingColumns("token_gen") + ` FROM {db}.pii_findings
			WHERE owner_agent != '' AND asset_id >= ?`
		args := []any{lo}
		if i+1 < len(bounds) {
			q += ` AND asset_id < ?`
			args = append(args, bounds[i+1])
		}
		q += ` GROUP BY asset_id, type, owner_agent
			HAVING argMax(token_gen, (version, token_gen)) != ?`
		args = append(args, to)
		var rows []findingRow
		if err := s.long.Select(ctx, &rows, s.sql(q), args...); err != nil {
			return total, s.wrap("reading findings to re-encrypt", err)
		}
		if len(rows) == 0 {
			continue
		}
		for i := range rows {
			if err := transform(rows[i].Tokens); err != nil {
				return total, fmt.Errorf("re-encrypting the tokens of finding %s/%s: %w", rows[i].AssetID, rows[i].Type, err)
			}
		}
		if err := s.writeRewrittenFindings(ctx, rows, &to); err != nil {
			return total, err
		}
		total += len(rows)
	}
	// Allow rules hold stored tokens too (triage.go).
	if err := s.reencryptAllowRules(ctx, to, transform); err != nil {
		return total, err
	}
	// And principals' credential tokens (credentials.go).
	if err := s.reencryptPrincipalTokens(ctx, to, transform); err != nil {
		return total, err
	}
	return total, nil
}

// pendingAssetBounds returns the lower bounds of ranges of about n asset
// ids, in order, covering every asset with a row not at generation to
// (the first bound is the smallest such id). Only asset ids stream
// through, one pass.
func (s *Store) pendingAssetBounds(ctx context.Context, to uint32, n int) ([]string, error) {
	rows, err := s.long.Query(ctx, s.sql(`SELECT DISTINCT asset_id FROM {db}.pii_findings
		WHERE token_gen != ? AND owner_agent != '' ORDER BY asset_id`), to)
	if err != nil {
		return nil, s.wrap("listing findings to re-encrypt", err)
	}
	defer rows.Close()
	var bounds []string
	for i := 0; rows.Next(); i++ {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.wrap("listing findings to re-encrypt", err)
		}
		if i%n == 0 {
			bounds = append(bounds, id)
		}
	}
	return bounds, s.wrap("listing findings to re-encrypt", rows.Err())
}

// PurgeStaleTokens removes every token ReencryptFindings left at an older
// generation: the replaced rows of pii_findings and principal_tokens
// (merged away; it fails if a row not at gen survives), pii_tokens (emptied and refilled from the
// findings) and the read index's findings (emptied, and the index marked
// unbuilt, so the next read waits for a rebuild). Replaced parts stay on
// disk as inactive parts until ClickHouse's cleanup removes them
// (old_parts_lifetime, 8 minutes by default); no query reads them.
func (s *Store) PurgeStaleTokens(ctx context.Context, gen uint32) error {
	if err := s.purgeTokens(ctx, tokenPurge{stale: "token_gen != ?", args: []any{gen}, keep: "1",
		what:      "merging re-encrypted findings",
		survivors: "%d findings still hold tokens of an older key generation after the merge; ClickHouse may have skipped it (disk space?) or a collector wrote meanwhile; stop every collector and run the rotation again"}); err != nil {
		return err
	}
	// The principals' credential tokens replaced by their rewrites.
	left, err := s.mergeUntil(ctx, "principal_tokens", "token_gen != ?", "merging re-encrypted credential tokens", gen)
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d principals' credential tokens are still at an older key generation after the merge; ClickHouse may have skipped it (disk space?) or a collector wrote meanwhile; stop every collector and run the rotation again", left)
	}
	return s.awaitReplicas(ctx, true, "principal_tokens")
}

// awaitMerges waits until no background merge of table is running.
func (s *Store) awaitMerges(ctx context.Context, table string) error {
	if s.cluster != nil {
		// The merges are of NAME_local, on every node, queued there.
		return s.awaitReplicas(ctx, true, table)
	}
	return awaitZero(ctx, func() (uint64, error) {
		var rows []struct {
			N uint64 `ch:"n"`
		}
		if err := s.conn.Select(ctx, &rows, `SELECT count() AS n FROM system.merges WHERE database = ? AND table = ?`, s.o.Database, table); err != nil {
			return 0, s.wrap("waiting for the merges of "+table, err)
		}
		if len(rows) == 0 {
			return 0, nil
		}
		return rows[0].N, nil
	}, func(err error) error { return fmt.Errorf("waiting for the merges of %s: %w", table, err) })
}

// Setting is one row of the settings table.
type Setting struct {
	Key   string `ch:"key"`
	Value string `ch:"value"`
}

// SettingsWithPrefix returns the current settings whose key starts with
// prefix (collector leases: collector/keys).
func (s *Store) SettingsWithPrefix(ctx context.Context, prefix string) ([]Setting, error) {
	var rows []Setting
	err := s.conn.Select(ctx, &rows, s.sql("SELECT `key`, `value` FROM {db}.settings FINAL WHERE substring(`key`, 1, length(?)) = ? ORDER BY `key`"), prefix, prefix)
	if err != nil {
		return nil, s.wrap("reading settings", err)
	}
	return rows, nil
}

// AgentFindings is how many findings with tokens one agent has stored.
type AgentFindings struct {
	AgentID  string `ch:"agent_id"`
	Findings uint64 `ch:"findings"`
}

// FindingsOfAgentsEnrolledBefore lists the agents (at most limit) with
// stored findings holding tokens that did not enroll after t, or that the
// agents table does not know: after `keys rotate --agent-key` at t, their
// tokens may be hashed with the replaced agent key.
func (s *Store) FindingsOfAgentsEnrolledBefore(ctx context.Context, t time.Time, limit int) ([]AgentFindings, error) {
	var rows []AgentFindings
	q := `SELECT owner_agent AS agent_id, count() AS findings FROM {db}.pii_findings FINAL
		WHERE notEmpty(tokens) AND owner_agent NOT IN (SELECT agent_id FROM {db}.agents FINAL WHERE enrolled_at > ?)
		GROUP BY owner_agent ORDER BY owner_agent LIMIT ?`
	if err := s.conn.Select(ctx, &rows, s.sql(q), t.UTC(), limit); err != nil {
		return nil, s.wrap("listing agents with findings from before the agent key rotation", err)
	}
	return rows, nil
}
