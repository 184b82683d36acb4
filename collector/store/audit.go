package store

import (
	"context"
	"time"
)

// AuditEntry is one audited API call.
// It is both the row of audit_log and the API's answer.
type AuditEntry struct {
	At        time.Time `ch:"at" json:"at"`
	TokenName string    `ch:"token_name" json:"token_name"`
	TokenRole string    `ch:"token_role" json:"token_role"`
	TokenID   string    `ch:"token_id" json:"token_id"`
	Method    string    `ch:"method" json:"method"`
	Route     string    `ch:"route" json:"route"`
	Params    string    `ch:"params" json:"params"`
	Status    uint16    `ch:"status" json:"status"` // HTTP status
	Result    string    `ch:"result" json:"result"`
}

// AppendAudit writes one audit entry.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) error {
	return s.insert(ctx, "audit_log", "at, token_name, token_role, token_id, method, route, params, status, result", 1, func(int) []any {
		return []any{dateTime(&e.At), e.TokenName, e.TokenRole, e.TokenID, e.Method, e.Route, e.Params, e.Status, e.Result}
	})
}

// utc is e as read, with its time in UTC.
func (e AuditEntry) utc() AuditEntry {
	e.At = e.At.UTC()
	return e
}

// Audit returns audit entries, newest first, and how many there are.
func (s *Store) Audit(ctx context.Context, limit, offset int) ([]AuditEntry, uint64, error) {
	limit, offset = pageBounds(limit, offset)
	total, err := s.count(ctx, "counting audit entries", `SELECT count() AS n FROM {db}.audit_log`)
	if err != nil {
		return nil, 0, err
	}
	out, err := selectAll(ctx, s, "reading audit entries", AuditEntry.utc,
		`SELECT at, token_name, token_role, token_id, method, route, params, status, result
		FROM {db}.audit_log ORDER BY at DESC, route LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
