-- 0017: principals' credential tokens (an IAM user's active access keys,
-- keyed and re-keyed as a pii finding's tokens are), so an
-- aws_access_key found in a file joins to the user it belongs to
-- (credentials.go). A row counts while its scan_id is its principal's
-- current row's: a user whose keys were all deleted sends no row, and the
-- old one stops counting with the scan that replaced it.
CREATE TABLE IF NOT EXISTS {db}.principal_tokens (
    principal_id String,
    tokens       Array(String),
    source       String,
    host         String,
    agent_id     String,
    scan_id      String,
    observed_at  DateTime,
    version      UInt64,
    owner_agent  String
) ENGINE = ReplacingMergeTree(version)
ORDER BY (principal_id, owner_agent);
