package store

import (
	"context"
	"strconv"
	"time"
)

// Data-subject request cases (migration 0020; collector/dsr says what the
// fields mean and how a case moves). No identifier reaches these tables:
// a case holds its identifiers' stored tokens only.

// DSRCase is one data-subject request case.
type DSRCase struct {
	ID, Reference, Regulation string
	ReceivedAt, DueAt         time.Time
	Status, Owner             string
	IdentifierTypes           []string // by identifier index
	Tokens                    []string // stored tokens; Tokens[i] stands for identifier TokenIDs[i]
	TokenIDs                  []uint16
	KeyFingerprint            string // keys.Keys.Fingerprint of the keys that made Tokens
	KeyGen                    uint32
	CreatedBy                 string
	CreatedAt                 time.Time
	UpdatedBy                 string
	UpdatedAt                 time.Time
	RespondedAt, ClosedAt     *time.Time
}

// PutDSRCase stores a case, or a new state of one (the newest row wins).
func (s *Store) PutDSRCase(ctx context.Context, c DSRCase) error {
	cols := "case_id, reference, regulation, received_at, due_at, status, owner, id_types, tokens, token_ids, key_fp, key_gen, created_by, created_at, updated_by, updated_at, responded_at, closed_at, version"
	return s.insert(ctx, "dsr_cases", cols, 1, func(int) []any {
		ids := c.TokenIDs
		if ids == nil {
			ids = []uint16{}
		}
		return []any{c.ID, c.Reference, c.Regulation, dateTime(&c.ReceivedAt), dateTime(&c.DueAt), c.Status, c.Owner,
			strs(c.IdentifierTypes), strs(c.Tokens), ids, c.KeyFingerprint, c.KeyGen, c.CreatedBy, dateTime(&c.CreatedAt),
			c.UpdatedBy, dateTime(&c.UpdatedAt), dateTime(c.RespondedAt), dateTime(c.ClosedAt), s.nextVersion()}
	})
}

// dsrCaseRow is a case as ClickHouse gives it.
type dsrCaseRow struct {
	ID          string    `ch:"case_id"`
	Reference   string    `ch:"reference"`
	Regulation  string    `ch:"regulation"`
	ReceivedAt  time.Time `ch:"received_at"`
	DueAt       time.Time `ch:"due_at"`
	Status      string    `ch:"status"`
	Owner       string    `ch:"owner"`
	Types       []string  `ch:"id_types"`
	Tokens      []string  `ch:"tokens"`
	TokenIDs    []uint16  `ch:"token_ids"`
	KeyFP       string    `ch:"key_fp"`
	KeyGen      uint32    `ch:"key_gen"`
	CreatedBy   string    `ch:"created_by"`
	CreatedAt   time.Time `ch:"created_at"`
	UpdatedBy   string    `ch:"updated_by"`
	UpdatedAt   time.Time `ch:"updated_at"`
	RespondedAt time.Time `ch:"responded_at"`
	ClosedAt    time.Time `ch:"closed_at"`
}

func (r dsrCaseRow) dsrCase() DSRCase {
	return DSRCase{ID: r.ID, Reference: r.Reference, Regulation: r.Regulation, ReceivedAt: r.ReceivedAt.UTC(),
		DueAt: r.DueAt.UTC(), Status: r.Status, Owner: r.Owner, IdentifierTypes: r.Types, Tokens: r.Tokens,
		TokenIDs: r.TokenIDs, KeyFingerprint: r.KeyFP, KeyGen: r.KeyGen, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedBy: r.UpdatedBy, UpdatedAt: r.UpdatedAt.UTC(),
		RespondedAt: optTime(r.RespondedAt), ClosedAt: optTime(r.ClosedAt)}
}

// dsrCaseSelect reads the newest row of each case; argMax over the whole
// row (one tuple) so two rows are never mixed, without FINAL.
const dsrCaseSelect = `SELECT case_id, t.1 AS reference, t.2 AS regulation, t.3 AS received_at, t.4 AS due_at,
		t.5 AS status, t.6 AS owner, t.7 AS id_types, t.8 AS tokens, t.9 AS token_ids, t.10 AS key_fp,
		t.11 AS key_gen, t.12 AS created_by, t.13 AS created_at, t.14 AS updated_by, t.15 AS updated_at,
		t.16 AS responded_at, t.17 AS closed_at
	FROM (
		SELECT case_id, argMax(tuple(reference, regulation, received_at, due_at, status, owner, id_types, tokens,
			token_ids, key_fp, key_gen, created_by, created_at, updated_by, updated_at, responded_at, closed_at), version) AS t
		FROM {db}.dsr_cases`

// MaxDSRCases bounds a case listing.
const MaxDSRCases = 10000

// DSRCases lists cases, the earliest due first; status, when given,
// keeps the cases in that state.
func (s *Store) DSRCases(ctx context.Context, status string) ([]DSRCase, error) {
	var w where
	w.filter("status = ?", status)
	return selectAll(ctx, s, "reading data-subject request cases", dsrCaseRow.dsrCase,
		dsrCaseSelect+` GROUP BY case_id
	)`+w.sql()+` ORDER BY due_at, case_id LIMIT `+strconv.Itoa(MaxDSRCases), w.args...)
}

// DSRCase reads one case; ErrNotFound when there is none.
func (s *Store) DSRCase(ctx context.Context, id string) (DSRCase, error) {
	return selectOne(ctx, s, "reading a data-subject request case", "data-subject request case "+id, dsrCaseRow.dsrCase,
		dsrCaseSelect+` WHERE case_id = ? GROUP BY case_id
	)`, id)
}

// DSRSearch is one search of a case: the read index it read, and how many
// matches and sources it recorded.
type DSRSearch struct {
	CaseID, ID   string
	SearchedAt   time.Time
	SearchedBy   string
	IndexGen     uint64
	IndexBuiltAt time.Time
	Matches      uint32
	Sources      uint32
}

// DSRHit is one asset and type where a search found the person.
type DSRHit struct {
	AssetID, Location, Host, Source, Type string
	Count                                 uint64
	LastSeen                              time.Time
	Identifiers                           []uint16
}

// DSRCoverage is one (agent, source) a search covered: its latest
// completed scan then.
type DSRCoverage struct {
	AgentID, Host, Source, Scanner, ScanID, Status string
	StartedAt, FinishedAt                          time.Time
}

// PutDSRSearch stores a search with its hits and coverage; the search row
// is written last, so a search half written is never read.
func (s *Store) PutDSRSearch(ctx context.Context, sr DSRSearch, hits []DSRHit, cov []DSRCoverage) error {
	if len(hits) > 0 {
		err := s.insert(ctx, "dsr_hits", "case_id, search_id, asset_id, location, host, source, type, count, last_seen, identifiers", len(hits), func(i int) []any {
			h := hits[i]
			ids := h.Identifiers
			if ids == nil {
				ids = []uint16{}
			}
			return []any{sr.CaseID, sr.ID, h.AssetID, h.Location, h.Host, h.Source, h.Type, h.Count, dateTime(&h.LastSeen), ids}
		})
		if err != nil {
			return err
		}
	}
	if len(cov) > 0 {
		err := s.insert(ctx, "dsr_coverage", "case_id, search_id, agent_id, host, source, scanner, scan_id, status, started_at, finished_at", len(cov), func(i int) []any {
			c := cov[i]
			return []any{sr.CaseID, sr.ID, c.AgentID, c.Host, c.Source, c.Scanner, c.ScanID, c.Status, dateTime(&c.StartedAt), dateTime(&c.FinishedAt)}
		})
		if err != nil {
			return err
		}
	}
	return s.insert(ctx, "dsr_searches", "case_id, search_id, searched_at, searched_by, index_gen, index_built_at, matches, sources", 1, func(int) []any {
		return []any{sr.CaseID, sr.ID, dateTime(&sr.SearchedAt), sr.SearchedBy, sr.IndexGen, dateTime(&sr.IndexBuiltAt), sr.Matches, sr.Sources}
	})
}

// DSRSearches lists a case's searches, oldest first.
func (s *Store) DSRSearches(ctx context.Context, caseID string) ([]DSRSearch, error) {
	return selectAll(ctx, s, "reading a case's searches", func(r struct {
		CaseID     string    `ch:"case_id"`
		ID         string    `ch:"search_id"`
		SearchedAt time.Time `ch:"searched_at"`
		SearchedBy string    `ch:"searched_by"`
		Gen        uint64    `ch:"index_gen"`
		BuiltAt    time.Time `ch:"index_built_at"`
		Matches    uint32    `ch:"matches"`
		Sources    uint32    `ch:"sources"`
	}) DSRSearch {
		return DSRSearch{CaseID: r.CaseID, ID: r.ID, SearchedAt: r.SearchedAt.UTC(), SearchedBy: r.SearchedBy,
			IndexGen: r.Gen, IndexBuiltAt: r.BuiltAt.UTC(), Matches: r.Matches, Sources: r.Sources}
	}, `SELECT case_id, search_id, searched_at, searched_by, index_gen, index_built_at, matches, sources
		FROM {db}.dsr_searches WHERE case_id = ? ORDER BY searched_at, search_id`, caseID)
}

// DSRSearchRows returns what one search found and covered.
func (s *Store) DSRSearchRows(ctx context.Context, caseID, searchID string) ([]DSRHit, []DSRCoverage, error) {
	hits, err := selectAll(ctx, s, "reading a search's matches", func(r struct {
		AssetID     string    `ch:"asset_id"`
		Location    string    `ch:"location"`
		Host        string    `ch:"host"`
		Source      string    `ch:"source"`
		Type        string    `ch:"type"`
		Count       uint64    `ch:"count"`
		LastSeen    time.Time `ch:"last_seen"`
		Identifiers []uint16  `ch:"identifiers"`
	}) DSRHit {
		return DSRHit{AssetID: r.AssetID, Location: r.Location, Host: r.Host, Source: r.Source, Type: r.Type,
			Count: r.Count, LastSeen: r.LastSeen.UTC(), Identifiers: r.Identifiers}
	}, `SELECT asset_id, location, host, source, type, count, last_seen, identifiers
		FROM {db}.dsr_hits WHERE case_id = ? AND search_id = ? ORDER BY location, type`, caseID, searchID)
	if err != nil {
		return nil, nil, err
	}
	cov, err := selectAll(ctx, s, "reading a search's coverage", dsrCoverageRow.coverage,
		`SELECT agent_id, host, source, scanner, scan_id, status, started_at, finished_at
		FROM {db}.dsr_coverage WHERE case_id = ? AND search_id = ? ORDER BY host, source, agent_id`, caseID, searchID)
	if err != nil {
		return nil, nil, err
	}
	return hits, cov, nil
}

type dsrCoverageRow struct {
	AgentID    string    `ch:"agent_id"`
	Host       string    `ch:"host"`
	Source     string    `ch:"source"`
	Scanner    string    `ch:"scanner"`
	ScanID     string    `ch:"scan_id"`
	Status     string    `ch:"status"`
	StartedAt  time.Time `ch:"started_at"`
	FinishedAt time.Time `ch:"finished_at"`
}

func (r dsrCoverageRow) coverage() DSRCoverage {
	return DSRCoverage{AgentID: r.AgentID, Host: r.Host, Source: r.Source, Scanner: r.Scanner, ScanID: r.ScanID,
		Status: r.Status, StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC()}
}

// ScanCoverage is what the current findings cover: per (agent, source)
// its latest completed scan, the one current_scans (views.go) decides is
// current, with the scan's host, scanner and status.
func (s *Store) ScanCoverage(ctx context.Context) ([]DSRCoverage, error) {
	return selectAll(ctx, s, "reading the scans the current findings come from", dsrCoverageRow.coverage,
		`SELECT agent_id, source, scan_id, started_at, finished_at, host, scanner, status
		FROM {db}.current_scans
		ANY LEFT JOIN (
			SELECT scan_id, t.1 AS host, t.2 AS scanner, t.3 AS status
			FROM (SELECT scan_id, argMax(tuple(host, scanner, status), version) AS t FROM {db}.scans GROUP BY scan_id)
		) USING scan_id
		ORDER BY host, source, agent_id`)
}
