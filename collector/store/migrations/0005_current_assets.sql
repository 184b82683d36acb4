-- 0005: current_assets, "current" as in 0002: assets of the latest
-- completed scan of their (agent_id, source), or newer rows of a scan in
-- progress, never of a failed scan.
CREATE VIEW IF NOT EXISTS {db}.current_assets AS
SELECT asset_id, asset_type, location, host, source, agent_id, scan_id, owner, size, modified_at,
       attr_keys, attr_values, observed_at
FROM (
    SELECT asset_id, asset_type, location, host, source, agent_id, scan_id, owner, size, modified_at,
           attr_keys, attr_values, observed_at
    FROM {db}.assets FINAL
) ANY LEFT JOIN (
    SELECT agent_id, source,
           argMax(scan_id, (finished_at, version)) AS cur_scan,
           argMax(started_at, (finished_at, version)) AS cur_started
    FROM {db}.scans FINAL
    WHERE status IN ('ok', 'partial')
    GROUP BY agent_id, source
) USING (agent_id, source)
WHERE (cur_scan = '' OR scan_id = cur_scan OR observed_at > cur_started)
  AND scan_id NOT IN (SELECT scan_id FROM {db}.scans FINAL WHERE status = 'failed');
