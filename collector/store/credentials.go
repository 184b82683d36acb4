package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// What a found credential can reach: the IAM scanner sends each user's
// active access keys as the keyed tokens an aws_access_key finding
// carries (principal_tokens, re-keyed at ingest as findings' tokens
// are), so a key found in a file names the user it belongs to, and what
// that user may do, without the key leaving its host.

// KeyOwners returns the current principals whose access keys the current
// aws_access_key findings of asset assetID hold. A key rotation moves the
// principals' tokens with the findings' (reencryptPrincipalTokens).
func (s *Store) KeyOwners(ctx context.Context, assetID string) ([]Principal, error) {
	var found []struct {
		Tokens []string `ch:"tokens"`
	}
	q := `SELECT tokens FROM ` + currentRowsByKey("pii_findings", piiColumns, "asset_id") + ` WHERE type = 'aws_access_key'`
	if err := s.conn.Select(ctx, &found, s.sql(q), groupSet([]string{assetID})); err != nil {
		return nil, s.wrap("reading an asset's access-key findings", err)
	}
	var tokens []string
	for _, f := range found {
		tokens = append(tokens, f.Tokens...)
	}
	if len(tokens) == 0 {
		return []Principal{}, nil
	}
	var rows []struct {
		ID string `ch:"principal_id"`
	}
	q = `SELECT DISTINCT principal_id FROM {db}.principal_tokens FINAL
		WHERE arrayExists(t -> has(?, t), tokens)
		  AND (principal_id, scan_id) IN (SELECT principal_id, scan_id FROM {db}.current_principals)
		LIMIT 1000`
	if err := s.conn.Select(ctx, &rows, s.sql(q), tokens); err != nil {
		return nil, s.wrap("joining access keys to their principals", err)
	}
	if len(rows) == 0 {
		return []Principal{}, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	owners, _, err := s.Principals(ctx, PrincipalFilter{IDs: ids, Limit: len(ids)})
	return owners, err
}

// kindPrincipalTokens routes a principal record's tokens to their table.
const kindPrincipalTokens = "principal_tokens"

// KeyFiles returns the current aws_access_key findings that hold one of
// principal principalID's current access keys: the files and objects its
// keys were found in.
func (s *Store) KeyFiles(ctx context.Context, principalID string) ([]SubjectHit, error) {
	var rows []struct {
		Tokens []string `ch:"tokens"`
	}
	q := `SELECT tokens FROM {db}.principal_tokens FINAL
		WHERE principal_id IN ?
		  AND (principal_id, scan_id) IN (SELECT principal_id, scan_id FROM ` +
		currentRowsByKey("principals", principalColumns, "principal_id") + `)`
	set := groupSet([]string{principalID})
	if err := s.conn.Select(ctx, &rows, s.sql(q), set, set); err != nil {
		return nil, s.wrap("reading a principal's access-key tokens", err)
	}
	var tokens []string
	for _, r := range rows {
		tokens = append(tokens, r.Tokens...)
	}
	hits, err := s.SubjectHits(ctx, tokens)
	if err != nil {
		return nil, err
	}
	out := []SubjectHit{}
	for _, h := range hits {
		if h.Type == "aws_access_key" {
			out = append(out, h)
		}
	}
	return out, nil
}

// principalTokenRow is the newest row of principal_tokens for one
// (principal_id, owner_agent), as reencryptPrincipalTokens rewrites it.
type principalTokenRow struct {
	PrincipalID string    `ch:"principal_id"`
	OwnerAgent  string    `ch:"owner_agent"`
	Tokens      []string  `ch:"r_tokens"`
	Source      string    `ch:"r_source"`
	Host        string    `ch:"r_host"`
	AgentID     string    `ch:"r_agent_id"`
	ScanID      string    `ch:"r_scan_id"`
	ObservedAt  time.Time `ch:"r_observed_at"`
	Version     uint64    `ch:"r_version"`
}

// reencryptPrincipalTokens moves the credential tokens of every
// principal whose newest row is not at key generation to through
// transform (part of ReencryptFindings). Each row is written again with a
// higher version and token_gen = to, so a resumed rotation never
// transforms a row twice. Rows are read by argMax over (version,
// token_gen), as latestFindingColumns does for findings, so a rewrite is
// never mistaken for the row it replaced. The table holds one row per
// principal with active keys, small beside the findings: one pass.
func (s *Store) reencryptPrincipalTokens(ctx context.Context, to uint32, transform func(tokens []string) error) error {
	cols := []string{"principal_id", "owner_agent"}
	for _, c := range [...]string{"tokens", "source", "host", "agent_id", "scan_id", "observed_at"} {
		cols = append(cols, "argMax("+c+", (version, token_gen)) AS r_"+c)
	}
	rows, err := selectRows[principalTokenRow](ctx, s, "reading principals' credential tokens to re-encrypt",
		`SELECT `+strings.Join(cols, ", ")+`, max(version) AS r_version FROM {db}.principal_tokens
		GROUP BY principal_id, owner_agent
		HAVING argMax(token_gen, (version, token_gen)) != ?`, to)
	if err != nil || len(rows) == 0 {
		return err
	}
	for i := range rows {
		if err := transform(rows[i].Tokens); err != nil {
			return fmt.Errorf("re-encrypting the credential tokens of principal %s: %w", rows[i].PrincipalID, err)
		}
	}
	// Above the row's own version even if another collector's clock ran
	// ahead when it was written, as for findings (writeRewrittenFindings).
	base := s.reserveVersions(len(rows))
	return s.insert(ctx, "principal_tokens", "principal_id, tokens, source, host, agent_id, scan_id, observed_at, version, owner_agent, token_gen", len(rows), func(i int) []any {
		r := &rows[i]
		return []any{r.PrincipalID, r.Tokens, r.Source, r.Host, r.AgentID, r.ScanID, r.ObservedAt, max(base+uint64(i), r.Version+1), r.OwnerAgent, to}
	})
}
