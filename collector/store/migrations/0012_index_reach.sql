-- 0012: who can reach what, materialised by each read-index build
-- (store/reach.go), so reader counts, reader lists, principal reach and
-- principal risk are each one query over the same rows.
--
-- idx_hosts: per host of the build, its jurisdiction (the collector's
-- host rules, applied once per build) and the id of its "everyone".
CREATE TABLE IF NOT EXISTS {db}.idx_hosts (
    gen          UInt64,
    host         String,
    jurisdiction String,
    everyone_id  String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY host;

-- idx_holders: for each principal, every id whose grants are its grants:
-- itself (path ''), each group it is in, transitively ('group <name>'),
-- and for a host's accounts that host's everyone ('world-readable').
-- Grantees that are no current principal are kept as 'unknown' accounts.
CREATE TABLE IF NOT EXISTS {db}.idx_holders (
    gen            UInt64,
    holder         String,
    principal_id   String,
    principal_type String,
    name           String,
    privileged     UInt8,
    path           String,
    depth          UInt8
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (holder, principal_id);

-- idx_grants: every current read or write grant, a grant on a bucket
-- repeated for each of its objects.
CREATE TABLE IF NOT EXISTS {db}.idx_grants (
    gen        UInt64,
    asset_id   String,
    holder     String,
    permission String,
    via        Array(String)
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (asset_id, holder);

-- A system's jurisdiction and whether it is public, resolved at build
-- (system rows of idx_summary only).
ALTER TABLE {db}.idx_summary ADD COLUMN jurisdiction String;
ALTER TABLE {db}.idx_summary ADD COLUMN public UInt8;

-- Builds made before this migration have none of the above: forget them,
-- so the next read waits for a build instead of answering from one that
-- lists no readers and no jurisdictions. Their partitions go with the
-- next builds' clean-up (CommitIndex).
TRUNCATE TABLE {db}.idx_builds;
