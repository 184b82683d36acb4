package store

import (
	"context"
	"time"
)

// Campaign is an access review (a row of review_campaigns).
type Campaign struct {
	ID        string    `ch:"campaign_id"`
	Name      string    `ch:"name"`
	Scope     string    `ch:"scope"`
	Reviewer  string    `ch:"reviewer"`
	Due       time.Time `ch:"due"`
	CreatedBy string    `ch:"created_by"`
	CreatedAt time.Time `ch:"created_at"`
}

// utc is c as read, with its times in UTC.
func (c Campaign) utc() Campaign {
	c.Due, c.CreatedAt = c.Due.UTC(), c.CreatedAt.UTC()
	return c
}

// ReviewItem is one entitlement under review, with its current reviewer
// and latest decision. The fields with a ch tag are its row of
// review_items; the decision comes from review_decisions
// (applyDecisions). It is the API's answer too, without the campaign and
// who decided when.
type ReviewItem struct {
	CampaignID    string   `ch:"campaign_id" json:"-"`
	ItemID        string   `ch:"item_id" json:"item_id"`
	PrincipalID   string   `ch:"principal_id" json:"principal_id"`
	PrincipalName string   `ch:"principal_name" json:"principal"`
	ResourceID    string   `ch:"resource_id" json:"resource_id"`
	ResourceType  string   `ch:"resource_type" json:"resource_type"`
	Permission    string   `ch:"permission" json:"permission"`
	Via           []string `ch:"via" json:"via"`
	Privileged    bool     `ch:"privileged" json:"privileged"`
	Reviewer      string   `ch:"reviewer" json:"reviewer"`
	// ReviewerSource is the rule that chose the first reviewer: named,
	// owner, manager or fallback (a reassignment shows in the history).
	ReviewerSource string    `ch:"reviewer_source" json:"reviewer_source"`
	Decision       string    `json:"decision"`
	Comment        string    `json:"comment"`
	DecidedBy      string    `json:"-"`
	DecidedAt      time.Time `json:"-"`
}

// Decision is one entry of an item's history (a row of review_decisions).
type Decision struct {
	CampaignID string    `ch:"campaign_id"`
	ItemID     string    `ch:"item_id"`
	Decision   string    `ch:"decision"`
	Comment    string    `ch:"comment"`
	ReassignTo string    `ch:"reassign_to"`
	DecidedBy  string    `ch:"decided_by"`
	DecidedAt  time.Time `ch:"decided_at"`
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
	return s.currentEntitlements(ctx, "reading entitlements in scope", f.where())
}

// where is f as conditions over current_entitlements.
func (f EntitlementFilter) where() where {
	var w where
	if f.PrivilegedOnly {
		w.add("privileged = 1")
	}
	w.filter("source = ?", f.Source)
	w.filter("resource_type = ?", f.ResourceType)
	if len(f.ResourceIDs) > 0 {
		w.add("has(?, resource_id)", f.ResourceIDs)
	}
	return w
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
	return selectOne(ctx, s, "reading campaign", "campaign", Campaign.utc,
		`SELECT campaign_id, name, scope, reviewer, due, created_by, created_at
		FROM {db}.review_campaigns WHERE campaign_id = ? LIMIT 1`, id)
}

// ReviewItems returns a campaign's items with their current reviewer (the
// latest reassignment, else the original) and latest decision.
func (s *Store) ReviewItems(ctx context.Context, campaignID string) ([]ReviewItem, error) {
	items, err := selectRows[ReviewItem](ctx, s, "reading review items", `SELECT campaign_id, item_id, principal_id,
		principal_name, resource_id, resource_type, permission, via, privileged, reviewer, reviewer_source
		FROM {db}.review_items WHERE campaign_id = ? ORDER BY item_id`, campaignID)
	if err != nil {
		return nil, err
	}
	hist, err := s.Decisions(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	applyDecisions(items, hist)
	return items, nil
}

// applyDecisions brings items up to date with their history (oldest
// first): the latest decision on an item is its decision, and a
// reassignment gives it a new reviewer and clears the decision before it.
// Decisions on items not in the list are ignored.
func applyDecisions(items []ReviewItem, hist []Decision) {
	byID := make(map[string]int, len(items))
	for i, it := range items {
		byID[it.ItemID] = i
	}
	for _, d := range hist {
		i, ok := byID[d.ItemID]
		if !ok {
			continue
		}
		it := &items[i]
		if d.Decision == "reassign" {
			it.Reviewer = d.ReassignTo
			it.Decision, it.Comment, it.DecidedBy, it.DecidedAt = "", "", "", time.Time{}
			continue
		}
		it.Decision, it.Comment, it.DecidedBy, it.DecidedAt = d.Decision, d.Comment, d.DecidedBy, d.DecidedAt
	}
}

// utc is d as read, with its time in UTC.
func (d Decision) utc() Decision {
	d.DecidedAt = d.DecidedAt.UTC()
	return d
}

// Decisions returns a campaign's decision history, oldest first.
func (s *Store) Decisions(ctx context.Context, campaignID string) ([]Decision, error) {
	return selectAll(ctx, s, "reading decisions", Decision.utc,
		`SELECT campaign_id, item_id, decision, comment, reassign_to, decided_by, decided_at
		FROM {db}.review_decisions WHERE campaign_id = ? ORDER BY seq`, campaignID)
}

// AppendDecision records a decision; nothing is ever updated.
func (s *Store) AppendDecision(ctx context.Context, d Decision) error {
	// seq orders decisions made within the same second.
	return s.insert(ctx, "review_decisions", "campaign_id, item_id, decision, comment, reassign_to, decided_by, decided_at, seq", 1, func(int) []any {
		return []any{d.CampaignID, d.ItemID, d.Decision, d.Comment, d.ReassignTo, d.DecidedBy, dateTime(&d.DecidedAt), s.nextVersion()}
	})
}
