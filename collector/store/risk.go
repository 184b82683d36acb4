package store

import "context"

// AssetExposure is what the risk model needs to know of one asset holding
// personal data.
type AssetExposure struct {
	AssetID, Location, Host, Source, AssetType string
	Categories                                 []string
	Types                                      []string
	Occurrences, Distinct                      uint64
	Attributes                                 map[string]string
	Readers                                    uint64 // principals with a read grant on it
	UnprivilegedReaders                        uint64 // of those, the ones not privileged
	// Jurisdiction is where it is stored, when known ("EU", "US", …).
	Jurisdiction string
}

// TopRisks returns the n (at most MaxLimit) highest-scored assets of the
// read index, highest first (ties by location).
func (s *Store) TopRisks(ctx context.Context, n int) ([]RiskRow, error) {
	if n <= 0 || n > MaxLimit {
		n = DefaultLimit
	}
	return s.riskRowsFrom(ctx, "idx_risk_top", ` ORDER BY rank LIMIT ?`, n)
}

// RiskOf returns one asset's score, or false when it holds no current
// personal data.
func (s *Store) RiskOf(ctx context.Context, assetID string) (RiskRow, bool, error) {
	rs, err := s.riskRows(ctx, ` AND asset_id = ? LIMIT 1`, assetID)
	if err != nil || len(rs) == 0 {
		return RiskRow{}, false, err
	}
	return rs[0], true, nil
}

func (s *Store) riskRows(ctx context.Context, tail string, args ...any) ([]RiskRow, error) {
	return s.riskRowsFrom(ctx, "idx_risk", tail, args...)
}

func (s *Store) riskRowsFrom(ctx context.Context, table, tail string, args ...any) ([]RiskRow, error) {
	var rows []struct {
		AssetID  string   `ch:"asset_id"`
		Type     string   `ch:"asset_type"`
		Location string   `ch:"location"`
		Host     string   `ch:"host"`
		Source   string   `ch:"source"`
		Score    uint8    `ch:"score"`
		Names    []string `ch:"factor_names"`
		Points   []uint8  `ch:"factor_points"`
	}
	q := `SELECT asset_id, asset_type, location, host, source, score, factor_names, factor_points
		FROM {db}.` + table + ` WHERE gen = ` + curGen + tail
	if err := s.conn.Select(ctx, &rows, s.sql(q), args...); err != nil {
		return nil, s.wrap("reading risk scores", err)
	}
	out := make([]RiskRow, len(rows))
	for i, r := range rows {
		out[i] = RiskRow{AssetID: r.AssetID, AssetType: r.Type, Location: r.Location, Host: r.Host, Source: r.Source,
			Score: r.Score, FactorNames: r.Names, FactorPoints: r.Points}
	}
	return out, nil
}

// Exposures lists the current assets holding personal data with their
// categories, volumes, attributes and number of read grants, from the
// read index (at most limit, the biggest first). With ids, only those
// assets.
func (s *Store) Exposures(ctx context.Context, limit int, ids ...string) ([]AssetExposure, error) {
	if limit <= 0 || limit > 100000 {
		limit = 100000
	}
	var out []AssetExposure
	read := func(where string, args ...any) error {
		q := ` WHERE gen = ` + curGen + ` AND occurrences > 0` + where + ` ORDER BY occurrences DESC, asset_id LIMIT ?`
		as, err := s.assetRows(ctx, q, append(args, limit-len(out))...)
		for _, ra := range as {
			a := ra.Asset
			out = append(out, AssetExposure{AssetID: a.ID, Location: a.Location, Host: a.Host, Source: a.Source,
				AssetType: a.Type, Categories: a.Categories, Types: a.Types, Occurrences: a.Occurrences,
				Distinct: a.DistinctAtMost, Attributes: a.Attributes, Readers: a.Readers})
		}
		return err
	}
	if len(ids) == 0 {
		return out, read("")
	}
	// The ids are bound into the SQL text client-side; chunks keep each
	// query under max_query_size (256 KiB by default).
	for i := 0; i < len(ids) && len(out) < limit; i += seenChunkKeys {
		if err := read(` AND `+assetsByID, groupSet(ids[i:min(i+seenChunkKeys, len(ids))])); err != nil {
			return nil, err
		}
	}
	return out, nil
}
