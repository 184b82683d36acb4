-- 0029: the read index's findings and scores are kept per host segment
-- (store/index_incremental.go). A build no longer copies every finding it
-- carries over from its base: idx_finding_segs says, for each build and
-- host, which generation of idx_findings holds that host's findings, and
-- an incremental build writes a new generation only for the hosts it
-- recomputes. Readers take a build's findings through it (findingsOf).
CREATE TABLE IF NOT EXISTS {db}.idx_finding_segs (
    gen  UInt64,
    host String,
    seg  UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY host;

-- The builds made before: every host's findings are in their own
-- generation (run again after a failure, it adds nothing twice).
INSERT INTO {db}.idx_finding_segs (gen, host, seg)
SELECT DISTINCT gen, host, gen FROM {db}.idx_findings
WHERE gen NOT IN (SELECT gen FROM {db}.idx_finding_segs);

-- The assets an incremental build scores again (changed, or reached or
-- placed differently than in its base), listed once so carrying the
-- other scores over reads a short list.
CREATE TABLE IF NOT EXISTS {db}.idx_rescored (
    gen      UInt64,
    asset_id String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY asset_id;

-- Scores are kept per host the same way: idx_risk_segs says which
-- generation of idx_risk holds a host's scores in a build (riskOf).
CREATE TABLE IF NOT EXISTS {db}.idx_risk_segs (
    gen  UInt64,
    host String,
    seg  UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY host;

INSERT INTO {db}.idx_risk_segs (gen, host, seg)
SELECT DISTINCT gen, host, gen FROM {db}.idx_risk
WHERE gen NOT IN (SELECT gen FROM {db}.idx_risk_segs);
