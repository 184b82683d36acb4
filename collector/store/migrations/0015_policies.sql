-- 0015: scan policies, agent labels, what each agent applied, and
-- commands ("scan now"). See collector/policy.
--
-- Every revision of a policy is a row of its own (MergeTree, nothing is
-- replaced): the revision history is the audit of who changed what. The
-- current revision is the highest; a deleted policy's last row says so.
CREATE TABLE IF NOT EXISTS {db}.policies (
    policy_id       String,
    revision        UInt32,
    description     String,
    selector_keys   Array(String),
    selector_values Array(String),
    priority        Int32,
    settings        String,
    deleted         UInt8,
    changed_by      String,
    changed_at      DateTime,
    version         UInt64
) ENGINE = MergeTree
ORDER BY (policy_id, revision);

-- An agent's labels (set at enrollment, changed by admins); the highest
-- version is current.
CREATE TABLE IF NOT EXISTS {db}.agent_labels (
    agent_id     String,
    label_keys   Array(String),
    label_values Array(String),
    set_by       String,
    set_at       DateTime,
    version      UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY agent_id;

-- What each agent last reported about its policy: the one it runs, when
-- it applied it, the last one it refused and why, pinned conflicts.
CREATE TABLE IF NOT EXISTS {db}.agent_policy_status (
    agent_id        String,
    etag            String,
    revisions       String,
    applied_at      DateTime,
    rejected_etag   String,
    rejected_reason String,
    rejected_at     DateTime,
    conflicts       Array(String),
    reported_at     DateTime,
    version         UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY agent_id;

-- Commands to agents ("scan now"), one row per agent and command; the
-- highest version is its current state.
CREATE TABLE IF NOT EXISTS {db}.agent_commands (
    command_id   String,
    agent_id     String,
    scanner      String,
    requested_by String,
    requested_at DateTime,
    status       String,
    scan_id      String,
    message      String,
    updated_at   DateTime,
    version      UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (agent_id, command_id);
