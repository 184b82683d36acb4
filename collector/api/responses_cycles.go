package api

import (
	"encoding/json"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// ReviewTemplateCreated answers a new recurring campaign.
type ReviewTemplateCreated struct {
	TemplateID string    `json:"template_id"`
	Name       string    `json:"name"`
	FirstRun   time.Time `json:"first_run"`
}

// ReviewSchedule is when a template's campaigns start.
type ReviewSchedule struct {
	Every  string    `json:"every"`
	Count  int       `json:"count"`
	Starts time.Time `json:"starts"`
}

// TemplateRun is a campaign a template spawned.
type TemplateRun struct {
	PeriodStart time.Time `json:"period_start"`
	CampaignID  string    `json:"campaign_id"`
	SpawnedAt   time.Time `json:"spawned_at"`
}

// ReviewTemplate is a recurring campaign, its next start and latest runs.
type ReviewTemplate struct {
	TemplateID   string          `json:"template_id"`
	Name         string          `json:"name"`
	Scope        json.RawMessage `json:"scope"`
	Reviewer     string          `json:"reviewer"`
	Fallback     string          `json:"fallback_reviewer"`
	Schedule     ReviewSchedule  `json:"schedule"`
	DurationDays int             `json:"duration_days"`
	CreatedBy    string          `json:"created_by"`
	CreatedAt    time.Time       `json:"created_at"`
	NextRun      time.Time       `json:"next_run"`
	Runs         []TemplateRun   `json:"runs"`
}

// ReviewReminders lists the reviewers to remind.
type ReviewReminders struct {
	Items         []store.ReviewerOpenItems `json:"items"`
	OlderThanDays int                       `json:"older_than_days"`
	Delivery      string                    `json:"delivery"`
}

// RemovalEdit names what to change to remove a grant.
type RemovalEdit struct {
	Kind   string   `json:"kind"`
	Target string   `json:"target"`
	Via    []string `json:"via"`
}

// RemovalView is what the scans showed of a revoked item.
type RemovalView struct {
	State           string      `json:"state"`
	RevokedAt       time.Time   `json:"revoked_at"`
	DueAt           time.Time   `json:"due_at"`
	ConfirmedByScan string      `json:"confirmed_by_scan,omitempty"`
	ConfirmedAt     *time.Time  `json:"confirmed_at,omitempty"`
	RegressedByScan string      `json:"regressed_by_scan,omitempty"`
	RegressedAt     *time.Time  `json:"regressed_at,omitempty"`
	AgentID         string      `json:"agent_id"`
	Source          string      `json:"source"`
	Edit            RemovalEdit `json:"edit"`
}

// RevocationView is a revoked item and its removal state.
type RevocationView struct {
	CampaignID   string       `json:"campaign_id"`
	Campaign     string       `json:"campaign"`
	ItemID       string       `json:"item_id"`
	PrincipalID  string       `json:"principal_id"`
	Principal    string       `json:"principal"`
	ResourceID   string       `json:"resource_id"`
	ResourceType string       `json:"resource_type"`
	Permission   string       `json:"permission"`
	Reviewer     string       `json:"reviewer"`
	RevokedBy    string       `json:"revoked_by"`
	Comment      string       `json:"comment"`
	Removal      *RemovalView `json:"removal"`
}

// Recommendation is a reason to revoke, from the principal's usage.
type Recommendation struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// ReviewItemView is a campaign item with its principal's usage and, once
// revoked, its removal state.
type ReviewItemView struct {
	store.ReviewItem
	LastLogin       *time.Time       `json:"last_login"`
	Recommendations []Recommendation `json:"recommendations"`
	Removal         *RemovalView     `json:"removal,omitempty"`
}
