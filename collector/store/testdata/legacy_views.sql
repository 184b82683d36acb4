-- The views an install made by migrations 0001-0011 before views were
-- declared (views.go): 0003, 0005 and 0007's current_pii_findings, verbatim.
CREATE VIEW IF NOT EXISTS {db}.current_principals AS
SELECT principal_id, name, principal_type, source, host, agent_id, scan_id, enabled, privileged,
       privileged_via, last_login, password_last_set, mfa, attr_keys, attr_values, observed_at
FROM (
    SELECT principal_id, name, principal_type, source, host, agent_id, scan_id, enabled, privileged,
           privileged_via, last_login, password_last_set, mfa, attr_keys, attr_values, observed_at
    FROM {db}.principals FINAL
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

CREATE VIEW IF NOT EXISTS {db}.current_entitlements AS
SELECT principal_id, resource_id, resource_type, permission, via, privileged, source, host, agent_id,
       scan_id, observed_at
FROM (
    SELECT principal_id, resource_id, resource_type, permission, via, privileged, source, host, agent_id,
           scan_id, observed_at
    FROM {db}.entitlements FINAL
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
CREATE VIEW IF NOT EXISTS {db}.current_pii_findings AS
SELECT asset_id, location, host, source, agent_id, scan_id, type, category, confidence,
       count, distinct_count, samples, locations, tokens, observed_at
FROM (
    SELECT asset_id, location, host, source, agent_id, scan_id, type, category, confidence,
           count, distinct_count, samples, locations, tokens, observed_at
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
