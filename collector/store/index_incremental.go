package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Incremental builds (migration 0025). A full build folds every row of the
// FINAL views; after one host's rescan almost all of that work gives the
// previous generation's answer again. An incremental build starts from the
// newest build (its base) and reads from the current views only the assets
// whose data may have changed since it:
//
//   - the assets of every pii or asset row stored since the base's
//     watermark (less the clock skew allowed between collectors), and
//     every asset the base held for an (agent_id, source) pair that
//     stored a scan, a pii row or an asset row since then (a file gone
//     from its newest scan, a failed scan's rows);
//   - the assets whose triage changed since then.
//
// These are listed in idx_changed; their findings and staged assets are
// computed as a full build does, from the current rows of those assets.
// Since migration 0032 neither step reads pii_findings or assets, where a
// host's rows are spread over every granule: what was stored since the
// base is a range of row_changes, the hosts of the changed assets come
// from asset_hosts (idx_changed_hosts), and their current rows from those
// hosts' ranges of pii_by_host and assets_by_host, copies sorted by host
// (all four filled by materialized views as the rows are stored). Findings and scores are kept per host (migration 0029): a
// build's are read through idx_finding_segs and idx_risk_segs (findingsOf,
// riskOf), which name for each host the generation holding its rows, so
// the build writes rows only for the hosts of what it recomputed (their
// unchanged rows copied along) and points at the base's generation for
// every other host; the counts by type and category, per host too, are
// carried the same way. Every other asset's staged row is read where the
// base has it. The access map (reach.go, migration 0031) keeps the
// base's entitlements of the agents that stored none since, its grants
// whose entitlement, resource and principal did not change, and its
// holders and reach of the principals none of that touches; reader
// counts, ranks, the summary by system and lists follow from those rows
// as in a full build; only the assets whose rows or reader counts
// changed are scored again (idx_rescored; the others keep their score). So the answers are a full
// build's; the tests compare every read after both, after one build and
// after a chain of them (collector/index/incremental_test.go).
//
// PlanIndex falls back to a full build when that cannot be shown safe:
// no committed build, a migration since the base, allow rules changed or
// expired since it (an allowed value hides tokens everywhere), the base's
// rows not all there (a token rekey empties idx_findings), or cluster mode
// (builds there read replicas that may lag; kept simple: always full).

// DefaultClockSkew widens "since the base" (IndexBuild.ClockSkew) for
// rows versioned by another collector's clock (NTP keeps them within
// milliseconds), or stored by a batch still being written when the base
// began (a batch of records takes seconds).
const DefaultClockSkew = 2 * time.Minute

// IndexPlan says how a build will be made and why.
type IndexPlan struct {
	Base   uint64 // the generation it starts from; 0: a full build
	Reason string // why a full build, when it is one
}

// PlanIndex decides whether build b may be incremental (allowed: the
// caller lets it; the indexer makes its first build in a process full, so
// a change of configuration or of the risk model is applied everywhere),
// and records the decision and the schema version in b.
func (s *Store) PlanIndex(ctx context.Context, b *IndexBuild, allowed bool) (IndexPlan, error) {
	var mig []struct {
		V uint32 `ch:"v"`
	}
	if err := s.conn.Select(ctx, &mig, s.sql(`SELECT max(version) AS v FROM {db}.schema_migrations`)); err != nil {
		return IndexPlan{}, s.wrap("planning an index build", err)
	}
	if len(mig) == 1 {
		b.Schema = mig[0].V
	}
	b.Base = 0
	full := func(why string) (IndexPlan, error) { return IndexPlan{Reason: why}, nil }
	if !allowed {
		return full("first build of this process, or a full build was asked for")
	}
	if s.cluster != nil {
		return full("cluster mode builds in full")
	}
	var prev []struct {
		Gen      uint64    `ch:"gen"`
		WM       uint64    `ch:"watermark"`
		At       time.Time `ch:"built_at"`
		Findings uint64    `ch:"findings"`
		Assets   uint64    `ch:"assets"`
		Schema   uint32    `ch:"schema_version"`
	}
	q := `SELECT gen, watermark, built_at, findings, assets, schema_version FROM {db}.idx_builds ORDER BY gen DESC LIMIT 1`
	if err := s.conn.Select(ctx, &prev, s.sql(q)); err != nil {
		return IndexPlan{}, s.wrap("planning an index build", err)
	}
	if len(prev) == 0 {
		return full("no build yet")
	}
	p := prev[0]
	if p.Schema != b.Schema {
		return full("migrated since the last build")
	}
	skew := b.ClockSkew
	if skew <= 0 {
		skew = DefaultClockSkew
	}
	cutoff := sinceCutoff(p.WM, uint64(skew))
	var n []struct {
		M uint64 `ch:"m"`
		R uint64 `ch:"r"`
		S uint64 `ch:"s"`
	}
	// The base's rows must all be there (every generation it reads its
	// findings and assets from: a token rekey empties idx_findings;
	// counting the rows through the segments cost a second at 10M), and no
	// allow rule may have changed or lapsed since it (both change findings
	// of any asset).
	q = `SELECT (SELECT count() FROM (SELECT DISTINCT seg FROM {db}.idx_finding_segs WHERE gen = ?)
				WHERE seg NOT IN (SELECT DISTINCT gen FROM {db}.idx_findings))
			+ (SELECT count() FROM (SELECT DISTINCT seg FROM {db}.idx_asset_segs WHERE gen = ?)
				WHERE seg NOT IN (SELECT DISTINCT gen FROM {db}.idx_assets)) AS m,
		(SELECT count() FROM {db}.allow_rules WHERE version > ?
			OR (expires_at != toDateTime(0) AND expires_at <= now() AND expires_at >= ?)) AS r,
		greatest(greatest((SELECT uniqExact(seg) FROM {db}.idx_finding_segs WHERE gen = ?),
			(SELECT uniqExact(seg) FROM {db}.idx_risk_segs WHERE gen = ?)),
			greatest((SELECT uniqExact(seg) FROM {db}.idx_asset_segs WHERE gen = ?),
				(SELECT uniqExact(seg) FROM {db}.idx_entitlement_segs WHERE gen = ?))) AS s`
	if err := s.conn.Select(ctx, &n, s.sql(q), p.Gen, p.Gen, cutoff, p.At.Add(-skew), p.Gen, p.Gen, p.Gen, p.Gen); err != nil {
		return IndexPlan{}, s.wrap("planning an index build", err)
	}
	switch {
	case len(n) != 1:
		return full("no answer about the last build")
	case n[0].M > 0 || (p.Findings > 0 && n[0].S == 0):
		return full("the last build's rows are not all there (a token rekey?)")
	case n[0].R > 0:
		return full("allow rules changed since the last build")
	}
	b.Base, b.since, b.compact = p.Gen, cutoff, n[0].S >= maxSegments
	return IndexPlan{Base: p.Gen}, nil
}

// sinceCutoff is the version after which a row may be newer than a build
// of watermark wm, when clocks differ by up to skew nanoseconds.
func sinceCutoff(wm, skew uint64) uint64 {
	if wm < skew {
		return 0
	}
	return wm - skew
}

// changedAssets is the condition of an incremental build of generation g
// on the assets it recomputes.
func changedAssets(g string) string {
	return `asset_id IN (SELECT asset_id FROM {db}.idx_changed WHERE gen = ` + g + `)`
}

// maxSegments bounds the generations of idx_findings one build reads its
// findings from (idx_finding_segs): a build from a base spread over that
// many recomputes every host's, so they are one generation again, and
// partitions of old builds can go.
const maxSegments = 32

// incrementalSteps replace a full build's first steps (the findings and
// the staged assets) when generation g starts from generation base.
//
// Findings are kept per host (migration 0029): g holds the findings of
// the hosts whose findings it recomputes (those of the changed assets,
// now or before; every host when compact), and reads every other host's
// where base did. So a rescan copies its host's unchanged findings, not
// the whole index's.
func incrementalSteps(g, base string, cutoff uint64, compact bool) []buildStep {
	c := strconv.FormatUint(cutoff, 10)
	changed := changedAssets(g)
	// The pii and asset rows stored since the base (row_changes, migration
	// 0032: a range of its key, where pii_findings and assets would be
	// read whole for their versions).
	since := `{db}.row_changes WHERE version > ` + c
	// The (agent_id, source) pairs that stored anything since the base,
	// and their hosts (idx_findings is ordered by host).
	written := `SELECT agent_id, source, host FROM {db}.scans WHERE version > ` + c + `
			UNION ALL SELECT agent_id, source, host FROM ` + since
	pairs := `(agent_id, source) IN (SELECT agent_id, source FROM (` + written + `))`
	hosts := `host IN (SELECT host FROM (` + written + `))`
	everyHost := ""
	if compact {
		everyHost = `
				UNION ALL SELECT host FROM {db}.idx_finding_segs WHERE gen = ` + base
	}
	// The hosts g recomputes (written first: the findings are read from
	// their ranges).
	recomputedHosts := `(SELECT host FROM {db}.idx_finding_segs WHERE gen = ` + g + ` AND seg = ` + g + `)`
	// The changed assets' findings are read from pii_by_host (migration
	// 0032), pii_findings sorted by host, in the recomputed hosts' ranges:
	// in pii_findings, sorted by asset_id, one host's ids are spread over
	// every granule. PREWHERE: the changed assets' rows are picked before
	// FINAL merges versions (host and asset_id lead the key, so every
	// version of a row is kept or left together). A row whose host changed
	// is there under both hosts; the newest of a pii_findings key (asset_id,
	// type, owner_agent, which is agent_id: records.go sets both from the
	// sending agent) is the one pii_findings' FINAL keeps.
	newest := ` PREWHERE host IN ` + recomputedHosts + ` AND ` + changed + `
		ORDER BY version DESC LIMIT 1 BY asset_id, type, agent_id`
	visible := strings.Replace(visibleFindingsSQL, `FROM {db}.current_pii_findings`,
		`FROM (`+currentRowsSQL("pii_by_host", piiColumns, newest)+`)`, 1)
	return []buildStep{
		// What was written since the base (by version, a cheap column),
		// and what the base showed of the pairs that wrote it: whatever
		// can look different now is among these.
		{"changed assets", `INSERT INTO {db}.idx_changed (gen, asset_id)
			SELECT DISTINCT ` + g + `, asset_id FROM (
				SELECT asset_id FROM ` + since + `
				UNION ALL SELECT asset_id FROM {db}.idx_findings WHERE ` + findingsOf(base) + ` AND ` + hosts + ` AND ` + pairs + `
				UNION ALL SELECT asset_id FROM {db}.idx_assets WHERE ` + assetsOf(base) + ` AND ` + pairs + `
				UNION ALL SELECT asset_id FROM {db}.finding_triage WHERE seq > ` + c + `
			)`},
		// Every host a pii or asset row of a changed asset was ever stored
		// under (asset_hosts, migration 0032, by its key).
		{"hosts of changed assets", `INSERT INTO {db}.idx_changed_hosts (gen, host, pii)
			SELECT DISTINCT ` + g + `, host, pii FROM {db}.asset_hosts
			PREWHERE asset_key IN (SELECT cityHash64(asset_id) FROM {db}.idx_changed WHERE gen = ` + g + `)`},
		// The hosts g recomputes: those of the changed assets' findings
		// cover where the base had them and where they are now.
		{"hosts recomputed", `INSERT INTO {db}.idx_finding_segs (gen, host, seg)
			SELECT DISTINCT ` + g + `, host, ` + g + ` FROM (
				SELECT host FROM {db}.idx_changed_hosts WHERE gen = ` + g + ` AND pii = 1` + everyHost + `
			)`},
		{"current findings of changed assets", findingsSQL(g, visible)},
		{"findings carried over", `INSERT INTO {db}.idx_findings (gen, host, asset_id, type, category, location, source, agent_id, bucket,
				scan_id, count, distinct_count, sample_prefixes, tokens, observed_at)
			SELECT ` + g + `, host, asset_id, type, category, location, source, agent_id, bucket,
				scan_id, count, distinct_count, sample_prefixes, tokens, observed_at
			FROM {db}.idx_findings WHERE ` + findingsOf(base) + `
				AND host IN (SELECT host FROM {db}.idx_finding_segs WHERE gen = ` + g + `) AND NOT ` + changed},
		{"finding segments carried over", `INSERT INTO {db}.idx_finding_segs (gen, host, seg)
			SELECT ` + g + `, host, seg FROM {db}.idx_finding_segs
			WHERE gen = ` + base + ` AND host NOT IN (SELECT host FROM {db}.idx_finding_segs WHERE gen = ` + g + `)`},
		// The changed assets' rows, read as their findings are, from
		// assets_by_host in the ranges of the hosts they were stored under
		// (assets' key: asset_id, owner_agent).
		{"changed assets, staged", stageSQL(g, `(`+currentRowsSQL("assets_by_host", assetColumns, ` PREWHERE host IN (
				SELECT host FROM {db}.idx_changed_hosts WHERE gen = `+g+` AND pii = 0) AND `+changed+`
			ORDER BY version DESC LIMIT 1 BY asset_id, agent_id`)+`)`, ` AND `+changed)},
	}
}

// rescoredAssets is the condition on idx_assets of generation g (built
// from base) that keeps the assets with personal data whose score may
// differ from the base's: changed, or reached by other readers, or placed
// elsewhere. Only the rows g wrote (its own partition: the hosts whose
// rows may differ, incrementalAssetSteps) can be any of these.
func rescoredAssets(g, base string) string {
	return `gen = ` + g + ` AND occurrences > 0 AND (` + changedAssets(g) + `
		OR (asset_id, readers, readers_unprivileged, jurisdiction) NOT IN (
			SELECT asset_id, readers, readers_unprivileged, jurisdiction FROM {db}.idx_assets
			WHERE ` + assetsOf(base) + ` AND occurrences > 0
				AND host IN (SELECT host FROM {db}.idx_asset_segs WHERE gen = ` + g + ` AND seg = ` + g + `)))`
}

// CarryRisks copies to incremental build b the base's scores of the
// assets b does not score again (RescoredExposures streamed the others and
// listed them in idx_rescored). Every asset the base scored that is gone
// or holds no personal data now is a changed one.
//
// Scores are kept per host like findings (riskOf): g holds those of the
// hosts of the assets scored again or changed (every host when compact),
// the base's others are read where the base read them.
func (s *Store) CarryRisks(ctx context.Context, b IndexBuild) error {
	g, base := strconv.FormatUint(b.Gen, 10), strconv.FormatUint(b.Base, 10)
	everyHost := ""
	if b.compact {
		everyHost = ` UNION ALL SELECT host FROM {db}.idx_risk_segs WHERE gen = ` + base
	}
	return s.runBuildSteps(ctx, []buildStep{
		{"risk hosts recomputed", `INSERT INTO {db}.idx_risk_segs (gen, host, seg)
			SELECT DISTINCT ` + g + `, host, ` + g + ` FROM (
				SELECT host FROM {db}.idx_risk WHERE gen = ` + g + `
				UNION ALL SELECT host FROM {db}.idx_risk WHERE ` + riskOf(base) + ` AND ` + changedAssets(g) + everyHost + `
			)`},
		{"risk carried over", `INSERT INTO {db}.idx_risk (gen, asset_id, asset_type, location, host, source, score, factor_names, factor_points)
			SELECT ` + g + `, asset_id, asset_type, location, host, source, score, factor_names, factor_points
			FROM {db}.idx_risk WHERE ` + riskOf(base) + ` AND host IN (SELECT host FROM {db}.idx_risk_segs WHERE gen = ` + g + `)
				AND NOT ` + changedAssets(g) + `
				AND asset_id NOT IN (SELECT asset_id FROM {db}.idx_rescored WHERE gen = ` + g + `)`},
		{"risk segments carried over", `INSERT INTO {db}.idx_risk_segs (gen, host, seg)
			SELECT ` + g + `, host, seg FROM {db}.idx_risk_segs
			WHERE gen = ` + base + ` AND host NOT IN (SELECT host FROM {db}.idx_risk_segs WHERE gen = ` + g + `)`},
	})
}

// RankRisks fills idx_risk_top of build b from its idx_risk: the MaxLimit
// highest scores, ties by location then id (the indexer's order for a
// full build, which ranks as it scores).
func (s *Store) RankRisks(ctx context.Context, b IndexBuild) error {
	g := strconv.FormatUint(b.Gen, 10)
	return s.buildExec(ctx, "risk ranking", `INSERT INTO {db}.idx_risk_top (gen, rank, asset_id, asset_type, location, host, source, score, factor_names, factor_points)
		SELECT `+g+`, toUInt32(rowNumberInAllBlocks() + 1), asset_id, asset_type, location, host, source, score, factor_names, factor_points
		FROM (
			SELECT asset_id, asset_type, location, host, source, score, factor_names, factor_points
			FROM {db}.idx_risk WHERE `+riskOf(g)+`
			ORDER BY score DESC, location, asset_id LIMIT `+strconv.Itoa(MaxLimit)+`
		)`)
}

// changedIDs are the ids of the assets incremental build g recomputes and
// of those whose reader counts differ from base's (idx_readers: only
// assets someone can read have a row), as a subquery.
func changedIDs(g, base string) string {
	return `(SELECT asset_id FROM (
		SELECT asset_id FROM {db}.idx_changed WHERE gen = ` + g + `
		UNION ALL SELECT asset_id FROM {db}.idx_readers WHERE gen = ` + g + ` AND (asset_id, readers, readers_unprivileged) NOT IN (
			SELECT asset_id, readers, readers_unprivileged FROM {db}.idx_readers WHERE gen = ` + base + `)
		UNION ALL SELECT asset_id FROM {db}.idx_readers WHERE gen = ` + base + ` AND asset_id NOT IN (
			SELECT asset_id FROM {db}.idx_readers WHERE gen = ` + g + `)))`
}

// baseRowsOfChanged is the condition on idx_assets that keeps base's rows
// of the assets g recomputes, by the primary keys.
func baseRowsOfChanged(g, base string) string {
	return assetsOf(base) + ` AND loc_rank IN (SELECT loc_rank FROM {db}.idx_asset_ids WHERE ` + assetsOf(base) + ` AND ` + changedAssets(g) + `)`
}

// incrementalAssetSteps write the asset rows of incremental build g (after
// placeAssets): those of every host whose rows may differ from base's —
// the hosts of the assets it recomputes (now and in base), of the assets
// whose reader counts changed, and of the assets in a bucket whose bucket
// asset it recomputes (a bucket's jurisdiction and whether it is public
// reach its objects) — and base's segment for every other host. An
// asset's rank is placeAssets' when it was recomputed, base's otherwise.
func incrementalAssetSteps(g, base string) []buildStep {
	rewritten := `(SELECT host FROM {db}.idx_asset_segs WHERE gen = ` + g + ` AND seg = ` + g + `)`
	return []buildStep{
		{"asset hosts recomputed", `INSERT INTO {db}.idx_asset_segs (gen, host, seg)
			SELECT DISTINCT ` + g + `, host, ` + g + ` FROM (
				SELECT host FROM {db}.idx_assets_stage WHERE gen = ` + g + `
				UNION ALL SELECT host FROM {db}.idx_asset_ids WHERE ` + assetsOf(base) + ` AND asset_id IN ` + changedIDs(g, base) + `
				UNION ALL SELECT host FROM {db}.idx_assets PREWHERE bucket != '' WHERE ` + assetsOf(base) + ` AND bucket IN (
					SELECT bucket FROM (
						SELECT bucket FROM {db}.idx_assets_stage WHERE gen = ` + g + ` AND asset_type = 'bucket'
						UNION ALL SELECT bucket FROM {db}.idx_assets WHERE ` + baseRowsOfChanged(g, base) + ` AND asset_type = 'bucket')
					WHERE bucket != '')
			)`},
		{"asset rows", assetRowsSQL(g, base, `
			SELECT `+stagedRowColumns+`, placed AS loc_rank FROM (
				SELECT `+stagedRowColumns+` FROM {db}.idx_assets_stage WHERE gen = `+g+`
			) ANY LEFT JOIN (
				SELECT asset_id, loc_rank AS placed FROM {db}.idx_placed WHERE gen = `+g+`
			) USING asset_id
			UNION ALL
			SELECT `+stagedRowColumns+`, loc_rank FROM {db}.idx_assets PREWHERE host IN `+rewritten+`
			WHERE `+assetsOf(base)+` AND NOT `+changedAssets(g))},
		{"asset segments carried over", `INSERT INTO {db}.idx_asset_segs (gen, host, seg)
			SELECT ` + g + `, host, seg FROM {db}.idx_asset_segs
			WHERE gen = ` + base + ` AND host NOT IN (SELECT host FROM {db}.idx_asset_segs WHERE gen = ` + g + `)`},
	}
}

// placeAssets gives the assets incremental build g recomputes their
// location ranks (idx_placed): base's when the asset is where it was,
// else a rank between those of its neighbours in (location, asset_id)
// order among base's assets, so no other asset's rank changes. It
// returns false when some gap is too narrow for the assets placed in it:
// the build then ranks every asset again.
func (s *Store) placeAssets(ctx context.Context, g, base string) (bool, error) {
	if err := s.buildExec(ctx, "asset ranks kept", `INSERT INTO {db}.idx_placed (gen, asset_id, loc_rank)
		SELECT `+g+`, asset_id, loc_rank FROM {db}.idx_assets WHERE `+baseRowsOfChanged(g, base)+`
			AND (asset_id, location) IN (SELECT asset_id, location FROM {db}.idx_assets_stage WHERE gen = `+g+`)`); err != nil {
		return false, err
	}
	start := time.Now()
	fresh := `SELECT location, asset_id FROM {db}.idx_assets_stage WHERE gen = ` + g + `
		AND asset_id NOT IN (SELECT asset_id FROM {db}.idx_placed WHERE gen = ` + g + `)`
	var span []struct {
		N     uint64 `ch:"n"`
		First string `ch:"first"`
		Last  string `ch:"last"`
	}
	if err := s.conn.Select(ctx, &span, s.sql(`SELECT count() AS n, min(location) AS first, max(location) AS last FROM (`+fresh+`)`)); err != nil {
		return false, s.wrap("building the index (placing new assets)", err)
	}
	if len(span) == 0 || span[0].N == 0 {
		return true, nil
	}
	first, last := span[0].First, span[0].Last
	// The neighbours outside the new assets' span: the last rank before
	// it and the first after it (none: room up to the end).
	var bounds []struct {
		Lo    uint64 `ch:"lo"`
		Hi    uint64 `ch:"hi"`
		After uint64 `ch:"after"`
	}
	q := `SELECT maxIf(loc_rank, location < ?) AS lo, minIf(loc_rank, location > ?) AS hi, countIf(location > ?) AS after
		FROM {db}.idx_assets WHERE ` + assetsOf(base) + ` AND (location < ? OR location > ?)`
	if err := s.conn.Select(ctx, &bounds, s.sql(q), first, last, last, first, last); err != nil {
		return false, s.wrap("building the index (placing new assets)", err)
	}
	if len(bounds) != 1 {
		return false, fmt.Errorf("building the index (placing new assets): no answer about the neighbours")
	}
	// Base's assets within the span and the new ones, in rank order: a
	// new asset goes between the ranks around it.
	q = `SELECT if(fresh = 1, asset_id, '') AS id, loc_rank, fresh FROM (
			SELECT location, asset_id, loc_rank, toUInt8(0) AS fresh FROM {db}.idx_assets
			WHERE ` + assetsOf(base) + ` AND location >= ? AND location <= ?
			UNION ALL SELECT location, asset_id, toUInt64(0) AS loc_rank, toUInt8(1) AS fresh FROM (` + fresh + `)
		) ORDER BY location, asset_id`
	rows, err := s.conn.Query(ctx, s.sql(q), first, last)
	if err != nil {
		return false, s.wrap("building the index (placing new assets)", err)
	}
	defer rows.Close()
	type rank struct {
		id string
		r  uint64
	}
	var placed []rank
	var pending []string
	lo, ok := bounds[0].Lo, true
	place := func(hi uint64) {
		if len(pending) == 0 {
			return
		}
		step := (hi - lo) / uint64(len(pending)+1)
		if hi <= lo || step == 0 {
			ok = false
		}
		for i, id := range pending {
			placed = append(placed, rank{id, lo + step*uint64(i+1)})
		}
		pending = pending[:0]
	}
	for rows.Next() {
		var id string
		var r uint64
		var fresh uint8
		if err := rows.Scan(&id, &r, &fresh); err != nil {
			return false, s.wrap("building the index (placing new assets)", err)
		}
		if fresh == 1 {
			pending = append(pending, id)
			continue
		}
		place(r)
		lo = r
	}
	if err := rows.Err(); err != nil {
		return false, s.wrap("building the index (placing new assets)", err)
	}
	hi := bounds[0].Hi
	if bounds[0].After == 0 {
		hi = lo + uint64(len(pending)+1)*rankSpacing
		if hi < lo {
			ok = false
		}
	}
	place(hi)
	if !ok {
		s.o.Logger.Debug("read index: no room between ranks for new assets; ranking every asset again")
		return false, nil
	}
	err = s.insert(ctx, "idx_placed", "gen, asset_id, loc_rank", len(placed), func(i int) []any {
		gen, _ := strconv.ParseUint(g, 10, 64)
		return []any{gen, placed[i].id, placed[i].r}
	})
	s.o.Logger.Debug("read index step", "step", "new assets placed", "assets", len(placed), "took", time.Since(start).Round(time.Millisecond))
	return err == nil, err
}
