package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Views are declared, not migrated: this file holds the one definition of
// each, and every Migrate makes the database's views match it (views hold
// no data, so replacing one loses nothing). The migrations that once
// created them (0002, 0003, 0005, 0007) are now empty, so a fresh install
// and an upgraded one end with the same views.
//
// A view is (re)created when it is missing or its recorded definition
// (schema_views, by hash) differs: DROP then CREATE, since 18.16 has no
// CREATE OR REPLACE VIEW. Between the two a concurrent reader may briefly
// miss the view; that happens once per upgrade that changes a view.

// "Current" is decided once, here: for each (agent_id, source), the latest
// completed (ok or partial) scan, by (finished_at, version), with one
// argMax over a tuple so a tie on the key cannot mix two scans' columns.
const currentScansView = `CREATE VIEW IF NOT EXISTS {db}.current_scans AS
SELECT agent_id, source, cur.1 AS scan_id, cur.2 AS started_at, cur.3 AS finished_at
FROM (
    SELECT agent_id, source, argMax(tuple(scan_id, started_at, finished_at), (finished_at, version)) AS cur
    FROM {db}.scans FINAL
    WHERE status IN ('ok', 'partial')
    GROUP BY agent_id, source
)`

// currentRowCondition keeps a scanned row when, for its (agent_id,
// source), either
//   - it belongs to the latest completed scan (current_scans), or
//   - it was observed after that scan started: it comes from a scan still
//     in progress, whose rows have already replaced older ones in place, or
//   - no scan of that (agent_id, source) has completed yet;
//
// and its scan did not fail. So the previous scan stays visible until the
// next one completes (no flicker), and a row the newest completed scan no
// longer reports (a file cleaned or deleted, an account removed) drops out.
// It needs cur_scan and cur_started from currentScanJoin.
const currentRowCondition = `(cur_scan = '' OR scan_id = cur_scan OR observed_at > cur_started)
  AND scan_id NOT IN (SELECT scan_id FROM {db}.scans FINAL WHERE status = 'failed')`

// currentScanJoin attaches each row's current scan.
const currentScanJoin = `ANY LEFT JOIN (
    SELECT agent_id, source, scan_id AS cur_scan, started_at AS cur_started FROM {db}.current_scans
) USING (agent_id, source)`

// The columns each current_ view shows of its table.
const (
	piiColumns = `asset_id, location, host, source, agent_id, scan_id, type, category, confidence,
       count, distinct_count, samples, locations, tokens, observed_at`
	principalColumns = `principal_id, name, principal_type, source, host, agent_id, scan_id, enabled, privileged,
       privileged_via, last_login, password_last_set, mfa, attr_keys, attr_values, observed_at`
	entitlementColumns = `principal_id, resource_id, resource_type, permission, via, privileged, source, host, agent_id,
       scan_id, observed_at`
	assetColumns = `asset_id, asset_type, location, host, source, agent_id, scan_id, owner, size, modified_at,
       attr_keys, attr_values, observed_at`
)

// currentView is the current rows of a scanned table.
func currentView(view, table, columns string) string {
	return `CREATE VIEW IF NOT EXISTS {db}.` + view + ` AS
` + currentRowsSQL(table, columns, "")
}

// currentRowsSQL is the query of a current_ view, its FINAL read narrowed
// by where (" WHERE …" on the table's sorting key, so that every version
// of a kept row is read; "" for all): an incremental index build reads
// the current rows of the assets it recomputes this way (from
// pii_by_host, pii_findings sorted by host, where also picks the newest
// version of each pii_findings key).
func currentRowsSQL(table, columns, where string) string {
	return `SELECT ` + columns + `
FROM (SELECT ` + columns + ` FROM {db}.` + table + ` FINAL` + where + `)
` + currentScanJoin + `
WHERE ` + currentRowCondition
}

type viewDef struct{ name, create string }

// declaredViews are created in this order: a view after those it reads.
// current_pii_findings is also what the Grafana dashboards read; tokens
// are in it for the index build (subject search, breach impact).
func declaredViews() []viewDef {
	return []viewDef{
		{"current_scans", currentScansView},
		{"current_pii_findings", currentView("current_pii_findings", "pii_findings", piiColumns)},
		{"current_principals", currentView("current_principals", "principals", principalColumns)},
		{"current_entitlements", currentView("current_entitlements", "entitlements", entitlementColumns)},
		{"current_assets", currentView("current_assets", "assets", assetColumns)},
		{"current_review_items", currentReviewItemsView},
	}
}

// current_review_items: every review item with its current reviewer and
// decision, the SQL twin of store.ReviewItems (applyDecisions in
// reviews.go), for the review-progress dashboard: the latest decision by
// seq is the item's decision, except that a reassignment (decision
// 'reassign') hands the item to reassign_to and leaves it pending again;
// the current reviewer is the latest reassignment's, else the item's
// first. decided_at is 0 for a pending item. The campaign's name and due
// date come along so an overdue item (pending after due) needs no join.
const currentReviewItemsView = `CREATE VIEW IF NOT EXISTS {db}.current_review_items AS
SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, privileged,
       reviewer_source, reviewer, decision, decided_at, decided_by, campaign, due
FROM (
    SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, privileged,
           reviewer_source,
           if(last_reassign = '', first_reviewer, last_reassign) AS reviewer,
           if(last_decision = 'reassign', '', last_decision) AS decision,
           if(last_decision IN ('', 'reassign'), toDateTime(0), last_decided_at) AS decided_at,
           if(last_decision IN ('', 'reassign'), '', last_decided_by) AS decided_by
    FROM (
        SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, privileged,
               reviewer_source, reviewer AS first_reviewer
        FROM {db}.review_items
    ) ANY LEFT JOIN (
        SELECT campaign_id, item_id,
               argMax(decision, seq) AS last_decision,
               argMax(decided_at, seq) AS last_decided_at,
               argMax(decided_by, seq) AS last_decided_by,
               argMaxIf(reassign_to, seq, decision = 'reassign') AS last_reassign
        FROM {db}.review_decisions
        GROUP BY campaign_id, item_id
    ) USING (campaign_id, item_id)
) ANY LEFT JOIN (
    SELECT campaign_id, any(name) AS campaign, any(due) AS due
    FROM {db}.review_campaigns
    GROUP BY campaign_id
) USING campaign_id`

func viewHash(create string) string {
	h := sha256.Sum256([]byte(create))
	return hex.EncodeToString(h[:])
}

// declareViews makes the database's views match declaredViews and returns
// the names it (re)created. Collectors migrating at once may drop a view
// another is building on (CREATE VIEW checks the tables it reads): the
// loser of that race reads the state again and retries.
func (s *Store) declareViews(ctx context.Context) ([]string, error) {
	if err := s.ddl(ctx, (`CREATE TABLE IF NOT EXISTS {db}.schema_views (
			name    String,
			hash    String,
			version UInt64
		) ENGINE = ReplacingMergeTree(version) ORDER BY name`)); err != nil {
		return nil, s.wrap("creating schema_views", err)
	}
	var changed []string
	for attempt := 1; ; attempt++ {
		done, err := s.declareViewsOnce(ctx)
		changed = append(changed, done...)
		var ex *clickhouse.Exception
		if err == nil || attempt == 5 || !errors.As(err, &ex) || ex.Code != 60 { // UNKNOWN_TABLE
			return changed, err
		}
		select {
		case <-ctx.Done():
			return changed, err
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

func (s *Store) declareViewsOnce(ctx context.Context) ([]string, error) {
	var rows []struct {
		Name string `ch:"name"`
		Hash string `ch:"hash"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(`SELECT name, argMax(hash, version) AS hash FROM {db}.schema_views GROUP BY name`)); err != nil {
		return nil, s.wrap("reading the declared views", err)
	}
	recorded := map[string]string{}
	for _, r := range rows {
		recorded[r.Name] = r.Hash
	}
	var present []struct {
		Name string `ch:"name"`
	}
	if err := s.conn.Select(ctx, &present, `SELECT name FROM system.tables WHERE database = ?`, s.o.Database); err != nil {
		return nil, s.wrap("listing the views", err)
	}
	exists := map[string]bool{}
	for _, p := range present {
		exists[p.Name] = true
	}
	var changed []string
	for _, v := range declaredViews() {
		h := viewHash(v.create)
		if exists[v.name] && recorded[v.name] == h {
			continue
		}
		// A view that is missing is only created: a collector migrating
		// at the same time may have just made it.
		stmts := []string{v.create}
		if exists[v.name] {
			stmts = []string{`DROP TABLE IF EXISTS {db}.` + v.name, v.create}
		}
		for _, st := range stmts {
			if err := s.ddl(ctx, st); err != nil {
				return changed, s.wrap("declaring the view "+v.name, err)
			}
		}
		err := s.insert(ctx, "schema_views", "name, hash, version", 1, func(int) []any {
			return []any{v.name, h, s.nextVersion()}
		})
		if err != nil {
			return changed, err
		}
		s.o.Logger.Info("declared ClickHouse view", "view", v.name, "database", s.o.Database)
		changed = append(changed, v.name)
	}
	return changed, nil
}
