package api

import (
	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/review"
)

// Reads the web console's overview and review pages need beside the
// rest of the API: what changed since the previous scans, and the
// campaigns a person may open.

// scanChanges lists each scanner's latest scan against the one before.
func (s *Server) scanChanges(c *gin.Context) (any, error) {
	ch, err := s.o.Store.ScanChanges(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return Items[ScanChange]{Items: each(ch, scanChangeOf)}, nil
}

// campaigns lists campaigns, newest first. A reviewer sees only those
// with items assigned to them now (collector/review's rule, reassignments
// included), counted as theirs; a campaign with none is left out, as
// GET /reviews/{id} answers 404 for it.
func (s *Server) campaigns(c *gin.Context) (any, error) {
	ctx := c.Request.Context()
	all, err := s.o.Store.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	v := viewer(tokenOf(c))
	out := make([]CampaignSummary, 0, len(all))
	for _, camp := range all {
		items, err := review.Items(ctx, s.o.Store, camp.ID, v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 && !v.All {
			continue
		}
		pending := 0
		for _, it := range items {
			if it.Decision == "" {
				pending++
			}
		}
		out = append(out, CampaignSummary{CampaignID: camp.ID, Name: camp.Name, Due: camp.Due, CreatedBy: camp.CreatedBy,
			CreatedAt: camp.CreatedAt, Items: len(items), Pending: pending})
	}
	return Items[CampaignSummary]{Items: out}, nil
}
