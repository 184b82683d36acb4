package store

import "context"

// What a found credential can reach: the IAM scanner sends each user's
// active access keys as the keyed tokens an aws_access_key finding
// carries (principal_tokens, re-keyed at ingest as findings' tokens
// are), so a key found in a file names the user it belongs to, and what
// that user may do, without the key leaving its host.

// KeyOwners returns the current principals whose access keys the current
// aws_access_key findings of asset assetID hold. Tokens re-keyed by a key
// rotation join again after the next IAM scan sends them.
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
