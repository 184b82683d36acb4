package store

import "context"

// MaxCampaigns bounds Campaigns: a console list, newest first.
const MaxCampaigns = 500

// Campaigns lists the access-review campaigns, newest first (at most
// MaxCampaigns). Who may see which is the caller's rule (collector/review).
func (s *Store) Campaigns(ctx context.Context) ([]Campaign, error) {
	return selectAll(ctx, s, "listing campaigns", Campaign.utc,
		`SELECT campaign_id, name, scope, reviewer, due, created_by, created_at
		FROM {db}.review_campaigns ORDER BY created_at DESC, campaign_id LIMIT ?`, MaxCampaigns)
}
