-- 0010: tokens re-keyed by the collector, and enroll secrets with a use
-- count.
--
-- tokens_rekeyed marks pii_findings rows whose tokens the collector has
-- re-keyed with its own key (collector/keys): rows stored before this
-- version hold the agents' tokens (0) and are rewritten once by the
-- collector at startup (store.RekeyFindings); rows ingested since are 1.
ALTER TABLE {db}.pii_findings ADD COLUMN tokens_rekeyed UInt8;

-- max_uses bounds how many agents an enroll secret may enroll; 0 = no
-- bound. Each enrollment appends a row to token_uses.
ALTER TABLE {db}.api_tokens ADD COLUMN max_uses UInt32;

CREATE TABLE IF NOT EXISTS {db}.token_uses (
    token_hash String,
    agent_id   String,
    used_at    DateTime
) ENGINE = MergeTree() ORDER BY (token_hash, used_at);
