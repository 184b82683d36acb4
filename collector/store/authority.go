package store

import (
	"context"
	"time"
)

// Authority says which agent speaks for a source several agents could
// scan: an LDAP server or AD domain, an AWS account (Scope is the record's
// host field for those sources).
// It is both the row of source_authorities and the API's answer.
type Authority struct {
	Source  string `ch:"source" json:"source"`
	Scope   string `ch:"scope" json:"scope"`
	AgentID string `ch:"agent_id" json:"agent_id"`
	// SetBy is "first-report" or the token id of the admin who set it.
	SetBy string    `ch:"set_by" json:"set_by"`
	SetAt time.Time `ch:"set_at" json:"set_at"`
}

// utc is a as read, with its time in UTC.
func (a Authority) utc() Authority {
	a.SetAt = a.SetAt.UTC()
	return a
}

const authorityColumns = `source, scope, agent_id, set_by, set_at`

// GetAuthority returns the authority of (source, scope), or ErrNotFound.
func (s *Store) GetAuthority(ctx context.Context, source, scope string) (Authority, error) {
	return selectOne(ctx, s, "reading a source authority", "source authority", Authority.utc,
		`SELECT `+authorityColumns+` FROM {db}.source_authorities FINAL WHERE source = ? AND scope = ?`, source, scope)
}

// ListAuthorities returns every source authority, by source and scope.
func (s *Store) ListAuthorities(ctx context.Context) ([]Authority, error) {
	return selectAll(ctx, s, "listing source authorities", Authority.utc,
		`SELECT `+authorityColumns+` FROM {db}.source_authorities FINAL ORDER BY source, scope`)
}

// authorityVersions splits source_authorities' versions (the table keeps
// the highest of a scope's rows): a first report's claim is below it,
// counting down, so the earliest claim is the highest of the claims; an
// admin's setting is above it, counting up, so the latest setting wins
// over every claim. ClickHouse has no compare-and-set: a claim is a write
// read back. When the latest write won, two agents' first reports of one
// scope that crossed each read back their own claim and both were
// admitted (TestFirstReportRaceHasOneWinner); now the second to write
// reads back the first's. Rows written before this rule (plain clock
// versions, below both) lose to any later setting, as they did.
const authorityVersions = uint64(1) << 63

// PutAuthority sets the authority of (a.Source, a.Scope), as an admin:
// it replaces whatever was there.
func (s *Store) PutAuthority(ctx context.Context, a Authority) error {
	return s.putAuthority(ctx, a, authorityVersions+s.nextVersion())
}

// ClaimAuthority makes a.AgentID the authority of (a.Source, a.Scope) by
// its first report, unless another claim was stored first: read the
// authority back to know which one holds. It never replaces an admin's
// setting.
func (s *Store) ClaimAuthority(ctx context.Context, a Authority) error {
	return s.putAuthority(ctx, a, authorityVersions-s.nextVersion())
}

func (s *Store) putAuthority(ctx context.Context, a Authority, version uint64) error {
	return s.insert(ctx, "source_authorities", "source, scope, agent_id, set_by, set_at, version", 1, func(int) []any {
		return []any{a.Source, a.Scope, a.AgentID, a.SetBy, dateTime(&a.SetAt), version}
	})
}

// ScanOwners returns, for each of scanIDs already stored, the agents that
// delivered a scan record with that id (normally one).
func (s *Store) ScanOwners(ctx context.Context, scanIDs []string) (map[string][]string, error) {
	if len(scanIDs) == 0 {
		return nil, nil
	}
	var rows []struct {
		ScanID string   `ch:"scan_id"`
		Agents []string `ch:"agents"`
	}
	err := s.conn.Select(ctx, &rows, s.sql(`SELECT scan_id, groupUniqArray(agent_id) AS agents
		FROM {db}.scans WHERE scan_id IN ? GROUP BY scan_id`), groupSet(scanIDs))
	if err != nil {
		return nil, s.wrap("looking up scan owners", err)
	}
	out := make(map[string][]string, len(rows))
	for _, r := range rows {
		out[r.ScanID] = r.Agents
	}
	return out, nil
}
