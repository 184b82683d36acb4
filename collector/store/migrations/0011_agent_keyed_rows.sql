-- 0011: rows are keyed by the agent that sent them, so one agent's records
-- can never replace another agent's (an agent is treated as possibly
-- compromised: before this, a second agent could post the first one's ids
-- with a later version and the first agent's rows were gone from FINAL).
--
-- owner_agent is the agent whose token delivered the row (the collector
-- sets it; it equals agent_id). ClickHouse only lets a sorting key grow by
-- a column added in the same ALTER, hence a new column rather than
-- agent_id. Rows written before this migration are copied with their
-- owner and the ownerless originals deleted (a mutation, asynchronous: for
-- a moment after an upgrade both may be read; they are equal rows).
--
-- Re-running is safe: ADD COLUMN that already exists counts as done
-- (migrate.go), the copy finds no ownerless rows the second time, and the
-- delete of nothing is a no-op.

ALTER TABLE {db}.assets ADD COLUMN owner_agent String, MODIFY ORDER BY (asset_id, owner_agent);
INSERT INTO {db}.assets (asset_id, asset_type, location, host, source, agent_id, scan_id, owner, size, modified_at, attr_keys, attr_values, observed_at, version, owner_agent)
SELECT asset_id, asset_type, location, host, source, agent_id, scan_id, owner, size, modified_at, attr_keys, attr_values, observed_at, version, agent_id
FROM {db}.assets WHERE owner_agent = '';
ALTER TABLE {db}.assets DELETE WHERE owner_agent = '';

ALTER TABLE {db}.pii_findings ADD COLUMN owner_agent String, MODIFY ORDER BY (asset_id, type, owner_agent);
INSERT INTO {db}.pii_findings (asset_id, type, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version, owner_agent)
SELECT asset_id, type, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version, agent_id
FROM {db}.pii_findings WHERE owner_agent = '';
ALTER TABLE {db}.pii_findings DELETE WHERE owner_agent = '';

ALTER TABLE {db}.principals ADD COLUMN owner_agent String, MODIFY ORDER BY (principal_id, owner_agent);
INSERT INTO {db}.principals (principal_id, name, principal_type, source, host, agent_id, scan_id, enabled, privileged, privileged_via, last_login, password_last_set, mfa, attr_keys, attr_values, observed_at, version, owner_agent)
SELECT principal_id, name, principal_type, source, host, agent_id, scan_id, enabled, privileged, privileged_via, last_login, password_last_set, mfa, attr_keys, attr_values, observed_at, version, agent_id
FROM {db}.principals WHERE owner_agent = '';
ALTER TABLE {db}.principals DELETE WHERE owner_agent = '';

ALTER TABLE {db}.entitlements ADD COLUMN owner_agent String, MODIFY ORDER BY (principal_id, resource_id, permission, owner_agent);
INSERT INTO {db}.entitlements (principal_id, resource_id, resource_type, permission, via, privileged, source, host, agent_id, scan_id, observed_at, version, owner_agent)
SELECT principal_id, resource_id, resource_type, permission, via, privileged, source, host, agent_id, scan_id, observed_at, version, agent_id
FROM {db}.entitlements WHERE owner_agent = '';
ALTER TABLE {db}.entitlements DELETE WHERE owner_agent = '';

-- Which agent speaks for a source that several agents could scan (an LDAP
-- server or AD domain, an AWS account): the first agent that reported it,
-- until an admin moves it (audited). Keyed by (source, scope); the
-- highest version is the current authority.
CREATE TABLE IF NOT EXISTS {db}.source_authorities (
    source   String,
    scope    String,
    agent_id String,
    set_by   String,
    set_at   DateTime,
    version  UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (source, scope);
