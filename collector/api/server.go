// Package api is the collector's HTTP surface: routing, authentication,
// request parsing, the error-to-status mapping (errors.go) and the response
// types (responses.go). What the answers mean lives in the domain packages
// (fleet, ingest, inventory, access, review, risk …). Handlers are split by
// concern: ingest, inventory, principals (access), privacy, reviews,
// risk_register, fleet, tokens, authorities, audit.
package api

import (
	"cmp"
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sightline-dev/sightline/collector/access"
	"github.com/sightline-dev/sightline/collector/admission"
	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/detectors"
	"github.com/sightline-dev/sightline/collector/dsr"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/identity"
	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/pia"
	"github.com/sightline-dev/sightline/collector/policy"
	"github.com/sightline-dev/sightline/collector/records"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/session"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/subjects"
	"github.com/sightline-dev/sightline/collector/triage"
	"github.com/sightline-dev/sightline/internal/defaults"
)

//go:embed openapi.json
var openapiDoc []byte

// Store is what the read side needs from the store.
type Store interface {
	Ping(ctx context.Context) error
	Findings(ctx context.Context, f store.FindingFilter) ([]store.Finding, uint64, error)
	Summary(ctx context.Context, f store.FindingFilter) (store.Summary, error)
	access.Store
	subjects.Store
	Impact(ctx context.Context, sc store.ImpactScope) ([]store.ImpactRow, error)
	AppendAudit(ctx context.Context, e store.AuditEntry) error
	Audit(ctx context.Context, limit, offset int) ([]store.AuditEntry, uint64, error)
	Assets(ctx context.Context, f store.AssetFilter) ([]store.Asset, uint64, error)
	// IndexPrincipals is the identities list, from the read index.
	IndexPrincipals(ctx context.Context, f store.PrincipalFilter) ([]store.Principal, uint64, error)
	risk.Store
	AssetByID(ctx context.Context, id string) (store.Asset, error)
	DataMap(ctx context.Context) ([]store.MapRow, map[store.SystemKey]store.SystemTotals, error)
	review.Store
	risk.RegisterStore
	// For the console: campaign list and change since the previous scans.
	Campaigns(ctx context.Context) ([]store.Campaign, error)
	ScanChanges(ctx context.Context) ([]store.ScanChange, error)
	// KeyOwners joins an asset's access-key findings to their IAM users.
	KeyOwners(ctx context.Context, assetID string) ([]store.Principal, error)
	KeyFiles(ctx context.Context, principalID string) ([]store.SubjectHit, error)
}

// Options configures a Server.
type Options struct {
	Store    Store
	Auth     *auth.Authenticator
	Fleet    *fleet.Fleet
	Ingester *ingest.Ingester
	// Identity admits agents' batches (default: one over Store).
	Identity *identity.Guard
	// Index keeps the read index that the aggregate endpoints read fresh.
	Index           *index.Indexer
	MaxBodyBytes    int64
	MaxDecodedBytes int64
	Logger          *slog.Logger
	// Registry receives the API's metrics and is served on /metrics.
	Registry *prometheus.Registry
	// StaleAfter: an account with no login for this long is stale
	// (default 90 days). Now is the clock (default time.Now).
	StaleAfter time.Duration
	Now        func() time.Time
	// Admission bounds ingest: memory budget, in-flight batches, gzip
	// ratio, per-agent rate (collector/admission; zero values: defaults).
	Admission admission.Options
	// SubjectBudget bounds the identifiers each token may search per hour
	// (default: subjects.DefaultIdentifiersPerHour).
	SubjectBudget *subjects.Budget
	// Policy is fleet control: policies, labels, commands (default: one
	// over Store).
	Policy *policy.Service
	// Detectors and Triage tune detection: custom detectors, allow rules,
	// finding triage (default: over Store).
	Detectors *detectors.Service
	Triage    *triage.Service
	// DSR runs data-subject request cases (default: over Store, with
	// Fleet's keys).
	DSR *dsr.Service
	// Records and PIA keep the records of processing and the privacy
	// impact assessments (default: over Store).
	Records *records.Service
	PIA     *pia.Service
	// Cycles runs recurring reviews and tracks revocations (default:
	// over Store, with StaleAfter).
	Cycles *review.Cycles
	// Alerts lists alert rules, events and deliveries (nil: none).
	Alerts *alerts.Service
}

// Server is the collector's HTTP handler.
type Server struct {
	o       Options
	engine  *gin.Engine
	metrics *metrics
	adm     *admission.Controller
	errors  errorTable
}

// New builds the routes.
func New(o Options) *Server {
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Index == nil {
		if is, ok := o.Store.(index.Store); ok {
			o.Index = index.New(index.Options{Store: is, Logger: o.Logger})
		}
	}
	if o.Identity == nil {
		if is, ok := o.Store.(identity.Store); ok {
			o.Identity = identity.New(identity.Options{Store: is, Logger: o.Logger, Now: o.Now})
		}
	}
	if o.Detectors == nil {
		if ds, ok := o.Store.(detectors.Store); ok {
			o.Detectors = detectors.New(ds, o.Now)
		}
	}
	if o.Triage == nil {
		if ts, ok := o.Store.(triage.Store); ok && o.Fleet != nil {
			o.Triage = triage.New(ts, func() triage.Hasher { return o.Fleet.Keys() }, o.Now)
		}
	}
	if o.DSR == nil {
		if ds, ok := o.Store.(dsr.Store); ok && o.Fleet != nil {
			o.DSR = dsr.New(dsr.Options{Store: ds, Keys: func() dsr.Hasher { return o.Fleet.Keys() }, Now: o.Now})
		}
	}
	if rs, ok := o.Store.(records.Store); ok && o.Records == nil {
		o.Records = records.New(rs, o.Now)
	}
	if ps, ok := o.Store.(pia.Store); ok && o.PIA == nil {
		o.PIA = pia.New(ps, o.Now)
	}
	if o.Policy == nil {
		if ps, ok := o.Store.(policy.Store); ok {
			po := policy.Options{Store: ps, Now: o.Now}
			if o.Detectors != nil {
				po.Detectors = o.Detectors.Definitions
			}
			o.Policy = policy.New(po)
		}
	}
	o.StaleAfter = defaults.Positive(o.StaleAfter, DefaultStaleAfter)
	if o.Now == nil {
		o.Now = time.Now
	}
	if cs, ok := o.Store.(review.CyclesStore); ok && o.Cycles == nil {
		o.Cycles = review.NewCycles(review.CyclesOptions{Store: cs, Now: o.Now, StaleAfter: o.StaleAfter, Logger: o.Logger})
	}
	if o.SubjectBudget == nil {
		o.SubjectBudget = subjects.NewBudget(subjects.BudgetOptions{})
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{o: o, engine: gin.New(), metrics: newMetrics(o.Registry), errors: errorRules()}
	s.adm = newAdmission(o, o.Registry)
	s.engine.Use(gin.CustomRecoveryWithWriter(io.Discard, s.recovered), s.observe, apiHeaders)
	s.engine.HandleMethodNotAllowed = true
	s.engine.NoRoute(func(c *gin.Context) { s.fail(c, errorf(kindNotFound, "no such endpoint")) })
	s.routes(s.engine)
	return s
}

// routes registers every endpoint: the one place to add one. Handlers are
// apiFuncs (respond.go) wrapped by s.handle; middleware runs in the order
// given: requireRole authenticates, audit records the call once answered,
// fresh readies the read index for the handlers that read it.
func (s *Server) routes(e *gin.Engine) {
	h := s.handle
	e.GET("/healthz", h(func(*gin.Context) (any, error) { return StatusBody{Status: "ok"}, nil }))
	e.GET("/readyz", h(s.readyz))
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.o.Registry, promhttp.HandlerOpts{})))

	v1 := e.Group("/api/v1")
	v1.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", openapiDoc) })
	v1.POST("/agents/enroll", h(s.enroll))
	v1.POST("/ingest", h(s.ingest))

	read := v1.Group("", s.requireRole(auth.RoleAdmin, auth.RoleSecurity, auth.RolePrivacy))
	// Fleet: agents, staleness, latest scan per scanner.
	read.GET("/agents", h(s.listAgents))
	read.GET("/agents/:id", h(s.getAgent))
	// Endpoints marked s.fresh read the read index (collector/index).
	read.GET("/inventory/summary", s.fresh, h(s.summary))
	// Scan counters, no personal data: not audited.
	read.GET("/inventory/changes", h(s.scanChanges))
	// Calls that read personal-data locations or access are audited.
	read.GET("/findings", s.audit, s.fresh, h(s.findings))
	read.GET("/principals", s.audit, s.fresh, h(s.principals))
	read.GET("/principals/:id", s.audit, s.fresh, h(s.principalDetail))
	read.GET("/principals/:id/key-files", s.audit, s.fresh, h(s.principalKeyFiles))
	read.GET("/assets", s.audit, s.fresh, h(s.assets))
	read.GET("/assets/:id", s.audit, s.fresh, h(s.assetDetail))
	read.GET("/assets/:id/key-owners", s.audit, s.fresh, h(s.assetKeyOwners))
	read.GET("/risk/assets", s.audit, s.fresh, h(s.riskAssets))
	read.GET("/datamap", s.audit, s.fresh, h(s.dataMap))
	read.GET("/access/readers", s.audit, s.fresh, h(s.readers))
	read.POST("/incidents/impact", s.audit, s.fresh, h(s.incidentImpact))
	// Where a person appears: the privacy office's question.
	v1.POST("/subjects/search", s.requireRole(auth.RoleAdmin, auth.RolePrivacy), s.audit, s.fresh, h(s.subjectSearch))
	v1.GET("/audit", s.requireRole(auth.RoleAdmin), s.audit, h(s.auditLog))
	// Token management (admins). Tokens are shown once, at creation;
	// listings carry only the id (a hash prefix). Audit comes before the
	// role check here so that a refused attempt by a valid non-admin
	// token is recorded too.
	tokens := v1.Group("/tokens", s.audit, s.requireRole(auth.RoleAdmin))
	tokens.GET("", h(s.listTokens))
	tokens.POST("", h(s.createToken))
	tokens.DELETE("/:id", h(s.revokeToken))
	// Shared sources (LDAP servers, AWS accounts) and the agent that speaks
	// for each; admins move an authority (authorities.go).
	read.GET("/authorities", h(s.listAuthorities))
	v1.PUT("/authorities/:source/*scope", s.audit, s.requireRole(auth.RoleAdmin), h(s.setAuthority))
	// Access reviews: security and admins run campaigns; reviewers decide
	// their own items and see nothing else.
	reviews := v1.Group("/reviews")
	s.reviewCycleRoutes(reviews) // templates, reminders, revocations (review_cycles.go)
	reviews.POST("", s.requireRole(auth.RoleAdmin, auth.RoleSecurity), s.audit, s.fresh, h(s.createCampaign))
	reviews.GET("", s.requireRole(auth.RoleAdmin, auth.RoleSecurity, auth.RoleReviewer), s.audit, h(s.campaigns))
	reviews.GET("/:id", s.requireRole(auth.RoleAdmin, auth.RoleSecurity, auth.RoleReviewer), s.audit, h(s.campaignStatus))
	reviews.GET("/:id/items", s.requireRole(auth.RoleAdmin, auth.RoleSecurity, auth.RoleReviewer), s.audit, h(s.campaignItems))
	reviews.POST("/:id/items/:item/decision", s.requireRole(auth.RoleAdmin, auth.RoleReviewer), s.audit, h(s.decideItem))
	reviews.GET("/:id/export", s.requireRole(auth.RoleAdmin, auth.RoleSecurity), s.audit, h(s.campaignExport))
	// Principal risk and the risk register: security's and admins' work
	// list (risk_register.go).
	riskTeam := v1.Group("/risk", s.requireRole(auth.RoleAdmin, auth.RoleSecurity), s.audit)
	riskTeam.GET("/principals", s.fresh, h(s.riskPrincipals))
	riskTeam.GET("/register", s.fresh, h(s.riskRegister))
	riskTeam.PUT("/register/:kind/:id", h(s.updateRegister))
	riskTeam.GET("/register/:kind/:id/history", h(s.registerHistory))
	// Fleet control (policies.go): admins write policies, labels and
	// commands (audited); security reads policies, dry-runs and asks for
	// scans; agents fetch their policy (ETag) and report on it.
	policies := v1.Group("/policies", s.audit)
	policies.GET("", s.requireRole(auth.RoleAdmin, auth.RoleSecurity), h(s.listPolicies))
	policies.POST("", s.requireRole(auth.RoleAdmin), h(s.createPolicy))
	policies.POST("/dry-run", s.requireRole(auth.RoleAdmin, auth.RoleSecurity), h(s.policyDryRun))
	policies.GET("/:id", s.requireRole(auth.RoleAdmin, auth.RoleSecurity), h(s.getPolicy))
	policies.PUT("/:id", s.requireRole(auth.RoleAdmin), h(s.updatePolicy))
	policies.DELETE("/:id", s.requireRole(auth.RoleAdmin), h(s.deletePolicy))
	policies.GET("/:id/history", s.requireRole(auth.RoleAdmin, auth.RoleSecurity), h(s.policyHistory))
	v1.PUT("/agents/:id/labels", s.audit, s.requireRole(auth.RoleAdmin), h(s.setLabels))
	v1.POST("/commands/scan", s.audit, s.requireRole(auth.RoleAdmin, auth.RoleSecurity), h(s.scanNow))
	v1.GET("/agent/policy", h(s.agentPolicy))
	s.tuningRoutes(v1)
	s.dsrRoutes(v1)
	s.ropaRoutes(v1)
	s.alertRoutes(v1)
	v1.POST("/agent/policy/status", h(s.agentPolicyStatus))
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// observe counts requests by route and status.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.metrics.requests.WithLabelValues(route, strconv.Itoa(c.Writer.Status())).Inc()
	s.metrics.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

// apiHeaders marks every answer of the API, errors included, as data for
// its caller alone (session.PrivateHeaders); server-rendered pages set
// the console's CSP over it.
func apiHeaders(c *gin.Context) {
	session.PrivateHeaders(c.Writer.Header())
	c.Next()
}

// recovered answers a handler's panic as any internal error: the error
// body, the detail (the panic and its stack) in the log only.
func (s *Server) recovered(c *gin.Context, v any) {
	s.o.Logger.Error("request handler panicked", "method", c.Request.Method, "path", c.FullPath(),
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	s.fail(c, errorf(kindInternal, "internal error; see the collector log"))
}

// readyz answers 503 while ClickHouse does not answer (with the status
// body, not the error body: load balancers read the status only).
func (s *Server) readyz(c *gin.Context) (any, error) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.o.Store.Ping(ctx); err != nil {
		c.Header("Retry-After", retryAfterSeconds)
		return reply{status: http.StatusServiceUnavailable, body: StatusBody{Status: "clickhouse unavailable"}}, nil
	}
	return StatusBody{Status: "ready"}, nil
}

// requireRole authenticates the bearer token and admits the given roles.
func (s *Server) requireRole(roles ...string) gin.HandlerFunc {
	allowed := map[string]bool{}
	for _, r := range roles {
		allowed[r] = true
	}
	return func(c *gin.Context) {
		t, err := s.o.Auth.Verify(c.Request.Context(), auth.Bearer(c.GetHeader("Authorization")))
		if err != nil {
			s.fail(c, err)
			return
		}
		// Set before the role check so an audit around it names who was refused.
		c.Set("token", t)
		if !allowed[t.Role] {
			s.fail(c, errorf(kindForbidden, "a "+t.Role+" token may not call this endpoint"))
			return
		}
		c.Next()
	}
}

// fresh makes the read index fit to read before the handler runs (see
// collector/index) and tells the client as of when its answer is:
// Sightline-Data-As-Of (RFC 3339) and Sightline-Data-Fresh (whether it
// covers every write).
func (s *Server) fresh(c *gin.Context) {
	st, err := s.o.Index.Ensure(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Sightline-Data-As-Of", st.AsOf.UTC().Format(time.RFC3339))
	c.Header("Sightline-Data-Fresh", strconv.FormatBool(st.Fresh))
	c.Next()
}

type metrics struct {
	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	ingestRecords  *prometheus.CounterVec
	ingestBatches  *prometheus.CounterVec
	flushRows      prometheus.Histogram
	flushDurations *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sightline_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sightline_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		ingestRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sightline_ingest_records_total", Help: "Records stored, by kind.",
		}, []string{"kind"}),
		ingestBatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sightline_ingest_batches_total", Help: "Agent batches by result (stored, duplicate, rejected, failed).",
		}, []string{"result"}),
		flushRows: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sightline_ingest_flush_rows", Help: "Rows per ClickHouse insert.",
			Buckets: prometheus.ExponentialBuckets(10, 4, 8),
		}),
		flushDurations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sightline_ingest_flush_duration_seconds", Help: "ClickHouse insert latency by result.",
			Buckets: prometheus.DefBuckets,
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.latency, m.ingestRecords, m.ingestBatches, m.flushRows, m.flushDurations)
	return m
}

// ObserveFlush is the ingest.Options.OnFlush hook for this server's metrics.
func (s *Server) ObserveFlush(rows int, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	s.adm.Flushed(rows)
	s.metrics.flushRows.Observe(float64(rows))
	s.metrics.flushDurations.WithLabelValues(result).Observe(d.Seconds())
}
