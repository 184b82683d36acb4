package api

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store"
)

// Access reviews: campaigns, their items, decisions and the evidence.

func (s *Server) createCampaign(c *gin.Context) (any, error) {
	var req review.Request
	if err := decodeJSON(c, 64<<10, &req); err != nil {
		return nil, err
	}
	camp, n, err := review.Create(c.Request.Context(), s.o.Store, req, tokenOf(c).Name, time.Now())
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", "campaign="+camp.ID+" items="+strconv.Itoa(n))
	return created(CampaignCreated{CampaignID: camp.ID, Name: camp.Name, Items: n, Due: camp.Due}), nil
}

// viewer is who reads a campaign: reviewers see only their own items.
func viewer(t store.Token) review.Viewer {
	return review.Viewer{Name: t.Name, All: t.Role != auth.RoleReviewer}
}

// campaignStatus is the campaign's header and progress. A reviewer with no
// item in it gets 404, as for an unknown campaign (not 403, which would
// tell them it exists); the revoked-but-still-present list shows a
// reviewer only their own items.
func (s *Server) campaignStatus(c *gin.Context) (any, error) {
	st, err := review.ProgressFor(c.Request.Context(), s.o.Store, c.Param("id"), viewer(tokenOf(c)))
	if err != nil {
		return nil, err
	}
	return CampaignStatus{CampaignID: st.Campaign.ID, Name: st.Campaign.Name, Scope: json.RawMessage(st.Campaign.Scope),
		Due: st.Campaign.Due, CreatedBy: st.Campaign.CreatedBy, Items: st.Items, Pending: st.Pending, Decided: st.Decided,
		StillPresent: each(st.StillThere, func(it store.ReviewItem) StillPresent {
			return StillPresent{ItemID: it.ItemID, Principal: it.PrincipalName, ResourceID: it.ResourceID,
				Permission: it.Permission, RevokedBy: it.DecidedBy, RevokedAt: it.DecidedAt}
		})}, nil
}

func (s *Server) campaignItems(c *gin.Context) (any, error) {
	// Reviewers see only their own items: an empty list, for a campaign
	// that exists or not, says nothing.
	items, err := review.Items(c.Request.Context(), s.o.Store, c.Param("id"), viewer(tokenOf(c)))
	if err != nil {
		return nil, err
	}
	return s.annotatedItems(c, c.Param("id"), items) // usage and removal state (review_cycles.go)
}

func (s *Server) decideItem(c *gin.Context) (any, error) {
	var req struct {
		Decision   string `json:"decision"`
		Comment    string `json:"comment"`
		ReassignTo string `json:"reassign_to"`
	}
	if err := decodeJSON(c, 16<<10, &req); err != nil {
		return nil, err
	}
	t := tokenOf(c)
	c.Set("audit_params", "item="+c.Param("item")+" decision="+req.Decision)
	err := review.Decide(c.Request.Context(), s.o.Store, c.Param("id"), c.Param("item"), req.Decision, req.Comment, req.ReassignTo,
		t.Name, t.Role == auth.RoleAdmin, time.Now())
	if err != nil {
		return nil, err
	}
	return Decided{ItemID: c.Param("item"), Decision: req.Decision}, nil
}

// campaignExport is the evidence: every item with its full decision
// history, as CSV.
func (s *Server) campaignExport(c *gin.Context) (any, error) {
	ctx := c.Request.Context()
	camp, err := s.o.Store.GetCampaign(ctx, c.Param("id"))
	if err != nil {
		return nil, err
	}
	items, err := s.o.Store.ReviewItems(ctx, camp.ID)
	if err != nil {
		return nil, err
	}
	hist, err := s.o.Store.Decisions(ctx, camp.ID)
	if err != nil {
		return nil, err
	}
	byItem := map[string]store.ReviewItem{}
	for _, it := range items {
		byItem[it.ItemID] = it
	}
	out := csvTable{filename: "review-" + camp.ID + ".csv",
		header: []string{"campaign", "item", "principal", "resource_id", "resource_type", "permission", "via", "reviewer",
			"decision", "comment", "reassign_to", "decided_by", "decided_at", "reviewer_source"}}
	for _, d := range hist {
		it := byItem[d.ItemID]
		out.rows = append(out.rows, []string{camp.Name, d.ItemID, it.PrincipalName, it.ResourceID, it.ResourceType, it.Permission,
			strings.Join(it.Via, " | "), it.Reviewer, d.Decision, d.Comment, d.ReassignTo, d.DecidedBy, d.DecidedAt.Format(time.RFC3339),
			it.ReviewerSource})
	}
	for _, it := range items {
		if it.Decision == "" {
			out.rows = append(out.rows, []string{camp.Name, it.ItemID, it.PrincipalName, it.ResourceID, it.ResourceType, it.Permission,
				strings.Join(it.Via, " | "), it.Reviewer, "pending", "", "", "", "", it.ReviewerSource})
		}
	}
	return out, nil
}
