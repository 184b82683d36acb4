package store

import "context"

// maxEntitlements bounds one read of current entitlements.
const maxEntitlements = 100000

// currentEntitlements reads the current entitlements matching w, ordered
// by principal, resource and permission, at most maxEntitlements of them.
func (s *Store) currentEntitlements(ctx context.Context, what string, w where) ([]Entitlement, error) {
	return selectRows[Entitlement](ctx, s, what,
		`SELECT principal_id, resource_id, resource_type, permission, via, privileged, source, host
		FROM {db}.current_entitlements`+w.sql()+`
		ORDER BY principal_id, resource_id, permission LIMIT ?`, append(w.args, maxEntitlements)...)
}
