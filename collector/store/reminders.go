package store

import (
	"context"
	"time"
)

// ReviewReminder is one reviewer's undecided items in one campaign
// created before a threshold: one reminder to send. It carries the
// reviewer token's name, the campaign's id and name, counts and dates; no
// principal or resource.
type ReviewReminder struct {
	Reviewer   string `ch:"reviewer"`
	CampaignID string `ch:"campaign_id"`
	Campaign   string `ch:"campaign"`
	Open       uint64 `ch:"open"`
	// CreatedAt is when the campaign started; Due its due date.
	CreatedAt time.Time `ch:"started"`
	Due       time.Time `ch:"due_at"`
}

// ReviewReminders lists, per reviewer and campaign, the items still
// undecided in campaigns created before olderThan: what the alerts'
// review_reminder rules fire on. The same items as
// ReviewersWithOpenItems, split by campaign.
func (s *Store) ReviewReminders(ctx context.Context, olderThan time.Time) ([]ReviewReminder, error) {
	return selectAll(ctx, s, "listing review reminders", func(r ReviewReminder) ReviewReminder {
		r.CreatedAt, r.Due = r.CreatedAt.UTC(), r.Due.UTC()
		return r
	}, `SELECT reviewer, campaign_id, any(campaign) AS campaign, count() AS open,
			any(created_at) AS started, any(due) AS due_at
		`+undecidedItemsBefore+`
		GROUP BY reviewer, campaign_id ORDER BY reviewer, campaign_id`, dateTime(&olderThan))
}
