package store

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// groupSet binds values as a set for `x IN ?`, which, unlike has(), lets
// ClickHouse use the primary key.
func groupSet(vs []string) clickhouse.GroupSet {
	set := make([]any, len(vs))
	for i, v := range vs {
		set[i] = v
	}
	return clickhouse.GroupSet{Value: set}
}

// SubjectHit is a current finding whose keyed tokens hold one of the
// searched tokens.
type SubjectHit struct {
	Tokens                                []string // which of the searched tokens it holds
	AssetID, Location, Host, Type, Source string
	Count                                 uint64
	ObservedAt                            time.Time
}

// SubjectHits returns the current findings holding any of tokens. Agents
// keep at most 100 distinct tokens per (asset, type), so a person beyond
// those in a large file is counted there but not found by this search.
//
// pii_tokens (every token ever stored, ordered by token) gives the
// candidates by its primary key; the read index's findings, ordered by
// host, say which of them are current.
func (s *Store) SubjectHits(ctx context.Context, tokens []string) ([]SubjectHit, error) {
	if len(tokens) == 0 {
		return nil, nil
	}
	in := groupSet(tokens)
	var rows []struct {
		Hits       []string  `ch:"hits"`
		AssetID    string    `ch:"asset_id"`
		Location   string    `ch:"location"`
		Host       string    `ch:"host"`
		Type       string    `ch:"type"`
		Source     string    `ch:"source"`
		Count      uint64    `ch:"count"`
		ObservedAt time.Time `ch:"observed_at"`
	}
	q := `SELECT arrayFilter(t -> has(?, t), tokens) AS hits, asset_id, location, host, type, source, count, observed_at
		FROM {db}.idx_findings
		WHERE ` + findingsOf(curGen) + `
		  AND host IN (SELECT host FROM {db}.pii_tokens WHERE token IN ?)
		  AND (asset_id, type, scan_id) IN (SELECT asset_id, type, scan_id FROM {db}.pii_tokens WHERE token IN ?)
		  AND notEmpty(hits) -- an allowed value's token is not in the index (triage.go)
		ORDER BY location, type LIMIT 10000`
	if err := s.conn.Select(ctx, &rows, s.sql(q), tokens, in, in); err != nil {
		return nil, s.wrap("searching tokens", err)
	}
	out := make([]SubjectHit, len(rows))
	for i, r := range rows {
		out[i] = SubjectHit{Tokens: r.Hits, AssetID: r.AssetID, Location: r.Location, Host: r.Host, Type: r.Type,
			Source: r.Source, Count: r.Count, ObservedAt: r.ObservedAt.UTC()}
	}
	return out, nil
}
