package store

import "context"

// entitlementRow is a row of current_entitlements.
type entitlementRow struct {
	PrincipalID  string   `ch:"principal_id"`
	ResourceID   string   `ch:"resource_id"`
	ResourceType string   `ch:"resource_type"`
	Permission   string   `ch:"permission"`
	Via          []string `ch:"via"`
	Privileged   uint8    `ch:"privileged"`
	Source       string   `ch:"source"`
	Host         string   `ch:"host"`
}

func (r entitlementRow) entitlement() Entitlement {
	return Entitlement{PrincipalID: r.PrincipalID, ResourceID: r.ResourceID, ResourceType: r.ResourceType,
		Permission: r.Permission, Via: r.Via, Privileged: r.Privileged == 1, Source: r.Source, Host: r.Host}
}

// maxEntitlements bounds one read of current entitlements.
const maxEntitlements = 100000

// currentEntitlements reads the current entitlements matching w, ordered
// by principal, resource and permission, at most maxEntitlements of them.
func (s *Store) currentEntitlements(ctx context.Context, what string, w where) ([]Entitlement, error) {
	return selectAll(ctx, s, what, entitlementRow.entitlement,
		`SELECT principal_id, resource_id, resource_type, permission, via, privileged, source, host
		FROM {db}.current_entitlements`+w.sql()+`
		ORDER BY principal_id, resource_id, permission LIMIT ?`, append(w.args, maxEntitlements)...)
}
