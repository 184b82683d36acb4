package api

import (
	"context"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/pia"
	"github.com/sightline-dev/sightline/collector/risk"
)

// DefaultStaleAfter is when an account without a login becomes stale.
const DefaultStaleAfter = 90 * 24 * time.Hour

func (s *Server) staleness() risk.Staleness {
	return risk.Staleness{Now: s.o.Now().UTC(), After: s.o.StaleAfter}
}

// riskPrincipals lists the riskiest principals, each score with its
// factors.
func (s *Server) riskPrincipals(c *gin.Context) (any, error) {
	return ranking(c, func(ctx context.Context, limit int) ([]risk.PrincipalScore, error) {
		return risk.TopPrincipals(ctx, s.o.Store, s.staleness(), limit)
	}, func(sc risk.PrincipalScore) PrincipalRisk {
		return PrincipalRisk{PrincipalID: sc.PrincipalID, Name: sc.Name, PrincipalType: sc.Type, Source: sc.Source,
			Host: sc.Host, Risk: riskOf(sc.Score, sc.Factors)}
	})
}

// ranking answers a list of the highest risks: at most the request's
// limit of what top returns, highest first, each shown as show makes it.
func ranking[T, U any](c *gin.Context, top func(ctx context.Context, limit int) ([]T, error), show func(T) U) (any, error) {
	pg, err := page(c)
	if err != nil {
		return nil, err
	}
	scores, err := top(c.Request.Context(), pg.Limit)
	if err != nil {
		return nil, err
	}
	return Items[U]{Items: each(scores, show)}, nil
}

// riskRegister is the unified register: asset and principal risks, highest
// first, with owner and status.
func (s *Server) riskRegister(c *gin.Context) (any, error) {
	pg, err := page(c)
	if err != nil {
		return nil, err
	}
	var items []risk.RegisterItem
	if c.Query("kind") != pia.RegisterKind {
		items, err = risk.Register(c.Request.Context(), s.o.Store, risk.RegisterQuery{Limit: pg.Limit,
			Status: c.Query("status"), Kind: c.Query("kind"), Stale: s.staleness()})
		if err != nil {
			return nil, err
		}
	}
	// Rated privacy impact assessments are register items too (pia.go).
	if items, err = s.withPIAs(c.Request.Context(), items, c.Query("kind"), c.Query("status"), pg.Limit); err != nil {
		return nil, err
	}
	return Items[RegisterItem]{Items: each(items, registerItemOf)}, nil
}

// updateRegister sets an item's owner and/or status.
func (s *Server) updateRegister(c *gin.Context) (any, error) {
	var req struct {
		Owner   *string `json:"owner"`
		Status  *string `json:"status"`
		Comment string  `json:"comment"`
	}
	if err := decodeJSON(c, 16<<10, &req); err != nil {
		return nil, err
	}
	status := ""
	if req.Status != nil {
		status = *req.Status
	}
	// Neither the owner nor the comment is logged: free text.
	c.Set("audit_params", "kind="+c.Param("kind")+" id="+c.Param("id")+" status="+status+
		" owner_set="+strconv.FormatBool(req.Owner != nil))
	e, err := risk.Update(c.Request.Context(), s.o.Store, risk.Change{Kind: c.Param("kind"), ID: c.Param("id"),
		Owner: req.Owner, Status: req.Status, Comment: req.Comment, By: tokenOf(c).Name, At: s.o.Now()})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// registerHistory lists an item's owner and status changes, oldest first.
func (s *Server) registerHistory(c *gin.Context) (any, error) {
	hist, err := risk.History(c.Request.Context(), s.o.Store, c.Param("kind"), c.Param("id"))
	if err != nil {
		return nil, err
	}
	return RegisterHistory{Kind: c.Param("kind"), ID: c.Param("id"), History: nonNil(hist)}, nil
}
