-- 0027: ended web-console sessions (collector/session). Sessions are
-- sealed in the browser's cookie, so any collector opens them; a logout
-- is the one thing a cookie cannot carry, so it is recorded here for every
-- collector to see. session_hash is SHA-256 of the session id (the id
-- alone grants nothing, but need not be stored either); until is when the
-- session would have expired anyway, after which the row means nothing.
CREATE TABLE IF NOT EXISTS {db}.console_revocations (
    session_hash String,
    until        DateTime,
    version      UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY session_hash;
