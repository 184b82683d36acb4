-- 0009: the risk register's owners and statuses. Append-only, as review
-- decisions: every change is a new row holding the item's whole state
-- after it, so the latest row (by seq) is the current state and the rows
-- before it are the history. Items themselves are not stored: they are the
-- current asset and principal risks, computed at read time.
CREATE TABLE IF NOT EXISTS {db}.risk_register (
    kind       String,
    item_id    String,
    owner      String,
    status     String,
    comment    String,
    changed_by String,
    changed_at DateTime,
    seq        UInt64
) ENGINE = MergeTree() ORDER BY (kind, item_id, seq);
