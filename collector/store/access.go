package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/internal/clip"
)

// PrincipalFilter narrows the current principals. Empty fields do not
// filter.
type PrincipalFilter struct {
	Host, Source, Type string
	Privileged         *bool
	IDs                []string
	// Stale, Disabled and MFA keep principals that are (true) or are not
	// (false) stale, disabled (enabled = 0) or known to use MFA. MFA never
	// matches a principal whose MFA state is unknown.
	Stale, Disabled, MFA *bool
	// Hygiene keeps principals whose hygiene attribute (a comma-separated
	// list of flags) holds this flag.
	Hygiene string
	// StaleBefore is when a login must have happened for an account not to
	// be stale: an account (not a group) that is not disabled and last
	// logged in before it, or never logged in and was created before it.
	// Zero: no principal is stale.
	StaleBefore   time.Time
	Limit, Offset int
}

// staleSQL is the one definition of a stale principal, for filters and
// answers alike. It needs "? AS stale_cutoff" (Unix seconds) in a WITH
// clause. "Not disabled" rather than "enabled": IAM reports no enabled
// state for its users. Only AD's when_created says when an account was
// made; without it an account that never logged in is not stale, since
// most sources (local accounts) do not report logins at all.
const staleSQL = `(enabled != 0 AND principal_type != 'group' AND stale_cutoff > 0 AND (
		(toUInt32(last_login) > 0 AND toUInt32(last_login) < stale_cutoff)
		OR (toUInt32(last_login) = 0 AND toUInt32(` + createdSQL + `) > 0 AND toUInt32(` + createdSQL + `) < stale_cutoff)))`

// idxStaleSQL is staleSQL over idx_principals, whose created column holds
// createdSQL as the build computed it.
var idxStaleSQL = strings.ReplaceAll(staleSQL, createdSQL, "created")

// createdSQL is when the account was created, 1970 when unknown. The
// empty case is spelled out: on 18.16, parseDateTimeBestEffortOrZero of an
// empty string is 2000-01-01, not zero.
const createdSQL = `if(attr_values[indexOf(attr_keys, 'when_created')] = '', toDateTime(0),
		parseDateTimeBestEffortOrZero(attr_values[indexOf(attr_keys, 'when_created')]))`

// hygieneSQL is a principal's hygiene flags as an array.
const hygieneSQL = `arrayFilter(x -> x != '', splitByChar(',', attr_values[indexOf(attr_keys, 'hygiene')]))`

// principalRow is what both principal reads (Principals,
// PrincipalExposures) scan of a current principal; principalRowColumns
// selects it and needs stale_cutoff (staleSQL).
type principalRow struct {
	ID         string    `ch:"principal_id"`
	Name       string    `ch:"name"`
	Type       string    `ch:"principal_type"`
	Source     string    `ch:"source"`
	Host       string    `ch:"host"`
	Enabled    int8      `ch:"enabled"`
	Privileged uint8     `ch:"privileged"`
	Via        []string  `ch:"privileged_via"`
	LastLogin  time.Time `ch:"last_login"`
	MFA        int8      `ch:"mfa"`
	Stale      uint8     `ch:"stale"`
	Hygiene    []string  `ch:"hygiene"`
}

const principalRowColumns = `principal_id, name, principal_type, source, host, enabled, privileged, privileged_via, last_login, mfa,
	toUInt8(` + staleSQL + `) AS stale, ` + hygieneSQL + ` AS hygiene`

func staleCutoff(t time.Time) int64 {
	if t.IsZero() || t.Unix() <= 0 {
		return 0
	}
	return t.Unix()
}

// Principal is one current account, group or role.
type Principal struct {
	ID, Name, Type, Source, Host, AgentID string
	Enabled                               *bool
	Privileged                            bool
	PrivilegedVia                         []string
	PasswordLastSet                       *time.Time
	// LastLogin and MFA are nil when the source does not say.
	LastLogin  *time.Time
	MFA        *bool
	Stale      bool
	Hygiene    []string
	Attributes map[string]string
	ObservedAt time.Time
}

// Entitlement is one current grant: a row of current_entitlements, and
// the API's answer (which leaves out whose grant it is and where it was
// seen: the principal's).
type Entitlement struct {
	PrincipalID  string   `ch:"principal_id" json:"-"`
	ResourceID   string   `ch:"resource_id" json:"resource_id"`
	ResourceType string   `ch:"resource_type" json:"resource_type"`
	Permission   string   `ch:"permission" json:"permission"`
	Via          []string `ch:"via" json:"via"`
	Privileged   bool     `ch:"privileged" json:"privileged"`
	Source       string   `ch:"source" json:"-"`
	Host         string   `ch:"host" json:"-"`
}

// Asset is an asset's identity and, where it comes from the read index,
// what personal data it holds (types, occurrences, at most how many
// distinct values: "people_at_most") and how many principals can read it
// (reach.go). The API answers with it.
type Asset struct {
	ID             string            `json:"asset_id"`
	Type           string            `json:"asset_type"`
	Location       string            `json:"location"`
	Host           string            `json:"host"`
	Source         string            `json:"source"`
	Owner          string            `json:"owner"`
	Size           int64             `json:"size"`
	ModifiedAt     *time.Time        `json:"modified_at,omitempty"`
	Attributes     map[string]string `json:"attributes"`
	Categories     []string          `json:"categories"`
	Types          []string          `json:"types"`
	Occurrences    uint64            `json:"occurrences"`
	DistinctAtMost uint64            `json:"people_at_most"`
	Readers        uint64            `json:"readers"`
}

// Principals returns a page of current principals matching f, ordered by
// host and name, and how many match in all.
func (s *Store) Principals(ctx context.Context, f PrincipalFilter) (items []Principal, total uint64, err error) {
	if f.IDs != nil && len(f.IDs) == 0 {
		// None named: none match (and has([], x) is a type error).
		return []Principal{}, 0, nil
	}
	conds, args := principalConds(f, staleSQL, hygieneSQL)
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	// Named principals (a detail page) are read by their key ranges.
	from, fromArgs := `{db}.current_principals`, []any(nil)
	if len(f.IDs) > 0 {
		from, fromArgs = currentRowsByKey("principals", principalColumns, "principal_id"), []any{groupSet(f.IDs)}
	}
	// The cutoff comes first: the WITH clause opens both queries.
	args = append(append([]any{staleCutoff(f.StaleBefore)}, fromArgs...), args...)
	limit, offset := pageBounds(f.Limit, f.Offset)
	total, err = s.count(ctx, "counting principals", `WITH ? AS stale_cutoff SELECT count() AS n FROM `+from+where, args...)
	if err != nil {
		return nil, 0, err
	}
	if total == 0 || uint64(offset) >= total {
		return []Principal{}, total, nil
	}
	q := `WITH ? AS stale_cutoff
		SELECT ` + principalRowColumns + `, agent_id, password_last_set, attr_keys, attr_values, observed_at
		FROM ` + from + where + `
		ORDER BY host, name, principal_id LIMIT ? OFFSET ?`
	items, err = s.principalPage(ctx, q, append(args, limit, offset)...)
	return items, total, err
}

// principalConds is f's conditions, over a source whose stale and hygiene
// are the expressions given (the view computes them, the read index
// stores them).
func principalConds(f PrincipalFilter, stale, hygiene string) (conds []string, args []any) {
	for _, c := range []struct{ sql, v string }{
		{"host = ?", f.Host}, {"source = ?", f.Source}, {"principal_type = ?", f.Type},
	} {
		if c.v != "" {
			conds = append(conds, c.sql)
			args = append(args, c.v)
		}
	}
	if f.Privileged != nil {
		conds = append(conds, "privileged = ?")
		args = append(args, flag(*f.Privileged))
	}
	if len(f.IDs) > 0 {
		conds = append(conds, "has(?, principal_id)")
		args = append(args, f.IDs)
	}
	if f.Stale != nil {
		conds = append(conds, stale+" = ?")
		args = append(args, flag(*f.Stale))
	}
	if f.Disabled != nil {
		if *f.Disabled {
			conds = append(conds, "enabled = 0")
		} else {
			conds = append(conds, "enabled != 0")
		}
	}
	if f.MFA != nil {
		conds = append(conds, "mfa = ?")
		args = append(args, triState(f.MFA))
	}
	if f.Hygiene != "" {
		conds = append(conds, "has("+hygiene+", ?)")
		args = append(args, f.Hygiene)
	}
	return conds, args
}

// principalPage runs q, which selects principalRowColumns (or their
// idx_principals twin) and the rest of a principal, and returns its rows.
func (s *Store) principalPage(ctx context.Context, q string, args ...any) ([]Principal, error) {
	var rows []struct {
		principalRow
		AgentID         string    `ch:"agent_id"`
		PasswordLastSet time.Time `ch:"password_last_set"`
		Keys            []string  `ch:"attr_keys"`
		Values          []string  `ch:"attr_values"`
		ObservedAt      time.Time `ch:"observed_at"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(q), args...); err != nil {
		return nil, s.wrap("reading principals", err)
	}
	items := make([]Principal, len(rows))
	for i, r := range rows {
		p := Principal{ID: r.ID, Name: r.Name, Type: r.Type, Source: r.Source, Host: r.Host, AgentID: r.AgentID,
			Privileged: r.Privileged == 1, PrivilegedVia: r.Via, Attributes: kvMap(r.Keys, r.Values), ObservedAt: r.ObservedAt.UTC()}
		if r.Enabled >= 0 {
			e := r.Enabled == 1
			p.Enabled = &e
		}
		p.PasswordLastSet, p.LastLogin, p.MFA = optTime(r.PasswordLastSet), optTime(r.LastLogin), optBool(r.MFA)
		p.Stale, p.Hygiene = r.Stale == 1, r.Hygiene
		items[i] = p
	}
	return items, nil
}

// Entitlements returns the current grants on any of resourceIDs (or held
// by any of principalIDs), with the given permission ("" for any).
func (s *Store) Entitlements(ctx context.Context, resourceIDs, principalIDs []string, permission string) ([]Entitlement, error) {
	var w where
	if resourceIDs != nil {
		w.add("has(?, resource_id)", resourceIDs)
	}
	if principalIDs != nil {
		w.add("has(?, principal_id)", principalIDs)
	}
	w.filter("permission = ?", permission)
	if len(principalIDs) == 0 {
		return s.currentEntitlements(ctx, "reading entitlements", w)
	}
	// A principal's grants (its detail page) are its key range of
	// entitlements, not the whole current_entitlements view.
	return selectRows[Entitlement](ctx, s, "reading entitlements",
		`SELECT principal_id, resource_id, resource_type, permission, via, privileged, source, host
		FROM `+currentRowsByKey("entitlements", entitlementColumns, "principal_id")+w.sql()+`
		ORDER BY principal_id, resource_id, permission LIMIT ?`, append(append([]any{groupSet(principalIDs)}, w.args...), maxEntitlements)...)
}

// currentRowsByKey is a current_ view's rows (currentView in views.go:
// the same columns, scan join and condition) restricted to the rows of
// table whose key, the first column of its sorting key, is in the set
// bound to its one ?. The restriction sits inside the FINAL, so ClickHouse
// reads the keys' ranges of the primary index instead of folding the whole
// table (18.16 does not push a view's outer WHERE into it); a key's rows
// all fall in its range, so FINAL keeps the same ones.
func currentRowsByKey(table, columns, key string) string {
	return `(SELECT ` + columns + ` FROM (SELECT ` + columns + ` FROM {db}.` + table + ` FINAL WHERE ` + key + ` IN ?)
	` + currentScanJoin + `
	WHERE ` + currentRowCondition + `)`
}

// AssetByLocation returns the asset at a location (on host and of
// source, when given), or ErrNotFound, or ErrAmbiguousLocation when two
// assets are there: a location is what a record says and a shared
// source's scope any name its records give, so the authority of a
// made-up Azure account named "fs.corp" reported an asset at a share's
// location on host fs.corp, and the last seen (by the agent's clock: a
// forger's, dated ahead) was answered
// (TestSameLocationOtherSourceKeepsItsReaders).
func (s *Store) AssetByLocation(ctx context.Context, location, host, source string) (Asset, error) {
	var rows []assetRow
	// First by the ids the read index knows at that location
	// (idx_asset_locations), a primary-key range of assets; then, for an
	// asset newer than the index's build (or none), by scanning assets.
	// One row per asset, two at most: enough to tell one from several.
	q := `SELECT asset_id, asset_type, location, host, source, owner, attr_keys, attr_values
		FROM {db}.assets FINAL WHERE %s location = ? AND (? = '' OR host = ?) AND (? = '' OR source = ?)
		ORDER BY observed_at DESC LIMIT 1 BY asset_id LIMIT 2`
	byIndex := `asset_id IN (SELECT asset_id FROM {db}.idx_asset_locations WHERE ` + assetsOf(curGen) + `
			AND location = ? AND (? = '' OR host = ?)) AND`
	for _, narrow := range []struct {
		cond string
		args []any
	}{{byIndex, []any{location, host, host}}, {"", nil}} {
		args := append(narrow.args, location, host, host, source, source)
		if err := s.conn.Select(ctx, &rows, s.sql(fmt.Sprintf(q, narrow.cond)), args...); err != nil {
			return Asset{}, s.wrap("reading asset", err)
		}
		if len(rows) > 0 {
			break
		}
	}
	switch {
	case len(rows) == 0:
		return Asset{}, ErrNotFound
	case len(rows) > 1:
		return Asset{}, fmt.Errorf("%w: %s (%s on %s) and %s (%s on %s); give host and source, or ask by id (GET /api/v1/assets/{id})",
			ErrAmbiguousLocation, rows[0].ID, rows[0].Source, clip.String(rows[0].Host, 64), rows[1].ID, rows[1].Source, clip.String(rows[1].Host, 64))
	}
	return rows[0].asset(), nil
}

// ErrAmbiguousLocation means several assets are at one location (the
// API's 409).
var ErrAmbiguousLocation = errors.New("several assets are at this location")

func pageBounds(limit, offset int) (int, int) {
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	return limit, max(offset, 0)
}

// AssetFilter narrows the current assets. Attributes must all match.
type AssetFilter struct {
	Type, Source, Host string
	Attributes         map[string]string
	// AttributeNot excludes assets whose attribute has this value.
	AttributeNot map[string]string
	// WithPII keeps assets holding current personal data themselves, and
	// buckets whose scan counted objects that do.
	WithPII bool
	// Sort is one of AssetSorts (default "location"); Desc reverses it.
	Sort          string
	Desc          bool
	Limit, Offset int
}

// AssetSorts are the orders Assets offers, by name, each made total by
// the rank by (location, asset id) so pages neither repeat nor skip rows.
var AssetSorts = map[string]string{
	"location": "", "occurrences": "occurrences", "size": "size", "modified_at": "modified_at",
	"readers": "readers", "people": "distinct_sum",
}

// Assets returns a page of current assets matching f, in f's order, and
// how many match, from the read index.
func (s *Store) Assets(ctx context.Context, f AssetFilter) ([]Asset, uint64, error) {
	conds := []string{assetsOf(curGen)}
	var args []any
	for _, c := range []struct{ sql, v string }{{"asset_type = ?", f.Type}, {"source = ?", f.Source}, {"host = ?", f.Host}} {
		if c.v != "" {
			conds = append(conds, c.sql)
			args = append(args, c.v)
		}
	}
	// Keys in order, so the same filter is the same SQL text.
	for _, m := range []struct {
		op    string
		attrs map[string]string
	}{{"=", f.Attributes}, {"!=", f.AttributeNot}} {
		for _, k := range slices.Sorted(maps.Keys(m.attrs)) {
			conds = append(conds, "attr_values[indexOf(attr_keys, ?)] "+m.op+" ?")
			args = append(args, k, m.attrs[k])
		}
	}
	if f.WithPII {
		// Precomputed by the index (migration 0018): reading every row's
		// attribute arrays cost seconds at millions of assets.
		conds = append(conds, "with_pii = 1")
	}
	key, ok := AssetSorts[f.Sort]
	if f.Sort == "" {
		key, ok = "", true
	}
	if !ok {
		return nil, 0, fmt.Errorf("unknown sort %q: %w", f.Sort, ErrBadFilter)
	}
	dir := ""
	if f.Desc {
		dir = " DESC"
	}
	order := "loc_rank" + dir
	if key != "" {
		order = key + dir + ", loc_rank"
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	limit, offset := pageBounds(f.Limit, f.Offset)
	// The total from idx_asset_counts when the filter is one it counts by,
	// else by counting.
	total, counted, err := s.assetCount(ctx, f)
	if err == nil && !counted {
		total, err = s.count(ctx, "counting assets", `SELECT count() AS n FROM {db}.idx_assets`+where, args...)
	}
	if err != nil {
		return nil, 0, err
	}
	if total == 0 || uint64(offset) >= total {
		return []Asset{}, total, nil
	}
	// The page's location ranks first (for the default order, only the
	// assets in the page's range of people: assetOrderPage), else sorting
	// numbers only; then its rows: sorting whole rows (or even the ids) of
	// a big index costs several times more.
	ranks, ordered, err := s.assetOrderPage(ctx, f, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	if !ordered {
		var page []struct {
			Rank uint64 `ch:"loc_rank"`
		}
		q := `SELECT loc_rank FROM {db}.idx_assets` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
		if err := s.conn.Select(ctx, &page, s.sql(q), append(args, limit, offset)...); err != nil {
			return nil, 0, s.wrap("reading assets", err)
		}
		for _, p := range page {
			ranks = append(ranks, p.Rank)
		}
	}
	if len(ranks) == 0 {
		return []Asset{}, total, nil
	}
	pos := make(map[uint64]int, len(ranks))
	for i, r := range ranks {
		pos[r] = i
	}
	rows, err := s.assetRows(ctx, ` WHERE `+assetsOf(curGen)+` AND loc_rank IN ?`, rankSet(ranks))
	if err != nil {
		return nil, 0, err
	}
	out := make([]Asset, len(ranks))
	for _, a := range rows {
		if i, ok := pos[a.rank]; ok {
			out[i] = a.Asset
		}
	}
	return out, total, nil
}

// ErrBadFilter marks a filter the store cannot apply (the API's 400).
var ErrBadFilter = errors.New("bad filter")

// AssetByID returns a current asset, or ErrNotFound.
func (s *Store) AssetByID(ctx context.Context, id string) (Asset, error) {
	items, err := s.assetRows(ctx, ` WHERE `+assetsOf(curGen)+` AND `+assetsByID+` LIMIT 1`, groupSet([]string{id}))
	if err != nil {
		return Asset{}, err
	}
	if len(items) == 0 {
		return Asset{}, ErrNotFound
	}
	return items[0].Asset, nil
}

// rankedAsset is an asset with its place in location order.
type rankedAsset struct {
	Asset
	rank uint64
}

// assetRow is an asset as assets (identity and attributes) or idx_assets
// (all of it) has it; what a query leaves out stays empty.
type assetRow struct {
	ID         string    `ch:"asset_id"`
	Type       string    `ch:"asset_type"`
	Location   string    `ch:"location"`
	Host       string    `ch:"host"`
	Source     string    `ch:"source"`
	Owner      string    `ch:"owner"`
	Size       int64     `ch:"size"`
	ModifiedAt time.Time `ch:"modified_at"`
	Keys       []string  `ch:"attr_keys"`
	Values     []string  `ch:"attr_values"`
	Categories []string  `ch:"categories"`
	Types      []string  `ch:"types"`
	Occ        uint64    `ch:"occurrences"`
	Dist       uint64    `ch:"distinct_sum"`
	Readers    uint64    `ch:"readers"`
	Rank       uint64    `ch:"loc_rank"`
}

func (r assetRow) asset() Asset {
	a := Asset{ID: r.ID, Type: r.Type, Location: r.Location, Host: r.Host, Source: r.Source, Owner: r.Owner,
		Size: r.Size, Attributes: kvMap(r.Keys, r.Values), Categories: r.Categories, Types: r.Types,
		Occurrences: r.Occ, DistinctAtMost: r.Dist, Readers: r.Readers}
	if r.ModifiedAt.Unix() > 0 {
		t := r.ModifiedAt.UTC()
		a.ModifiedAt = &t
	}
	sort.Strings(a.Types)
	sort.Strings(a.Categories)
	return a
}

func (s *Store) assetRows(ctx context.Context, tail string, args ...any) ([]rankedAsset, error) {
	return selectAll(ctx, s, "reading assets", func(r assetRow) rankedAsset { return rankedAsset{Asset: r.asset(), rank: r.Rank} },
		`SELECT asset_id, asset_type, location, host, source, owner, size, modified_at, attr_keys, attr_values,
			categories, types, occurrences, distinct_sum, readers, loc_rank FROM {db}.idx_assets`+tail, args...)
}

// optBool is triState's inverse for reads: -1 is "unknown".
func optBool(v int8) *bool {
	if v < 0 {
		return nil
	}
	b := v == 1
	return &b
}
