package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The read index (migration 0007): the current state materialized once per
// build under a generation number, so the API's aggregate reads touch a
// few thousand pre-computed rows, or a primary-key range, instead of
// folding every row of the FINAL views. collector/index decides when to
// build; this file holds the SQL.

// assetsByID is the condition on idx_assets (with assetsOf(curGen)) that
// selects the assets whose ids are bound to its ? (a
// clickhouse.GroupSet), through idx_asset_ids, so both lookups use a
// primary key. A rank is unique among the rows of one build.
var assetsByID = `loc_rank IN (SELECT loc_rank FROM {db}.idx_asset_ids WHERE ` + assetsOf(curGen) + ` AND asset_id IN ?)`

// hostsOfAssets is the hosts of the assets bound to its ?, for narrowing
// idx_findings (ordered by host) to their ranges.
var hostsOfAssets = `(SELECT host FROM {db}.idx_asset_ids WHERE ` + assetsOf(curGen) + ` AND asset_id IN ?)`

// segmentsOf is the condition on a table kept per host segment that keeps
// the rows of build gen (a number, or curGen): each host's are in the
// generation that last recomputed them, as segs (its _segs table) says;
// the build's own for a full build. The first IN narrows the partitions
// read.
func segmentsOf(segs, gen string) string {
	q := `SELECT host, seg FROM {db}.` + segs + ` WHERE gen = ` + gen
	return `gen IN (SELECT seg FROM (` + q + `)) AND (host, gen) IN (` + q + `)`
}

// findingsOf is the condition on idx_findings that keeps the findings of
// build gen (idx_finding_segs, migration 0029).
func findingsOf(gen string) string { return segmentsOf("idx_finding_segs", gen) }

// riskOf is findingsOf for the scores of idx_risk (idx_risk_segs).
func riskOf(gen string) string { return segmentsOf("idx_risk_segs", gen) }

// assetsOf is findingsOf for the rows of idx_assets, idx_asset_ids and
// idx_asset_locations (idx_asset_segs, migration 0030), by their host_key
// (the host's cityHash64): a pair of numbers per row, where a pair of
// strings made a scan of every asset several times slower.
func assetsOf(gen string) string { return keyedSegmentsOf("idx_asset_segs", "host", "host_key", gen) }

// entitlementsOf is assetsOf for the rows of idx_entitlements, kept per
// agent (idx_entitlement_segs, migration 0031) by their agent_key (the
// agent's cityHash64).
func entitlementsOf(gen string) string {
	return keyedSegmentsOf("idx_entitlement_segs", "agent_id", "agent_key", gen)
}

// keyedSegmentsOf is segmentsOf for a table whose rows carry key, the
// cityHash64 of the segment column col, so the condition compares numbers.
func keyedSegmentsOf(segs, col, key, gen string) string {
	q := `SELECT ` + col + `, seg FROM {db}.` + segs + ` WHERE gen = ` + gen
	return `gen IN (SELECT seg FROM (` + q + `)) AND (` + key + `, gen) IN (SELECT cityHash64(` + col + `), seg FROM (` + q + `))`
}

// rankSpacing is the distance between the location ranks a full build
// gives consecutive assets, so an incremental build can place a new asset
// between its neighbours without renumbering the others (placeAssets):
// 2^20 leaves room for 2^44 assets and for 20 halvings of one gap.
const rankSpacing = 1 << 20

// segmentsSQL records that generation g holds the rows of table (idx_findings
// or idx_risk) of every host it has rows of, in segs (their _segs table).
func segmentsSQL(g, table, segs string) string {
	return `INSERT INTO {db}.` + segs + ` (gen, host, seg)
		SELECT DISTINCT ` + g + `, host, ` + g + ` FROM {db}.` + table + ` WHERE gen = ` + g
}

// curGen is the newest committed generation, as a scalar subquery that
// ClickHouse evaluates once, before it picks partitions.
const curGen = `(SELECT max(gen) FROM {db}.idx_builds)`

// IndexState says which build readers see and whether it covers every
// write.
type IndexState struct {
	Gen       uint64    // newest committed build; 0 when none
	Watermark uint64    // the newest write mark that build covers
	BuiltAt   time.Time // when it was committed
	LastWrite uint64    // the newest write mark of any collector
	// Behind (cluster mode): the newest build could not read rows that a
	// replica then down held, and they are readable now; it is rebuilt.
	Behind bool
}

// Fresh reports whether the newest build covers every write.
func (st IndexState) Fresh() bool {
	return st.Gen != 0 && st.Watermark >= st.LastWrite && !st.Behind
}

// incompleteKey is the setting naming the newest build that missed rows
// still to be replicated (cluster mode), "0" when it missed none.
const incompleteKey = "index_incomplete_gen"

// replicationWait is how long a build waits for the replicas it reads to
// fetch what they lack before it builds from what they hold. Only after a
// fail-over do they lack anything (the collectors write to the replica
// they read), and then it is what the replica that is down held alone.
const replicationWait = 2 * time.Second

// IndexState reads the newest build and the newest write mark in one query.
func (s *Store) IndexState(ctx context.Context) (IndexState, error) {
	var rows []struct {
		Gen  uint64    `ch:"g"`
		WM   uint64    `ch:"wm"`
		At   time.Time `ch:"built"`
		Last uint64    `ch:"last"`
	}
	q := `SELECT max(gen) AS g, argMax(watermark, gen) AS wm, argMax(built_at, gen) AS built,
			(SELECT max(at) FROM {db}.write_marks) AS last
		FROM {db}.idx_builds`
	if err := s.conn.Select(ctx, &rows, s.sql(q)); err != nil {
		return IndexState{}, s.wrap("reading the index state", err)
	}
	if len(rows) == 0 {
		return IndexState{}, nil
	}
	r := rows[0]
	st := IndexState{Gen: r.Gen, Watermark: r.WM, BuiltAt: r.At.UTC(), LastWrite: r.Last}
	if s.cluster != nil && st.Gen != 0 {
		behind, err := s.buildBehind(ctx, st.Gen)
		if err != nil {
			return IndexState{}, err
		}
		st.Behind = behind
	}
	return st, nil
}

// buildBehind reports whether build gen missed rows that were still to be
// replicated when it read, and that the replicas it reads now hold.
func (s *Store) buildBehind(ctx context.Context, gen uint64) (bool, error) {
	v, err := s.GetSetting(ctx, incompleteKey)
	if errors.Is(err, ErrNotFound) || (err == nil && v != strconv.FormatUint(gen, 10)) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	n, err := s.unreplicatedParts(ctx)
	if err != nil {
		// A replica that answers nothing now: the build stays as it is
		// until the cluster can say.
		return false, nil
	}
	return n == 0, nil
}

// markWrite records that this process has just stored scan data, so the
// index knows it is behind. A failure is returned: the data is stored, but
// readers could otherwise miss it until the next mark.
func (s *Store) markWrite(ctx context.Context) error {
	return s.insert(ctx, "write_marks", "writer, at", 1, func(int) []any { return []any{s.writer, s.nextVersion()} })
}

// IndexBuild describes one build.
type IndexBuild struct {
	Gen, Watermark   uint64
	Started          time.Time
	Findings, Assets uint64
	// Unreplicated (cluster mode) counts the parts the build could not
	// read: stored on a replica that is down, not yet fetched by the one
	// read. The build is redone once they are readable.
	Unreplicated uint64
	// Jurisdiction places a host (the collector's rules); the build
	// resolves it once per host and stores it (idx_hosts, and in every
	// asset's and system's jurisdiction). Nil: hosts have none.
	Jurisdiction func(host string) string
	// Base, when not 0, is the generation an incremental build starts
	// from (PlanIndex): only the Changed assets are read from the current
	// views, the others are carried over from it.
	Base    uint64
	Changed uint64
	// Schema is the newest migration applied when the build began.
	Schema uint32
	// ClockSkew is how far apart the clocks of the collectors writing to
	// the store may be (0: DefaultClockSkew); an incremental build reads
	// again what was stored that long before its base.
	ClockSkew time.Duration
	// since is the version after which rows may be newer than Base.
	since uint64
	// compact: Base reads its findings from maxSegments generations or
	// more, so this build recomputes every host's (incrementalSteps).
	compact bool
}

// BeginIndex picks a new generation and the watermark it will cover: every
// write marked before this call is in the data the build reads.
func (s *Store) BeginIndex(ctx context.Context) (IndexBuild, error) {
	var rows []struct {
		Last uint64 `ch:"last"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(`SELECT max(at) AS last FROM {db}.write_marks`)); err != nil {
		return IndexBuild{}, s.wrap("starting an index build", err)
	}
	b := IndexBuild{Gen: s.nextVersion(), Started: time.Now()}
	if len(rows) == 1 {
		b.Watermark = rows[0].Last
	}
	if s.cluster != nil {
		n, err := s.awaitReplication(ctx)
		if err != nil {
			return IndexBuild{}, err
		}
		b.Unreplicated = n
	}
	return b, nil
}

// awaitReplication waits up to replicationWait for the replicas reads go
// to to hold every part they know of, and returns how many they still lack.
func (s *Store) awaitReplication(ctx context.Context) (uint64, error) {
	deadline := time.Now().Add(replicationWait)
	for {
		n, err := s.unreplicatedParts(ctx)
		if err != nil || n == 0 || time.Now().After(deadline) {
			return n, err
		}
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stagedColumns are the columns of idx_assets_stage the build fills
// first; the asset order step adds readers, jurisdiction and rank.
const stagedColumns = `gen, asset_id, asset_type, location, host, source, agent_id, owner, size, modified_at,
	attr_keys, attr_values, bucket, categories, types, occurrences, distinct_sum`

// stagedAssets returns the staged assets of generation g as a table
// expression with the given columns (gen is not one): idx_assets_stage's
// rows of g and, for a build from base (not ""), base's rows of the
// assets g does not recompute, read where they are instead of copied to
// the stage first (a copy of every asset row, seconds at millions).
func stagedAssets(g, base string) func(cols string) string {
	return func(cols string) string { return stagedWhere(g, base, cols, "") }
}

// stagedWhere is stagedAssets' table of cols, of the rows cond (a
// condition on cheap columns, "" for none) keeps: it is a PREWHERE, so
// the other columns are read only where it holds.
func stagedWhere(g, base, cols, cond string) string {
	pre, and := "", ""
	if cond != "" {
		pre, and = ` PREWHERE `+cond, ` AND `+cond
	}
	own := `SELECT ` + cols + ` FROM {db}.idx_assets_stage WHERE gen = ` + g + and
	if base == "" {
		return `(` + own + `)`
	}
	return `(` + own + `
		UNION ALL SELECT ` + cols + ` FROM {db}.idx_assets` + pre + ` WHERE ` + assetsOf(base) + ` AND NOT ` + changedAssets(g) + `)`
}

// attr is an asset attribute's value (” when absent), for an attribute
// name that is ours, never input.
func attr(name string) string { return `attr_values[indexOf(attr_keys, '` + name + `')]` }

// bucketOf is the container (bucket) an object store's asset is or lies
// in, named by the container's own location: s3://BUCKET,
// gs://BUCKET, azblob://ACCOUNT/CONTAINER; empty for every other source.
// The bucket column means the same for every object store (a container's
// grants cover its objects, its region's jurisdiction is theirs, it is
// one system of the data map), and the scheme keeps equal names in two
// stores apart.
// The sources are wire.SourceS3, wire.SourceGCS and wire.SourceAzureBlob
// (store's TestObjectStoreContainers pins each).
const bucketOf = `multiIf(source = 's3', extract(location, '^(s3://[^/]+)'),
	source = 'gcs', extract(location, '^(gs://[^/]+)'),
	source = 'azblob', extract(location, '^(azblob://[^/]+/[^/]+)'), '')`

// findingsSQL fills idx_findings of generation g from visible, the
// current findings as readers see them (visibleFindingsSQL, or its rows
// of some assets).
func findingsSQL(g, visible string) string {
	return `INSERT INTO {db}.idx_findings (gen, host, asset_id, type, category, location, source, agent_id, bucket,
			scan_id, count, distinct_count, sample_prefixes, tokens, observed_at)
		SELECT ` + g + `, host, asset_id, type, category, location, source, agent_id,
			` + bucketOf + ` AS bucket, scan_id, count, distinct_count,
			arrayDistinct(arrayMap(x -> substring(x, 1, 2), samples)), tokens, observed_at
		FROM ` + visible
}

// stageSQL stages the assets of generation g: those of current (the
// current_assets view, or its rows of some assets) joined to their
// findings' rollup in idx_findings (cond narrows both to the same assets).
func stageSQL(g, current, cond string) string {
	return `INSERT INTO {db}.idx_assets_stage (` + stagedColumns + `)
		SELECT ` + g + `, asset_id, if(a_type = '', 'file', a_type) AS asset_type, if(a_loc = '', f_loc, a_loc) AS location,
			if(a_host = '', f_host, a_host) AS host, if(a_source = '', f_source, a_source) AS source,
			if(a_agent = '', f_agent, a_agent) AS agent_id, owner, size, modified_at, attr_keys, attr_values,
			` + bucketOf + `, categories, types, occurrences, distinct_sum
		FROM (
			SELECT asset_id, asset_type AS a_type, location AS a_loc, host AS a_host, source AS a_source,
				agent_id AS a_agent, owner, size, modified_at, attr_keys, attr_values
			FROM ` + current + `
		) ANY FULL OUTER JOIN (
			SELECT asset_id, any(location) AS f_loc, any(host) AS f_host, any(source) AS f_source,
				any(agent_id) AS f_agent, groupUniqArray(category) AS categories, groupArray(type) AS types,
				sum(count) AS occurrences, sum(distinct_count) AS distinct_sum
			FROM {db}.idx_findings
			WHERE gen = ` + g + cond + `
			GROUP BY asset_id
		) USING asset_id`
}

// BuildIndexTables fills the findings, assets, reach and summary tables of
// generation b.Gen from the current views, all of it inside ClickHouse.
func (s *Store) BuildIndexTables(ctx context.Context, b *IndexBuild) error {
	g := strconv.FormatUint(b.Gen, 10)
	first := []buildStep{
		{"current findings", findingsSQL(g, visibleFindingsSQL)},
		{"finding segments", segmentsSQL(g, "idx_findings", "idx_finding_segs")},
		// Every current asset, and every asset with current findings even
		// when its asset record is missing, with its rollup, staged...
		{"current assets", stageSQL(g, `{db}.current_assets`, "")},
	}
	base := ""
	if b.Base != 0 {
		base = strconv.FormatUint(b.Base, 10)
		first = incrementalSteps(g, base, b.since, b.compact)
	}
	staged := stagedAssets(g, base)
	if err := s.runBuildSteps(ctx, first); err != nil {
		return err
	}
	// ...then who reaches what (reach.go), from the staged assets...
	sameHolders, err := s.buildReach(ctx, g, base, b)
	if err != nil {
		return err
	}
	reachBase := ""
	if sameHolders {
		reachBase = base
	}
	// ...then each asset's reader counts, once...
	if err := s.buildExec(ctx, "reader counts", `INSERT INTO {db}.idx_readers (gen, asset_id, readers, readers_unprivileged)
		SELECT `+g+`, asset_id, readers, readers_unprivileged FROM (`+readerCountsSQL(g)+`)`); err != nil {
		return err
	}
	// ...then the asset rows: every asset's (a full build), or those of
	// the hosts an incremental one recomputes (placed: their new assets
	// fit between their neighbours' ranks; compact or not: every host,
	// ranked again).
	placed := false
	if b.Base != 0 && !b.compact {
		var err error
		if placed, err = s.placeAssets(ctx, g, base); err != nil {
			return err
		}
	}
	var steps []buildStep
	if placed {
		steps = incrementalAssetSteps(g, base)
	} else {
		steps = []buildStep{
			{"asset order", assetRowsSQL(g, base, `
				SELECT `+stagedRowColumns+`, new_rank AS loc_rank FROM `+staged(stagedRowColumns)+`
				ANY LEFT JOIN (
					SELECT asset_id, (rowNumberInAllBlocks() + 1) * `+strconv.Itoa(rankSpacing)+` AS new_rank
					FROM (SELECT asset_id FROM `+staged("asset_id, location")+` ORDER BY location, asset_id)
				) USING asset_id`)},
			{"asset segments", segmentsSQL(g, "idx_assets", "idx_asset_segs")},
		}
	}
	steps = append(steps, []buildStep{
		{"dropping the stage", `ALTER TABLE {db}.idx_assets_stage DROP PARTITION ` + g},
		// The rows this build wrote (its segments), looked up by id and by
		// location (the detail pages, migration 0016).
		{"asset ids", `INSERT INTO {db}.idx_asset_ids (gen, asset_id, host, loc_rank)
			SELECT gen, asset_id, host, loc_rank FROM {db}.idx_assets WHERE gen = ` + g},
		{"asset locations", `INSERT INTO {db}.idx_asset_locations (gen, location, host, asset_id)
			SELECT gen, location, host, asset_id FROM {db}.idx_assets WHERE gen = ` + g},
		// A principal's holders, a holder's assets.
		{"holdings", `INSERT INTO {db}.idx_holdings (gen, principal_id, holder)
			SELECT gen, principal_id, holder FROM {db}.idx_holders WHERE gen = ` + g},
		{"grants by holder", `INSERT INTO {db}.idx_grants_by_holder (gen, holder, asset_id)
			SELECT gen, holder, asset_id FROM {db}.idx_grants WHERE gen = ` + g},
	}...)
	steps = append(steps, principalReachSteps(g, reachBase)...)
	steps = append(steps, []buildStep{
		{"summary by type", `INSERT INTO {db}.idx_summary (gen, source, host, agent_id, bucket, category, type, assets, findings, occurrences, distinct_sum)
			SELECT gen, source, host, agent_id, bucket, category, type, count(), count(), sum(count), sum(distinct_count)
			FROM {db}.idx_findings WHERE gen = ` + g + ` GROUP BY gen, source, host, agent_id, bucket, category, type`},
		{"summary by category", `INSERT INTO {db}.idx_summary (gen, source, host, agent_id, bucket, category, type, assets, findings, occurrences, distinct_sum)
			SELECT gen, source, host, agent_id, bucket, category, '', uniqExact(asset_id), count(), sum(count), sum(distinct_count)
			FROM {db}.idx_findings WHERE gen = ` + g + ` GROUP BY gen, source, host, agent_id, bucket, category`},
		// A system's totals come from its assets' rollups, with who can
		// reach them (world-readable and public assets, the most readers of
		// one), its jurisdiction, and, for a bucket, whether it is public.
		// A system is one host's: those of the hosts this build wrote
		// asset rows for (every host, for a full build).
		{"summary by system", `INSERT INTO {db}.idx_summary (gen, source, host, agent_id, bucket, category, type, assets, findings,
				occurrences, distinct_sum, world_readable, public_assets, readers_max, jurisdiction, public)
			SELECT gen, source, host, agent_id, bucket, '', '', count(), sum(length(types)), sum(occurrences), sum(distinct_sum),
				countIf(` + attr("world_readable") + ` = 'true'), countIf(` + attr("public") + ` = 'true'), max(readers),
				any(jurisdiction), max(bucket_public)
			FROM (
				SELECT gen, source, host, agent_id, bucket, types, occurrences, distinct_sum, attr_keys, attr_values, readers, jurisdiction
				FROM {db}.idx_assets WHERE gen = ` + g + ` AND occurrences > 0
			) ANY LEFT JOIN (
				SELECT host, bucket, toUInt8(max(` + attr("public") + ` = 'true')) AS bucket_public
				FROM {db}.idx_assets WHERE ` + assetsOf(g) + ` AND asset_type = 'bucket' AND bucket != '' GROUP BY host, bucket
			) USING host, bucket
			GROUP BY gen, source, host, agent_id, bucket`},
	}...)
	if b.Base != 0 {
		// Counts by type and by category are per host: those above are of
		// the hosts this build recomputed (its own findings generation),
		// the others' are the base's; so are the systems' totals, by
		// the hosts of the asset rows.
		steps = append(steps, buildStep{"summaries carried over", `INSERT INTO {db}.idx_summary (gen, source, host, agent_id, bucket,
				category, type, assets, findings, occurrences, distinct_sum, world_readable, public_assets, readers_max, jurisdiction, public)
			SELECT ` + g + `, source, host, agent_id, bucket, category, type, assets, findings, occurrences, distinct_sum,
				world_readable, public_assets, readers_max, jurisdiction, public
			FROM {db}.idx_summary WHERE gen = ` + base + ` AND (
				(NOT (category = '' AND type = '')
					AND host IN (SELECT host FROM {db}.idx_finding_segs WHERE gen = ` + g + ` AND seg != ` + g + `))
				OR (category = '' AND type = ''
					AND host IN (SELECT host FROM {db}.idx_asset_segs WHERE gen = ` + g + ` AND seg != ` + g + `)))`})
	}
	// The console's list pages last (index_lists.go): they read the above.
	if err := s.runBuildSteps(ctx, append(steps, listBuildSteps(g, base)...)); err != nil {
		return err
	}
	var n []struct {
		F uint64 `ch:"f"`
		A uint64 `ch:"a"`
		C uint64 `ch:"c"`
	}
	// Counted from the per-host counts (a row per finding type and
	// system; per asset type and host), not through the segments (a
	// second at 10M findings).
	q := `SELECT (SELECT sum(findings) FROM {db}.idx_summary WHERE gen = ` + g + ` AND type != '') AS f,
		(SELECT sum(assets) FROM {db}.idx_asset_counts WHERE gen = ` + g + `) AS a,
		(SELECT count() FROM {db}.idx_changed WHERE gen = ` + g + `) AS c`
	if err := s.conn.Select(ctx, &n, s.sql(q)); err != nil {
		return s.wrap("counting the index", err)
	}
	if len(n) == 1 {
		b.Findings, b.Assets, b.Changed = n[0].F, n[0].A, n[0].C
	}
	return nil
}

// stagedRowColumns are stagedColumns without gen.
var stagedRowColumns = strings.TrimPrefix(stagedColumns, "gen, ")

// assetRowsSQL writes to idx_assets of generation g the rows of ranked
// (a query of stagedRowColumns and loc_rank), with each asset's reader
// counts (idx_readers) and its jurisdiction, resolved once for every
// reader of the index: its own (a bucket's region), else its bucket's (an
// object; buckets from staged, the build's assets), else its host's (the
// collector's rules).
func assetRowsSQL(g, base, ranked string) string {
	return `INSERT INTO {db}.idx_assets (` + stagedColumns + `, readers, readers_unprivileged, jurisdiction, loc_rank)
		SELECT ` + stagedColumns + `, readers, readers_unprivileged, jurisdiction, loc_rank FROM (
			SELECT ` + stagedColumns + `, loc_rank, if(own_jur != '', own_jur, if(bucket_jur != '', bucket_jur, host_jur)) AS jurisdiction
			FROM (
				SELECT ` + stagedColumns + `, loc_rank, own_jur, bucket_jur FROM (
					SELECT ` + g + ` AS gen, ` + stagedRowColumns + `, loc_rank, ` + attr("jurisdiction") + ` AS own_jur
					FROM (` + ranked + `)
				) ANY LEFT JOIN (
					SELECT host, bucket, any(` + attr("jurisdiction") + `) AS bucket_jur
					FROM ` + stagedWhere(g, base, "host, bucket, attr_keys, attr_values", "asset_type = 'bucket'") + ` GROUP BY host, bucket
				) USING host, bucket
			) ANY LEFT JOIN (
				SELECT host, jurisdiction AS host_jur FROM {db}.idx_hosts WHERE gen = ` + g + `
			) USING host
		) ANY LEFT JOIN (
			SELECT asset_id, readers, readers_unprivileged FROM {db}.idx_readers WHERE gen = ` + g + `
		) USING asset_id`
}

type buildStep struct{ what, q string }

func (s *Store) runBuildSteps(ctx context.Context, steps []buildStep) error {
	for _, st := range steps {
		if err := s.buildExec(ctx, st.what, st.q); err != nil {
			return err
		}
	}
	return nil
}

// buildExec runs one statement of a build and logs how long it took (at
// debug level), so a slow step can be found without a profiler.
func (s *Store) buildExec(ctx context.Context, what, q string) error {
	start := time.Now()
	if err := s.long.Exec(ctx, s.sql(q)); err != nil {
		return s.wrap("building the index ("+what+")", err)
	}
	s.o.Logger.Debug("read index step", "step", what, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// IndexExposures streams the assets of generation gen that hold personal
// data, for scoring.
func (s *Store) IndexExposures(ctx context.Context, gen uint64, fn func(AssetExposure) error) error {
	return s.exposures(ctx, `gen = `+strconv.FormatUint(gen, 10)+` AND occurrences > 0`, fn)
}

// RescoredExposures lists (idx_rescored) and streams the assets of
// incremental build b to score again: the others keep their base's score
// (CarryRisks).
func (s *Store) RescoredExposures(ctx context.Context, b IndexBuild, fn func(AssetExposure) error) error {
	g := strconv.FormatUint(b.Gen, 10)
	if err := s.buildExec(ctx, "assets to score again", `INSERT INTO {db}.idx_rescored (gen, asset_id)
		SELECT `+g+`, asset_id FROM {db}.idx_assets WHERE `+rescoredAssets(g, strconv.FormatUint(b.Base, 10))); err != nil {
		return err
	}
	return s.exposures(ctx, `gen = `+g+` AND asset_id IN (SELECT asset_id FROM {db}.idx_rescored WHERE gen = `+g+`)`, fn)
}

// exposures streams the rows of idx_assets that where keeps.
func (s *Store) exposures(ctx context.Context, where string, fn func(AssetExposure) error) error {
	q := `SELECT asset_id, asset_type, location, host, source, categories, types, occurrences, distinct_sum,
			attr_keys, attr_values, readers, readers_unprivileged, jurisdiction
		FROM {db}.idx_assets WHERE ` + where
	// The long pool: the scorer stops reading while it stores a batch of
	// scores, so the stream can pause for a while.
	rows, err := s.long.Query(ctx, s.sql(q))
	if err != nil {
		return s.wrap("reading exposures", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AssetExposure
		var keys, vals []string
		if err := rows.Scan(&e.AssetID, &e.AssetType, &e.Location, &e.Host, &e.Source, &e.Categories, &e.Types,
			&e.Occurrences, &e.Distinct, &keys, &vals, &e.Readers, &e.UnprivilegedReaders, &e.Jurisdiction); err != nil {
			return s.wrap("reading exposures", err)
		}
		e.Attributes = kvMap(keys, vals)
		if err := fn(e); err != nil {
			return err
		}
	}
	return s.wrap("reading exposures", rows.Err())
}

// RiskRow is a scored asset as the index keeps it.
type RiskRow struct {
	AssetID, AssetType, Location, Host, Source string
	Score                                      uint8
	FactorNames                                []string
	FactorPoints                               []uint8
}

// PutRisks stores scores of generation gen.
func (s *Store) PutRisks(ctx context.Context, gen uint64, rs []RiskRow) error {
	return s.insert(ctx, "idx_risk", "gen, asset_id, asset_type, location, host, source, score, factor_names, factor_points",
		len(rs), func(i int) []any {
			r := rs[i]
			return []any{gen, r.AssetID, r.AssetType, r.Location, r.Host, r.Source, r.Score, strs(r.FactorNames), r.FactorPoints}
		})
}

// PutTopRisks stores the highest scores of generation gen, best first.
func (s *Store) PutTopRisks(ctx context.Context, gen uint64, rs []RiskRow) error {
	return s.insert(ctx, "idx_risk_top", "gen, rank, asset_id, asset_type, location, host, source, score, factor_names, factor_points",
		len(rs), func(i int) []any {
			r := rs[i]
			return []any{gen, uint32(i + 1), r.AssetID, r.AssetType, r.Location, r.Host, r.Source, r.Score, strs(r.FactorNames), r.FactorPoints}
		})
}

// CommitIndex makes generation b.Gen the one readers see, then drops the
// generations older than the one before it (kept for readers that picked
// it just before this commit) and any partition of a build that never
// committed.
func (s *Store) CommitIndex(ctx context.Context, b IndexBuild) error {
	if b.Base == 0 {
		// A full build scored every asset itself (CarryRisks places an
		// incremental build's scores).
		if err := s.buildExec(ctx, "risk segments", segmentsSQL(strconv.FormatUint(b.Gen, 10), "idx_risk", "idx_risk_segs")); err != nil {
			return err
		}
	}
	dur := uint64(time.Since(b.Started).Milliseconds())
	err := s.insert(ctx, "idx_builds", "gen, watermark, built_at, duration_ms, findings, assets, base, schema_version", 1, func(int) []any {
		return []any{b.Gen, b.Watermark, time.Now().UTC(), dur, b.Findings, b.Assets, b.Base, b.Schema}
	})
	if err != nil {
		return err
	}
	if b.Base == 0 {
		// Every build after this one starts from it or a newer one, and
		// reads row_changes only past its base's watermark: the months
		// that ended a day before this one's are no build's to read. A
		// failure leaves them for the next full build.
		before := b.Started
		if wm := time.Unix(0, int64(b.Watermark)); wm.Before(before) {
			before = wm
		}
		before = before.Add(-rowChangesKept)
		if _, err := s.DropExpired(ctx, RowChanges, before); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("read index: old months of row_changes were not dropped; the next full build tries again", "err", err)
		}
	}
	if s.cluster != nil {
		inc := "0"
		if b.Unreplicated > 0 {
			inc = strconv.FormatUint(b.Gen, 10)
		}
		if err := s.PutSetting(ctx, incompleteKey, inc); err != nil {
			return err
		}
	}
	var keep []struct {
		G uint64 `ch:"g"`
	}
	if err := s.conn.Select(ctx, &keep, s.sql(`SELECT gen AS g FROM {db}.idx_builds ORDER BY gen DESC LIMIT 1 OFFSET 1`)); err != nil {
		return s.wrap("listing old index builds", err)
	}
	if len(keep) == 0 {
		return nil
	}
	var parts []struct {
		Table     string `ch:"table"`
		Partition string `ch:"partition"`
	}
	q := `SELECT DISTINCT table, partition FROM system.parts
		WHERE database = ? AND active AND has(['idx_findings', 'idx_assets_stage', 'idx_assets', 'idx_asset_ids', 'idx_risk', 'idx_risk_top', 'idx_summary',
			'idx_principal_reach', 'idx_hosts', 'idx_holders', 'idx_grants',
			'idx_asset_locations', 'idx_holdings', 'idx_grants_by_holder',
			'idx_principals', 'idx_asset_order', 'idx_asset_counts', 'idx_changed', 'idx_finding_segs', 'idx_rescored', 'idx_risk_segs',
			'idx_asset_segs', 'idx_readers', 'idx_placed', 'idx_people_counts', 'idx_entitlements', 'idx_memberships',
			'idx_entitlement_segs', 'idx_access_changed', 'idx_changed_hosts'], table)`
	if err := s.conn.Select(ctx, &parts, q, s.o.Database); err != nil {
		return s.wrap("listing index partitions", err)
	}
	// Findings, scores, asset rows and entitlements of an older generation
	// that a kept build still reads (idx_finding_segs, idx_risk_segs,
	// idx_asset_segs, idx_entitlement_segs) stay.
	var segs []struct {
		Table string `ch:"t"`
		Seg   uint64 `ch:"seg"`
	}
	q = `SELECT DISTINCT 'idx_findings' AS t, seg FROM {db}.idx_finding_segs WHERE gen >= ?
		UNION ALL SELECT DISTINCT 'idx_risk' AS t, seg FROM {db}.idx_risk_segs WHERE gen >= ?
		UNION ALL SELECT DISTINCT arrayJoin(['idx_assets', 'idx_asset_ids', 'idx_asset_locations']) AS t, seg FROM {db}.idx_asset_segs WHERE gen >= ?
		UNION ALL SELECT DISTINCT 'idx_entitlements' AS t, seg FROM {db}.idx_entitlement_segs WHERE gen >= ?`
	if err := s.conn.Select(ctx, &segs, s.sql(q), keep[0].G, keep[0].G, keep[0].G, keep[0].G); err != nil {
		return s.wrap("listing the findings and scores the index reads", err)
	}
	read := make(map[string]bool, len(segs))
	for _, sg := range segs {
		read[sg.Table+"/"+strconv.FormatUint(sg.Seg, 10)] = true
	}
	for _, p := range parts {
		g, err := strconv.ParseUint(p.Partition, 10, 64)
		// A newer partition may be a build still running elsewhere.
		if err != nil || g >= keep[0].G || read[p.Table+"/"+p.Partition] {
			continue
		}
		drop := fmt.Sprintf("ALTER TABLE {db}.%s DROP PARTITION %d", p.Table, g)
		if err := s.conn.Exec(ctx, s.sql(drop)); err != nil {
			return s.wrap("dropping an old index generation", err)
		}
	}
	return nil
}
