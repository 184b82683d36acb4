package store

import (
	"context"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// The console's list pages in the read index (migration 0021): the
// identities list and principal risk read idx_principals instead of
// folding current_principals on every request; the asset list's default
// order (most people first) and its totals are precomputed, so its page is
// a key range and its count a sum of a few hundred rows, not a sort and a
// count of every asset.

// idxPrincipalColumns are what a build stores of each current principal
// (migration 0021 names them), after gen and pos.
const idxPrincipalColumns = `principal_id, name, principal_type, source, host, agent_id, enabled, privileged, privileged_via,
	last_login, password_last_set, mfa, attr_keys, attr_values, observed_at, created, hygiene, readable`

// idxPrincipalRowColumns is principalRowColumns over idx_principals.
var idxPrincipalRowColumns = `principal_id, name, principal_type, source, host, enabled, privileged, privileged_via, last_login, mfa,
	toUInt8(` + idxStaleSQL + `) AS stale, hygiene`

// peopleDesc names the asset order idx_asset_order holds: "people",
// descending (the console's default).
const peopleDesc = "people_desc"

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
		{"asset order, all", assetOrderSQL(g, "0", "")},
		{"asset order, with personal data", assetOrderSQL(g, "1", " AND with_pii = 1")},
		// Counted per host: for the hosts whose asset rows this build
		// wrote (its own partition), the others' carried from base.
		{"asset counts", `INSERT INTO {db}.idx_asset_counts (gen, asset_type, source, host, with_pii, assets)
			SELECT gen, asset_type, source, host, with_pii, count() FROM {db}.idx_assets WHERE gen = ` + g + `
			GROUP BY gen, asset_type, source, host, with_pii`},
	}
	if base != "" {
		steps = append(steps, buildStep{"asset counts carried over", `INSERT INTO {db}.idx_asset_counts (gen, asset_type, source, host, with_pii, assets)
			SELECT ` + g + `, asset_type, source, host, with_pii, assets FROM {db}.idx_asset_counts
			WHERE gen = ` + base + ` AND host IN (SELECT host FROM {db}.idx_asset_segs WHERE gen = ` + g + ` AND seg != ` + g + `)`})
	}
	return steps
}

// assetOrderSQL places the assets of generation g that cond keeps in the
// peopleDesc order, the one Assets gives for Sort "people", Desc.
func assetOrderSQL(g, piiOnly, cond string) string {
	return `INSERT INTO {db}.idx_asset_order (gen, sort, pii_only, pos, loc_rank)
		SELECT ` + g + `, '` + peopleDesc + `', ` + piiOnly + `, rowNumberInAllBlocks() + 1, loc_rank FROM (
			SELECT loc_rank FROM {db}.idx_assets WHERE ` + assetsOf(g) + cond + ` ORDER BY ` + AssetSorts["people"] + ` DESC, loc_rank
		)`
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
// the assets f keeps in f's order, from idx_asset_order when it holds that
// order for f's filter; ok is false otherwise.
func (s *Store) assetOrderPage(ctx context.Context, f AssetFilter, limit, offset int) (ranks []uint64, ok bool, err error) {
	if f.Sort != "people" || !f.Desc || f.Type != "" || f.Source != "" || f.Host != "" ||
		len(f.Attributes) > 0 || len(f.AttributeNot) > 0 {
		return nil, false, nil
	}
	var rows []struct {
		Rank uint64 `ch:"loc_rank"`
	}
	q := `SELECT loc_rank FROM {db}.idx_asset_order WHERE gen = ` + curGen + ` AND sort = ? AND pii_only = ?
		AND pos > ? AND pos <= ? ORDER BY pos`
	if err := s.conn.Select(ctx, &rows, s.sql(q), peopleDesc, flag(f.WithPII), uint64(offset), uint64(offset+limit)); err != nil {
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
