package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Re-keying the stored tokens (collector/keys): agents' tokens are keyed
// with a key every agent knows, so the collector stores them re-keyed with
// a key only it holds. Databases of older versions hold agent-keyed tokens
// in pii_findings, pii_tokens and idx_findings; the functions here rewrite
// them in place. The re-keying itself runs in Go: ClickHouse has no HMAC,
// and a key in SQL text would land in the server's query_log.

// rekeyChunkRows is about how many findings one pass of RekeyFindings
// holds in memory.
const rekeyChunkRows = 50000

// latestFindingColumns reads, per sorting key (asset_id, type,
// owner_agent), the newest row as FINAL would keep it, ties going to the
// row with the higher tie (a fixed column name: tokens_rekeyed for
// RekeyFindings, token_gen for ReencryptFindings), through argMax: a
// filter on tie next to FINAL may run before the rows are collapsed
// (PREWHERE), which would rewrite a row twice. The columns are findingRow's.
func latestFindingColumns(tie string) string {
	cols := []string{"asset_id", "type", "owner_agent"}
	for _, c := range [...]string{"category", "location", "host", "source", "agent_id", "scan_id", "count",
		"distinct_count", "confidence", "samples", "tokens", "locations", "observed_at"} {
		cols = append(cols, "argMax("+c+", (version, "+tie+")) AS r_"+c)
	}
	return strings.Join(append(cols, "max(version) AS r_version"), ",\n\t")
}

type findingRow struct {
	AssetID       string    `ch:"asset_id"`
	Type          string    `ch:"type"`
	OwnerAgent    string    `ch:"owner_agent"`
	Category      string    `ch:"r_category"`
	Location      string    `ch:"r_location"`
	Host          string    `ch:"r_host"`
	Source        string    `ch:"r_source"`
	AgentID       string    `ch:"r_agent_id"`
	ScanID        string    `ch:"r_scan_id"`
	Count         uint64    `ch:"r_count"`
	DistinctCount uint64    `ch:"r_distinct_count"`
	Confidence    string    `ch:"r_confidence"`
	Samples       []string  `ch:"r_samples"`
	Tokens        []string  `ch:"r_tokens"`
	Locations     []string  `ch:"r_locations"`
	ObservedAt    time.Time `ch:"r_observed_at"`
	Version       uint64    `ch:"r_version"`
}

// RekeyFindings rewrites every pii_findings row whose newest version is
// not re-keyed yet: its tokens go through rekey and it is inserted again
// with a higher version and tokens_rekeyed = 1, so the rewrite replaces
// it. It
// returns how many rows it rewrote. A second call (after a crash half way)
// finds only the rows still left, so no token is re-keyed twice. The
// table is read in slices of about rekeyChunkRows findings (by a hash of
// the asset id) to bound memory. Nothing else may write pii_findings
// meanwhile (the collector calls it before serving).
func (s *Store) RekeyFindings(ctx context.Context, rekey func(tokens []string)) (int, error) {
	// Migration 0011 deletes the ownerless originals of rows it copied
	// with a mutation; rewriting one of them would bring it back.
	if err := s.awaitMutations(ctx, "pii_findings"); err != nil {
		return 0, err
	}
	var cnt []struct {
		N uint64 `ch:"n"`
	}
	if err := s.long.Select(ctx, &cnt, s.sql(`SELECT count() AS n FROM {db}.pii_findings WHERE tokens_rekeyed = 0 AND owner_agent != ''`)); err != nil {
		return 0, s.wrap("counting findings to re-key", err)
	}
	if len(cnt) == 0 || cnt[0].N == 0 {
		return 0, nil
	}
	chunks := cnt[0].N/rekeyChunkRows + 1
	total := 0
	for c := uint64(0); c < chunks; c++ {
		var rows []findingRow
		q := `SELECT ` + latestFindingColumns("tokens_rekeyed") + ` FROM {db}.pii_findings
			WHERE cityHash64(asset_id) % ? = ? AND owner_agent != ''
			GROUP BY asset_id, type, owner_agent
			HAVING argMax(tokens_rekeyed, (version, tokens_rekeyed)) = 0`
		if err := s.long.Select(ctx, &rows, s.sql(q), chunks, c); err != nil {
			return total, s.wrap("reading findings to re-key", err)
		}
		for i := range rows {
			rekey(rows[i].Tokens)
		}
		if err := s.writeRewrittenFindings(ctx, rows, nil); err != nil {
			return total, err
		}
		total += len(rows)
	}
	return total, nil
}

// PurgeAgentTokens removes what RekeyFindings left behind: the replaced
// rows of pii_findings (merged away), pii_tokens (emptied and refilled
// from the re-keyed findings) and the read index's findings (emptied, and
// the index marked unbuilt, so the next read waits for a rebuild). It
// fails if a row that is not re-keyed survives the merge.
//
// Merged-away and truncated parts stay on disk as inactive parts until
// ClickHouse's cleanup removes them (old_parts_lifetime, 8 minutes by
// default); no query reads them.
func (s *Store) PurgeAgentTokens(ctx context.Context) error {
	return s.purgeTokens(ctx, tokenPurge{stale: "tokens_rekeyed = 0", keep: "tokens_rekeyed = 1",
		what:      "merging re-keyed findings",
		survivors: "%d findings still hold agent-keyed tokens after the merge; ClickHouse may have skipped it (disk space?); restart the collector to retry"})
}

// writeRewrittenFindings inserts rows again after their tokens were
// rewritten, marked re-keyed and, with gen set, at that key generation.
// Versions come from the collector's clock, as ingest writes them, and
// always above the row's own, so the rewrite wins.
func (s *Store) writeRewrittenFindings(ctx context.Context, rows []findingRow, gen *uint32) error {
	cols := "asset_id, type, owner_agent, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version, tokens_rekeyed"
	if gen != nil {
		cols += ", token_gen"
	}
	base := s.reserveVersions(len(rows))
	return s.insert(ctx, "pii_findings", cols, len(rows), func(i int) []any {
		r := &rows[i]
		v := []any{r.AssetID, r.Type, r.OwnerAgent, r.Category, r.Location, r.Host, r.Source, r.AgentID, r.ScanID, r.Count,
			r.DistinctCount, r.Confidence, strs(r.Samples), strs(r.Tokens), strs(r.Locations), r.ObservedAt,
			max(base+uint64(i), r.Version+1), uint8(1)}
		if gen != nil {
			v = append(v, *gen)
		}
		return v
	})
}

// tokenPurge is what differs between the two token rewrites' clean-ups
// (PurgeAgentTokens, PurgeStaleTokens): stale is a fixed SQL condition
// (over args) that no row may match once the rewrite's mutations are done
// and pii_findings is merged, keep the rows the token index is refilled
// from, what names the merge for errors and survivors is the error (with
// %d for the count) when rows still match stale.
type tokenPurge struct {
	stale, keep, what, survivors string
	args                         []any
}

// purgeTokens waits for pii_findings' mutations, merges it until no row
// matches p.stale, and rebuilds the token indexes from the rows matching
// p.keep.
func (s *Store) purgeTokens(ctx context.Context, p tokenPurge) error {
	if err := s.awaitMutations(ctx, "pii_findings"); err != nil {
		return err
	}
	left, err := s.mergeUntil(ctx, "pii_findings", p.stale, p.what, p.args...)
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf(p.survivors, left)
	}
	if err := s.rebuildTokenIndexes(ctx, p.keep); err != nil {
		return err
	}
	// On a cluster the merge and the token index's DELETE ran on one
	// replica of each shard: the others still hold the old tokens until
	// they have applied them.
	return s.awaitReplicas(ctx, true, "pii_findings", "pii_tokens", "pii_by_host", "idx_findings")
}

// rebuildTokenIndexes refills pii_tokens and pii_by_host from the
// current findings that match keep (a fixed SQL condition, never a user value) and empties the
// read index's findings, marking the index unbuilt so the next read waits
// for a rebuild: after tokens were rewritten in place, no copy of an old
// token may stay readable.
func (s *Store) rebuildTokenIndexes(ctx context.Context, keep string) error {
	steps := []struct{ what, q string }{
		{"emptying the token index", `TRUNCATE TABLE {db}.pii_tokens`},
		{"refilling the token index", `INSERT INTO {db}.pii_tokens (token, host, asset_id, type, scan_id, version)
			SELECT arrayJoin(tokens) AS token, host, asset_id, type, scan_id, version
			FROM {db}.pii_findings FINAL WHERE ` + keep},
		// pii_by_host (migration 0032) is a copy of pii_findings: emptied
		// and refilled, as the token index, so it keeps no old token.
		{"emptying the findings by host", `TRUNCATE TABLE {db}.pii_by_host`},
		{"refilling the findings by host", `INSERT INTO {db}.pii_by_host (host, asset_id, type, owner_agent, category, location,
				source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version)
			SELECT host, asset_id, type, owner_agent, category, location, source, agent_id, scan_id, count, distinct_count,
				confidence, samples, tokens, locations, observed_at, version
			FROM {db}.pii_findings FINAL WHERE ` + keep},
		{"emptying the read index's findings", `TRUNCATE TABLE {db}.idx_findings`},
		{"marking the read index unbuilt", `TRUNCATE TABLE {db}.idx_builds`},
	}
	for _, st := range steps {
		if err := s.long.Exec(ctx, s.sql(st.q)); err != nil {
			return s.wrap(st.what, err)
		}
	}
	return s.markWrite(ctx)
}

// mergeUntil merges table until no row on disk matches stale (a fixed SQL
// condition), and returns how many still do. An
// OPTIMIZE FINAL does nothing, without an error, while a background merge
// of the table runs, so it is retried a bounded number of times after the
// running merges end.
func (s *Store) mergeUntil(ctx context.Context, table, stale, what string, args ...any) (uint64, error) {
	const attempts = 20
	var left uint64
	for i := 0; i < attempts; i++ {
		if err := s.awaitMerges(ctx, table); err != nil {
			return 0, err
		}
		if err := s.optimizeFinal(ctx, table); err != nil {
			return 0, s.wrap(what, err)
		}
		var rows []struct {
			N uint64 `ch:"n"`
		}
		// No FINAL: after the merge no stale row may be left on disk.
		if err := s.long.Select(ctx, &rows, s.sql(`SELECT count() AS n FROM {db}.`+table+` WHERE `+stale), args...); err != nil {
			return 0, s.wrap(what, err)
		}
		if left = rows[0].N; left == 0 {
			return 0, nil
		}
		select {
		case <-ctx.Done():
			return left, fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	return left, nil
}

// PurgeSetting deletes a setting so that no part of the settings table
// still holds its value: a DELETE mutation, awaited, then a merge.
func (s *Store) PurgeSetting(ctx context.Context, key string) error {
	if err := s.long.Exec(ctx, s.sql("ALTER TABLE {db}.settings DELETE WHERE `key` = ?"), key); err != nil {
		return s.wrap("deleting a setting", err)
	}
	if err := s.awaitMutations(ctx, "settings"); err != nil {
		return err
	}
	return s.wrap("merging the settings table", s.optimizeFinal(ctx, "settings"))
}

// awaitMutations waits until the table has no unfinished mutation (18.16
// has no mutations_sync).
func (s *Store) awaitMutations(ctx context.Context, table string) error {
	if s.cluster != nil {
		// The mutations are on NAME_local of every node.
		return s.awaitReplicas(ctx, false, table)
	}
	var reason string
	return awaitZero(ctx, func() (uint64, error) {
		var rows []struct {
			N      uint64 `ch:"n"`
			Reason string `ch:"reason"`
		}
		err := s.conn.Select(ctx, &rows, `SELECT count() AS n, any(latest_fail_reason) AS reason FROM system.mutations
			WHERE database = ? AND table = ? AND is_done = 0`, s.o.Database, table)
		if err != nil {
			// 18.16 has no latest_fail_reason.
			err = s.conn.Select(ctx, &rows, `SELECT count() AS n, '' AS reason FROM system.mutations
				WHERE database = ? AND table = ? AND is_done = 0`, s.o.Database, table)
		}
		if err != nil {
			return 0, s.wrap("waiting for a mutation of "+table, err)
		}
		if len(rows) == 0 {
			return 0, nil
		}
		reason = rows[0].Reason
		return rows[0].N, nil
	}, func(err error) error {
		return fmt.Errorf("waiting for a mutation of %s: %w (reason so far: %q)", table, err, reason)
	})
}

// awaitZero asks count every 50 ms until it answers 0 (awaitMerges: the
// merges running, awaitMutations: the mutations unfinished). It returns
// count's error, or what stopped makes of ctx's when ctx ends first.
func awaitZero(ctx context.Context, count func() (uint64, error), stopped func(error) error) error {
	for {
		n, err := count()
		if err != nil || n == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return stopped(ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
