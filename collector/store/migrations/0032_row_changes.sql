-- 0032: a log of what was stored, by version, the hosts of each asset's
-- rows, and copies of pii_findings and assets sorted by host, for
-- incremental index builds (store/index_incremental.go).
--
-- An incremental build starts from the assets, hosts and (agent_id,
-- source) pairs of every pii and asset row stored since its base. Asked of
-- pii_findings and assets (`WHERE version > cutoff`), that read their
-- version column whole: a second at 10,000,000 pii rows, three times per
-- build. row_changes holds, for every row stored in either table, its
-- version, asset, host and pair, sorted by version, so the rows since a
-- cutoff are a range at the end of its primary key.
--
-- Materialized views fill it as the rows arrive, whoever writes them (the
-- ingester, a re-key, a test), in the same INSERT: no writer can store a
-- pii or asset row the log does not list, short of that INSERT failing
-- (then it is answered with an error and the batch is sent again). In
-- cluster mode each node's views feed its own shard.
--
-- Partitioned by month of the version (Unix nanoseconds), so old months
-- can be dropped whole: a build reads only what is newer than its base.
CREATE TABLE IF NOT EXISTS {db}.row_changes (
    version  UInt64,
    asset_id String,
    host     String,
    agent_id String,
    source   String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(toDateTime(intDiv(version, 1000000000))) ORDER BY version;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.row_changes_pii_mv TO {db}.row_changes AS
SELECT version, asset_id, host, agent_id, source FROM {db}.pii_findings;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.row_changes_assets_mv TO {db}.row_changes AS
SELECT version, asset_id, host, agent_id, source FROM {db}.assets;

-- The rows of the last day stored before the views existed: a build's
-- "since" reaches back the clock skew allowed between collectors (2
-- minutes by default) before its base's watermark, and the first build
-- after this migration is full (idx_builds.schema_version), so older rows
-- are never asked for. A row stored while this runs may be listed twice;
-- the build reads the log as a set.
INSERT INTO {db}.row_changes (version, asset_id, host, agent_id, source)
SELECT version, asset_id, host, agent_id, source FROM {db}.pii_findings
WHERE version > (toUInt64(toUnixTimestamp(now())) - 86400) * 1000000000;

INSERT INTO {db}.row_changes (version, asset_id, host, agent_id, source)
SELECT version, asset_id, host, agent_id, source FROM {db}.assets
WHERE version > (toUInt64(toUnixTimestamp(now())) - 86400) * 1000000000;

-- Every host a pii row (pii = 1) or an asset row (pii = 0) of an asset
-- was ever stored under, by asset (asset_key: the asset id's cityHash64;
-- numbers are read four times faster than the ids, and a collision only
-- adds a host): an incremental build rewrites the findings of each such
-- host of the assets it recomputes (the base may hold them there), and
-- reads their current rows from those hosts' ranges of pii_by_host and
-- assets_by_host (below). Asked of pii_findings, the ids of a host's
-- changed assets are spread over all of its granules (it is sorted by
-- asset_id, not host). Its key is the whole row, so a merge never loses a
-- host, as pii_findings' merges lose the host of a replaced row.
CREATE TABLE IF NOT EXISTS {db}.asset_hosts (
    asset_key UInt64,
    host      String,
    pii       UInt8
) ENGINE = ReplacingMergeTree() ORDER BY (asset_key, host, pii);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.asset_hosts_pii_mv TO {db}.asset_hosts AS
SELECT cityHash64(asset_id) AS asset_key, host, toUInt8(1) AS pii FROM {db}.pii_findings;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.asset_hosts_assets_mv TO {db}.asset_hosts AS
SELECT cityHash64(asset_id) AS asset_key, host, toUInt8(0) AS pii FROM {db}.assets;

INSERT INTO {db}.asset_hosts (asset_key, host, pii)
SELECT DISTINCT cityHash64(asset_id) AS asset_key, host, toUInt8(1) AS pii FROM {db}.pii_findings;

INSERT INTO {db}.asset_hosts (asset_key, host, pii)
SELECT DISTINCT cityHash64(asset_id) AS asset_key, host, toUInt8(0) AS pii FROM {db}.assets;

-- The hosts of each incremental build's changed assets (gen), from
-- asset_hosts, looked up once a build.
CREATE TABLE IF NOT EXISTS {db}.idx_changed_hosts (
    gen  UInt64,
    host String,
    pii  UInt8
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (pii, host);

-- pii_findings again, sorted by host: an incremental build reads the
-- current findings of the assets it recomputes from their hosts' ranges
-- here (after one host's rescan, one host's rows), where in pii_findings,
-- sorted by asset_id, the ids of one host are spread over every granule
-- and the read decompressed the whole table (1.7 to 2.6 s at 10,000,000
-- rows). It costs a second copy of the findings on disk. Its key keeps
-- asset_id, type and owner_agent, pii_findings' key, after host: a row
-- stored under another host than its key's earlier versions keeps both
-- here, and the build takes the newest of them (index_incremental.go).
-- A token purge (rekey.go) refills it from pii_findings, as pii_tokens.
CREATE TABLE IF NOT EXISTS {db}.pii_by_host (
    host           String,
    asset_id       String,
    type           String,
    owner_agent    String,
    category       String,
    location       String,
    source         String,
    agent_id       String,
    scan_id        String,
    count          UInt64,
    distinct_count UInt64,
    confidence     String,
    samples        Array(String),
    tokens         Array(String),
    locations      Array(String),
    observed_at    DateTime,
    version        UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (host, asset_id, type, owner_agent);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.pii_by_host_mv TO {db}.pii_by_host AS
SELECT host, asset_id, type, owner_agent, category, location, source, agent_id, scan_id, count, distinct_count,
    confidence, samples, tokens, locations, observed_at, version FROM {db}.pii_findings;

INSERT INTO {db}.pii_by_host (host, asset_id, type, owner_agent, category, location, source, agent_id, scan_id,
    count, distinct_count, confidence, samples, tokens, locations, observed_at, version)
SELECT host, asset_id, type, owner_agent, category, location, source, agent_id, scan_id, count, distinct_count,
    confidence, samples, tokens, locations, observed_at, version FROM {db}.pii_findings;

-- assets again, sorted by host, for the same reason (0.4 to 0.7 s at
-- 2,000,000 assets); its key keeps assets' (asset_id, owner_agent).
CREATE TABLE IF NOT EXISTS {db}.assets_by_host (
    host        String,
    asset_id    String,
    owner_agent String,
    asset_type  String,
    location    String,
    source      String,
    agent_id    String,
    scan_id     String,
    owner       String,
    size        Int64,
    modified_at DateTime,
    attr_keys   Array(String),
    attr_values Array(String),
    observed_at DateTime,
    version     UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (host, asset_id, owner_agent);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.assets_by_host_mv TO {db}.assets_by_host AS
SELECT host, asset_id, owner_agent, asset_type, location, source, agent_id, scan_id, owner, size, modified_at,
    attr_keys, attr_values, observed_at, version FROM {db}.assets;

INSERT INTO {db}.assets_by_host (host, asset_id, owner_agent, asset_type, location, source, agent_id, scan_id, owner,
    size, modified_at, attr_keys, attr_values, observed_at, version)
SELECT host, asset_id, owner_agent, asset_type, location, source, agent_id, scan_id, owner, size, modified_at,
    attr_keys, attr_values, observed_at, version FROM {db}.assets;
