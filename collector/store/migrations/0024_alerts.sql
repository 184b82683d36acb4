-- 0024: alerts and events (collector/alerts; README "Alerts and events").
--
-- alert_events is both the events and the rules' state: one row per
-- (rule, subject), so a rule fires once for a subject however many builds
-- still show it. event_id is a hash of the rule and the subject (stable);
-- body is the event as delivered (JSON), which carries ids, locations,
-- counts and types, never a raw personal value. A second row for the same
-- (rule, subject), from two collectors racing, is the same event and
-- collapses.
CREATE TABLE IF NOT EXISTS {db}.alert_events (
    event_id String,
    rule     String,
    kind     String,
    subject  String,
    severity String,
    gen      UInt64,
    fired_at DateTime,
    body     String,
    version  UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (rule, subject);

-- alert_deliveries is the delivery log and queue: one row per attempt of
-- an event to a destination (attempt 0, status pending: queued). The
-- newest row of an (event, destination) says where it stands: pending or
-- retrying (with next_try), delivered, or failed (attempts spent).
CREATE TABLE IF NOT EXISTS {db}.alert_deliveries (
    event_id    String,
    destination String,
    attempt     UInt32,
    status      String,
    error       String,
    at          DateTime,
    next_try    DateTime,
    version     UInt64
) ENGINE = MergeTree()
ORDER BY (event_id, destination, version);
