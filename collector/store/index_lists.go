package store

import (
	"context"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The console's list pages in the read index (migration 0021): the
// identities list and principal risk read idx_principals instead of
// folding current_principals on every request; the asset list's totals
// are precomputed (a sum of a few hundred rows, not a count of every
// asset), and so are, per host, the counts by number of people that tell
// which assets its default order (most people first) puts on a page
// (migration 0030), so only those are sorted.

// idxPrincipalColumns are what a build stores of each current principal
// (migration 0021 names them), after gen and pos.
const idxPrincipalColumns = `principal_id, name, principal_type, source, host, agent_id, enabled, privileged, privileged_via,
	last_login, password_last_set, mfa, attr_keys, attr_values, observed_at, created, hygiene, readable`

// idxPrincipalRowColumns is principalRowColumns over idx_principals.
var idxPrincipalRowColumns = `principal_id, name, principal_type, source, host, enabled, privileged, privileged_via, last_login, mfa,
	toUInt8(` + idxStaleSQL + `) AS stale, hygiene`

// listBuildSteps fill generation g's list tables (built from base, when
// not ""); they run after the principal reach and the assets are built.
func listBuildSteps(g, base string) []buildStep {
	steps := []buildStep{
		// Sorted whole (a hundred thousand principals is a small sort), so
		// the row number is the place in the identities list's order; a
		// principal two agents report is two rows, as in the view.
		{"principals", `INSERT INTO {db}.idx_principals (gen, pos, ` + idxPrincipalColumns + `)
			SELECT ` + g + `, rowNumberInAllBlocks() + 1, ` + idxPrincipalColumns + ` FROM (
				SELECT principal_id, name, principal_type, source, host, agent_id, enabled, privileged, privileged_via,
					last_login, password_last_set, mfa, attr_keys, attr_values, observed_at,
					` + createdSQL + ` AS created, ` + hygieneSQL + ` AS hygiene, readable
				FROM {db}.current_principals ANY LEFT JOIN (
					SELECT principal_id, readable FROM {db}.idx_principal_reach WHERE gen = ` + g + `
				) USING principal_id
				ORDER BY host, name, principal_id
			)`},
		// Counted per host: for the hosts whose asset rows this build
		// wrote (its own partition), the others' carried from base.
		{"asset counts", `INSERT INTO {db}.idx_asset_counts (gen, asset_type, source, host, with_pii, assets)
			SELECT gen, asset_type, source, host, with_pii, count() FROM {db}.idx_assets WHERE gen = ` + g + `
			GROUP BY gen, asset_type, source, host, with_pii`},
		{"people counts", `INSERT INTO {db}.idx_people_counts (gen, host, with_pii, distinct_sum, assets)
			SELECT gen, host, with_pii, distinct_sum, count() FROM {db}.idx_assets WHERE gen = ` + g + `
			GROUP BY gen, host, with_pii, distinct_sum`},
	}
	if base != "" {
		others := `host IN (SELECT host FROM {db}.idx_asset_segs WHERE gen = ` + g + ` AND seg != ` + g + `)`
		steps = append(steps, buildStep{"asset counts carried over", `INSERT INTO {db}.idx_asset_counts (gen, asset_type, source, host, with_pii, assets)
			SELECT ` + g + `, asset_type, source, host, with_pii, assets FROM {db}.idx_asset_counts
			WHERE gen = ` + base + ` AND ` + others},
			buildStep{"people counts carried over", `INSERT INTO {db}.idx_people_counts (gen, host, with_pii, distinct_sum, assets)
			SELECT ` + g + `, host, with_pii, distinct_sum, assets FROM {db}.idx_people_counts
			WHERE gen = ` + base + ` AND ` + others})
	}
	return steps
}

// IndexPrincipals is Principals over the read index's build: the same
// answer as of that build. Named principals (a detail page) are read from
// the current rows, by key, as Principals does.
func (s *Store) IndexPrincipals(ctx context.Context, f PrincipalFilter) ([]Principal, uint64, error) {
	if f.IDs != nil {
		return s.Principals(ctx, f)
	}
	conds, args := principalConds(f, idxStaleSQL, "hygiene")
	where := " WHERE " + strings.Join(append([]string{"gen = " + curGen}, conds...), " AND ")
	args = append([]any{staleCutoff(f.StaleBefore)}, args...)
	limit, offset := pageBounds(f.Limit, f.Offset)
	total, err := s.count(ctx, "counting principals", `WITH ? AS stale_cutoff SELECT count() AS n FROM {db}.idx_principals`+where, args...)
	if err != nil {
		return nil, 0, err
	}
	if total == 0 || uint64(offset) >= total {
		return []Principal{}, total, nil
	}
	// Unfiltered, the page is positions offset+1 to offset+limit (pos
	// numbers the build's rows from 1). Filtered, the page's positions
	// first, from the filter's columns alone (the subquery binds its own
	// cutoff). Either way its rows are read by the primary key.
	page := `pos > ? AND pos <= ?`
	pageArgs := []any{uint64(offset), uint64(offset + limit)}
	if len(conds) > 0 {
		page = `pos IN (WITH ? AS stale_cutoff SELECT pos FROM {db}.idx_principals` + where + ` ORDER BY pos LIMIT ? OFFSET ?)`
		pageArgs = append(args, limit, offset)
	}
	q := `WITH ? AS stale_cutoff
		SELECT ` + idxPrincipalRowColumns + `, agent_id, password_last_set, attr_keys, attr_values, observed_at
		FROM {db}.idx_principals
		WHERE gen = ` + curGen + ` AND ` + page + `
		ORDER BY pos`
	items, err := s.principalPage(ctx, q, append([]any{staleCutoff(f.StaleBefore)}, pageArgs...)...)
	return items, total, err
}

// assetCount is how many assets of the newest build f keeps, from
// idx_asset_counts when f filters on nothing else than what it counts by;
// ok is false otherwise.
func (s *Store) assetCount(ctx context.Context, f AssetFilter) (n uint64, ok bool, err error) {
	if len(f.Attributes) > 0 || len(f.AttributeNot) > 0 {
		return 0, false, nil
	}
	var w where
	w.add("gen = " + curGen)
	w.filter("asset_type = ?", f.Type)
	w.filter("source = ?", f.Source)
	w.filter("host = ?", f.Host)
	if f.WithPII {
		w.add("with_pii = 1")
	}
	n, err = s.count(ctx, "counting assets", `SELECT sum(assets) AS n FROM {db}.idx_asset_counts`+w.sql(), w.args...)
	return n, err == nil, err
}

// assetOrderPage is the location ranks of page [offset, offset+limit) of
// the assets f keeps in f's order when that is the console's default
// (most people first: Sort "people", Desc) and f filters on nothing else
// than personal data; ok is false otherwise. The page's range of
// distinct_sum comes from idx_people_counts (a few rows per host), so
// only the assets within it are sorted, not every asset.
func (s *Store) assetOrderPage(ctx context.Context, f AssetFilter, limit, offset int) (ranks []uint64, ok bool, err error) {
	if f.Sort != "people" || !f.Desc || f.Type != "" || f.Source != "" || f.Host != "" ||
		len(f.Attributes) > 0 || len(f.AttributeNot) > 0 {
		return nil, false, nil
	}
	var counts []struct {
		Sum uint64 `ch:"distinct_sum"`
		N   uint64 `ch:"n"`
	}
	q := `SELECT distinct_sum, sum(assets) AS n FROM {db}.idx_people_counts WHERE gen = ` + curGen + ` AND with_pii >= ?
		GROUP BY distinct_sum ORDER BY distinct_sum DESC`
	if err := s.conn.Select(ctx, &counts, s.sql(q), flag(f.WithPII)); err != nil {
		return nil, false, s.wrap("reading assets", err)
	}
	if len(counts) == 0 {
		// A build made before migration 0030 counted none: sort.
		return nil, false, nil
	}
	first, end := uint64(offset), uint64(offset+limit)
	var seen, skip, hi, lo uint64
	found := false
	for _, c := range counts {
		if !found && seen+c.N > first {
			hi, skip, found = c.Sum, first-seen, true
		}
		if found {
			lo = c.Sum
		}
		if seen += c.N; seen >= end {
			break
		}
	}
	if !found {
		return []uint64{}, true, nil
	}
	var rows []struct {
		Rank uint64 `ch:"loc_rank"`
	}
	q = `SELECT loc_rank FROM {db}.idx_assets PREWHERE distinct_sum >= ? AND distinct_sum <= ?
		WHERE ` + assetsOf(curGen) + ` AND with_pii >= ?
		ORDER BY ` + AssetSorts["people"] + ` DESC, loc_rank LIMIT ? OFFSET ?`
	if err := s.conn.Select(ctx, &rows, s.sql(q), lo, hi, flag(f.WithPII), uint64(limit), skip); err != nil {
		return nil, false, s.wrap("reading assets", err)
	}
	ranks = make([]uint64, len(rows))
	for i, r := range rows {
		ranks[i] = r.Rank
	}
	return ranks, true, nil
}

// rankSet binds ranks to an IN ?.
func rankSet(ranks []uint64) clickhouse.GroupSet {
	set := make([]any, len(ranks))
	for i, r := range ranks {
		set[i] = r
	}
	return clickhouse.GroupSet{Value: set}
}
