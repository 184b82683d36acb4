package api

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/access"
	"github.com/sightline-dev/sightline/collector/admission"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/identity"
	"github.com/sightline-dev/sightline/collector/incident"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/subjects"
	"github.com/sightline-dev/sightline/internal/csvsafe"
	"github.com/sightline-dev/sightline/internal/wire"
)

func (s *Server) enroll(c *gin.Context) {
	var req fleet.EnrollRequest
	body := http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10)
	if err := decodeJSON(body, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.EnrollSecret == "" {
		s.fail(c, errorf(kindBadRequest, "enroll_secret is required"))
		return
	}
	en, err := s.o.Fleet.Enroll(c.Request.Context(), req)
	if errors.Is(err, fleet.ErrEnrollDenied) {
		s.fail(c, errorf(kindUnauthorized, err.Error()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.o.Logger.Info("agent enrolled", "agent_id", en.AgentID, "hostname", req.Hostname)
	c.JSON(http.StatusCreated, en)
}

// ingest accepts one agent batch. The whole batch is decoded and validated
// before anything is stored, so a bad line rejects exactly this batch and
// nothing else; it is answered only once its rows are in ClickHouse.
func (s *Server) ingest(c *gin.Context) {
	ctx := c.Request.Context()
	tok, err := s.o.Auth.Verify(ctx, auth.Bearer(c.GetHeader("Authorization")))
	if err != nil {
		s.fail(c, err)
		return
	}
	if tok.Role != auth.RoleAgent || tok.AgentID == "" {
		s.fail(c, errorf(kindForbidden, "only agent tokens (from enrollment) may ingest"))
		return
	}
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/x-ndjson" && mt != "application/json" {
			s.fail(c, errorf(kindUnsupported, "Content-Type must be application/x-ndjson"))
			return
		}
	}
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 128 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		s.fail(c, errorf(kindBadRequest, "Idempotency-Key must be at most 128 printable ASCII characters"))
		return
	}
	host, err := s.o.Fleet.Touch(ctx, tok.AgentID)
	if err != nil {
		s.fail(c, err)
		return
	}
	seen, err := s.o.Ingester.Seen(ctx, tok.AgentID, key)
	if err != nil {
		s.fail(c, err)
		return
	}
	if seen {
		s.metrics.ingestBatches.WithLabelValues("duplicate").Inc()
		c.JSON(http.StatusOK, gin.H{"accepted": 0, "duplicate": true})
		return
	}

	recs, release, err := s.readBatch(c, tok.AgentID)
	if err != nil {
		s.metrics.ingestBatches.WithLabelValues("rejected").Inc()
		s.fail(c, err)
		return
	}
	defer release()
	// The collector, not the agent, decides whom the records speak for
	// (collector/identity): the token's agent, its enrolled host, the
	// sources it is the authority for.
	if err := s.o.Identity.Admit(ctx, tok.AgentID, host, recs); err != nil {
		s.metrics.ingestBatches.WithLabelValues("rejected").Inc()
		s.fail(c, s.admitError(c, tok, err))
		return
	}
	if err := s.o.Ingester.Submit(ctx, tok.AgentID, key, recs); err != nil {
		s.metrics.ingestBatches.WithLabelValues("failed").Inc()
		s.fail(c, err)
		return
	}
	s.metrics.ingestBatches.WithLabelValues("stored").Inc()
	perKind := map[string]int{}
	for i := range recs {
		perKind[recs[i].Kind]++
	}
	for k, n := range perKind {
		s.metrics.ingestRecords.WithLabelValues(k).Add(float64(n))
	}
	c.JSON(http.StatusOK, gin.H{"accepted": len(recs)})
}

// admitError maps an identity refusal to 403, audited (an agent speaking
// for what it may not is a security event), and a time ahead of the
// collector's clock to 400.
func (s *Server) admitError(c *gin.Context, tok store.Token, err error) error {
	var ref *identity.RefusedError
	var le *wire.LineError
	switch {
	case errors.As(err, &ref):
		s.o.Logger.Warn("agent batch refused", "agent_id", tok.AgentID, "reason", ref.Error())
		e := store.AuditEntry{At: time.Now().UTC(), TokenName: tok.Name, TokenRole: tok.Role,
			TokenID: tok.Hash[:min(12, len(tok.Hash))], Method: c.Request.Method, Route: c.FullPath(),
			Params: "agent_id=" + tok.AgentID, Status: http.StatusForbidden, Result: "refused: " + ref.Error()}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
		defer cancel()
		if aerr := s.o.Store.AppendAudit(ctx, e); aerr != nil {
			s.o.Logger.Error("audit entry not written", "route", e.Route, "err", aerr)
		}
		return errorf(kindForbidden, "batch refused: "+ref.Error()+"; the batch was not stored")
	case errors.As(err, &le):
		return bodyError(err, "batch")
	}
	return err
}

// readBatch decodes an agent's batch as a stream under the admission
// controller (collector/admission): the agent's rate and the in-flight cap
// are checked first, every decoded record is charged to the shared memory
// budget as it comes out, and a gzip body that expands more than any real
// batch is refused a few MiB in. The caller must call release when the
// request ends (after Submit): the budget stays held until then, and past
// it while the ingester may still hold the rows.
func (s *Server) readBatch(c *gin.Context, agentID string) (recs []wire.Record, release func(), err error) {
	t, err := s.adm.Admit(agentID)
	if err != nil {
		return nil, nil, s.admissionError(err)
	}
	ctx := c.Request.Context()
	// Rows may still wait in the ingester only if the request ended before
	// the flush that stores them answered it.
	rel := func() { t.Release(ctx.Err() != nil) }
	defer func() {
		if err != nil {
			rel()
		}
	}()
	var body io.Reader = http.MaxBytesReader(c.Writer, c.Request.Body, s.o.MaxBodyBytes)
	switch enc := strings.ToLower(c.GetHeader("Content-Encoding")); enc {
	case "", "identity":
	case "gzip":
		compressed := &admission.CountingReader{R: body}
		zr, err := gzip.NewReader(compressed)
		if err != nil {
			return nil, nil, bodyError(err, "gzip body")
		}
		defer zr.Close()
		ao := s.adm.Options()
		body = &admission.RatioReader{R: &limitedReader{r: zr, left: s.o.MaxDecodedBytes}, Compressed: compressed,
			Max: ao.MaxRatio, Grace: ao.RatioGraceBytes}
	default:
		return nil, nil, errorf(kindUnsupported, fmt.Sprintf("Content-Encoding %q is not supported; use gzip or none", enc))
	}
	dec := wire.NewDecoder(body)
	recs = make([]wire.Record, 0, 256)
	for {
		var rec wire.Record
		err := dec.Decode(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if re := (*admission.RatioError)(nil); errors.As(err, &re) {
				// Worth an operator's look: no agent sends this.
				s.o.Logger.Warn("gzip batch refused: expands past ingest.max_ratio", "agent_id", agentID,
					"decoded_bytes", re.Decoded, "compressed_bytes", re.Compressed)
			}
			return nil, nil, s.admissionError(bodyError(err, "batch"))
		}
		if err := t.Charge(admission.RecordBytes(&rec)); err != nil {
			return nil, nil, s.admissionError(err)
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 {
		return nil, nil, errorf(kindBadRequest, "empty batch: send at least one NDJSON record")
	}
	t.Records(len(recs))
	return recs, rel, nil
}

// errDecodedTooLarge marks a gzip body that expands past the limit.
var errDecodedTooLarge = errors.New("decompressed body too large")

type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errDecodedTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// bodyError classifies an error met while reading a request body.
func bodyError(err error, what string) error {
	var mbe *http.MaxBytesError
	var le *wire.LineError
	switch {
	case errors.As(err, &mbe):
		return errorf(kindTooLarge, fmt.Sprintf("request body larger than %d bytes; send smaller batches", mbe.Limit))
	case errors.Is(err, errDecodedTooLarge):
		return errorf(kindTooLarge, "decompressed body too large; send smaller batches")
	case errors.As(err, new(*admission.RatioError)):
		return err // admissionError words it
	case errors.As(err, &le):
		return errorf(kindInvalidRecord, "invalid "+what+": "+le.Error()+"; the batch was not stored")
	default:
		return errorf(kindBadRequest, "reading "+what+": "+err.Error())
	}
}

func decodeJSON(r io.Reader, v any) error {
	if err := jsonDecodeStrict(r, v); err != nil {
		return bodyError(err, "JSON body")
	}
	return nil
}

func (s *Server) filter(c *gin.Context) (store.FindingFilter, error) {
	f := store.FindingFilter{
		Type: c.Query("type"), Category: c.Query("category"), Host: c.Query("host"),
		LocationPrefix: c.Query("location_prefix"), AgentID: c.Query("agent_id"), Source: c.Query("source"),
		Limit: 100,
	}
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &f.Limit, 1000}, {"offset", &f.Offset, 1 << 30}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > p.max {
				return f, errorf(kindBadRequest, fmt.Sprintf("%s must be an integer between 0 and %d", p.name, p.max))
			}
			*p.dst = n
		}
	}
	return f, nil
}

func (s *Server) findings(c *gin.Context) {
	f, err := s.filter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.o.Store.Findings(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(items))
	for _, it := range items {
		out = append(out, gin.H{
			"asset_id": it.AssetID, "location": it.Location, "host": it.Host, "source": it.Source,
			"agent_id": it.AgentID, "scan_id": it.ScanID, "type": it.Type, "category": it.Category,
			"confidence": it.Confidence, "count": it.Count, "distinct": it.Distinct,
			"samples": it.Samples, "where": it.Locations, "observed_at": it.ObservedAt,
		})
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": total, "limit": f.Limit, "offset": f.Offset})
}

func (s *Server) summary(c *gin.Context) {
	f, err := s.filter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	sum, err := s.o.Store.Summary(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	rows := func(in []store.SummaryRow) []gin.H {
		out := make([]gin.H, 0, len(in))
		for _, r := range in {
			h := gin.H{"category": r.Category, "assets": r.Assets, "findings": r.Findings, "occurrences": r.Occurrences}
			if r.Type != "" {
				h["type"] = r.Type
			}
			out = append(out, h)
		}
		return out
	}
	c.JSON(http.StatusOK, gin.H{"assets": sum.Assets, "hosts": sum.Hosts,
		"by_category": rows(sum.ByCategory), "by_type": rows(sum.ByType)})
}

// principals answers "privileged accounts on host X" and the like.
func (s *Server) principals(c *gin.Context) {
	page, err := s.filter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.PrincipalFilter{Host: c.Query("host"), Source: c.Query("source"), Type: c.Query("type"),
		Limit: page.Limit, Offset: page.Offset}
	for _, b := range []struct {
		param string
		dst   **bool
	}{{"privileged", &f.Privileged}, {"stale", &f.Stale}, {"disabled", &f.Disabled}, {"mfa", &f.MFA}} {
		if v := c.Query(b.param); v != "" {
			v, err := strconv.ParseBool(v)
			if err != nil {
				s.fail(c, errorf(kindBadRequest, b.param+" must be true or false"))
				return
			}
			*b.dst = &v
		}
	}
	if f.Hygiene = c.Query("hygiene"); len(f.Hygiene) > 128 {
		s.fail(c, errorf(kindBadRequest, "hygiene must be one flag, such as kerberoastable"))
		return
	}
	f.StaleBefore = s.staleness().Before()
	items, total, err := s.o.Store.Principals(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(items))
	for _, p := range items {
		h := gin.H{"principal_id": p.ID, "name": p.Name, "principal_type": p.Type, "source": p.Source, "host": p.Host,
			"agent_id": p.AgentID, "privileged": p.Privileged, "privileged_via": p.PrivilegedVia,
			"attributes": p.Attributes, "observed_at": p.ObservedAt,
			"last_login": p.LastLogin, "mfa": p.MFA, "stale": p.Stale, "hygiene": p.Hygiene}
		if p.Enabled != nil {
			h["enabled"] = *p.Enabled
		}
		if p.PasswordLastSet != nil {
			h["password_last_set"] = p.PasswordLastSet
		}
		out = append(out, h)
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": total, "limit": f.Limit, "offset": f.Offset})
}

// readers answers "who can read file Y".
func (s *Server) readers(c *gin.Context) {
	loc := c.Query("location")
	if loc == "" {
		s.fail(c, errorf(kindBadRequest, "location is required, e.g. file:///srv/hr/people.csv"))
		return
	}
	asset, readers, err := access.Readers(c.Request.Context(), s.o.Store, loc, c.Query("host"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(readers))
	for _, r := range readers {
		out = append(out, gin.H{"principal_id": r.PrincipalID, "name": r.Name, "principal_type": r.Type,
			"privileged": r.Privileged, "via": r.Via})
	}
	c.JSON(http.StatusOK, gin.H{"asset_id": asset.ID, "location": asset.Location, "host": asset.Host, "owner": asset.Owner,
		"readers": out})
}

// subjectSearch answers a data-subject request. The identifiers are never
// logged or echoed: matches name them by their index in the request. Each
// API token may search a bounded number of identifiers per hour, so the
// search cannot confirm guesses at scale; every search is audited with
// the number and types of its identifiers.
func (s *Server) subjectSearch(c *gin.Context) {
	var req struct {
		Identifiers []subjects.Identifier `json:"identifiers"`
	}
	if err := decodeJSON(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10), &req); err != nil {
		s.fail(c, err)
		return
	}
	types := make([]string, len(req.Identifiers))
	for i, id := range req.Identifiers {
		types[i] = id.Type
	}
	c.Set("audit_params", fmt.Sprintf("identifiers=%d types=%s", len(types), strings.Join(types, ",")))
	if len(req.Identifiers) == 0 || len(req.Identifiers) > subjects.MaxIdentifiers {
		s.fail(c, errorf(kindBadRequest, fmt.Sprintf("give between 1 and %d identifiers", subjects.MaxIdentifiers)))
		return
	}
	if ok, wait := s.o.SubjectBudget.Take(auth.ID(tokenOf(c)), len(req.Identifiers)); !ok {
		secs := int((wait + time.Second - 1) / time.Second)
		ae := errorf(kindTooMany, fmt.Sprintf("this token's subject-search budget is spent (subjects.max_identifiers_per_hour); retry in %d s", secs))
		ae.retryAfter = secs
		s.fail(c, ae)
		return
	}
	matches, err := subjects.Search(c.Request.Context(), s.o.Store, s.o.Fleet.Keys(), req.Identifiers)
	var inv *subjects.InvalidError
	switch {
	case errors.As(err, &inv):
		s.fail(c, errorf(kindBadRequest, inv.Error()))
		return
	case err != nil:
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(matches))
	for _, m := range matches {
		out = append(out, gin.H{"identifiers": m.Identifiers, "asset_id": m.AssetID, "location": m.Location,
			"host": m.Host, "source": m.Source, "type": m.Type, "count": m.Count, "last_seen": m.LastSeen})
	}
	c.JSON(http.StatusOK, gin.H{"matches": out, "total": len(out),
		"note": "each asset keeps the tokens of its first 100 distinct values per type; a person beyond those in a large file is counted there but not listed"})
}

// incidentImpact answers "what personal data did this expose?".
func (s *Server) incidentImpact(c *gin.Context) {
	var req incident.Request
	if err := decodeJSON(http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20), &req); err != nil {
		s.fail(c, err)
		return
	}
	if err := req.Check(); err != nil {
		s.fail(c, errorf(kindBadRequest, err.Error()))
		return
	}
	c.Set("audit_params", fmt.Sprintf("hosts=%s assets=%d locations=%s principals=%d",
		strings.Join(req.Hosts, ","), len(req.Assets), strings.Join(req.Locations, ","), len(req.Principals)))
	im, err := incident.Assess(c.Request.Context(), s.o.Store, req)
	if errors.Is(err, incident.ErrEmptyScope) || errors.Is(err, incident.ErrTooMany) {
		s.fail(c, errorf(kindBadRequest, err.Error()))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	types := make([]gin.H, 0, len(im.Types))
	for _, t := range im.Types {
		h := gin.H{"category": t.Category, "type": t.Type, "assets": t.Assets, "hosts": t.Hosts, "records": t.Records,
			"people_at_least": t.PeopleAtLeast, "people_at_most": t.PeopleAtMost}
		if t.IssuingCountries != nil {
			h["issuing_countries"] = t.IssuingCountries
		}
		types = append(types, h)
	}
	rules := make([]gin.H, 0, len(im.Rules))
	for _, r := range im.Rules {
		rules = append(rules, gin.H{"name": r.Name, "action": r.Action, "because": r.Because})
	}
	c.JSON(http.StatusOK, gin.H{"types": types, "records": im.Records, "notification_rules": rules})
}

// audit writes an audit entry for the call once it is answered: the token
// (name, role, a prefix of its hash), the route, its query parameters or
// what the handler set as "audit_params" (never a searched identifier),
// the status. The entry is written even when the client has gone; a
// failure to write it is logged as an error and counted.
func (s *Server) audit(c *gin.Context) {
	c.Next()
	if _, ok := c.Get("token"); !ok {
		// Unauthenticated: nobody to attribute the call to, and logging it
		// would let anyone fill the audit log.
		return
	}
	e := store.AuditEntry{At: time.Now().UTC(), Method: c.Request.Method, Route: c.FullPath(),
		Params: c.Request.URL.RawQuery, Status: c.Writer.Status(), Result: "ok"}
	if v, ok := c.Get("audit_params"); ok {
		e.Params, _ = v.(string)
	}
	if e.Status >= 400 {
		e.Result = "error"
	}
	if v, ok := c.Get("token"); ok {
		if t, ok := v.(store.Token); ok {
			e.TokenName, e.TokenRole = t.Name, t.Role
			e.TokenID = t.Hash[:min(12, len(t.Hash))]
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if err := s.o.Store.AppendAudit(ctx, e); err != nil {
		s.o.Logger.Error("audit entry not written", "route", e.Route, "status", e.Status, "err", err)
	}
}

// auditLog lists audit entries, newest first (admins only).
func (s *Server) auditLog(c *gin.Context) {
	page, err := s.filter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, total, err := s.o.Store.Audit(c.Request.Context(), page.Limit, page.Offset)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(items))
	for _, e := range items {
		out = append(out, gin.H{"at": e.At, "token_name": e.TokenName, "token_role": e.TokenRole, "token_id": e.TokenID,
			"method": e.Method, "route": e.Route, "params": e.Params, "status": e.Status, "result": e.Result})
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": total, "limit": page.Limit, "offset": page.Offset})
}

// assets lists current assets: type, source, host; public=true for assets
// S3 (or the file mode bits) expose; with_pii=true for buckets with objects
// holding personal data.
func (s *Server) assets(c *gin.Context) {
	page, err := s.filter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := store.AssetFilter{Type: c.Query("type"), Source: c.Query("source"), Host: c.Query("host"),
		Attributes: map[string]string{}, AttributeNot: map[string]string{}, Limit: page.Limit, Offset: page.Offset}
	for _, b := range []struct{ param, attr string }{{"public", "public"}, {"world_readable", "world_readable"}} {
		if v := c.Query(b.param); v != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				s.fail(c, errorf(kindBadRequest, b.param+" must be true or false"))
				return
			}
			f.Attributes[b.attr] = v
		}
	}
	switch c.Query("with_pii") {
	case "", "false":
	case "true":
		f.WithPII = true
	default:
		s.fail(c, errorf(kindBadRequest, "with_pii must be true or false"))
		return
	}
	f.Sort = c.DefaultQuery("sort", "location")
	if _, ok := store.AssetSorts[f.Sort]; !ok {
		s.fail(c, errorf(kindBadRequest, "sort must be one of location, occurrences, people, readers, size, modified_at"))
		return
	}
	switch c.DefaultQuery("order", "asc") {
	case "asc":
	case "desc":
		f.Desc = true
	default:
		s.fail(c, errorf(kindBadRequest, "order must be asc or desc"))
		return
	}
	items, total, err := s.o.Store.Assets(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(items))
	for _, a := range items {
		out = append(out, assetJSON(a))
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": total, "limit": f.Limit, "offset": f.Offset})
}

// assetJSON is an asset as the API shows it: identity, attributes, and
// what personal data it holds (types, occurrences, at most how many
// distinct values) and how many principals hold a read grant.
func assetJSON(a store.Asset) gin.H {
	h := gin.H{"asset_id": a.ID, "asset_type": a.Type, "location": a.Location, "host": a.Host, "source": a.Source,
		"owner": a.Owner, "size": a.Size, "attributes": a.Attributes, "categories": nonNil(a.Categories),
		"types": nonNil(a.Types), "occurrences": a.Occurrences, "people_at_most": a.DistinctAtMost, "readers": a.Readers}
	if a.ModifiedAt != nil {
		h["modified_at"] = a.ModifiedAt
	}
	return h
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// riskAssets lists the riskiest assets holding personal data, each score
// with its factors.
func (s *Server) riskAssets(c *gin.Context) {
	page, err := s.filter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	scores, err := risk.Top(c.Request.Context(), s.o.Store, page.Limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(scores))
	for _, sc := range scores {
		factors := make([]gin.H, 0, len(sc.Factors))
		for _, f := range sc.Factors {
			factors = append(factors, gin.H{"factor": f.Name, "points": f.Points})
		}
		out = append(out, gin.H{"asset_id": sc.AssetID, "location": sc.Location, "host": sc.Host, "source": sc.Source,
			"asset_type": sc.AssetType, "score": sc.Score, "factors": factors})
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// assetDetail is one asset: its findings (masked samples, locations), who
// can read it, and its risk with the factors.
func (s *Server) assetDetail(c *gin.Context) {
	ctx := c.Request.Context()
	a, err := s.o.Store.AssetByID(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	findings, _, err := s.o.Store.Findings(ctx, store.FindingFilter{AssetID: a.ID, Limit: store.MaxLimit})
	if err != nil {
		s.fail(c, err)
		return
	}
	fs := make([]gin.H, 0, len(findings))
	for _, f := range findings {
		fs = append(fs, gin.H{"type": f.Type, "category": f.Category, "confidence": f.Confidence, "count": f.Count,
			"distinct": f.Distinct, "samples": f.Samples, "where": f.Locations, "observed_at": f.ObservedAt})
	}
	out := assetJSON(a)
	out["findings"] = fs
	if _, readers, err := access.Readers(ctx, s.o.Store, a.Location, a.Host); err == nil {
		rs := make([]gin.H, 0, len(readers))
		for _, r := range readers {
			rs = append(rs, gin.H{"principal_id": r.PrincipalID, "name": r.Name, "principal_type": r.Type, "privileged": r.Privileged, "via": r.Via})
		}
		out["readers"] = rs
	} else {
		s.fail(c, err)
		return
	}
	if sc, ok, err := risk.Of(ctx, s.o.Store, a.ID); err != nil {
		s.fail(c, err)
		return
	} else if ok {
		factors := make([]gin.H, 0, len(sc.Factors))
		for _, f := range sc.Factors {
			factors = append(factors, gin.H{"factor": f.Name, "points": f.Points})
		}
		out["risk"] = gin.H{"score": sc.Score, "factors": factors}
	}
	c.JSON(http.StatusOK, out)
}

// dataMap is the data map by system (a host's files, a bucket): what
// categories and types, how much, which jurisdiction, public or not. With
// format=csv it is a record-of-processing seed a spreadsheet opens.
func (s *Server) dataMap(c *gin.Context) {
	f := datamap.Filter{Source: c.Query("source"), Jurisdiction: c.Query("jurisdiction"), Category: c.Query("category"),
		Type: c.Query("type")}
	if v := c.Query("public"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(c, errorf(kindBadRequest, "public must be true or false"))
			return
		}
		f.Public = &b
	}
	systems, err := datamap.Map(c.Request.Context(), s.o.Store, s.o.Jurisdictions)
	if err != nil {
		s.fail(c, err)
		return
	}
	systems = f.Apply(systems)
	switch c.DefaultQuery("format", "json") {
	case "json":
		out := make([]gin.H, 0, len(systems))
		for _, m := range systems {
			out = append(out, gin.H{"system": m.System, "source": m.Source, "jurisdiction": m.Jurisdiction, "public": m.Public,
				"categories": m.Categories, "types": m.Types, "assets": m.Assets, "records": m.Occurrences,
				"people_at_most": m.DistinctAtMost, "world_readable_assets": m.WorldReadableAssets,
				"public_assets": m.PublicAssets, "max_readers": m.MaxReaders})
		}
		c.JSON(http.StatusOK, gin.H{"systems": out})
	case "csv":
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="sightline-data-map.csv"`)
		// Cells are neutralised: a name or comment must not become a live
		// spreadsheet formula (internal/csvsafe).
		w := csvsafe.NewWriter(c.Writer)
		_ = w.Write([]string{"system", "source", "jurisdiction", "public", "data_categories", "data_types", "assets", "records", "people_at_most",
			"world_readable_assets", "public_assets", "max_readers"})
		for _, m := range systems {
			_ = w.Write([]string{m.System, m.Source, m.Jurisdiction, strconv.FormatBool(m.Public), strings.Join(m.Categories, ";"),
				strings.Join(m.Types, ";"), strconv.FormatUint(m.Assets, 10), strconv.FormatUint(m.Occurrences, 10),
				strconv.FormatUint(m.DistinctAtMost, 10), strconv.FormatUint(m.WorldReadableAssets, 10),
				strconv.FormatUint(m.PublicAssets, 10), strconv.FormatUint(m.MaxReaders, 10)})
		}
		_ = w.Flush()
	default:
		s.fail(c, errorf(kindBadRequest, "format must be json or csv"))
	}
}

// principalDetail is one principal: why it is privileged, what it holds
// (memberships with their chains, sudo, keys, policies), and the assets
// with personal data it can read.
func (s *Server) principalDetail(c *gin.Context) {
	r, err := access.PrincipalReach(c.Request.Context(), s.o.Store, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	p := r.Principal
	ents := make([]gin.H, 0, len(r.Entitlements))
	for _, e := range r.Entitlements {
		ents = append(ents, gin.H{"resource_id": e.ResourceID, "resource_type": e.ResourceType, "permission": e.Permission,
			"via": e.Via, "privileged": e.Privileged})
	}
	assets := make([]gin.H, 0, len(r.Assets))
	for _, a := range r.Assets {
		assets = append(assets, gin.H{"asset_id": a.ID, "asset_type": a.Type, "location": a.Location, "host": a.Host})
	}
	c.JSON(http.StatusOK, gin.H{"principal_id": p.ID, "name": p.Name, "principal_type": p.Type, "source": p.Source,
		"host": p.Host, "privileged": p.Privileged, "privileged_via": p.PrivilegedVia, "attributes": p.Attributes,
		"entitlements": ents, "reachable_assets_with_pii": assets})
}

func tokenOf(c *gin.Context) store.Token {
	if v, ok := c.Get("token"); ok {
		if t, ok := v.(store.Token); ok {
			return t
		}
	}
	return store.Token{}
}

func reviewError(err error) error {
	switch {
	case errors.Is(err, review.ErrInvalid):
		return errorf(kindBadRequest, err.Error())
	case errors.Is(err, review.ErrNotYours):
		return errorf(kindForbidden, err.Error())
	}
	return err
}

func (s *Server) createCampaign(c *gin.Context) {
	var req review.Request
	if err := decodeJSON(http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10), &req); err != nil {
		s.fail(c, err)
		return
	}
	camp, n, err := review.Create(c.Request.Context(), s.o.Store, req, tokenOf(c).Name, time.Now())
	if err != nil {
		s.fail(c, reviewError(err))
		return
	}
	c.Set("audit_params", "campaign="+camp.ID+" items="+strconv.Itoa(n))
	c.JSON(http.StatusCreated, gin.H{"campaign_id": camp.ID, "name": camp.Name, "items": n, "due": camp.Due})
}

// viewer is who reads a campaign: reviewers see only their own items.
func viewer(t store.Token) review.Viewer {
	return review.Viewer{Name: t.Name, All: t.Role != auth.RoleReviewer}
}

// campaignStatus is the campaign's header and progress. A reviewer with no
// item in it gets 404, as for an unknown campaign (not 403, which would
// tell them it exists); the revoked-but-still-present list shows a
// reviewer only their own items.
func (s *Server) campaignStatus(c *gin.Context) {
	st, err := review.ProgressFor(c.Request.Context(), s.o.Store, c.Param("id"), viewer(tokenOf(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	flagged := make([]gin.H, 0, len(st.StillThere))
	for _, it := range st.StillThere {
		flagged = append(flagged, gin.H{"item_id": it.ItemID, "principal": it.PrincipalName, "resource_id": it.ResourceID,
			"permission": it.Permission, "revoked_by": it.DecidedBy, "revoked_at": it.DecidedAt})
	}
	c.JSON(http.StatusOK, gin.H{"campaign_id": st.Campaign.ID, "name": st.Campaign.Name, "scope": json.RawMessage(st.Campaign.Scope),
		"due": st.Campaign.Due, "created_by": st.Campaign.CreatedBy, "items": st.Items, "pending": st.Pending,
		"decided": st.Decided, "revoked_but_still_present": flagged})
}

func (s *Server) campaignItems(c *gin.Context) {
	// Reviewers see only their own items: an empty list, for a campaign
	// that exists or not, says nothing.
	items, err := review.Items(c.Request.Context(), s.o.Store, c.Param("id"), viewer(tokenOf(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(items))
	for _, it := range items {
		out = append(out, gin.H{"item_id": it.ItemID, "principal_id": it.PrincipalID, "principal": it.PrincipalName,
			"resource_id": it.ResourceID, "resource_type": it.ResourceType, "permission": it.Permission, "via": it.Via,
			"privileged": it.Privileged, "reviewer": it.Reviewer, "reviewer_source": it.ReviewerSource, "decision": it.Decision,
			"comment": it.Comment})
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

func (s *Server) decideItem(c *gin.Context) {
	var req struct {
		Decision   string `json:"decision"`
		Comment    string `json:"comment"`
		ReassignTo string `json:"reassign_to"`
	}
	if err := decodeJSON(http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10), &req); err != nil {
		s.fail(c, err)
		return
	}
	t := tokenOf(c)
	c.Set("audit_params", "item="+c.Param("item")+" decision="+req.Decision)
	err := review.Decide(c.Request.Context(), s.o.Store, c.Param("id"), c.Param("item"), req.Decision, req.Comment, req.ReassignTo,
		t.Name, t.Role == auth.RoleAdmin, time.Now())
	if err != nil {
		s.fail(c, reviewError(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"item_id": c.Param("item"), "decision": req.Decision})
}

// campaignExport is the evidence: every item with its full decision
// history, as CSV.
func (s *Server) campaignExport(c *gin.Context) {
	ctx := c.Request.Context()
	camp, err := s.o.Store.GetCampaign(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.o.Store.ReviewItems(ctx, camp.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	hist, err := s.o.Store.Decisions(ctx, camp.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	byItem := map[string]store.ReviewItem{}
	for _, it := range items {
		byItem[it.ItemID] = it
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="review-`+camp.ID+`.csv"`)
	// Cells are neutralised: a name or comment must not become a live
	// spreadsheet formula (internal/csvsafe).
	w := csvsafe.NewWriter(c.Writer)
	_ = w.Write([]string{"campaign", "item", "principal", "resource_id", "resource_type", "permission", "via", "reviewer",
		"decision", "comment", "reassign_to", "decided_by", "decided_at", "reviewer_source"})
	for _, d := range hist {
		it := byItem[d.ItemID]
		_ = w.Write([]string{camp.Name, d.ItemID, it.PrincipalName, it.ResourceID, it.ResourceType, it.Permission,
			strings.Join(it.Via, " | "), it.Reviewer, d.Decision, d.Comment, d.ReassignTo, d.DecidedBy, d.DecidedAt.Format(time.RFC3339),
			it.ReviewerSource})
	}
	for _, it := range items {
		if it.Decision == "" {
			_ = w.Write([]string{camp.Name, it.ItemID, it.PrincipalName, it.ResourceID, it.ResourceType, it.Permission,
				strings.Join(it.Via, " | "), it.Reviewer, "pending", "", "", "", "", it.ReviewerSource})
		}
	}
	_ = w.Flush()
}
