-- 0003: current_principals and current_entitlements, "current" as in 0002:
-- rows of the latest completed scan of their (agent_id, source), or newer
-- rows of a scan in progress, never of a failed scan. An account removed
-- from a host drops out when the next host scan completes.

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
