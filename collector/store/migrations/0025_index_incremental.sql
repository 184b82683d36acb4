-- 0025: incremental read-index builds (store/index_incremental.go). A
-- build may start from the previous generation (its base) and recompute
-- only the assets whose data changed since that build: idx_changed lists
-- them per build. idx_builds records each build's base (0: a full build)
-- and the newest migration applied when it ran, so the first build after
-- a migration is a full one.
CREATE TABLE IF NOT EXISTS {db}.idx_changed (
    gen      UInt64,
    asset_id String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY asset_id;

ALTER TABLE {db}.idx_builds ADD COLUMN base UInt64;
ALTER TABLE {db}.idx_builds ADD COLUMN schema_version UInt32;
