package store

import (
	"context"
	"strconv"
	"time"
)

// Privacy impact assessments (migration 0022; collector/pia says what the
// fields mean). Facts is the JSON snapshot of what the scans showed of
// the PIA's systems when it was prefilled or last confirmed; the store
// keeps it as given.

// PIA is one privacy impact assessment.
type PIA struct {
	ID, Title                     string
	Systems                       []string
	Purpose, Necessity, Retention string
	Safeguards                    string
	Likelihood, Severity          string
	Facts                         string
	FactsAsOf                     time.Time
	CreatedBy                     string
	CreatedAt                     time.Time
	UpdatedBy                     string
	UpdatedAt                     time.Time
}

type piaRow struct {
	ID         string    `ch:"pia_id"`
	Title      string    `ch:"title"`
	Systems    []string  `ch:"systems"`
	Purpose    string    `ch:"purpose"`
	Necessity  string    `ch:"necessity"`
	Retention  string    `ch:"retention"`
	Safeguards string    `ch:"safeguards"`
	Likelihood string    `ch:"likelihood"`
	Severity   string    `ch:"severity"`
	Facts      string    `ch:"facts"`
	FactsAsOf  time.Time `ch:"facts_as_of"`
	CreatedBy  string    `ch:"created_by"`
	CreatedAt  time.Time `ch:"created_at"`
	UpdatedBy  string    `ch:"updated_by"`
	UpdatedAt  time.Time `ch:"updated_at"`
}

func (r piaRow) pia() PIA {
	return PIA{ID: r.ID, Title: r.Title, Systems: r.Systems, Purpose: r.Purpose, Necessity: r.Necessity,
		Retention: r.Retention, Safeguards: r.Safeguards, Likelihood: r.Likelihood, Severity: r.Severity,
		Facts: r.Facts, FactsAsOf: r.FactsAsOf.UTC(), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(),
		UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt.UTC()}
}

// PutPIA stores a PIA, or a new state of one (the newest row wins).
func (s *Store) PutPIA(ctx context.Context, p PIA) error {
	cols := "pia_id, title, systems, purpose, necessity, retention, safeguards, likelihood, severity, facts, facts_as_of, created_by, created_at, updated_by, updated_at, version"
	return s.insert(ctx, "pias", cols, 1, func(int) []any {
		return []any{p.ID, p.Title, strs(p.Systems), p.Purpose, p.Necessity, p.Retention, p.Safeguards, p.Likelihood,
			p.Severity, p.Facts, dateTime(&p.FactsAsOf), p.CreatedBy, dateTime(&p.CreatedAt), p.UpdatedBy,
			dateTime(&p.UpdatedAt), s.nextVersion()}
	})
}

// piaSelect reads the newest row of each PIA; argMax over the whole row
// (one tuple) so two rows are never mixed, without FINAL.
const piaSelect = `SELECT pia_id, t.1 AS title, t.2 AS systems, t.3 AS purpose, t.4 AS necessity, t.5 AS retention,
		t.6 AS safeguards, t.7 AS likelihood, t.8 AS severity, t.9 AS facts, t.10 AS facts_as_of, t.11 AS created_by,
		t.12 AS created_at, t.13 AS updated_by, t.14 AS updated_at
	FROM (
		SELECT pia_id, argMax(tuple(title, systems, purpose, necessity, retention, safeguards, likelihood, severity,
			facts, facts_as_of, created_by, created_at, updated_by, updated_at), version) AS t
		FROM {db}.pias`

// MaxPIAs bounds a PIA listing.
const MaxPIAs = 10000

// PIAs lists the PIAs, oldest first.
func (s *Store) PIAs(ctx context.Context) ([]PIA, error) {
	return selectAll(ctx, s, "reading privacy impact assessments", piaRow.pia,
		piaSelect+` GROUP BY pia_id
	) ORDER BY created_at, pia_id LIMIT `+strconv.Itoa(MaxPIAs))
}

// PIA reads one PIA; ErrNotFound when there is none.
func (s *Store) PIA(ctx context.Context, id string) (PIA, error) {
	return selectOne(ctx, s, "reading a privacy impact assessment", "privacy impact assessment "+id, piaRow.pia,
		piaSelect+` WHERE pia_id = ? GROUP BY pia_id
	)`, id)
}
