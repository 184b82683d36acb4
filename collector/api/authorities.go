package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/identity"
	"github.com/sightline-dev/sightline/collector/store"
)

// listAuthorities lists the shared sources and which agent speaks for each.
func (s *Server) listAuthorities(c *gin.Context) {
	as, err := s.o.Identity.Authorities(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(as))
	for _, a := range as {
		out = append(out, authorityJSON(a))
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": len(out)})
}

func authorityJSON(a store.Authority) gin.H {
	return gin.H{"source": a.Source, "scope": a.Scope, "agent_id": a.AgentID, "set_by": a.SetBy, "set_at": a.SetAt}
}

// setAuthority moves a shared source to another agent (admins, audited):
// PUT /api/v1/authorities/{source}/{scope} {"agent_id": "…"}.
func (s *Server) setAuthority(c *gin.Context) {
	source, scope := c.Param("source"), strings.TrimPrefix(c.Param("scope"), "/")
	var req struct {
		AgentID string `json:"agent_id"`
	}
	if err := decodeJSON(http.MaxBytesReader(c.Writer, c.Request.Body, 4<<10), &req); err != nil {
		s.fail(c, err)
		return
	}
	c.Set("audit_params", "source="+source+" scope="+scope+" agent_id="+req.AgentID)
	if req.AgentID == "" || scope == "" {
		s.fail(c, errorf(kindBadRequest, "give the source and scope in the path and agent_id in the body"))
		return
	}
	if _, err := s.o.Fleet.Get(c.Request.Context(), req.AgentID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = errorf(kindBadRequest, identity.ErrUnknownAgent.Error())
		}
		s.fail(c, err)
		return
	}
	tok, _ := c.Get("token")
	setBy := "admin"
	if t, ok := tok.(store.Token); ok {
		setBy = "token " + t.Hash[:min(12, len(t.Hash))]
	}
	prev, err := s.o.Identity.SetAuthority(c.Request.Context(), source, scope, req.AgentID, setBy)
	if errors.Is(err, identity.ErrBadRequest) {
		s.fail(c, errorf(kindBadRequest, err.Error()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"source": source, "scope": scope, "agent_id": req.AgentID, "previous_agent_id": prev.AgentID})
}
