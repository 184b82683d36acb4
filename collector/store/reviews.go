package store

import (
	"context"
	"time"
)

// Campaign is an access review.
type Campaign struct {
	ID, Name, Scope, Reviewer, CreatedBy string
	Due, CreatedAt                       time.Time
}

// ReviewItem is one entitlement under review, with its current reviewer
// and latest decision.
type ReviewItem struct {
	CampaignID, ItemID, PrincipalID, PrincipalName, ResourceID, ResourceType, Permission string
	Via                                                                                  []string
	Privileged                                                                           bool
	Reviewer                                                                             string
	// ReviewerSource is the rule that chose the first reviewer: named,
	// owner, manager or fallback (a reassignment shows in the history).
	ReviewerSource               string
	Decision, Comment, DecidedBy string
	DecidedAt                    time.Time
}

// Decision is one entry of an item's history.
type Decision struct {
	CampaignID, ItemID, Decision, Comment, ReassignTo, DecidedBy string
	DecidedAt                                                    time.Time
}

// EntitlementFilter selects current entitlements for a campaign.
type EntitlementFilter struct {
	PrivilegedOnly bool
	Source         string
	ResourceType   string
	ResourceIDs    []string // when set, only these resources
}

// ScopeEntitlements lists the current entitlements a campaign covers.
func (s *Store) ScopeEntitlements(ctx context.Context, f EntitlementFilter) ([]Entitlement, error) {
	q := `SELECT principal_id, resource_id, resource_type, permission, via, privileged, source, host
		FROM {db}.current_entitlements WHERE 1`
	var args []any
	if f.PrivilegedOnly {
		q += ` AND privileged = 1`
	}
	if f.Source != "" {
		q += ` AND source = ?`
		args = append(args, f.Source)
	}
	if f.ResourceType != "" {
		q += ` AND resource_type = ?`
		args = append(args, f.ResourceType)
	}
	if len(f.ResourceIDs) > 0 {
		q += ` AND has(?, resource_id)`
		args = append(args, f.ResourceIDs)
	}
	q += ` ORDER BY principal_id, resource_id, permission LIMIT 100000`
	var rows []struct {
		PrincipalID  string   `ch:"principal_id"`
		ResourceID   string   `ch:"resource_id"`
		ResourceType string   `ch:"resource_type"`
		Permission   string   `ch:"permission"`
		Via          []string `ch:"via"`
		Privileged   uint8    `ch:"privileged"`
		Source       string   `ch:"source"`
		Host         string   `ch:"host"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(q), args...); err != nil {
		return nil, s.wrap("reading entitlements in scope", err)
	}
	out := make([]Entitlement, len(rows))
	for i, r := range rows {
		out[i] = Entitlement{PrincipalID: r.PrincipalID, ResourceID: r.ResourceID, ResourceType: r.ResourceType,
			Permission: r.Permission, Via: r.Via, Privileged: r.Privileged == 1, Source: r.Source, Host: r.Host}
	}
	return out, nil
}

// CreateCampaign stores a campaign and its items.
func (s *Store) CreateCampaign(ctx context.Context, c Campaign, items []ReviewItem) error {
	if err := s.insert(ctx, "review_campaigns", "campaign_id, name, scope, reviewer, due, created_by, created_at", 1, func(int) []any {
		return []any{c.ID, c.Name, c.Scope, c.Reviewer, dateTime(&c.Due), c.CreatedBy, dateTime(&c.CreatedAt)}
	}); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	return s.insert(ctx, "review_items", "campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, via, privileged, reviewer, reviewer_source",
		len(items), func(i int) []any {
			it := items[i]
			return []any{c.ID, it.ItemID, it.PrincipalID, it.PrincipalName, it.ResourceID, it.ResourceType, it.Permission,
				strs(it.Via), flag(it.Privileged), it.Reviewer, it.ReviewerSource}
		})
}

// GetCampaign returns a campaign, or ErrNotFound.
func (s *Store) GetCampaign(ctx context.Context, id string) (Campaign, error) {
	var rows []struct {
		ID        string    `ch:"campaign_id"`
		Name      string    `ch:"name"`
		Scope     string    `ch:"scope"`
		Reviewer  string    `ch:"reviewer"`
		Due       time.Time `ch:"due"`
		CreatedBy string    `ch:"created_by"`
		CreatedAt time.Time `ch:"created_at"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(`SELECT campaign_id, name, scope, reviewer, due, created_by, created_at
		FROM {db}.review_campaigns WHERE campaign_id = ? LIMIT 1`), id); err != nil {
		return Campaign{}, s.wrap("reading campaign", err)
	}
	if len(rows) == 0 {
		return Campaign{}, ErrNotFound
	}
	r := rows[0]
	return Campaign{ID: r.ID, Name: r.Name, Scope: r.Scope, Reviewer: r.Reviewer, Due: r.Due.UTC(), CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC()}, nil
}

// ReviewItems returns a campaign's items with their current reviewer (the
// latest reassignment, else the original) and latest decision.
func (s *Store) ReviewItems(ctx context.Context, campaignID string) ([]ReviewItem, error) {
	var items []struct {
		ItemID        string   `ch:"item_id"`
		PrincipalID   string   `ch:"principal_id"`
		PrincipalName string   `ch:"principal_name"`
		ResourceID    string   `ch:"resource_id"`
		ResourceType  string   `ch:"resource_type"`
		Permission    string   `ch:"permission"`
		Via           []string `ch:"via"`
		Privileged    uint8    `ch:"privileged"`
		Reviewer      string   `ch:"reviewer"`
		Source        string   `ch:"reviewer_source"`
	}
	if err := s.conn.Select(ctx, &items, s.sql(`SELECT item_id, principal_id, principal_name, resource_id, resource_type, permission,
		via, privileged, reviewer, reviewer_source FROM {db}.review_items WHERE campaign_id = ? ORDER BY item_id`), campaignID); err != nil {
		return nil, s.wrap("reading review items", err)
	}
	hist, err := s.Decisions(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	out := make([]ReviewItem, len(items))
	byID := map[string]int{}
	for i, it := range items {
		out[i] = ReviewItem{CampaignID: campaignID, ItemID: it.ItemID, PrincipalID: it.PrincipalID, PrincipalName: it.PrincipalName,
			ResourceID: it.ResourceID, ResourceType: it.ResourceType, Permission: it.Permission, Via: it.Via,
			Privileged: it.Privileged == 1, Reviewer: it.Reviewer, ReviewerSource: it.Source}
		byID[it.ItemID] = i
	}
	for _, d := range hist { // oldest first: the last one wins
		i, ok := byID[d.ItemID]
		if !ok {
			continue
		}
		if d.Decision == "reassign" {
			out[i].Reviewer = d.ReassignTo
			out[i].Decision, out[i].Comment, out[i].DecidedBy, out[i].DecidedAt = "", "", "", time.Time{}
			continue
		}
		out[i].Decision, out[i].Comment, out[i].DecidedBy, out[i].DecidedAt = d.Decision, d.Comment, d.DecidedBy, d.DecidedAt
	}
	return out, nil
}

// Decisions returns a campaign's decision history, oldest first.
func (s *Store) Decisions(ctx context.Context, campaignID string) ([]Decision, error) {
	var rows []struct {
		ItemID     string    `ch:"item_id"`
		Decision   string    `ch:"decision"`
		Comment    string    `ch:"comment"`
		ReassignTo string    `ch:"reassign_to"`
		DecidedBy  string    `ch:"decided_by"`
		DecidedAt  time.Time `ch:"decided_at"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(`SELECT item_id, decision, comment, reassign_to, decided_by, decided_at
		FROM {db}.review_decisions WHERE campaign_id = ? ORDER BY seq`), campaignID); err != nil {
		return nil, s.wrap("reading decisions", err)
	}
	out := make([]Decision, len(rows))
	for i, r := range rows {
		out[i] = Decision{CampaignID: campaignID, ItemID: r.ItemID, Decision: r.Decision, Comment: r.Comment,
			ReassignTo: r.ReassignTo, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt.UTC()}
	}
	return out, nil
}

// AppendDecision records a decision; nothing is ever updated.
func (s *Store) AppendDecision(ctx context.Context, d Decision) error {
	// seq orders decisions made within the same second.
	return s.insert(ctx, "review_decisions", "campaign_id, item_id, decision, comment, reassign_to, decided_by, decided_at, seq", 1, func(int) []any {
		return []any{d.CampaignID, d.ItemID, d.Decision, d.Comment, d.ReassignTo, d.DecidedBy, dateTime(&d.DecidedAt), s.nextVersion()}
	})
}
