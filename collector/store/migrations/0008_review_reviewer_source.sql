-- 0008: which rule chose each review item's reviewer: named, owner,
-- manager or fallback ('' for items made before this migration). A plain
-- ADD COLUMN: 18.16 has no IF NOT EXISTS here, and Migrate counts a
-- column that already exists as added, so a re-run is safe.
ALTER TABLE {db}.review_items ADD COLUMN reviewer_source String DEFAULT '';
