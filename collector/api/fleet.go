package api

import (
	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/fleet"
)

// listAgents is the fleet view: every agent with its staleness and the
// latest scan of each scanner; stale=true|false and status=ok|partial|failed
// (some scanner's latest scan has it) narrow it.
func (s *Server) listAgents(c *gin.Context) (any, error) {
	stale, err := boolQuery(c, "stale")
	if err != nil {
		return nil, err
	}
	agents, err := s.o.Fleet.List(c.Request.Context(), fleet.Filter{Stale: stale, ScanStatus: c.Query("status")})
	if err != nil {
		return nil, err
	}
	return listOf(each(agents, agentOf)), nil
}

// errUnknownAgent words a 404 for an agent id in the path.
var errUnknownAgent = errorf(kindNotFound, "no agent has this id; list them with GET /api/v1/agents")

func (s *Server) getAgent(c *gin.Context) (any, error) {
	a, err := s.o.Fleet.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, notFoundAs(err, errUnknownAgent)
	}
	return agentOf(a), nil
}
