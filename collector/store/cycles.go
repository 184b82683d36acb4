package store

import (
	"context"
	"slices"
	"time"
)

// Review cycles (collector/review/cycles.go): recurring campaign
// templates and the campaigns they spawned, reminders of open items, and
// what later scans showed of each revoked item (migration 0023).

// ReviewTemplate is a campaign that recurs (a row of review_templates).
type ReviewTemplate struct {
	ID           string    `ch:"template_id"`
	Name         string    `ch:"name"`
	Scope        string    `ch:"scope"`
	Reviewer     string    `ch:"reviewer"`
	Fallback     string    `ch:"fallback_reviewer"`
	Every        string    `ch:"every"`
	EveryCount   uint32    `ch:"every_count"`
	StartsAt     time.Time `ch:"starts_at"`
	DurationDays uint32    `ch:"duration_days"`
	CreatedBy    string    `ch:"created_by"`
	CreatedAt    time.Time `ch:"created_at"`
}

func (t ReviewTemplate) utc() ReviewTemplate {
	t.StartsAt, t.CreatedAt = t.StartsAt.UTC(), t.CreatedAt.UTC()
	return t
}

// MaxReviewTemplates bounds ReviewTemplates.
const MaxReviewTemplates = 1000

// PutReviewTemplate stores a template (a later write of the same id
// replaces it).
func (s *Store) PutReviewTemplate(ctx context.Context, t ReviewTemplate) error {
	return s.insert(ctx, "review_templates", `template_id, name, scope, reviewer, fallback_reviewer, every, every_count,
		starts_at, duration_days, created_by, created_at, version`, 1, func(int) []any {
		return []any{t.ID, t.Name, t.Scope, t.Reviewer, t.Fallback, t.Every, t.EveryCount, dateTime(&t.StartsAt),
			t.DurationDays, t.CreatedBy, dateTime(&t.CreatedAt), s.nextVersion()}
	})
}

const templateColumns = `template_id, name, scope, reviewer, fallback_reviewer, every, every_count, starts_at,
	duration_days, created_by, created_at`

// ReviewTemplates lists the templates by name (at most MaxReviewTemplates).
func (s *Store) ReviewTemplates(ctx context.Context) ([]ReviewTemplate, error) {
	return selectAll(ctx, s, "listing review templates", ReviewTemplate.utc,
		`SELECT `+templateColumns+` FROM {db}.review_templates FINAL ORDER BY name, template_id LIMIT ?`, MaxReviewTemplates)
}

// ReviewTemplate returns one template, or ErrNotFound.
func (s *Store) ReviewTemplate(ctx context.Context, id string) (ReviewTemplate, error) {
	return selectOne(ctx, s, "reading review template", "review template", ReviewTemplate.utc,
		`SELECT `+templateColumns+` FROM {db}.review_templates FINAL WHERE template_id = ? LIMIT 1`, id)
}

// TemplateRun is the campaign a template spawned for one period.
type TemplateRun struct {
	TemplateID  string    `ch:"template_id"`
	PeriodStart time.Time `ch:"period_start"`
	CampaignID  string    `ch:"campaign_id"`
	SpawnedBy   string    `ch:"spawned_by"`
	SpawnedAt   time.Time `ch:"spawned_at"`
}

func (r TemplateRun) utc() TemplateRun {
	r.PeriodStart, r.SpawnedAt = r.PeriodStart.UTC(), r.SpawnedAt.UTC()
	return r
}

// RecordTemplateRun records that a template's period spawned a campaign.
func (s *Store) RecordTemplateRun(ctx context.Context, r TemplateRun) error {
	return s.insert(ctx, "review_template_runs", "template_id, period_start, campaign_id, spawned_by, spawned_at, version", 1,
		func(int) []any {
			return []any{r.TemplateID, dateTime(&r.PeriodStart), r.CampaignID, r.SpawnedBy, dateTime(&r.SpawnedAt), s.nextVersion()}
		})
}

// TemplateRuns lists the runs of the templates ids (all templates when
// none), newest period first, at most limit.
func (s *Store) TemplateRuns(ctx context.Context, limit int, ids ...string) ([]TemplateRun, error) {
	var w where
	if len(ids) > 0 {
		w.add("has(?, template_id)", ids)
	}
	return selectAll(ctx, s, "listing review template runs", TemplateRun.utc,
		`SELECT template_id, period_start, campaign_id, spawned_by, spawned_at
		FROM {db}.review_template_runs FINAL`+w.sql()+` ORDER BY period_start DESC, template_id LIMIT ?`,
		append(w.args, limit)...)
}

// CampaignExists reports whether a campaign with this id was stored.
func (s *Store) CampaignExists(ctx context.Context, id string) (bool, error) {
	n, err := s.count(ctx, "looking a campaign up", `SELECT count() AS n FROM {db}.review_campaigns WHERE campaign_id = ?`, id)
	return n > 0, err
}

// ReviewerOpenItems is one reviewer's undecided items in campaigns
// created before a threshold: who to remind, of how much.
type ReviewerOpenItems struct {
	Reviewer string `ch:"reviewer" json:"reviewer"`
	// Open counts the undecided items; Campaigns are theirs.
	Open      uint64   `ch:"open" json:"open_items"`
	Campaigns []string `ch:"campaigns" json:"campaigns"`
	// OldestCampaign is when the oldest of those campaigns started;
	// EarliestDue the nearest due date among them.
	OldestCampaign time.Time `ch:"oldest" json:"oldest_campaign_at"`
	EarliestDue    time.Time `ch:"earliest_due" json:"earliest_due"`
}

// ReviewersWithOpenItems lists, by reviewer, the items still undecided
// (no decision, or reassigned and not decided since) in campaigns created
// before olderThan: the reviewers to remind. It is the query reminder
// delivery (e-mail, webhooks) calls; it carries reviewer token names,
// campaign ids and counts, no principal or resource. A reassigned item
// counts for its new reviewer.
func (s *Store) ReviewersWithOpenItems(ctx context.Context, olderThan time.Time) ([]ReviewerOpenItems, error) {
	return selectAll(ctx, s, "listing reviewers with open items", func(r ReviewerOpenItems) ReviewerOpenItems {
		r.OldestCampaign, r.EarliestDue = r.OldestCampaign.UTC(), r.EarliestDue.UTC()
		return r
	}, `SELECT reviewer, count() AS open, arraySort(groupUniqArray(campaign_id)) AS campaigns,
			min(created_at) AS oldest, min(due) AS earliest_due
		`+undecidedItemsBefore+`
		GROUP BY reviewer ORDER BY reviewer`, dateTime(&olderThan))
}

// undecidedItemsBefore is the FROM and WHERE of the review items still
// undecided (no decision, or reassigned and not decided since) in
// campaigns created before its one parameter, each with its campaign's
// created_at: ReviewersWithOpenItems counts them by reviewer,
// ReviewReminders by reviewer and campaign.
const undecidedItemsBefore = `FROM {db}.current_review_items
		ANY LEFT JOIN (
			SELECT campaign_id, min(created_at) AS created_at FROM {db}.review_campaigns GROUP BY campaign_id
		) USING campaign_id
		WHERE decision = '' AND created_at < ?`

// RevokedItem is a review item whose latest decision is revoke, with when
// and by whom, and its campaign.
type RevokedItem struct {
	ReviewItem
	Campaign string `ch:"campaign" json:"-"`
}

// maxRevoked bounds one read of revoked items.
const maxRevoked = 100000

// RevokedItems lists the items whose latest decision is "revoke", of the
// campaigns ids (every campaign when none), oldest revocation first.
func (s *Store) RevokedItems(ctx context.Context, ids ...string) ([]RevokedItem, error) {
	var w where
	if len(ids) > 0 {
		w.add("has(?, campaign_id)", ids)
	}
	type row struct {
		CampaignID     string    `ch:"campaign_id"`
		ItemID         string    `ch:"item_id"`
		PrincipalID    string    `ch:"principal_id"`
		PrincipalName  string    `ch:"principal_name"`
		ResourceID     string    `ch:"resource_id"`
		ResourceType   string    `ch:"resource_type"`
		Permission     string    `ch:"permission"`
		Via            []string  `ch:"via"`
		Privileged     bool      `ch:"privileged"`
		Reviewer       string    `ch:"reviewer"`
		ReviewerSource string    `ch:"reviewer_source"`
		DecidedBy      string    `ch:"decided_by"`
		DecidedAt      time.Time `ch:"decided_at"`
		Comment        string    `ch:"comment"`
		Campaign       string    `ch:"campaign"`
	}
	return selectAll(ctx, s, "listing revoked review items", func(r row) RevokedItem {
		return RevokedItem{ReviewItem: ReviewItem{CampaignID: r.CampaignID, ItemID: r.ItemID, PrincipalID: r.PrincipalID,
			PrincipalName: r.PrincipalName, ResourceID: r.ResourceID, ResourceType: r.ResourceType, Permission: r.Permission,
			Via: r.Via, Privileged: r.Privileged, Reviewer: r.Reviewer, ReviewerSource: r.ReviewerSource, Decision: "revoke",
			Comment: r.Comment, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt.UTC()}, Campaign: r.Campaign}
	}, `SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, via, privileged,
			reviewer, reviewer_source, decided_by, decided_at, comment, campaign
		FROM (
			SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, via, privileged,
				if(last_reassign = '', reviewer, last_reassign) AS reviewer, reviewer_source, decided_by, decided_at, comment
			FROM (
				SELECT campaign_id, item_id, principal_id, principal_name, resource_id, resource_type, permission, via,
					privileged, reviewer, reviewer_source
				FROM {db}.review_items`+w.sql()+`
			) ANY INNER JOIN (
				SELECT campaign_id, item_id, argMax(decision, seq) AS last_decision, argMax(decided_at, seq) AS decided_at,
					argMax(decided_by, seq) AS decided_by, argMax(comment, seq) AS comment,
					argMaxIf(reassign_to, seq, decision = 'reassign') AS last_reassign
				FROM {db}.review_decisions`+w.sql()+`
				GROUP BY campaign_id, item_id
				HAVING last_decision = 'revoke'
			) USING (campaign_id, item_id)
		) ANY LEFT JOIN (
			SELECT campaign_id, any(name) AS campaign FROM {db}.review_campaigns GROUP BY campaign_id
		) USING campaign_id
		ORDER BY decided_at, campaign_id, item_id LIMIT ?`, append(append(w.args, w.args...), maxRevoked)...)
}

// GrantObservation is the latest row stored for a grant (principal,
// resource, permission), current or not: which agent and source last
// reported it, in which scan, when; Current says whether the latest scans
// still show it (the current_entitlements condition).
type GrantObservation struct {
	PrincipalID string    `ch:"principal_id"`
	ResourceID  string    `ch:"resource_id"`
	Permission  string    `ch:"permission"`
	AgentID     string    `ch:"agent_id"`
	Source      string    `ch:"source"`
	ScanID      string    `ch:"scan_id"`
	ObservedAt  time.Time `ch:"observed_at"`
	Current     bool      `ch:"current"`
}

// GrantKey names a grant.
type GrantKey struct{ PrincipalID, ResourceID, Permission string }

// Key is o's grant.
func (o GrantObservation) Key() GrantKey { return GrantKey{o.PrincipalID, o.ResourceID, o.Permission} }

// GrantObservations returns the latest stored row of every grant of the
// principals ids, by grant, each marked current or not. It reads the
// principals' key ranges of entitlements (currentRowsByKey's way) and
// applies the current_ views' one condition.
func (s *Store) GrantObservations(ctx context.Context, principalIDs []string) (map[GrantKey]GrantObservation, error) {
	out := map[GrantKey]GrantObservation{}
	for _, ch := range chunks(slices.Compact(slices.Sorted(slices.Values(principalIDs)))) {
		rows, err := selectAll(ctx, s, "reading the grants of revoked items", func(o GrantObservation) GrantObservation {
			o.ObservedAt = o.ObservedAt.UTC()
			return o
		}, `SELECT principal_id, resource_id, permission, agent_id, source, scan_id, observed_at,
				toUInt8(`+currentRowCondition+`) AS current
			FROM (SELECT principal_id, resource_id, permission, agent_id, source, scan_id, observed_at
				FROM {db}.entitlements FINAL WHERE principal_id IN ?)
			`+currentScanJoin, groupSet(ch))
		if err != nil {
			return nil, err
		}
		for _, o := range rows {
			out[o.Key()] = o
		}
	}
	return out, nil
}

// CompletedScan is a scan that completed (ok or partial).
type CompletedScan struct {
	ScanID     string    `ch:"scan_id"`
	AgentID    string    `ch:"agent_id"`
	Source     string    `ch:"source"`
	StartedAt  time.Time `ch:"started_at"`
	FinishedAt time.Time `ch:"finished_at"`
}

// maxCompletedScans bounds one CompletedScans read.
const maxCompletedScans = 100000

// CompletedScans lists the completed scans of the agents ids that started
// at or after since, oldest start first.
func (s *Store) CompletedScans(ctx context.Context, agentIDs []string, since time.Time) ([]CompletedScan, error) {
	var out []CompletedScan
	for _, ch := range chunks(slices.Compact(slices.Sorted(slices.Values(agentIDs)))) {
		rows, err := selectAll(ctx, s, "reading completed scans", func(c CompletedScan) CompletedScan {
			c.StartedAt, c.FinishedAt = c.StartedAt.UTC(), c.FinishedAt.UTC()
			return c
		}, `SELECT scan_id, agent_id, source, started_at, finished_at FROM {db}.scans FINAL
			WHERE status IN ('ok', 'partial') AND has(?, agent_id) AND started_at >= ?
			ORDER BY started_at, finished_at, scan_id LIMIT ?`, ch, dateTime(&since), maxCompletedScans)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// RemovalEvent is what a later scan showed of a revoked item (a row of
// review_removals): State "confirmed" or "regressed".
type RemovalEvent struct {
	CampaignID string    `ch:"campaign_id"`
	ItemID     string    `ch:"item_id"`
	State      string    `ch:"state"`
	ScanID     string    `ch:"scan_id"`
	At         time.Time `ch:"at"`
	RecordedAt time.Time `ch:"recorded_at"`
}

// AppendRemovalEvents records events; nothing is ever updated.
func (s *Store) AppendRemovalEvents(ctx context.Context, evs []RemovalEvent) error {
	if len(evs) == 0 {
		return nil
	}
	first := s.reserveVersions(len(evs)) // seq keeps their order
	return s.insert(ctx, "review_removals", "campaign_id, item_id, state, scan_id, at, recorded_at, seq", len(evs), func(i int) []any {
		e := evs[i]
		return []any{e.CampaignID, e.ItemID, e.State, e.ScanID, dateTime(&e.At), dateTime(&e.RecordedAt), first + uint64(i)}
	})
}

// RemovalEvents returns the events of the campaigns ids (all when none),
// oldest first per item.
func (s *Store) RemovalEvents(ctx context.Context, ids ...string) ([]RemovalEvent, error) {
	var w where
	if len(ids) > 0 {
		w.add("has(?, campaign_id)", ids)
	}
	return selectAll(ctx, s, "reading revocation states", func(e RemovalEvent) RemovalEvent {
		e.At, e.RecordedAt = e.At.UTC(), e.RecordedAt.UTC()
		return e
	}, `SELECT campaign_id, item_id, state, scan_id, at, recorded_at FROM {db}.review_removals`+w.sql()+`
		ORDER BY campaign_id, item_id, seq LIMIT ?`, append(w.args, maxRevoked*4)...)
}
