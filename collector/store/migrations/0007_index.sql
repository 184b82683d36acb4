-- 0007: the read index. The API's aggregate answers (summary, data map,
-- asset list, risk, breach impact, subject search) read these tables
-- instead of folding every row of the FINAL views on each request.
--
-- A build (index.go) materializes the current state once, under a new
-- generation number `gen` (its start time in Unix nanoseconds): the
-- current findings (idx_findings, ordered by host for breach impact and
-- subject search), one row per
-- current asset with its personal-data rollup and reader count
-- (idx_assets), risk scores (idx_risk) and counts per system and type
-- (idx_summary). The build is committed by its row in idx_builds; readers
-- use the newest committed generation. Every idx_ table is partitioned by
-- gen, so an old generation is dropped whole (DROP PARTITION), never
-- mutated.
--
-- write_marks records when each collector last wrote scan data, so a
-- reader can tell whether the newest build covers every write
-- (watermark >= max(at)).

CREATE TABLE IF NOT EXISTS {db}.idx_builds (
    gen         UInt64,
    watermark   UInt64,
    built_at    DateTime,
    duration_ms UInt64,
    findings    UInt64,
    assets      UInt64
) ENGINE = MergeTree() ORDER BY gen;

CREATE TABLE IF NOT EXISTS {db}.write_marks (
    writer String,
    at     UInt64
) ENGINE = ReplacingMergeTree(at) ORDER BY writer;

CREATE TABLE IF NOT EXISTS {db}.idx_findings (
    gen             UInt64,
    host            String,
    asset_id        String,
    type            String,
    category        String,
    location        String,
    source          String,
    agent_id        String,
    bucket          String,
    scan_id         String,
    count           UInt64,
    distinct_count  UInt64,
    sample_prefixes Array(String),
    tokens          Array(String),
    observed_at     DateTime
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (host, asset_id, type);

-- Every token ever stored, written by a materialized view as pii rows
-- arrive, so subject search finds candidates by the primary key; which of
-- them are current is then checked against idx_findings.
CREATE TABLE IF NOT EXISTS {db}.pii_tokens (
    token    String,
    host     String,
    asset_id String,
    type     String,
    scan_id  String,
    version  UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (token, host, asset_id, type, scan_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.pii_tokens_mv TO {db}.pii_tokens AS
SELECT arrayJoin(tokens) AS token, host, asset_id, type, scan_id, version FROM {db}.pii_findings;

CREATE TABLE IF NOT EXISTS {db}.idx_assets (
    gen          UInt64,
    asset_id     String,
    asset_type   String,
    location     String,
    host         String,
    source       String,
    agent_id     String,
    owner        String,
    size         Int64,
    modified_at  DateTime,
    attr_keys    Array(String),
    attr_values  Array(String),
    bucket       String,
    categories   Array(String),
    types        Array(String),
    occurrences  UInt64,
    distinct_sum UInt64,
    readers      UInt64,
    -- readers that are not privileged principals
    readers_unprivileged UInt64,
    -- resolved at build (index.go): its own (a bucket's region), else its
    -- bucket's, else its host's by the collector's rules (since 0012)
    jurisdiction String,
    -- the asset's place in (location, asset_id) order: the asset list sorts
    -- and breaks ties on this number instead of the strings, and a page's
    -- rows are one range of the primary key
    loc_rank     UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY loc_rank;

-- From an asset id to its row of idx_assets (and its host, which narrows
-- idx_findings), by the primary key.
CREATE TABLE IF NOT EXISTS {db}.idx_asset_ids (
    gen      UInt64,
    asset_id String,
    host     String,
    loc_rank UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY asset_id;

-- idx_assets before its location rank and jurisdiction are known (see
-- index.go): the same columns, keyed by the asset id.
CREATE TABLE IF NOT EXISTS {db}.idx_assets_stage AS {db}.idx_assets
ENGINE = MergeTree() PARTITION BY gen ORDER BY asset_id;

CREATE TABLE IF NOT EXISTS {db}.idx_risk (
    gen           UInt64,
    asset_id      String,
    asset_type    String,
    location      String,
    host          String,
    source        String,
    score         UInt8,
    factor_names  Array(String),
    factor_points Array(UInt8)
) ENGINE = MergeTree() PARTITION BY gen ORDER BY asset_id;

-- The highest scores of a build in rank order (ties by location), so the
-- top-risk list reads a few rows instead of sorting every score.
CREATE TABLE IF NOT EXISTS {db}.idx_risk_top (
    gen           UInt64,
    rank          UInt32,
    asset_id      String,
    asset_type    String,
    location      String,
    host          String,
    source        String,
    score         UInt8,
    factor_names  Array(String),
    factor_points Array(UInt8)
) ENGINE = MergeTree() PARTITION BY gen ORDER BY rank;

-- How many assets with personal data each principal can read or write
-- (principalReachSQL in store/reach.go), the costly part of principal risk.
CREATE TABLE IF NOT EXISTS {db}.idx_principal_reach (
    gen          UInt64,
    principal_id String,
    readable     UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY principal_id;

-- One row per (source, host, agent, bucket) system and level: type rows
-- (category and type set), category rows (type ''), and the system's total
-- (both ''). Assets are distinct within the row's level; an asset belongs
-- to exactly one system, so sums across systems stay exact.
CREATE TABLE IF NOT EXISTS {db}.idx_summary (
    gen          UInt64,
    source       String,
    host         String,
    agent_id     String,
    bucket       String,
    category     String,
    type         String,
    assets       UInt64,
    findings     UInt64,
    occurrences  UInt64,
    distinct_sum UInt64,
    -- system rows only: who can reach the system's assets with personal
    -- data (world-readable and public ones, the most readers of one)
    world_readable UInt64,
    public_assets  UInt64,
    readers_max    UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (source, host, category, type);

-- (This migration also re-created current_pii_findings with the tokens;
-- views are now declared in collector/store/views.go.)

-- Tokens of the rows stored before this migration.
INSERT INTO {db}.pii_tokens (token, host, asset_id, type, scan_id, version)
SELECT arrayJoin(tokens) AS token, host, asset_id, type, scan_id, version FROM {db}.pii_findings;
