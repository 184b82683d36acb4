package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sightline-dev/sightline/collector/admission"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/identity"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/limitread"
	"github.com/sightline-dev/sightline/internal/wire"
)

func (s *Server) enroll(c *gin.Context) (any, error) {
	var req fleet.EnrollRequest
	if err := decodeJSON(c, 64<<10, &req); err != nil {
		return nil, err
	}
	if req.EnrollSecret == "" {
		return nil, errorf(kindBadRequest, "enroll_secret is required")
	}
	req.ClientCert = clientCert(c.Request)
	en, err := s.o.Fleet.Enroll(c.Request.Context(), req)
	if err != nil {
		return nil, err
	}
	s.o.Logger.Info("agent enrolled", "agent_id", en.AgentID, "hostname", req.Hostname)
	return created(en), nil
}

// ingest accepts one agent batch. The whole batch is decoded and validated
// before anything is stored, so a bad line rejects exactly this batch and
// nothing else; it is answered only once its rows are in ClickHouse.
func (s *Server) ingest(c *gin.Context) (any, error) {
	ctx := c.Request.Context()
	tok, err := s.agentOnly(c)
	if err != nil {
		return nil, err
	}
	if ct := c.GetHeader("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/x-ndjson" && mt != "application/json" {
			return nil, errorf(kindUnsupported, "Content-Type must be application/x-ndjson")
		}
	}
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 128 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return nil, errorf(kindBadRequest, "Idempotency-Key must be at most 128 printable ASCII characters")
	}
	host, err := s.o.Fleet.Touch(ctx, tok.AgentID)
	if err != nil {
		return nil, err
	}
	seen, err := s.o.Ingester.Seen(ctx, tok.AgentID, key)
	if err != nil {
		return nil, err
	}
	if seen {
		s.metrics.ingestBatches.WithLabelValues("duplicate").Inc()
		return IngestResult{Duplicate: true}, nil
	}

	recs, release, err := s.readBatch(c, tok.AgentID)
	if err != nil {
		s.metrics.ingestBatches.WithLabelValues("rejected").Inc()
		return nil, err
	}
	defer release()
	// The collector, not the agent, decides whom the records speak for
	// (collector/identity): the token's agent, its enrolled host, the
	// sources it is the authority for.
	if err := s.o.Identity.Admit(ctx, tok.AgentID, host, recs); err != nil {
		s.metrics.ingestBatches.WithLabelValues("rejected").Inc()
		s.auditRefusal(c, tok, err)
		return nil, err
	}
	if err := s.o.Ingester.Submit(ctx, tok.AgentID, key, recs); err != nil {
		s.metrics.ingestBatches.WithLabelValues("failed").Inc()
		return nil, err
	}
	s.metrics.ingestBatches.WithLabelValues("stored").Inc()
	perKind := map[string]int{}
	for i := range recs {
		perKind[recs[i].Kind]++
	}
	for k, n := range perKind {
		s.metrics.ingestRecords.WithLabelValues(k).Add(float64(n))
	}
	return IngestResult{Accepted: len(recs)}, nil
}

// auditRefusal logs and audits an identity refusal: an agent speaking
// for what it may not is a security event (errorRules answers it 403).
func (s *Server) auditRefusal(c *gin.Context, tok store.Token, err error) {
	var ref *identity.RefusedError
	if errors.As(err, &ref) {
		s.auditAgentRefusal(c, tok, "refused: "+ref.Error())
	}
}

// auditAgentRefusal logs and audits a request of an agent's token that
// was refused as a security event (403).
func (s *Server) auditAgentRefusal(c *gin.Context, tok store.Token, result string) {
	s.o.Logger.Warn("agent request refused", "agent_id", tok.AgentID, "route", c.FullPath(), "reason", result)
	e := store.AuditEntry{At: time.Now().UTC(), TokenName: tok.Name, TokenRole: tok.Role,
		TokenID: tokenID(tok), Method: c.Request.Method, Route: c.FullPath(),
		Params: "agent_id=" + tok.AgentID, Status: http.StatusForbidden, Result: result}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if aerr := s.o.Store.AppendAudit(ctx, e); aerr != nil {
		s.o.Logger.Error("audit entry not written", "route", e.Route, "err", aerr)
	}
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
		return nil, nil, err
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
		body = &admission.RatioReader{R: limitread.Reader(zr, s.o.MaxDecodedBytes, errDecodedTooLarge), Compressed: compressed,
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
			return nil, nil, bodyError(err, "batch")
		}
		if err := t.Charge(admission.RecordBytes(&rec)); err != nil {
			return nil, nil, err
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 {
		return nil, nil, errorf(kindBadRequest, "empty batch: send at least one NDJSON record")
	}
	t.Records(len(recs))
	return recs, rel, nil
}

// newAdmission builds the ingest admission controller from the options:
// the ingester's pending rows tell it when a batch whose request ended
// early has been flushed (see admission.Ticket.Release).
func newAdmission(o Options, reg prometheus.Registerer) *admission.Controller {
	ao := o.Admission
	if ao.PendingRows == nil && o.Ingester != nil {
		ao.PendingRows = o.Ingester.Pending
	}
	if ao.Now == nil {
		ao.Now = o.Now
	}
	adm := admission.New(ao)
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sightline_ingest_memory_bytes",
			Help: "Bytes of the ingest memory budget held by decoded records not yet flushed."},
			func() float64 { return float64(adm.Stats().UsedBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sightline_ingest_memory_budget_bytes",
			Help: "The ingest memory budget (ingest.memory_budget_bytes)."},
			func() float64 { return float64(adm.Stats().BudgetBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sightline_ingest_inflight",
			Help: "Agent batches being decoded or waiting for their flush."},
			func() float64 { return float64(adm.Stats().Inflight) }),
	)
	return adm
}
