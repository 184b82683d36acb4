package api

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/policy"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/clip"
)

// Fleet control (collector/policy): admins write scan policies and
// labels and send "scan now"; agents fetch their effective policy and
// report what they applied. POST /policies?dry_run=1 answers as POST
// /policies/dry-run does (200, not 201) and stores nothing; updates and
// deletions are tried with /policies/dry-run.

const policyBodyLimit = 256 << 10

// errUnknownPolicy words a 404 for a policy id in the path.
var errUnknownPolicy = errorf(kindNotFound, "no live policy has this id; list them with GET /api/v1/policies")

// dryRun reads ?dry_run (1/true).
func dryRun(c *gin.Context) (bool, error) {
	v := c.Query("dry_run")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errorf(kindBadRequest, "dry_run must be 1, true, 0 or false")
	}
	return b, nil
}

func (s *Server) listPolicies(c *gin.Context) (any, error) {
	ps, err := s.o.Policy.List(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return listOf(each(ps, policyOf)), nil
}

func (s *Server) getPolicy(c *gin.Context) (any, error) {
	p, err := s.o.Policy.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, notFoundAs(err, errUnknownPolicy)
	}
	return policyOf(p), nil
}

func (s *Server) policyHistory(c *gin.Context) (any, error) {
	h, err := s.o.Policy.History(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, notFoundAs(err, errUnknownPolicy)
	}
	return listOf(each(h, policyOf)), nil
}

// writePolicy creates (id empty) or updates a policy, or dry-runs it.
func (s *Server) writePolicy(c *gin.Context, id string) (any, error) {
	var in policy.Input
	if err := decodeJSON(c, policyBodyLimit, &in); err != nil {
		return nil, err
	}
	dry := false
	if id != "" {
		in.ID = id
	} else {
		var err error
		if dry, err = dryRun(c); err != nil {
			return nil, err
		}
	}
	if dry {
		return s.answerDryRun(c, policy.Change{Policy: &in})
	}
	ctx, by := c.Request.Context(), tokenOf(c).Name
	if id == "" {
		p, err := s.o.Policy.Create(ctx, in, by)
		if err != nil {
			return nil, err
		}
		return created(policyOf(p)), nil
	}
	p, err := s.o.Policy.Update(ctx, id, in, by)
	if err != nil {
		return nil, notFoundAs(err, errUnknownPolicy)
	}
	return policyOf(p), nil
}

func (s *Server) createPolicy(c *gin.Context) (any, error) { return s.writePolicy(c, "") }
func (s *Server) updatePolicy(c *gin.Context) (any, error) { return s.writePolicy(c, c.Param("id")) }

func (s *Server) deletePolicy(c *gin.Context) (any, error) {
	p, err := s.o.Policy.Delete(c.Request.Context(), c.Param("id"), tokenOf(c).Name)
	if err != nil {
		return nil, notFoundAs(err, errUnknownPolicy)
	}
	return policyOf(p), nil
}

// policyDryRun takes {"policy": {…}} or {"delete": "id"}.
func (s *Server) policyDryRun(c *gin.Context) (any, error) {
	var ch policy.Change
	if err := decodeJSON(c, policyBodyLimit, &ch); err != nil {
		return nil, err
	}
	return s.answerDryRun(c, ch)
}

func (s *Server) answerDryRun(c *gin.Context, ch policy.Change) (any, error) {
	reach, err := s.o.Policy.DryRun(c.Request.Context(), ch)
	if err != nil {
		return nil, err
	}
	return DryRunResult{DryRun: true, Agents: reach}, nil
}

// setLabels replaces an agent's labels (admins).
func (s *Server) setLabels(c *gin.Context) (any, error) {
	var body struct {
		Labels map[string]string `json:"labels"`
	}
	if err := decodeJSON(c, 64<<10, &body); err != nil {
		return nil, err
	}
	if body.Labels == nil {
		body.Labels = map[string]string{}
	}
	err := s.o.Policy.SetLabels(c.Request.Context(), c.Param("id"), body.Labels, tokenOf(c).Name)
	if err != nil {
		return nil, notFoundAs(err, errUnknownAgent)
	}
	return AgentLabels{AgentID: c.Param("id"), Labels: body.Labels}, nil
}

// scanNow records "scan now" for an agent, a label selector or a source.
func (s *Server) scanNow(c *gin.Context) (any, error) {
	var t policy.ScanTarget
	if err := decodeJSON(c, 64<<10, &t); err != nil {
		return nil, err
	}
	cs, err := s.o.Policy.ScanNow(c.Request.Context(), t, tokenOf(c).Name)
	if err != nil {
		return nil, notFoundAs(err, errUnknownAgent)
	}
	return created(listOf(each(cs, commandOf))), nil
}

// agentOnly authenticates an agent's token, with the client certificate
// the agent enrolled with if it enrolled with one, and returns its agent
// id. Every endpoint an agent calls goes through it.
func (s *Server) agentOnly(c *gin.Context) (store.Token, error) {
	ctx := c.Request.Context()
	tok, err := s.o.Auth.Verify(ctx, auth.Bearer(c.GetHeader("Authorization")))
	if err != nil {
		return store.Token{}, err
	}
	if tok.Role != auth.RoleAgent || tok.AgentID == "" {
		return store.Token{}, errorf(kindForbidden, "only an agent's token may call this endpoint")
	}
	presented := clientCert(c.Request)
	if err := s.o.Fleet.CheckCert(ctx, tok.AgentID, presented); err != nil {
		if errors.Is(err, fleet.ErrCertMismatch) {
			s.auditAgentRefusal(c, tok, "refused: the token came with another client certificate than its agent enrolled with (presented: "+
				clip.String(cmp.Or(presented, "none"), 512)+")")
		}
		return store.Token{}, err
	}
	return tok, nil
}

// clientCert names the verified client certificate of r's connection by
// its subject and issuer, which a renewed certificate keeps ("" without
// one: no tls.client_ca_file, or TLS ended at a proxy).
func clientCert(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	leaf := r.TLS.VerifiedChains[0][0]
	return leaf.Subject.String() + " issued by " + leaf.Issuer.String()
}

// notModified is the 304 of a conditional fetch.
type notModified struct{ etag string }

func (n notModified) respond(c *gin.Context) {
	c.Header("ETag", n.etag)
	c.Status(http.StatusNotModified)
}

// withETag is a 200 JSON answer with its ETag.
type withETag struct {
	etag string
	body any
}

func (w withETag) respond(c *gin.Context) {
	c.Header("ETag", w.etag)
	c.JSON(http.StatusOK, w.body)
}

// agentPolicy is the agent's fetch: its effective policy and pending
// commands, or 304 when If-None-Match holds the current ETag.
func (s *Server) agentPolicy(c *gin.Context) (any, error) {
	tok, err := s.agentOnly(c)
	if err != nil {
		return nil, err
	}
	id := tok.AgentID
	e, err := s.o.Policy.For(c.Request.Context(), id)
	if err != nil {
		return nil, err
	}
	if c.GetHeader("If-None-Match") == e.ETag {
		return notModified{etag: e.ETag}, nil
	}
	return withETag{etag: e.ETag, body: e}, nil
}

// agentPolicyStatus takes the agent's report: what it applied or refused,
// pinned conflicts, command progress.
func (s *Server) agentPolicyStatus(c *gin.Context) (any, error) {
	tok, err := s.agentOnly(c)
	if err != nil {
		return nil, err
	}
	id := tok.AgentID
	var r policy.Report
	if err := decodeJSON(c, 64<<10, &r); err != nil {
		return nil, err
	}
	if err := s.o.Policy.Record(c.Request.Context(), id, r); err != nil {
		return nil, err
	}
	return StatusBody{Status: "recorded"}, nil
}
