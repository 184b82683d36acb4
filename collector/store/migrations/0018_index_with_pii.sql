-- 0017: the asset list's "with personal data" filter as a column of the
-- read index. The filter (an asset holding current findings itself, or a
-- bucket whose scan counted objects that do) read every row's attribute
-- arrays to find objects_with_pii: 3 s of the console's Assets page at
-- 2,000,000 assets (make bench-console), against 0.1 s for one number.
-- A DEFAULT, not a value the build computes: the build names its columns
-- when it inserts (index.go), so every new row stores it; the rows of a
-- generation built before this migration compute it when read, the same
-- answer at the old cost, until the next build replaces them.
ALTER TABLE {db}.idx_assets ADD COLUMN with_pii UInt8
    DEFAULT (occurrences > 0 OR toUInt64OrZero(attr_values[indexOf(attr_keys, 'objects_with_pii')]) > 0);
