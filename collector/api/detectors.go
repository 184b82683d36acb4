package api

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/detectors"
	"github.com/sightline-dev/sightline/collector/triage"
	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/pii"
)

// Tuning detection: custom detectors (admins), allow rules and finding
// triage (admin, security, privacy). Every call is audited; a write's
// audit params name what changed, never a value or a sample.
func (s *Server) tuningRoutes(v1 *gin.RouterGroup) {
	h := s.handle
	admin := v1.Group("/detectors", s.audit, s.requireRole(auth.RoleAdmin))
	admin.GET("", h(s.listDetectors))
	admin.POST("", h(s.createDetector))
	admin.POST("/dry-run", h(s.detectorDryRun))
	admin.GET("/file", h(s.detectorsFile))
	admin.GET("/:id", h(s.getDetector))
	admin.PUT("/:id", h(s.updateDetector))
	admin.DELETE("/:id", h(s.deleteDetector))
	admin.GET("/:id/history", h(s.detectorHistory))
	tune := v1.Group("", s.audit, s.requireRole(auth.RoleAdmin, auth.RoleSecurity, auth.RolePrivacy))
	tune.GET("/allowlist", h(s.listAllowRules))
	tune.POST("/allowlist", h(s.addAllowRule))
	tune.DELETE("/allowlist/:id", h(s.deleteAllowRule))
	tune.GET("/triage", h(s.listTriage))
	tune.PUT("/triage/:asset/:type", h(s.setTriage))
	tune.GET("/triage/:asset/:type/history", h(s.triageHistory))
}

// tuningBodyLimit bounds a definition or dry run (a 1,000-term dictionary
// and a 64 KiB sample fit).
const tuningBodyLimit = 256 << 10

var errUnknownDetector = errorf(kindNotFound, "no live custom detector has this id; list them with GET /api/v1/detectors")

func (s *Server) listDetectors(c *gin.Context) (any, error) {
	ds, err := s.o.Detectors.List(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return listOf(nonNil(ds)), nil
}

// detectorsFile is the live definitions as the file that `scan fs
// --detectors FILE` and agent.yaml's detectors_file read.
func (s *Server) detectorsFile(c *gin.Context) (any, error) {
	ds, err := s.o.Detectors.Definitions(c.Request.Context())
	if err != nil {
		return nil, err
	}
	if ds == nil {
		ds = []pii.Definition{}
	}
	return DetectorsFile{Detectors: ds}, nil
}

func (s *Server) getDetector(c *gin.Context) (any, error) {
	d, err := s.o.Detectors.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, notFoundAs(err, errUnknownDetector)
	}
	return d, nil
}

func (s *Server) detectorHistory(c *gin.Context) (any, error) {
	h, err := s.o.Detectors.History(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, notFoundAs(err, errUnknownDetector)
	}
	return listOf(nonNil(h)), nil
}

func (s *Server) createDetector(c *gin.Context) (any, error) {
	var in pii.Definition
	if err := decodeJSON(c, tuningBodyLimit, &in); err != nil {
		return nil, err
	}
	c.Set("audit_params", "detector="+clip.Prefix(in.ID, 80))
	d, err := s.o.Detectors.Create(c.Request.Context(), in, tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", fmt.Sprintf("detector=%s revision=%d", d.ID, d.Revision))
	return created(d), nil
}

func (s *Server) updateDetector(c *gin.Context) (any, error) {
	var in pii.Definition
	if err := decodeJSON(c, tuningBodyLimit, &in); err != nil {
		return nil, err
	}
	d, err := s.o.Detectors.Update(c.Request.Context(), c.Param("id"), in, tokenOf(c).Name)
	if err != nil {
		return nil, notFoundAs(err, errUnknownDetector)
	}
	c.Set("audit_params", fmt.Sprintf("detector=%s revision=%d", d.ID, d.Revision))
	return d, nil
}

func (s *Server) deleteDetector(c *gin.Context) (any, error) {
	d, err := s.o.Detectors.Delete(c.Request.Context(), c.Param("id"), tokenOf(c).Name)
	if err != nil {
		return nil, notFoundAs(err, errUnknownDetector)
	}
	c.Set("audit_params", fmt.Sprintf("detector=%s revision=%d deleted", d.ID, d.Revision))
	return d, nil
}

// dryRunRequest is a definition and the sample text to run it over (and
// optionally the field name the text sits under).
type dryRunRequest struct {
	Detector pii.Definition `json:"detector"`
	Field    string         `json:"field"`
	Sample   string         `json:"sample"`
}

// detectorDryRun answers what a definition would find in the sample:
// counts and masked matches. The sample is neither stored nor logged nor
// echoed; the audit records only the detector id and the sample's size.
func (s *Server) detectorDryRun(c *gin.Context) (any, error) {
	var req dryRunRequest
	if err := decodeJSON(c, tuningBodyLimit, &req); err != nil {
		return nil, err
	}
	c.Set("audit_params", fmt.Sprintf("detector=%s sample_bytes=%d", clip.Prefix(req.Detector.ID, 80), len(req.Sample)))
	r, err := detectors.DryRun(req.Detector, req.Field, req.Sample)
	if err != nil {
		return nil, err
	}
	return detectorDryRunOf(r), nil
}

func (s *Server) listAllowRules(c *gin.Context) (any, error) {
	rs, err := s.o.Triage.AllowRules(c.Request.Context())
	if err != nil {
		return nil, err
	}
	return listOf(each(rs, allowRuleOf(s.o.Now()))), nil
}

// addAllowRule takes a value (normalised and hashed here, then
// forgotten), an agent token, or an asset and type.
func (s *Server) addAllowRule(c *gin.Context) (any, error) {
	var in triage.AllowInput
	if err := decodeJSON(c, tuningBodyLimit, &in); err != nil {
		return nil, err
	}
	// Never the value or the token: what kind of rule, for which type.
	c.Set("audit_params", fmt.Sprintf("type=%s by_value=%t by_token=%t asset_id=%s", clip.Prefix(in.Type, 80), in.Value != "", in.Token != "", clip.Prefix(in.AssetID, 80)))
	r, err := s.o.Triage.Allow(c.Request.Context(), in, tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", fmt.Sprintf("rule=%s kind=%s type=%s asset_id=%s", r.ID, r.Kind, clip.Prefix(in.Type, 80), clip.Prefix(r.AssetID, 80)))
	return created(allowRuleOf(s.o.Now())(r)), nil
}

func (s *Server) deleteAllowRule(c *gin.Context) (any, error) {
	c.Set("audit_params", "rule="+clip.Prefix(c.Param("id"), 80))
	r, err := s.o.Triage.Unallow(c.Request.Context(), c.Param("id"), tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	return allowRuleOf(s.o.Now())(r), nil
}

func (s *Server) listTriage(c *gin.Context) (any, error) {
	ts, err := s.o.Triage.Triaged(c.Request.Context(), c.Query("state"))
	if err != nil {
		return nil, err
	}
	return listOf(each(ts, triagedFindingOf)), nil
}

func (s *Server) setTriage(c *gin.Context) (any, error) {
	var in triage.TriageInput
	if err := decodeJSON(c, tuningBodyLimit, &in); err != nil {
		return nil, err
	}
	asset, typ := c.Param("asset"), c.Param("type")
	c.Set("audit_params", fmt.Sprintf("asset_id=%s type=%s state=%s", clip.Prefix(asset, 80), clip.Prefix(typ, 80), clip.Prefix(in.State, 80)))
	t, err := s.o.Triage.SetState(c.Request.Context(), asset, typ, in, tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Server) triageHistory(c *gin.Context) (any, error) {
	h, err := s.o.Triage.History(c.Request.Context(), c.Param("asset"), c.Param("type"))
	if err != nil {
		return nil, err
	}
	return listOf(nonNil(h)), nil
}
