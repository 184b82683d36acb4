package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Risk history (migration 0014): the read index keeps only its last two
// builds, so a trend of risk over time needs its own record. After a build
// commits, RecordRiskSnapshot copies that build's summary — per asset type
// and severity band, how many scored assets, their summed and highest
// score — into the append-only risk_history table, which the risk-over-time
// dashboard reads.

// Severity bands of an asset's score (0–100): the lowest score of each.
// They name ranges of the one score the risk model computes
// (collector/risk); they add no factor of their own.
const (
	SeverityCriticalMin = 75
	SeverityHighMin     = 50
	SeverityMediumMin   = 25
)

// Severity names, as risk_history stores them.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
)

// Severity is the band a score falls in.
func Severity(score uint8) string {
	switch {
	case score >= SeverityCriticalMin:
		return SeverityCritical
	case score >= SeverityHighMin:
		return SeverityHigh
	case score >= SeverityMediumMin:
		return SeverityMedium
	default:
		return SeverityLow
	}
}

// severitySQL is Severity over idx_risk's score column; a test checks the
// two agree on every score from 0 to 255.
const severitySQL = `multiIf(score >= 75, 'critical', score >= 50, 'high', score >= 25, 'medium', 'low')`

// RiskSnapshot is one row of risk_history.
type RiskSnapshot struct {
	Gen        uint64    `ch:"gen"`
	RecordedAt time.Time `ch:"recorded_at"`
	AssetType  string    `ch:"asset_type"`
	Severity   string    `ch:"severity"`
	Assets     uint64    `ch:"assets"`
	ScoreSum   uint64    `ch:"score_sum"`
	ScoreMax   uint8     `ch:"score_max"`
}

// RecordRiskSnapshot appends the summary of the committed index build gen
// to risk_history, stamped with the build's commit time. Call it right
// after the build commits, while its scores are still kept (the index drops
// all but the last two builds). Recording a build already recorded does
// nothing, so a retry after a failure is safe; a build that scored no
// asset records one empty row, so the trend shows zero rather than a gap.
func (s *Store) RecordRiskSnapshot(ctx context.Context, gen uint64) error {
	what := fmt.Sprintf("recording the risk history of index build %d", gen)
	var builds []struct {
		At time.Time `ch:"built_at"`
	}
	if err := s.conn.Select(ctx, &builds, s.sql(`SELECT built_at FROM {db}.idx_builds WHERE gen = ? LIMIT 1`), gen); err != nil {
		return s.wrap(what, err)
	}
	if len(builds) == 0 {
		return fmt.Errorf("%s: no committed build has that generation; record a build only after CommitIndex", what)
	}
	done, err := s.count(ctx, what, `SELECT count() AS n FROM {db}.risk_history WHERE gen = ?`, gen)
	if err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	var rows []RiskSnapshot
	q := `SELECT asset_type, ` + severitySQL + ` AS severity, count() AS assets, sum(toUInt64(score)) AS score_sum,
			max(score) AS score_max
		FROM {db}.idx_risk WHERE ` + riskOf(strconv.FormatUint(gen, 10)) + `
		GROUP BY asset_type, severity
		ORDER BY asset_type, severity`
	// The long pool: this reads every score of the build (millions of
	// rows on a large estate) once.
	if err := s.long.Select(ctx, &rows, s.sql(q)); err != nil {
		return s.wrap(what, err)
	}
	if len(rows) == 0 {
		rows = append(rows, RiskSnapshot{})
	}
	at := builds[0].At.UTC()
	return s.insert(ctx, "risk_history", "gen, recorded_at, asset_type, severity, assets, score_sum, score_max", len(rows),
		func(i int) []any {
			r := rows[i]
			return []any{gen, at, r.AssetType, r.Severity, r.Assets, r.ScoreSum, r.ScoreMax}
		})
}

// RiskHistory returns the recorded snapshots taken at or after since,
// oldest first (by time, then asset type and severity).
func (s *Store) RiskHistory(ctx context.Context, since time.Time) ([]RiskSnapshot, error) {
	utc := func(r RiskSnapshot) RiskSnapshot { r.RecordedAt = r.RecordedAt.UTC(); return r }
	return selectAll(ctx, s, "reading the risk history", utc,
		`SELECT gen, recorded_at, asset_type, severity, assets, score_sum, score_max FROM {db}.risk_history
		WHERE recorded_at >= ? ORDER BY recorded_at, gen, asset_type, severity`, dateTime(&since))
}
