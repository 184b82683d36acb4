package store

import (
	"context"
	"strconv"
	"time"
)

// ScanErrorSamples bounds the error messages LatestScans returns per scan:
// a fleet view needs the first few to tell what went wrong, not all 100.
const ScanErrorSamples = 5

// ScanSummary is the latest scan of one scanner on one agent, as the API
// shows it in the agent's view.
type ScanSummary struct {
	AgentID string `json:"-"`
	Scanner string `json:"scanner"`
	Source  string `json:"source"`
	ScanOutcome
	// ErrorCount is the number of errors the scan reported: its "errors"
	// stat when larger than the messages sent (agents send at most 100).
	ErrorCount uint64 `json:"error_count"`
	// Errors are the first ScanErrorSamples messages.
	Errors []string `json:"errors"`
}

// ScanOutcome is what one scan did: its id, status, times and counters.
type ScanOutcome struct {
	ScanID     string           `json:"scan_id"`
	Status     string           `json:"status"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	Stats      map[string]int64 `json:"stats"`
}

// LatestScans returns the latest scan per (agent, scanner), for one agent
// or (agentID empty) all of them, ordered by agent and scanner. "Latest" is
// the highest (finished_at, version), so a re-sent scan record replaces
// itself and no merge or FINAL is needed. One query for the whole fleet.
func (s *Store) LatestScans(ctx context.Context, agentID string) ([]ScanSummary, error) {
	var w where
	w.filter("agent_id = ?", agentID)
	// One argMax over a tuple rather than one per column: a tie on the key
	// could otherwise mix columns of two scans.
	q := `SELECT agent_id, scanner, t.1 AS scan_id, t.2 AS source, t.3 AS status, t.4 AS started_at,
			t.5 AS finished_at, t.6 AS stat_keys, t.7 AS stat_values, t.8 AS error_count, t.9 AS errors
		FROM (
			SELECT agent_id, scanner,
				argMax(tuple(scan_id, source, status, started_at, finished_at, stat_keys, stat_values,
					toUInt64(length(errors)), arraySlice(errors, 1, ` + strconv.Itoa(ScanErrorSamples) + `)), (finished_at, version)) AS t
			FROM {db}.scans` + w.sql() + `
			GROUP BY agent_id, scanner
		)
		ORDER BY agent_id, scanner`
	return selectAll(ctx, s, "reading the latest scans", scanRow.summary, q, w.args...)
}

// scanRow is a latest scan as LatestScans reads it.
type scanRow struct {
	AgentID    string    `ch:"agent_id"`
	Scanner    string    `ch:"scanner"`
	ScanID     string    `ch:"scan_id"`
	Source     string    `ch:"source"`
	Status     string    `ch:"status"`
	StartedAt  time.Time `ch:"started_at"`
	FinishedAt time.Time `ch:"finished_at"`
	StatKeys   []string  `ch:"stat_keys"`
	StatValues []int64   `ch:"stat_values"`
	ErrorCount uint64    `ch:"error_count"`
	Errors     []string  `ch:"errors"`
}

// summary pairs the stat keys with their values (a key without a value is
// dropped) and takes the larger of the messages sent and the "errors"
// stat as the error count: agents send at most 100 messages.
func (r scanRow) summary() ScanSummary {
	sc := ScanSummary{AgentID: r.AgentID, Scanner: r.Scanner, Source: r.Source,
		ScanOutcome: ScanOutcome{ScanID: r.ScanID, Status: r.Status, StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(),
			Stats: make(map[string]int64, len(r.StatKeys))},
		ErrorCount: r.ErrorCount, Errors: strs(r.Errors)}
	for j, k := range r.StatKeys {
		if j < len(r.StatValues) {
			sc.Stats[k] = r.StatValues[j]
		}
	}
	if n := sc.Stats["errors"]; n > 0 && uint64(n) > sc.ErrorCount {
		sc.ErrorCount = uint64(n)
	}
	return sc
}
