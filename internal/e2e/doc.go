// Package e2e holds end-to-end tests: the built agent and collector
// binaries against a real ClickHouse. It has no non-test code.
package e2e
