-- 0001: the initial schema.
--
-- Format (see migrate.go): statements end with ';' at the end of a line;
-- lines starting with '--' are comments; {db} is the database name. Every
-- statement must be safe to run twice (IF NOT EXISTS), because two
-- collectors may migrate at once and a failed migration is re-run whole.
--
-- version is the row's observed_at (or write time) in Unix nanoseconds:
-- ReplacingMergeTree keeps the highest, and a re-sent identical row replaces
-- itself. Times that are unknown are stored as 0 (1970-01-01 00:00:00).
--
-- Rows produced by scans (assets, pii_findings, principals, entitlements)
-- are latest state keyed by their stable id alone: a re-scan replaces a
-- row instead of adding one, so the tables stay the size of what exists.
-- Which rows are current (not cleaned or deleted since) is decided at read
-- time from the scans table; see the current_ views in views.go.

CREATE TABLE IF NOT EXISTS {db}.agents (
    agent_id      String,
    hostname      String,
    os            String,
    agent_version String,
    enrolled_at   DateTime,
    last_seen     DateTime,
    version       UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY agent_id;

CREATE TABLE IF NOT EXISTS {db}.api_tokens (
    token_hash String,
    role       String,
    agent_id   String,
    name       String,
    created_at DateTime,
    expires_at DateTime,
    revoked    UInt8,
    version    UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY token_hash;

CREATE TABLE IF NOT EXISTS {db}.settings (
    `key`   String,
    `value` String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY `key`;

CREATE TABLE IF NOT EXISTS {db}.assets (
    asset_id    String,
    asset_type  String,
    location    String,
    host        String,
    source      String,
    agent_id    String,
    scan_id     String,
    owner       String,
    size        Int64,
    modified_at DateTime,
    attr_keys   Array(String),
    attr_values Array(String),
    observed_at DateTime,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY asset_id;

CREATE TABLE IF NOT EXISTS {db}.pii_findings (
    asset_id       String,
    type           String,
    category       String,
    location       String,
    host           String,
    source         String,
    agent_id       String,
    scan_id        String,
    count          UInt64,
    distinct_count UInt64,
    confidence     String,
    samples        Array(String),
    tokens         Array(String),
    locations      Array(String),
    observed_at    DateTime,
    version        UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (asset_id, type);

CREATE TABLE IF NOT EXISTS {db}.principals (
    principal_id      String,
    name              String,
    principal_type    String,
    source            String,
    host              String,
    agent_id          String,
    scan_id           String,
    enabled           Int8,
    privileged        UInt8,
    privileged_via    Array(String),
    last_login        DateTime,
    password_last_set DateTime,
    mfa               Int8,
    attr_keys         Array(String),
    attr_values       Array(String),
    observed_at       DateTime,
    version           UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY principal_id;

CREATE TABLE IF NOT EXISTS {db}.entitlements (
    principal_id  String,
    resource_id   String,
    resource_type String,
    permission    String,
    via           Array(String),
    privileged    UInt8,
    source        String,
    host          String,
    agent_id      String,
    scan_id       String,
    observed_at   DateTime,
    version       UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (principal_id, resource_id, permission);

CREATE TABLE IF NOT EXISTS {db}.scans (
    scan_id     String,
    agent_id    String,
    host        String,
    source      String,
    scanner     String,
    started_at  DateTime,
    finished_at DateTime,
    status      String,
    stat_keys   Array(String),
    stat_values Array(Int64),
    errors      Array(String),
    attr_keys   Array(String),
    attr_values Array(String),
    observed_at DateTime,
    version     UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY scan_id;

CREATE TABLE IF NOT EXISTS {db}.ingest_batches (
    agent_id        String,
    idempotency_key String,
    records         UInt32,
    received_at     DateTime,
    version         UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (agent_id, idempotency_key);
