-- 0031: the read index's access map is no longer recomputed whole by an
-- incremental build (store/index_incremental.go, store/reach.go).
--
-- idx_entitlement_segs says, for each build and agent, which generation
-- of idx_entitlements holds that agent's current grants and memberships
-- (entitlementsOf): an incremental build folds again only the
-- entitlements of the agents that stored a scan or an entitlement since
-- its base, and points at the older generation for every other agent.
-- An entitlement is keyed by the agent that sent it (owner_agent, 0011),
-- so one agent's rows are one segment. Builds made before this migration
-- are never a base (a migration makes the next build full), so they get
-- no segments.
CREATE TABLE IF NOT EXISTS {db}.idx_entitlement_segs (
    gen      UInt64,
    agent_id String,
    seg      UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY agent_id;

-- The agent as a number, for the segment condition (as host_key, 0030).
ALTER TABLE {db}.idx_entitlements ADD COLUMN agent_key UInt64 DEFAULT cityHash64(agent_id);

-- Each grant remembers the entitlement it comes from (its resource and
-- agent; holder is its principal), so an incremental build keeps the
-- base's grants whose entitlement, resource and principal did not change
-- and computes only the others again.
ALTER TABLE {db}.idx_grants ADD COLUMN resource_id String;
ALTER TABLE {db}.idx_grants ADD COLUMN agent_id String;

-- What an incremental build computes again besides the entitlements of
-- the agents it folds again (store/reach.go): the principals whose current
-- rows may differ from its base's (kind 'principal': rows stored by an
-- (agent, source) that wrote since, the everyone of a host that came or
-- went), the resources whose asset rows may (kind 'resource': the changed
-- assets, the buckets holding a changed object), the resources its grants
-- computed again name (kind 'granted'), the principals whose holders may
-- differ (kind 'holder') and those whose reach may (kind 'reach').
CREATE TABLE IF NOT EXISTS {db}.idx_access_changed (
    gen  UInt64,
    kind String,
    id   String
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (kind, id);
