package api

import (
	"context"
	"sort"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/pia"
	"github.com/sightline-dev/sightline/collector/risk"
)

// Privacy impact assessments (collector/pia); routes in ropa.go.

func (s *Server) createPIA(c *gin.Context) (any, error) {
	var in pia.CreateInput
	if err := decodeJSON(c, ropaBodyLimit, &in); err != nil {
		return nil, err
	}
	c.Set("audit_params", "create systems="+strconv.Itoa(len(in.Systems)))
	a, err := s.o.PIA.Create(c.Request.Context(), in, tokenOf(c).Name, dataAsOf(c))
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", "pia="+a.ID+" create systems="+strconv.Itoa(len(a.Systems)))
	return created(piaOf(a)), nil
}

func (s *Server) listPIAs(c *gin.Context) (any, error) {
	as, err := s.o.PIA.List(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return listOf(each(as, piaOf)), nil
}

func (s *Server) getPIA(c *gin.Context) (any, error) {
	c.Set("audit_params", "pia="+c.Param("id"))
	a, err := s.o.PIA.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, err
	}
	return piaOf(a), nil
}

func (s *Server) updatePIA(c *gin.Context) (any, error) {
	var in pia.Answers
	if err := decodeJSON(c, ropaBodyLimit, &in); err != nil {
		return nil, err
	}
	params := "pia=" + c.Param("id") + " confirm_facts=" + strconv.FormatBool(in.ConfirmFacts)
	c.Set("audit_params", params)
	a, err := s.o.PIA.Update(c.Request.Context(), c.Param("id"), in, tokenOf(c).Name, dataAsOf(c))
	if err != nil {
		return nil, err
	}
	// Only the enumerated answers, once valid: never the free text.
	c.Set("audit_params", params+" likelihood="+a.Likelihood+" severity="+a.Severity+" rating="+a.Rating)
	return piaOf(a), nil
}

// withPIAs adds the rated PIAs to the risk register's items (kind pia,
// status open, linked to the PIA) when the query's kind and status admit
// them, ranked in by score (a PIA after the register's own items of the
// same score); at most limit (0: all). items is the register's answer,
// already ranked and cut at limit, so the merge keeps the top limit.
func (s *Server) withPIAs(ctx context.Context, items []risk.RegisterItem, kind, status string, limit int) ([]risk.RegisterItem, error) {
	if s.o.PIA == nil || (kind != "" && kind != pia.RegisterKind) || (status != "" && status != risk.StatusOpen) {
		return items, nil
	}
	ps, err := s.o.PIA.RegisterItems(ctx)
	if err != nil || len(ps) == 0 {
		return items, err
	}
	items = append(items, ps...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Score > items[j].Score })
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}
