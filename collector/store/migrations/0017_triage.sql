-- 0017: custom detectors, allow lists and finding triage (collector/triage,
-- collector/detectors; README "Tuning detection").
--
-- Custom detector definitions: every revision a row (nothing replaced),
-- as policies: the history is the audit of who changed what. The current
-- revision is the highest; a deleted detector's last row says so.
CREATE TABLE IF NOT EXISTS {db}.detectors (
    detector_id String,
    revision    UInt32,
    definition  String,
    deleted     UInt8,
    changed_by  String,
    changed_at  DateTime,
    version     UInt64
) ENGINE = MergeTree
ORDER BY (detector_id, revision);

-- Allow-list rules, mutable (a rule is deleted by a newer row with
-- deleted = 1). kind 'value': a value by its stored tokens (the form
-- pii_findings.tokens has: every token the value may be stored as, one per
-- live agent key; never the value); kind 'finding': an asset, and a type
-- ('' for every type). expires_at 0: never.
CREATE TABLE IF NOT EXISTS {db}.allow_rules (
    rule_id     String,
    kind        String,
    value_type  String,
    tokens      Array(String),
    token_gen   UInt32,
    asset_id    String,
    type        String,
    reason      String,
    expires_at  DateTime,
    created_by  String,
    created_at  DateTime,
    deleted     UInt8,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY rule_id;

-- Finding triage, append-only: every change is a row with the finding's
-- state after it (open, false_positive, accepted, resolved), who, when,
-- why, and the occurrence count it was judged at; the highest seq is the
-- current state, the rows before it the history. Keyed by the finding
-- (asset and type), never by scan, so it outlives rescans.
CREATE TABLE IF NOT EXISTS {db}.finding_triage (
    asset_id   String,
    type       String,
    location   String,
    state      String,
    reason     String,
    count_at   UInt64,
    changed_by String,
    changed_at DateTime,
    seq        UInt64
) ENGINE = MergeTree
ORDER BY (asset_id, type, seq);
