-- 0016: what the wall dashboards (dashboards/) need beyond the current
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

-- current_review_items: every review item with its current reviewer and
-- decision, the SQL twin of store.ReviewItems (applyDecisions in
-- reviews.go), for the review-progress dashboard: the latest decision by
-- seq is the item's decision, except that a reassignment (decision
-- 'reassign') hands the item to reassign_to and leaves it pending again;
-- the current reviewer is the latest reassignment's, else the item's
-- first. decided_at is 0 for a pending item. The campaign's name and due
-- date come along so an overdue item (pending after due) needs no join.
CREATE VIEW IF NOT EXISTS {db}.current_review_items AS
SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, privileged,
       reviewer_source, reviewer, decision, decided_at, decided_by, campaign, due
FROM (
    SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, privileged,
           reviewer_source,
           if(last_reassign = '', first_reviewer, last_reassign) AS reviewer,
           if(last_decision = 'reassign', '', last_decision) AS decision,
           if(last_decision IN ('', 'reassign'), toDateTime(0), last_decided_at) AS decided_at,
           if(last_decision IN ('', 'reassign'), '', last_decided_by) AS decided_by
    FROM (
        SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, privileged,
               reviewer_source, reviewer AS first_reviewer
        FROM {db}.review_items
    ) ANY LEFT JOIN (
        SELECT campaign_id, item_id,
               argMax(decision, seq) AS last_decision,
               argMax(decided_at, seq) AS last_decided_at,
               argMax(decided_by, seq) AS last_decided_by,
               argMaxIf(reassign_to, seq, decision = 'reassign') AS last_reassign
        FROM {db}.review_decisions
        GROUP BY campaign_id, item_id
    ) USING (campaign_id, item_id)
) ANY LEFT JOIN (
    SELECT campaign_id, any(name) AS campaign, any(due) AS due
    FROM {db}.review_campaigns
    GROUP BY campaign_id
) USING campaign_id;
