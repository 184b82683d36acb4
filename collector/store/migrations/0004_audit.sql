-- 0004: the audit log. Append-only: nothing in the collector updates or
-- deletes its rows. One row per API call that reads personal-data
-- locations or access, or changes state: who (token name, role and a
-- prefix of its hash), what (method, route, parameters without any
-- identifier a person searched for), when, and the result.
CREATE TABLE IF NOT EXISTS {db}.audit_log (
    at         DateTime,
    token_name String,
    token_role String,
    token_id   String,
    method     String,
    route      String,
    params     String,
    status     UInt16,
    result     String
) ENGINE = MergeTree() PARTITION BY toYYYYMM(at) ORDER BY at;
