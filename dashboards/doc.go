// Package dashboards holds Grafana dashboards over Sightline's ClickHouse
// (sightline-overview.json) and their provisioning files. Its test runs
// every panel's SQL against a real ClickHouse.
package dashboards
