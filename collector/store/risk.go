package store

import (
	"context"
	"fmt"
)

// AssetExposure is what the risk model needs to know of one asset holding
// personal data.
type AssetExposure struct {
	AssetID, Location, Host, Source, AssetType string
	Categories                                 []string
	Types                                      []string
	Occurrences, Distinct                      uint64
	Attributes                                 map[string]string
	Readers                                    uint64 // principals with a read grant on it
}

// Exposures lists the current assets holding personal data with their
// categories, volumes, attributes and number of read grants (at most
// limit, the biggest first).
// With ids, only those assets.
func (s *Store) Exposures(ctx context.Context, limit int, ids ...string) ([]AssetExposure, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	var rows []struct {
		AssetID    string   `ch:"asset_id"`
		Location   string   `ch:"location"`
		Host       string   `ch:"host"`
		Source     string   `ch:"source"`
		Categories []string `ch:"categories"`
		Types      []string `ch:"types"`
		Occ        uint64   `ch:"occ"`
		Dist       uint64   `ch:"dist"`
	}
	q := `SELECT asset_id, any(location) AS location, any(host) AS host, any(source) AS source,
			groupUniqArray(category) AS categories, groupUniqArray(type) AS types,
			sum(count) AS occ, sum(distinct_count) AS dist
		FROM {db}.current_pii_findings %s
		GROUP BY asset_id ORDER BY occ DESC, asset_id LIMIT ?`
	// An empty array literal has no element type on 18.16, so the filter is
	// left out rather than bound empty.
	args := []any{limit}
	where := ""
	if len(ids) > 0 {
		where, args = "WHERE has(?, asset_id)", []any{ids, limit}
	}
	if err := s.conn.Select(ctx, &rows, s.sql(fmt.Sprintf(q, where)), args...); err != nil {
		return nil, s.wrap("reading exposures", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids = make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.AssetID
	}
	// The ids are bound into the SQL text client-side; chunks keep each
	// query under max_query_size (256 KiB by default).
	type assetRow struct {
		ID     string   `ch:"asset_id"`
		Type   string   `ch:"asset_type"`
		Keys   []string `ch:"attr_keys"`
		Values []string `ch:"attr_values"`
	}
	type readerRow struct {
		ID string `ch:"resource_id"`
		N  uint64 `ch:"n"`
	}
	var assets []assetRow
	var readers []readerRow
	for i := 0; i < len(ids); i += seenChunkKeys {
		chunk := ids[i:min(i+seenChunkKeys, len(ids))]
		var a []assetRow
		if err := s.conn.Select(ctx, &a, s.sql(`SELECT asset_id, asset_type, attr_keys, attr_values FROM {db}.current_assets WHERE has(?, asset_id)`), chunk); err != nil {
			return nil, s.wrap("reading exposed assets", err)
		}
		assets = append(assets, a...)
		var r []readerRow
		if err := s.conn.Select(ctx, &r, s.sql(`SELECT resource_id, uniqExact(principal_id) AS n FROM {db}.current_entitlements
			WHERE permission = 'read' AND has(?, resource_id) GROUP BY resource_id`), chunk); err != nil {
			return nil, s.wrap("counting readers", err)
		}
		readers = append(readers, r...)
	}
	byID := map[string]int{}
	out := make([]AssetExposure, len(rows))
	for i, r := range rows {
		out[i] = AssetExposure{AssetID: r.AssetID, Location: r.Location, Host: r.Host, Source: r.Source,
			Categories: r.Categories, Types: r.Types, Occurrences: r.Occ, Distinct: r.Dist, Attributes: map[string]string{}}
		byID[r.AssetID] = i
	}
	for _, a := range assets {
		if i, ok := byID[a.ID]; ok {
			out[i].AssetType, out[i].Attributes = a.Type, kvMap(a.Keys, a.Values)
		}
	}
	for _, r := range readers {
		if i, ok := byID[r.ID]; ok {
			out[i].Readers = r.N
		}
	}
	return out, nil
}
