-- 0016: lookups for the detail pages (an asset's, a principal's), so each
-- of their reads is a primary-key range of the read index instead of a
-- scan of a table ordered by another key. Each build (index.go) fills them
-- next to the tables they mirror.
--
-- idx_asset_locations: an asset's id by its location and host (the
-- assets table is ordered by asset_id; AssetByLocation narrows it to the
-- ids found here).
CREATE TABLE IF NOT EXISTS {db}.idx_asset_locations (
    gen      UInt64,
    location String,
    host     String,
    asset_id String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (location, host, asset_id);

-- idx_holdings: idx_holders by principal (whose grants a principal holds).
CREATE TABLE IF NOT EXISTS {db}.idx_holdings (
    gen          UInt64,
    principal_id String,
    holder       String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (principal_id, holder);

-- idx_grants_by_holder: idx_grants by holder (what a holder's grants
-- reach).
CREATE TABLE IF NOT EXISTS {db}.idx_grants_by_holder (
    gen      UInt64,
    holder   String,
    asset_id String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (holder, asset_id);

-- Builds made before this migration have none of the above: forget them,
-- so the next read waits for a build instead of finding no reach (as 0012).
TRUNCATE TABLE {db}.idx_builds;
