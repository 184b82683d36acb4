-- 0014: what the wall dashboards (dashboards/) need beyond the current
-- state.
--
-- risk_history keeps, for every committed read-index build, how many
-- scored assets it held per asset type and severity band, their summed and
-- highest score (store.RecordRiskSnapshot, called after each build
-- commits). The idx_ tables keep only the last two builds, so without this
-- table no risk trend survives. Append-only, one small set of rows per
-- build (a handful of asset types times four bands); a build with no
-- scored asset still writes one row (asset_type and severity '', assets 0)
-- so a trend shows the drop to zero instead of a gap. recorded_at is the
-- build's commit time: the moment the numbers describe.
CREATE TABLE IF NOT EXISTS {db}.risk_history (
    gen         UInt64,
    recorded_at DateTime,
    asset_type  String,
    severity    String,
    assets      UInt64,
    score_sum   UInt64,
    score_max   UInt8
) ENGINE = MergeTree() PARTITION BY toYYYYMM(recorded_at) ORDER BY (recorded_at, gen, asset_type, severity);

-- current_review_items, which the review dashboard reads, is a declared
-- view (collector/store/views.go).
