package store

import (
	"context"
	"sort"
)

// ScanChange is one scanner on one agent: its latest finished scan and the
// one before (nil for a first scan), with their counters, so a reader can
// say what changed since the previous scan.
type ScanChange struct {
	AgentID, Host, Source, Scanner string
	Latest                         ScanSummary
	Previous                       *ScanSummary
}

// ScanChanges returns, per (agent, scanner), the latest two scans by
// finish time, ordered by host, source and scanner. Finish times are whole
// seconds, so two scans finished in one second are ordered by arrival (the
// collector's row version), never by their random ids. A scan record sent
// twice counts once (its highest version). One query.
func (s *Store) ScanChanges(ctx context.Context) ([]ScanChange, error) {
	rows, err := selectAll(ctx, s, "reading the latest scans and the ones before", func(r scanPairRow) scanPairRow { return r },
		`SELECT agent_id, host, scanner, scan_id, source, status, started_at, finished_at, stat_keys, stat_values, error_count
		FROM (
			SELECT scan_id, t.1 AS agent_id, t.2 AS host, t.3 AS scanner, t.4 AS source, t.5 AS status, t.6 AS started_at,
				t.7 AS finished_at, t.8 AS stat_keys, t.9 AS stat_values, t.10 AS error_count, v
			FROM (
				SELECT scan_id, argMax(tuple(agent_id, host, scanner, source, status, started_at, finished_at,
					stat_keys, stat_values, toUInt64(length(errors))), version) AS t, max(version) AS v
				FROM {db}.scans GROUP BY scan_id
			)
		)
		ORDER BY agent_id, scanner, finished_at DESC, v DESC, scan_id DESC
		LIMIT 2 BY agent_id, scanner`)
	if err != nil {
		return nil, err
	}
	var out []ScanChange
	for _, r := range rows {
		sum := r.summary()
		if n := len(out); n > 0 && out[n-1].AgentID == r.AgentID && out[n-1].Scanner == r.Scanner {
			out[n-1].Previous = &sum
			continue
		}
		out = append(out, ScanChange{AgentID: r.AgentID, Host: r.Host, Source: r.Source, Scanner: r.Scanner, Latest: sum})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Host+"\x00"+a.Source+"\x00"+a.Scanner < b.Host+"\x00"+b.Source+"\x00"+b.Scanner
	})
	return out, nil
}

// scanPairRow is one of the two latest scans of a scanner: a latest-scan
// row (its messages not read) with the agent's host.
type scanPairRow struct {
	scanRow
	Host string `ch:"host"`
}
