-- 0006: access reviews. Campaigns and their items are written once;
-- decisions are append-only, so the history of every item is kept and the
-- latest decision is the current one.
CREATE TABLE IF NOT EXISTS {db}.review_campaigns (
    campaign_id String,
    name        String,
    scope       String,
    reviewer    String,
    due         DateTime,
    created_by  String,
    created_at  DateTime
) ENGINE = MergeTree() ORDER BY campaign_id;

CREATE TABLE IF NOT EXISTS {db}.review_items (
    campaign_id    String,
    item_id        String,
    principal_id   String,
    principal_name String,
    resource_id    String,
    resource_type  String,
    permission     String,
    via            Array(String),
    privileged     UInt8,
    reviewer       String
) ENGINE = MergeTree() ORDER BY (campaign_id, item_id);

CREATE TABLE IF NOT EXISTS {db}.review_decisions (
    campaign_id String,
    item_id     String,
    decision    String,
    comment     String,
    reassign_to String,
    decided_by  String,
    decided_at  DateTime,
    seq         UInt64
) ENGINE = MergeTree() ORDER BY (campaign_id, item_id, seq);
