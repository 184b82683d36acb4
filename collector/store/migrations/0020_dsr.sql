-- 0020: data-subject request cases (collector/dsr; README "Data-subject
-- requests"). No identifier is stored: a case keeps the stored tokens its
-- identifiers may have (tokens[i] stands for identifier token_ids[i]; a
-- token may appear twice) and the fingerprint and generation of the keys
-- that made them, so a search after a key rotation is refused rather
-- than silently finding nothing.
--
-- Cases are mutable (a change is a newer row); the audit log keeps who
-- changed what.
CREATE TABLE IF NOT EXISTS {db}.dsr_cases (
    case_id      String,
    reference    String,
    regulation   String,
    received_at  DateTime,
    due_at       DateTime,
    status       String,
    owner        String,
    id_types     Array(String),
    tokens       Array(String),
    token_ids    Array(UInt16),
    key_fp       String,
    key_gen      UInt32,
    created_by   String,
    created_at   DateTime,
    updated_by   String,
    updated_at   DateTime,
    responded_at DateTime,
    closed_at    DateTime,
    version      UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY case_id;

-- A search of a case, append-only: the read index generation it read and
-- when that index was built. Its rows (dsr_hits, dsr_coverage) are written
-- first, this row last, so a search half written is never read.
CREATE TABLE IF NOT EXISTS {db}.dsr_searches (
    case_id        String,
    search_id      String,
    searched_at    DateTime,
    searched_by    String,
    index_gen      UInt64,
    index_built_at DateTime,
    matches        UInt32,
    sources        UInt32
) ENGINE = MergeTree
ORDER BY (case_id, searched_at, search_id);

-- Where the search found the person: one row per (asset, type).
CREATE TABLE IF NOT EXISTS {db}.dsr_hits (
    case_id     String,
    search_id   String,
    asset_id    String,
    location    String,
    host        String,
    source      String,
    type        String,
    count       UInt64,
    last_seen   DateTime,
    identifiers Array(UInt16)
) ENGINE = MergeTree
ORDER BY (case_id, search_id, location, type);

-- What the search covered: per (agent, source), its latest completed scan
-- at search time (current_scans), so "not found" has a date per system.
CREATE TABLE IF NOT EXISTS {db}.dsr_coverage (
    case_id     String,
    search_id   String,
    agent_id    String,
    host        String,
    source      String,
    scanner     String,
    scan_id     String,
    status      String,
    started_at  DateTime,
    finished_at DateTime
) ENGINE = MergeTree
ORDER BY (case_id, search_id, host, source, agent_id);
