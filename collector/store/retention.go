package store

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"time"
)

// Retention: the tables that are history only, partitioned by month, and
// what each keeps. 18.16 has no TTL, so old months go by DROP PARTITION,
// whole (no mutation). Only tables whose rows never hold current state
// are here:
//   - audit_log (0004): one row per API call, append-only;
//   - risk_history (0014): one snapshot per index build; the newest one is
//     the dashboards' "now", so the newest month is never dropped.
//
// Not here, on purpose: scans (current_scans picks the latest completed
// scan of each source, however old), review_decisions and risk_register
// (their latest row per item is the item's current state), policies (the
// latest revision is the policy), ingest_batches and token_uses (a repeat
// or an enrollment count is checked against them), and the scanned tables
// (latest state, replaced in place).

// RetentionTable is a history table retention may trim.
type RetentionTable struct {
	Table string
	// Kind selects the setting that bounds it: "audit" or "history".
	Kind string
}

// RetentionTables lists them (each PARTITION BY toYYYYMM(…)).
var RetentionTables = []RetentionTable{
	{Table: "audit_log", Kind: "audit"},
	{Table: "risk_history", Kind: "history"},
}

// RowChanges is row_changes (migration 0032), the log of rows stored
// that incremental index builds read past their base's watermark: not a
// retention setting's, but trimmed by CommitIndex after each full build
// (every later build starts from that one or a newer one), so it does not
// grow with every row ever stored.
var RowChanges = RetentionTable{Table: "row_changes", Kind: "index"}

// rowChangesKept is how far before a full build's watermark row_changes
// stays: far past any collector's clock skew and batch in flight.
const rowChangesKept = 24 * time.Hour

// monthPartition is the form of a toYYYYMM partition id: anything else
// found in system.parts is left alone (and never reaches SQL).
var monthPartition = regexp.MustCompile(`^(19|20|21)[0-9]{2}(0[1-9]|1[0-2])$`)

// partitionMonthEnd is when the month of a partition id ends (UTC).
func partitionMonthEnd(id string) (time.Time, bool) {
	if !monthPartition.MatchString(id) {
		return time.Time{}, false
	}
	t, err := time.Parse("200601", id)
	if err != nil {
		return time.Time{}, false
	}
	return t.AddDate(0, 1, 0), true
}

// DropExpired drops the month partitions of a RetentionTable that ended
// before `before`, except its newest partition, and returns the ids
// dropped. In cluster mode it lists the partitions of every shard and
// drops them ON CLUSTER.
func (s *Store) DropExpired(ctx context.Context, rt RetentionTable, before time.Time) ([]string, error) {
	known := rt == RowChanges
	for _, t := range RetentionTables {
		known = known || t == rt
	}
	if !known {
		return nil, fmt.Errorf("table %s is not a history table retention may trim", rt.Table)
	}
	table, parts, on := rt.Table, "system.parts", ""
	if s.cluster != nil {
		table += "_local"
		on = s.cluster.onCluster()
		if err := s.clusterParts(ctx); err != nil {
			return nil, err
		}
		parts = "{db}.cluster_parts"
	}
	what := "listing the partitions of " + rt.Table
	ids, err := selectAll(ctx, s, what, func(r struct {
		ID string `ch:"partition_id"`
	}) string {
		return r.ID
	}, `SELECT DISTINCT partition_id FROM `+parts+` WHERE database = ? AND table = ? AND active`, s.o.Database, table)
	if err != nil {
		return nil, err
	}
	sort.Strings(ids)
	var months []string
	for _, id := range ids {
		if monthPartition.MatchString(id) {
			months = append(months, id)
		}
	}
	var dropped []string
	for i, id := range months {
		end, _ := partitionMonthEnd(id)
		if i == len(months)-1 || end.After(before) {
			break // the newest month stays, and so does every later one
		}
		// id matched monthPartition; it is bound, not spliced.
		if err := s.long.Exec(ctx, s.sql("ALTER TABLE {db}."+table+on+" DROP PARTITION ID ?"), id); err != nil {
			return dropped, s.wrap(fmt.Sprintf("dropping partition %s of %s", id, rt.Table), err)
		}
		s.o.Logger.Info("retention: dropped a month of history", "table", rt.Table, "partition", id, "before", before)
		dropped = append(dropped, id)
	}
	return dropped, nil
}

// clusterParts makes {db}.cluster_parts, a Distributed table over every
// shard's system.parts (one replica each, which hold the same parts).
func (s *Store) clusterParts(ctx context.Context) error {
	var n []struct {
		N uint64 `ch:"n"`
	}
	if err := s.conn.Select(ctx, &n, `SELECT count() AS n FROM system.tables WHERE database = ? AND name = 'cluster_parts'`, s.o.Database); err != nil {
		return s.wrap("looking for cluster_parts", err)
	}
	if len(n) == 1 && n[0].N > 0 {
		return nil
	}
	q := fmt.Sprintf("CREATE TABLE IF NOT EXISTS {db}.cluster_parts%s (database String, table String, partition_id String, active UInt8) ENGINE = Distributed(`%s`, system, parts)",
		s.cluster.onCluster(), s.cluster.cluster)
	return s.wrap("creating cluster_parts", s.long.Exec(ctx, s.sql(q)))
}
