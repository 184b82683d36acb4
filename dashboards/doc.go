// Package dashboards holds Grafana dashboards over Sightline's ClickHouse —
// the personal data overview, risk over time, access review progress,
// fleet health and scan errors (one sightline-*.json file each) — and
// their provisioning files. Its tests check every dashboard's shape and run
// every panel's SQL, with the data source plugin's macros expanded, against
// a real ClickHouse holding a fixture.
package dashboards
