package store

import (
	"context"
	"time"
)

// AuditEntry is one audited API call.
type AuditEntry struct {
	At                            time.Time
	TokenName, TokenRole, TokenID string
	Method, Route, Params         string
	Status                        int
	Result                        string
}

// AppendAudit writes one audit entry.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) error {
	return s.insert(ctx, "audit_log", "at, token_name, token_role, token_id, method, route, params, status, result", 1, func(int) []any {
		return []any{dateTime(&e.At), e.TokenName, e.TokenRole, e.TokenID, e.Method, e.Route, e.Params, uint16(e.Status), e.Result}
	})
}

// auditRow is a row of audit_log.
type auditRow struct {
	At     time.Time `ch:"at"`
	Name   string    `ch:"token_name"`
	Role   string    `ch:"token_role"`
	ID     string    `ch:"token_id"`
	Method string    `ch:"method"`
	Route  string    `ch:"route"`
	Params string    `ch:"params"`
	Status uint16    `ch:"status"`
	Result string    `ch:"result"`
}

func (r auditRow) entry() AuditEntry {
	return AuditEntry{At: r.At.UTC(), TokenName: r.Name, TokenRole: r.Role, TokenID: r.ID, Method: r.Method,
		Route: r.Route, Params: r.Params, Status: int(r.Status), Result: r.Result}
}

// Audit returns audit entries, newest first, and how many there are.
func (s *Store) Audit(ctx context.Context, limit, offset int) ([]AuditEntry, uint64, error) {
	limit, offset = pageBounds(limit, offset)
	total, err := s.count(ctx, "counting audit entries", `SELECT count() AS n FROM {db}.audit_log`)
	if err != nil {
		return nil, 0, err
	}
	out, err := selectAll(ctx, s, "reading audit entries", auditRow.entry,
		`SELECT at, token_name, token_role, token_id, method, route, params, status, result
		FROM {db}.audit_log ORDER BY at DESC, route LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
