package api

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/store"
)

// Token management (admins). Tokens are shown once, at creation.

func tokenOfStore(t store.Token, now time.Time) Token {
	return Token{ID: auth.ID(t), Name: t.Name, Role: t.Role, AgentID: t.AgentID, CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, Revoked: t.Revoked, Live: auth.Live(t, now), MaxUses: t.MaxUses}
}

// listTokens lists every token, agent tokens included; role= narrows it.
func (s *Server) listTokens(c *gin.Context) (any, error) {
	toks, err := s.o.Auth.List(c.Request.Context())
	if err != nil {
		return nil, err
	}
	role, now := c.Query("role"), time.Now()
	out := make([]Token, 0, len(toks))
	for _, t := range toks {
		if role == "" || t.Role == role {
			out = append(out, tokenOfStore(t, now))
		}
	}
	return listOf(out), nil
}

// createToken issues a token and returns it, the only time it is shown.
func (s *Server) createToken(c *gin.Context) (any, error) {
	var req struct {
		Role string `json:"role"`
		Name string `json:"name"`
		TTL  string `json:"ttl"`
		// Uses bounds an agent-enroll secret's enrollments (0 = no bound).
		Uses int `json:"uses"`
	}
	if err := decodeJSON(c, 16<<10, &req); err != nil {
		return nil, err
	}
	c.Set("audit_params", "role="+req.Role+" name="+req.Name+" ttl="+req.TTL+" uses="+strconv.Itoa(req.Uses))
	var ttl time.Duration
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil {
			return nil, errorf(kindBadRequest, "ttl must be a duration such as 720h or 30m (empty = no expiry)")
		}
		ttl = d
	}
	tok, t, err := s.o.Auth.Issue(c.Request.Context(), auth.IssueRequest{Role: req.Role, Name: req.Name, TTL: ttl, RequireName: true, Uses: req.Uses})
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", "id="+auth.ID(t)+" role="+t.Role+" name="+t.Name+" ttl="+req.TTL+" uses="+strconv.Itoa(req.Uses))
	return created(NewToken{Token: tokenOfStore(t, time.Now()), Secret: tok}), nil
}

// revokeToken revokes a token by id; at once on this collector, within the
// authentication cache's lifetime on others.
func (s *Server) revokeToken(c *gin.Context) (any, error) {
	id := c.Param("id")
	c.Set("audit_params", "id="+id)
	t, err := s.o.Auth.Revoke(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	return tokenOfStore(t, time.Now()), nil
}
