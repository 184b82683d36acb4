-- 0002: current_pii_findings, the one definition of which findings are
-- current, used by the store's reads and by the Grafana dashboards.
--
-- A finding is current when, for its (agent_id, source), either
--   - it belongs to the latest completed (ok or partial) scan, or
--   - it was observed after that scan started: it comes from a scan still
--     in progress, whose rows have already replaced older ones in place, or
--   - no scan of that (agent_id, source) has completed yet;
-- and its scan did not fail. So the previous scan stays visible until the
-- next one completes (no flicker), a re-scan replaces rows instead of adding
-- them, and a finding the newest completed scan no longer reports (file
-- cleaned or deleted) drops out. The version breaks ties between scans that
-- finish in the same second. Tokens are left out on purpose: only subject
-- search reads them.

CREATE VIEW IF NOT EXISTS {db}.current_pii_findings AS
SELECT asset_id, location, host, source, agent_id, scan_id, type, category, confidence,
       count, distinct_count, samples, locations, observed_at
FROM (
    SELECT asset_id, location, host, source, agent_id, scan_id, type, category, confidence,
           count, distinct_count, samples, locations, observed_at
    FROM {db}.pii_findings FINAL
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
