package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/identity"
)

// listAuthorities lists the shared sources and which agent speaks for each.
func (s *Server) listAuthorities(c *gin.Context) (any, error) {
	as, err := s.o.Identity.Authorities(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return listOf(nonNil(as)), nil
}

// setAuthority moves a shared source to another agent (admins, audited):
// PUT /api/v1/authorities/{source}/{scope} {"agent_id": "…"}.
func (s *Server) setAuthority(c *gin.Context) (any, error) {
	source, scope := c.Param("source"), strings.TrimPrefix(c.Param("scope"), "/")
	var req struct {
		AgentID string `json:"agent_id"`
	}
	if err := decodeJSON(c, 4<<10, &req); err != nil {
		return nil, err
	}
	c.Set("audit_params", "source="+source+" scope="+scope+" agent_id="+req.AgentID)
	if req.AgentID == "" || scope == "" {
		return nil, errorf(kindBadRequest, "give the source and scope in the path and agent_id in the body")
	}
	if _, err := s.o.Fleet.Get(c.Request.Context(), req.AgentID); err != nil {
		// The agent is named in the body, not the path: a bad request,
		// not a missing resource.
		return nil, notFoundAs(err, identity.ErrUnknownAgent)
	}
	setBy := "admin"
	if t := tokenOf(c); t.Hash != "" {
		setBy = "token " + tokenID(t)
	}
	prev, err := s.o.Identity.SetAuthority(c.Request.Context(), source, scope, req.AgentID, setBy)
	if err != nil {
		return nil, err
	}
	return AuthorityMoved{Source: source, Scope: scope, AgentID: req.AgentID, PreviousAgentID: prev.AgentID}, nil
}
