package store

import (
	"context"
	"strconv"
	"time"
)

// Data-subject request cases (migration 0020; collector/dsr says what the
// fields mean and how a case moves). No identifier reaches these tables:
// a case holds its identifiers' stored tokens only.

// DSRCase is one data-subject request case (and its row as dsrCaseSelect
// reads it).
type DSRCase struct {
	ID              string    `ch:"case_id"`
	Reference       string    `ch:"reference"`
	Regulation      string    `ch:"regulation"`
	ReceivedAt      time.Time `ch:"received_at"`
	DueAt           time.Time `ch:"due_at"`
	Status          string    `ch:"status"`
	Owner           string    `ch:"owner"`
	IdentifierTypes []string  `ch:"id_types"` // by identifier index
	// Tokens are the stored tokens; Tokens[i] stands for identifier
	// TokenIDs[i].
	Tokens   []string `ch:"tokens"`
	TokenIDs []uint16 `ch:"token_ids"`
	// KeyFingerprint is keys.Keys.Fingerprint of the keys that made Tokens.
	KeyFingerprint string    `ch:"key_fp"`
	KeyGen         uint32    `ch:"key_gen"`
	CreatedBy      string    `ch:"created_by"`
	CreatedAt      time.Time `ch:"created_at"`
	UpdatedBy      string    `ch:"updated_by"`
	UpdatedAt      time.Time `ch:"updated_at"`
	// RespondedAt and ClosedAt are nil until the case gets there (stored
	// as 0).
	RespondedAt *time.Time `ch:"responded_at"`
	ClosedAt    *time.Time `ch:"closed_at"`
}

// read is c as read: times in UTC, the unset ones nil.
func (c DSRCase) read() DSRCase {
	c.ReceivedAt, c.DueAt, c.CreatedAt, c.UpdatedAt = c.ReceivedAt.UTC(), c.DueAt.UTC(), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.RespondedAt, c.ClosedAt = optTimeOf(c.RespondedAt), optTimeOf(c.ClosedAt)
	return c
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
	return selectAll(ctx, s, "reading data-subject request cases", DSRCase.read,
		dsrCaseSelect+` GROUP BY case_id
	)`+w.sql()+` ORDER BY due_at, case_id LIMIT `+strconv.Itoa(MaxDSRCases), w.args...)
}

// DSRCase reads one case; ErrNotFound when there is none.
func (s *Store) DSRCase(ctx context.Context, id string) (DSRCase, error) {
	return selectOne(ctx, s, "reading a data-subject request case", "data-subject request case "+id, DSRCase.read,
		dsrCaseSelect+` WHERE case_id = ? GROUP BY case_id
	)`, id)
}

// DSRSearch is one search of a case: the read index it read, and how many
// matches and sources it recorded. It is the row of dsr_searches and the
// API's answer.
type DSRSearch struct {
	ID           string    `ch:"search_id" json:"id"`
	CaseID       string    `ch:"case_id" json:"case_id"`
	SearchedAt   time.Time `ch:"searched_at" json:"searched_at"`
	SearchedBy   string    `ch:"searched_by" json:"searched_by"`
	IndexGen     uint64    `ch:"index_gen" json:"index_generation"`
	IndexBuiltAt time.Time `ch:"index_built_at" json:"index_as_of"`
	Matches      uint32    `ch:"matches" json:"matches"`
	Sources      uint32    `ch:"sources" json:"sources"`
}

// utc is sr as read, with its times in UTC.
func (sr DSRSearch) utc() DSRSearch {
	sr.SearchedAt, sr.IndexBuiltAt = sr.SearchedAt.UTC(), sr.IndexBuiltAt.UTC()
	return sr
}

// DSRHit is one asset and type where a search found the person (the row
// of dsr_hits, without its case and search).
type DSRHit struct {
	AssetID     string    `ch:"asset_id"`
	Location    string    `ch:"location"`
	Host        string    `ch:"host"`
	Source      string    `ch:"source"`
	Type        string    `ch:"type"`
	Count       uint64    `ch:"count"`
	LastSeen    time.Time `ch:"last_seen"`
	Identifiers []uint16  `ch:"identifiers"`
}

// utc is h as read, with its time in UTC.
func (h DSRHit) utc() DSRHit {
	h.LastSeen = h.LastSeen.UTC()
	return h
}

// DSRCoverage is one (agent, source) a search covered: its latest
// completed scan then. It is the row of dsr_coverage (without its case
// and search) and the API's answer.
type DSRCoverage struct {
	AgentID    string    `ch:"agent_id" json:"agent_id"`
	Host       string    `ch:"host" json:"host"`
	Source     string    `ch:"source" json:"source"`
	Scanner    string    `ch:"scanner" json:"scanner"`
	ScanID     string    `ch:"scan_id" json:"scan_id"`
	Status     string    `ch:"status" json:"status"`
	StartedAt  time.Time `ch:"started_at" json:"started_at"`
	FinishedAt time.Time `ch:"finished_at" json:"finished_at"`
}

// utc is c as read, with its times in UTC.
func (c DSRCoverage) utc() DSRCoverage {
	c.StartedAt, c.FinishedAt = c.StartedAt.UTC(), c.FinishedAt.UTC()
	return c
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
	return selectAll(ctx, s, "reading a case's searches", DSRSearch.utc,
		`SELECT case_id, search_id, searched_at, searched_by, index_gen, index_built_at, matches, sources
		FROM {db}.dsr_searches WHERE case_id = ? ORDER BY searched_at, search_id`, caseID)
}

// DSRSearchRows returns what one search found and covered.
func (s *Store) DSRSearchRows(ctx context.Context, caseID, searchID string) ([]DSRHit, []DSRCoverage, error) {
	hits, err := selectAll(ctx, s, "reading a search's matches", DSRHit.utc,
		`SELECT asset_id, location, host, source, type, count, last_seen, identifiers
		FROM {db}.dsr_hits WHERE case_id = ? AND search_id = ? ORDER BY location, type`, caseID, searchID)
	if err != nil {
		return nil, nil, err
	}
	cov, err := selectAll(ctx, s, "reading a search's coverage", DSRCoverage.utc,
		`SELECT agent_id, host, source, scanner, scan_id, status, started_at, finished_at
		FROM {db}.dsr_coverage WHERE case_id = ? AND search_id = ? ORDER BY host, source, agent_id`, caseID, searchID)
	if err != nil {
		return nil, nil, err
	}
	return hits, cov, nil
}

// ScanCoverage is what the current findings cover: per (agent, source)
// its latest completed scan, the one current_scans (views.go) decides is
// current, with the scan's host, scanner and status.
func (s *Store) ScanCoverage(ctx context.Context) ([]DSRCoverage, error) {
	return selectAll(ctx, s, "reading the scans the current findings come from", DSRCoverage.utc,
		`SELECT agent_id, source, scan_id, started_at, finished_at, host, scanner, status
		FROM {db}.current_scans
		ANY LEFT JOIN (
			SELECT scan_id, t.1 AS host, t.2 AS scanner, t.3 AS status
			FROM (SELECT scan_id, argMax(tuple(host, scanner, status), version) AS t FROM {db}.scans GROUP BY scan_id)
		) USING scan_id
		ORDER BY host, source, agent_id`)
}
