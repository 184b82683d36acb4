-- 0023: review cycles (collector/review/cycles.go).
--
-- review_templates: campaigns that recur. A template is the campaign
-- request (scope as JSON, reviewer, fallback) plus its schedule: every
-- `every_count` `every` units (day, week, month, quarter, year) from
-- starts_at; each run lasts duration_days. Latest version per template.
CREATE TABLE IF NOT EXISTS {db}.review_templates (
    template_id       String,
    name              String,
    scope             String,
    reviewer          String,
    fallback_reviewer String,
    every             String,
    every_count       UInt32,
    starts_at         DateTime,
    duration_days     UInt32,
    created_by        String,
    created_at        DateTime,
    version           UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY template_id;

-- review_template_runs: the campaign each (template, period) spawned. The
-- campaign's id is derived from the template and the period, so a second
-- spawner finds it already there.
CREATE TABLE IF NOT EXISTS {db}.review_template_runs (
    template_id  String,
    period_start DateTime,
    campaign_id  String,
    spawned_by   String,
    spawned_at   DateTime,
    version      UInt64
) ENGINE = ReplacingMergeTree(version) ORDER BY (template_id, period_start);

-- review_removals: what later scans showed of each revoked item, append
-- only: 'confirmed' (a completed scan of the grant's agent and source,
-- started after the revocation, no longer showed it) and 'regressed' (a
-- later scan showed it again). scan_id and at name that scan and when it
-- finished (confirmed) or saw the grant (regressed). The latest event by
-- seq is the item's state; no event: pending (or overdue past its due).
CREATE TABLE IF NOT EXISTS {db}.review_removals (
    campaign_id String,
    item_id     String,
    state       String,
    scan_id     String,
    at          DateTime,
    recorded_at DateTime,
    seq         UInt64
) ENGINE = MergeTree() ORDER BY (campaign_id, item_id, seq);
