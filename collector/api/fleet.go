package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/store"
)

// listAgents is the fleet view: every agent with its staleness and the
// latest scan of each scanner; stale=true|false and status=ok|partial|failed
// (some scanner's latest scan has it) narrow it.
func (s *Server) listAgents(c *gin.Context) {
	var f fleet.Filter
	if v := c.Query("stale"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(c, errorf(kindBadRequest, "stale must be true or false"))
			return
		}
		f.Stale = &b
	}
	f.ScanStatus = c.Query("status")
	agents, err := s.o.Fleet.List(c.Request.Context(), f)
	if errors.Is(err, fleet.ErrBadFilter) {
		s.fail(c, errorf(kindBadRequest, err.Error()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(agents))
	for _, a := range agents {
		out = append(out, agentJSON(a))
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": len(out)})
}

func (s *Server) getAgent(c *gin.Context) {
	a, err := s.o.Fleet.Get(c.Request.Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.fail(c, errorf(kindNotFound, "no agent has this id; list them with GET /api/v1/agents"))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, agentJSON(a))
}

func agentJSON(a fleet.Status) gin.H {
	scans := make([]gin.H, 0, len(a.Scans))
	for _, sc := range a.Scans {
		scans = append(scans, gin.H{"scanner": sc.Scanner, "source": sc.Source, "scan_id": sc.ScanID, "status": sc.Status,
			"started_at": sc.StartedAt, "finished_at": sc.FinishedAt, "stats": sc.Stats,
			"error_count": sc.ErrorCount, "errors": sc.Errors})
	}
	return gin.H{"agent_id": a.ID, "hostname": a.Hostname, "os": a.OS, "version": a.Version,
		"enrolled_at": a.EnrolledAt, "last_seen": a.LastSeen, "stale": a.Stale, "scans": scans,
		"hostname_conflict": len(a.SameHostname) > 0, "same_hostname_agents": a.SameHostname}
}

// tokenError maps token-management errors to API errors.
func tokenError(err error) error {
	switch {
	case errors.Is(err, auth.ErrInvalidRequest):
		return errorf(kindBadRequest, err.Error())
	case errors.Is(err, auth.ErrUnknownToken):
		return errorf(kindNotFound, err.Error())
	case errors.Is(err, auth.ErrAmbiguousID), errors.Is(err, auth.ErrNameTaken):
		return errorf(kindConflict, err.Error())
	}
	return err
}

// tokenJSON is a token as listings show it: never the token, nor its full
// hash, only the id (the hash prefix the audit log uses too).
func tokenJSON(t store.Token, now time.Time) gin.H {
	h := gin.H{"id": auth.ID(t), "name": t.Name, "role": t.Role, "agent_id": t.AgentID, "created_at": t.CreatedAt,
		"expires_at": nil, "revoked": t.Revoked, "live": auth.Live(t, now), "max_uses": t.MaxUses}
	if t.ExpiresAt != nil {
		h["expires_at"] = *t.ExpiresAt
	}
	return h
}

// listTokens lists every token, agent tokens included; role= narrows it.
func (s *Server) listTokens(c *gin.Context) {
	toks, err := s.o.Auth.List(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	role, now := c.Query("role"), time.Now()
	out := make([]gin.H, 0, len(toks))
	for _, t := range toks {
		if role == "" || t.Role == role {
			out = append(out, tokenJSON(t, now))
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": len(out)})
}

// createToken issues a token and returns it, the only time it is shown.
func (s *Server) createToken(c *gin.Context) {
	var req struct {
		Role string `json:"role"`
		Name string `json:"name"`
		TTL  string `json:"ttl"`
		// Uses bounds an agent-enroll secret's enrollments (0 = no bound).
		Uses int `json:"uses"`
	}
	if err := decodeJSON(http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10), &req); err != nil {
		s.fail(c, err)
		return
	}
	c.Set("audit_params", "role="+req.Role+" name="+req.Name+" ttl="+req.TTL+" uses="+strconv.Itoa(req.Uses))
	var ttl time.Duration
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil {
			s.fail(c, errorf(kindBadRequest, "ttl must be a duration such as 720h or 30m (empty = no expiry)"))
			return
		}
		ttl = d
	}
	tok, t, err := s.o.Auth.Issue(c.Request.Context(), auth.IssueRequest{Role: req.Role, Name: req.Name, TTL: ttl, RequireName: true, Uses: req.Uses})
	if err != nil {
		s.fail(c, tokenError(err))
		return
	}
	c.Set("audit_params", "id="+auth.ID(t)+" role="+t.Role+" name="+t.Name+" ttl="+req.TTL+" uses="+strconv.Itoa(req.Uses))
	out := tokenJSON(t, time.Now())
	out["token"] = tok
	c.JSON(http.StatusCreated, out)
}

// revokeToken revokes a token by id; at once on this collector, within the
// authentication cache's lifetime on others.
func (s *Server) revokeToken(c *gin.Context) {
	id := c.Param("id")
	c.Set("audit_params", "id="+id)
	t, err := s.o.Auth.Revoke(c.Request.Context(), id)
	if err != nil {
		s.fail(c, tokenError(err))
		return
	}
	c.JSON(http.StatusOK, tokenJSON(t, time.Now()))
}
