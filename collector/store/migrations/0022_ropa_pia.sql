-- 0022: records of processing (GDPR Art. 30) and privacy impact
-- assessments (collector/records, collector/pia; README "Records of
-- processing", "Privacy impact assessments").
--
-- A record of processing is what people maintain about one system of the
-- data map; every change is a new row (append-only), so the history of
-- each record is its rows in seq order. Transfers are parallel arrays:
-- transfer_countries[i] is safeguarded by transfer_safeguards[i].
CREATE TABLE IF NOT EXISTS {db}.ropa_records (
    system              String,
    revision            UInt32,
    purpose             String,
    legal_basis         String,
    retention           String,
    recipients          Array(String),
    transfer_countries  Array(String),
    transfer_safeguards Array(String),
    controller          String,
    owner               String,
    dpo_contact         String,
    changed_by          String,
    changed_at          DateTime,
    seq                 UInt64
) ENGINE = MergeTree
ORDER BY (system, seq);

-- A privacy impact assessment over one or more systems: the DPO's answers
-- and rating, and the facts the scans showed when it was prefilled (or
-- last confirmed) as JSON, which a read compares with the current read
-- index. Mutable: a change is a newer row (the newest version wins).
CREATE TABLE IF NOT EXISTS {db}.pias (
    pia_id        String,
    title         String,
    systems       Array(String),
    purpose       String,
    necessity     String,
    retention     String,
    safeguards    String,
    likelihood    String,
    severity      String,
    facts         String,
    facts_as_of   DateTime,
    created_by    String,
    created_at    DateTime,
    updated_by    String,
    updated_at    DateTime,
    version       UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY pia_id;
