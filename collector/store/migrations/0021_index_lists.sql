-- 0021: the console's list pages as key ranges of the read index, built
-- once per build (index_lists.go) instead of folded on every request.
--
-- idx_principals: every current principal, as current_principals shows it,
-- with what the identities list and the principal risk model read of it
-- precomputed: its place in the list's (host, name, principal_id) order
-- (pos, the primary key: an unfiltered page is one range), when it was
-- created, its hygiene flags and how many assets with personal data it
-- can reach (idx_principal_reach). Folding current_principals (FINAL and
-- the current-scan join) cost two passes over every principal per page.
CREATE TABLE IF NOT EXISTS {db}.idx_principals (
    gen               UInt64,
    pos               UInt64,
    principal_id      String,
    name              String,
    principal_type    String,
    source            String,
    host              String,
    agent_id          String,
    enabled           Int8,
    privileged        UInt8,
    privileged_via    Array(String),
    last_login        DateTime,
    password_last_set DateTime,
    mfa               Int8,
    attr_keys         Array(String),
    attr_values       Array(String),
    observed_at       DateTime,
    created           DateTime,
    hygiene           Array(String),
    readable          UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY pos;

-- idx_asset_order: the asset list's default order (most people first:
-- distinct_sum descending, then loc_rank) as positions, over every asset
-- (pii_only 0) and over those with personal data (pii_only 1, the
-- console's default filter), so such a page is one key range instead of
-- a sort of every asset. sort names the order, for more later.
CREATE TABLE IF NOT EXISTS {db}.idx_asset_order (
    gen      UInt64,
    sort     String,
    pii_only UInt8,
    pos      UInt64,
    loc_rank UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (sort, pii_only, pos);

-- idx_asset_counts: how many assets per (type, source, host, with_pii),
-- so the asset list's total for those filters sums a few hundred rows
-- instead of counting millions.
CREATE TABLE IF NOT EXISTS {db}.idx_asset_counts (
    gen        UInt64,
    asset_type String,
    source     String,
    host       String,
    with_pii   UInt8,
    assets     UInt64
) ENGINE = MergeTree() PARTITION BY gen ORDER BY (asset_type, source, host, with_pii);
