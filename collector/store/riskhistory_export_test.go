package store

// SeveritySQL exposes severitySQL to the external tests.
const SeveritySQL = severitySQL
