-- 0030: the read index's asset rows are kept per host segment, as findings
-- and scores are since 0029 (store/index_incremental.go). idx_asset_segs
-- says, for each build and host, which generation of idx_assets,
-- idx_asset_ids and idx_asset_locations holds that host's rows; an
-- incremental build writes rows only for the hosts whose assets, reader
-- counts or jurisdictions may differ from its base's. Readers take a
-- build's assets through it (assetsOf, assetIDsOf).
--
-- A location rank (loc_rank) is now spaced (a full build numbers assets
-- in (location, asset_id) order 2^20 apart), so an asset an incremental
-- build adds is placed between its neighbours and no other asset's rank
-- changes. Ranks stay unique and in that order within a build.
CREATE TABLE IF NOT EXISTS {db}.idx_asset_segs (
    gen  UInt64,
    host String,
    seg  UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY host;

-- The builds made before: every host's asset rows are in their own
-- generation (run again after a failure, it adds nothing twice).
INSERT INTO {db}.idx_asset_segs (gen, host, seg)
SELECT DISTINCT gen, host, gen FROM {db}.idx_assets
WHERE gen NOT IN (SELECT gen FROM {db}.idx_asset_segs);

-- Each build's reader counts of the assets anyone can read (an asset
-- absent has none), so an incremental build finds the assets whose counts
-- changed by comparing two short lists instead of every asset's row.
CREATE TABLE IF NOT EXISTS {db}.idx_readers (
    gen                  UInt64,
    asset_id             String,
    readers              UInt64,
    readers_unprivileged UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY asset_id;

-- The location ranks of the assets an incremental build recomputes: kept
-- from its base where the asset is at the same place, else placed between
-- its neighbours (index_incremental.go, placeAssets).
CREATE TABLE IF NOT EXISTS {db}.idx_placed (
    gen      UInt64,
    asset_id String,
    loc_rank UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY asset_id;

-- How many assets each host has per number of people (distinct_sum), with
-- and without personal data: the asset list's default order (most people
-- first) finds a page's range of that number from these few rows and
-- sorts only the assets within it. It replaces idx_asset_order, whose
-- positions every change of any asset moved (written whole each build).
CREATE TABLE IF NOT EXISTS {db}.idx_people_counts (
    gen          UInt64,
    host         String,
    with_pii     UInt8,
    distinct_sum UInt64,
    assets       UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (with_pii, distinct_sum, host);

-- The current grants and memberships a build reads, folded from
-- current_entitlements once per build: the access map's steps read the
-- view three times or more (each fold seconds at a million rows).
CREATE TABLE IF NOT EXISTS {db}.idx_entitlements (
    gen          UInt64,
    principal_id String,
    resource_id  String,
    permission   String,
    via          Array(String),
    source       String,
    host         String,
    agent_id     String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (permission, resource_id);

-- The memberships a build follows (those that count: memberOfOwnGroup and
-- heldByReporter in store/reach.go), decided once instead of in every
-- round of groups within groups.
CREATE TABLE IF NOT EXISTS {db}.idx_memberships (
    gen    UInt64,
    member String,
    holder String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY member;

-- The host as a number, for the segment condition (assetsOf): a build's
-- rows are those whose (host_key, gen) its idx_asset_segs names. Matching
-- (host, gen) pairs of strings on every row made a scan of idx_assets
-- three to five times slower at 2,000,000 assets (the asset list's
-- filters and orders); a number pair costs about nothing.
ALTER TABLE {db}.idx_assets ADD COLUMN host_key UInt64 DEFAULT cityHash64(host);
ALTER TABLE {db}.idx_asset_ids ADD COLUMN host_key UInt64 DEFAULT cityHash64(host);
ALTER TABLE {db}.idx_asset_locations ADD COLUMN host_key UInt64 DEFAULT cityHash64(host);
