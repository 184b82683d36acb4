package api

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store"
)

// Review cycles (collector/review/cycles*.go): recurring campaign
// templates, reminders of open items, and the removal state of revoked
// items. Security and admins only; audited.
func (s *Server) reviewCycleRoutes(reviews *gin.RouterGroup) {
	h := s.handle
	team := s.requireRole(auth.RoleAdmin, auth.RoleSecurity)
	reviews.POST("/templates", team, s.audit, h(s.createReviewTemplate))
	reviews.GET("/templates", team, s.audit, h(s.reviewTemplates))
	reviews.GET("/reminders", team, s.audit, h(s.reviewReminders))
	reviews.GET("/revocations", team, s.audit, h(s.reviewRevocations))
}

// reviewDelivery says how review reminders reach people today.
const reviewDelivery = "listed here; delivered by alert rules of kind review_reminder (webhook, e-mail, SIEM) when the collector has one"

// cycles is the review-cycle service, or an error when the store has none.
func (s *Server) cycles() (*review.Cycles, error) {
	if s.o.Cycles == nil {
		return nil, errorf(kindUnavailable, "review cycles need the ClickHouse store")
	}
	return s.o.Cycles, nil
}

func (s *Server) createReviewTemplate(c *gin.Context) (any, error) {
	cy, err := s.cycles()
	if err != nil {
		return nil, err
	}
	var req review.TemplateRequest
	if err := decodeJSON(c, 64<<10, &req); err != nil {
		return nil, err
	}
	t, err := cy.CreateTemplate(c.Request.Context(), req, tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", "template="+t.ID)
	// The first run is the current period's, which the loop spawns at its
	// next tick, or the first period's when that is still ahead.
	start, next, ok := review.CurrentPeriod(t, s.o.Now())
	if ok {
		next = start
	}
	return created(ReviewTemplateCreated{TemplateID: t.ID, Name: t.Name, FirstRun: next}), nil
}

func (s *Server) reviewTemplates(c *gin.Context) (any, error) {
	cy, err := s.cycles()
	if err != nil {
		return nil, err
	}
	ts, err := cy.Templates(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return Items[ReviewTemplate]{Items: nonNil(each(ts, func(t review.TemplateStatus) ReviewTemplate {
		return ReviewTemplate{TemplateID: t.ID, Name: t.Name, Scope: json.RawMessage(t.ReviewTemplate.Scope), Reviewer: t.Reviewer,
			Fallback: t.Fallback, Schedule: ReviewSchedule{Every: t.Every, Count: int(t.EveryCount), Starts: t.StartsAt},
			DurationDays: int(t.DurationDays), CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, NextRun: t.NextRun,
			Runs: nonNil(each(t.Runs, func(r store.TemplateRun) TemplateRun {
				return TemplateRun{PeriodStart: r.PeriodStart, CampaignID: r.CampaignID, SpawnedAt: r.SpawnedAt}
			}))}
	}))}, nil
}

func (s *Server) reviewReminders(c *gin.Context) (any, error) {
	cy, err := s.cycles()
	if err != nil {
		return nil, err
	}
	days, err := intQuery(c, "older_than_days", 7, 366)
	if err != nil {
		return nil, err
	}
	r, err := cy.Reminders(c.Request.Context(), time.Duration(days)*24*time.Hour)
	if err != nil {
		return nil, err
	}
	return ReviewReminders{Items: nonNil(r), OlderThanDays: days, Delivery: reviewDelivery}, nil
}

func (s *Server) reviewRevocations(c *gin.Context) (any, error) {
	cy, err := s.cycles()
	if err != nil {
		return nil, err
	}
	f := review.RevocationFilter{Campaign: c.Query("campaign")}
	if v := c.Query("state"); v != "" {
		f.States = strings.Split(v, ",")
	}
	rs, err := cy.Revocations(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	return Items[RevocationView]{Items: nonNil(each(rs, func(r review.Revocation) RevocationView {
		it := r.Item
		return RevocationView{CampaignID: it.CampaignID, Campaign: it.Campaign, ItemID: it.ItemID, PrincipalID: it.PrincipalID,
			Principal: it.PrincipalName, ResourceID: it.ResourceID, ResourceType: it.ResourceType, Permission: it.Permission,
			Reviewer: it.Reviewer, RevokedBy: it.DecidedBy, Comment: it.Comment, Removal: removalView(r.Removal)}
	}))}, nil
}

func removalView(r review.Removal) *RemovalView {
	return &RemovalView{State: r.State, RevokedAt: r.RevokedAt, DueAt: r.DueAt, ConfirmedByScan: r.ConfirmedBy,
		ConfirmedAt: r.ConfirmedAt, RegressedByScan: r.RegressedBy, RegressedAt: r.RegressedAt, AgentID: r.Agent,
		Source: r.Source, Edit: RemovalEdit{Kind: r.Edit.Kind, Target: r.Edit.Target, Via: nonNil(r.Edit.Chain)}}
}

// annotatedItems are a campaign's items (those the caller may see) with
// the usage of each principal and, for revoked ones, the removal state.
func (s *Server) annotatedItems(c *gin.Context, campaignID string, items []store.ReviewItem) (any, error) {
	out := make([]ReviewItemView, len(items))
	for i, it := range items {
		out[i] = ReviewItemView{ReviewItem: it, Recommendations: []Recommendation{}}
	}
	if s.o.Cycles == nil || len(items) == 0 {
		return Items[ReviewItemView]{Items: out}, nil
	}
	ctx := c.Request.Context()
	usage, err := s.o.Cycles.ItemUsage(ctx, items)
	if err != nil {
		return nil, err
	}
	var removals map[string]review.Removal
	for _, it := range items {
		if it.Decision == "revoke" {
			if removals, err = s.o.Cycles.RemovalsFor(ctx, campaignID); err != nil {
				return nil, err
			}
			break
		}
	}
	for i := range out {
		u := usage[out[i].PrincipalID]
		out[i].LastLogin = u.LastLogin
		out[i].Recommendations = each(u.Recommendations, func(r review.Recommendation) Recommendation {
			return Recommendation{Kind: r.Kind, Text: r.Text}
		})
		if r, ok := removals[out[i].ItemID]; ok {
			out[i].Removal = removalView(r)
		}
	}
	return Items[ReviewItemView]{Items: out}, nil
}
