package store

import (
	"context"
	"strings"
)

// ImpactScope selects current findings: any of these hosts, assets or
// location prefixes (an empty scope selects nothing).
type ImpactScope struct {
	Hosts, AssetIDs, LocationPrefixes []string
	// Principals adds what they can reach: the read index's one
	// definition of reach (idx_holders, idx_grants: their groups at any
	// depth, everyone on their host, bucket grants on the objects).
	Principals []string
}

// reachedBy is the assets a set of principals (one bound set) can reach.
const reachedBy = `(SELECT asset_id FROM {db}.idx_grants WHERE gen = ` + curGen + ` AND holder IN
	(SELECT holder FROM {db}.idx_holders WHERE gen = ` + curGen + ` AND principal_id IN ?))`

// ImpactRow is what a scope holds of one type.
type ImpactRow struct {
	Category, Type string
	Assets, Hosts  uint64
	Occurrences    uint64 // sum of counts
	DistinctSum    uint64 // sum of per-asset distinct counts: an upper bound on distinct values
	TokensUnique   uint64 // distinct keyed tokens across the scope: a lower bound (100 kept per asset and type)
	SamplePrefixes []string
}

// Impact summarises the current findings in scope by type, from the read
// index, whose findings are ordered by host: every part of the scope is
// narrowed to its hosts first, so ClickHouse reads only their ranges.
func (s *Store) Impact(ctx context.Context, sc ImpactScope) ([]ImpactRow, error) {
	var conds []string
	var args []any
	// `host IN ?` (a set), not has(): only IN lets ClickHouse use the
	// primary key.
	if len(sc.Hosts) > 0 {
		conds = append(conds, "host IN ?")
		args = append(args, groupSet(sc.Hosts))
	}
	if len(sc.AssetIDs) > 0 {
		conds = append(conds, `(host IN `+hostsOfAssets+` AND has(?, asset_id))`)
		args = append(args, groupSet(sc.AssetIDs), sc.AssetIDs)
	}
	for _, p := range sc.LocationPrefixes {
		conds = append(conds, `(host IN (SELECT host FROM {db}.idx_assets WHERE `+assetsOf(curGen)+` AND startsWith(location, ?)) AND startsWith(location, ?))`)
		args = append(args, p, p)
	}
	if len(sc.Principals) > 0 {
		conds = append(conds, `(host IN (SELECT host FROM {db}.idx_asset_ids WHERE `+assetsOf(curGen)+` AND asset_id IN `+reachedBy+`)
			AND asset_id IN `+reachedBy+`)`)
		args = append(args, groupSet(sc.Principals), groupSet(sc.Principals))
	}
	if len(conds) == 0 {
		return nil, nil
	}
	var rows []struct {
		Category string   `ch:"category"`
		Type     string   `ch:"type"`
		Assets   uint64   `ch:"assets"`
		Hosts    uint64   `ch:"hosts"`
		Occ      uint64   `ch:"occ"`
		Distinct uint64   `ch:"dist"`
		Tokens   uint64   `ch:"toks"`
		Prefixes []string `ch:"prefixes"`
	}
	// The sample prefixes (an IBAN's country) need no size bound: there are
	// at most 26×26, and 18.16 rejects groupUniqArray's size parameter.
	q := `SELECT category, type, uniqExact(asset_id) AS assets, uniqExact(host) AS hosts, sum(count) AS occ,
			sum(distinct_count) AS dist, uniqExactArray(tokens) AS toks, groupUniqArrayArray(sample_prefixes) AS prefixes
		FROM {db}.idx_findings
		WHERE ` + findingsOf(curGen) + ` AND (` + strings.Join(conds, " OR ") + `)
		GROUP BY category, type ORDER BY category, type`
	if err := s.conn.Select(ctx, &rows, s.sql(q), args...); err != nil {
		return nil, s.wrap("summarising impact", err)
	}
	out := make([]ImpactRow, len(rows))
	for i, r := range rows {
		var pre []string
		for _, p := range r.Prefixes {
			if p != "" {
				pre = append(pre, p)
			}
		}
		out[i] = ImpactRow{Category: r.Category, Type: r.Type, Assets: r.Assets, Hosts: r.Hosts, Occurrences: r.Occ,
			DistinctSum: r.Distinct, TokensUnique: r.Tokens, SamplePrefixes: pre}
	}
	return out, nil
}
