package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/console"
	"github.com/sightline-dev/sightline/collector/records"
)

// Records of processing (collector/records) and privacy impact
// assessments (collector/pia, pia.go): the privacy office's registers.
// Admins and privacy only; every call is audited (before the role check,
// so a refused attempt is recorded too) with the system or PIA, never the
// free text people wrote.
func (s *Server) ropaRoutes(v1 *gin.RouterGroup) {
	h := s.handle
	g := v1.Group("/records", s.audit, s.requireRole(auth.RoleAdmin, auth.RolePrivacy))
	g.GET("", s.fresh, h(s.listRecords))
	g.GET("/report", s.fresh, h(s.recordsReport))
	g.GET("/:system", s.fresh, h(s.getRecord))
	g.PUT("/:system", h(s.putRecord))
	p := v1.Group("/pias", s.audit, s.requireRole(auth.RoleAdmin, auth.RolePrivacy))
	p.POST("", s.fresh, h(s.createPIA))
	p.GET("", s.fresh, h(s.listPIAs))
	p.GET("/:id", s.fresh, h(s.getPIA))
	p.PUT("/:id", s.fresh, h(s.updatePIA))
}

// ropaBodyLimit bounds a record or PIA body.
const ropaBodyLimit = 128 << 10

// dataAsOf is when the read index this request read was built, as the
// fresh middleware told the client (zero when it did not run).
func dataAsOf(c *gin.Context) time.Time {
	t, _ := time.Parse(time.RFC3339, c.Writer.Header().Get("Sightline-Data-As-Of"))
	return t.UTC()
}

// listRecords is every system, discovered and recorded; format=csv gives
// the register as a spreadsheet (cells neutralised by internal/csvsafe).
func (s *Server) listRecords(c *gin.Context) (any, error) {
	format, err := formatQuery(c)
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", "format="+format)
	es, err := s.o.Records.List(c.Request.Context())
	if err != nil {
		return nil, err
	}
	if format == "csv" {
		return csvTable{filename: "sightline-records-of-processing.csv", header: records.CSVHeader, rows: each(es, records.CSVRow)}, nil
	}
	out := RecordsList{Items: each(es, recordEntryOf), Total: len(es), AsOf: dataAsOf(c)}
	for _, e := range out.Items {
		if e.MissingRecord {
			out.Missing++
		}
	}
	return out, nil
}

// htmlPage is a server-rendered page under the console's
// Content-Security-Policy.
type htmlPage struct{ body []byte }

func (p htmlPage) respond(c *gin.Context) {
	c.Header("Content-Security-Policy", console.CSP)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/html; charset=utf-8", p.body)
}

// recordsReport is the printable report of every system.
func (s *Server) recordsReport(c *gin.Context) (any, error) {
	es, err := s.o.Records.List(c.Request.Context())
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := records.Report(&b, es, dataAsOf(c), s.o.Now().UTC()); err != nil {
		return nil, err
	}
	return htmlPage{body: b.Bytes()}, nil
}

func (s *Server) getRecord(c *gin.Context) (any, error) {
	c.Set("audit_params", "system="+c.Param("system"))
	e, hist, err := s.o.Records.Get(c.Request.Context(), c.Param("system"))
	if err != nil {
		return nil, err
	}
	return RecordDetail{RecordEntry: recordEntryOf(e), AsOf: dataAsOf(c), History: each(hist, processingRecordOf)}, nil
}

func (s *Server) putRecord(c *gin.Context) (any, error) {
	var in records.Input
	if err := decodeJSON(c, ropaBodyLimit, &in); err != nil {
		return nil, err
	}
	// Only what is enumerated is logged once valid: never the free text.
	c.Set("audit_params", "system="+c.Param("system"))
	r, err := s.o.Records.Put(c.Request.Context(), c.Param("system"), in, tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", "system="+r.System+" revision="+strconv.FormatUint(uint64(r.Revision), 10)+" legal_basis="+r.LegalBasis)
	return processingRecordOf(r), nil
}
