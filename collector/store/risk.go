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
	// idx_risk keeps a build's scores per host (riskOf); idx_risk_top is
	// written whole by each build.
	cur := `gen = ` + curGen
	if table == "idx_risk" {
		cur = riskOf(curGen)
	}
	// The aliases are RiskRow's field names, which the driver scans by.
	return selectRows[RiskRow](ctx, s, "reading risk scores", `SELECT asset_id AS AssetID, asset_type AS AssetType,
			location AS Location, host AS Host, source AS Source, score AS Score,
			factor_names AS FactorNames, factor_points AS FactorPoints
		FROM {db}.`+table+` WHERE `+cur+tail, args...)
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
		q := ` WHERE ` + assetsOf(curGen) + ` AND occurrences > 0` + where + ` ORDER BY occurrences DESC, asset_id LIMIT ?`
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
	for _, chunk := range chunks(ids) {
		if len(out) >= limit {
			break
		}
		if err := read(` AND `+assetsByID, groupSet(chunk)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
