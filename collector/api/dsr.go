package api

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/dsr"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/subjects"
)

// Data-subject request cases (collector/dsr): the privacy office's work
// from intake to response. Admins and privacy only; every call is
// audited (before the role check, so a refused attempt is recorded too)
// with the case and counts, never an identifier.
func (s *Server) dsrRoutes(v1 *gin.RouterGroup) {
	h := s.handle
	g := v1.Group("/dsr", s.audit, s.requireRole(auth.RoleAdmin, auth.RolePrivacy))
	g.POST("/cases", h(s.createDSRCase))
	g.GET("/cases", h(s.listDSRCases))
	g.GET("/cases/:id", h(s.getDSRCase))
	g.PATCH("/cases/:id", h(s.updateDSRCase))
	g.PUT("/cases/:id/identifiers", h(s.reidentifyDSRCase))
	g.POST("/cases/:id/searches", s.fresh, h(s.searchDSRCase))
	g.GET("/cases/:id/searches", h(s.listDSRSearches))
	g.GET("/cases/:id/package", h(s.dsrPackage))
	g.GET("/reminders", h(s.dsrReminders))
}

// dsrBodyLimit bounds a case body (50 identifiers fit many times over).
const dsrBodyLimit = 64 << 10

// dsrDelivery says how reminders reach people today.
const dsrDelivery = "listed here; delivered by alert rules of kind dsr_deadline (webhook, e-mail, SIEM) when the collector has one"

// takeSubjectBudget charges n identifiers to the caller's subject-search
// budget (subject search, and a case's identifiers: tokenising them is a
// search waiting to happen), so guesses cannot be tested at scale.
func (s *Server) takeSubjectBudget(c *gin.Context, n int) error {
	if n == 0 || n > subjects.MaxIdentifiers {
		return errorf(kindBadRequest, fmt.Sprintf("give between 1 and %d identifiers", subjects.MaxIdentifiers))
	}
	if ok, wait := s.o.SubjectBudget.Take(budgetKey(tokenOf(c)), n); !ok {
		secs := int((wait + time.Second - 1) / time.Second)
		ae := errorf(kindTooMany, fmt.Sprintf("this token holder's subject-search budget is spent (subjects.max_identifiers_per_hour); retry in %d s", secs))
		ae.retryAfter = secs
		return ae
	}
	return nil
}

// budgetKey is whose subject-search budget a token spends: its holder's,
// named by the token's name. A single sign-on login mints a new token
// named after the person each time, and an API token's name is unique
// among live tokens, so by id a person refilled their budget by logging
// in again; an unnamed token (command line) has a budget of its own.
func budgetKey(t store.Token) string {
	if t.Name != "" {
		return "name:" + t.Name
	}
	return "id:" + auth.ID(t)
}

// identifierTypes is the audit params of a request that gives
// identifiers (subject search, a DSR case): how many and their types,
// never a value.
func identifierTypes(ids []subjects.Identifier) string {
	types := make([]string, len(ids))
	for i, id := range ids {
		types[i] = id.Type
	}
	return fmt.Sprintf("identifiers=%d types=%s", len(ids), strings.Join(types, ","))
}

func (s *Server) createDSRCase(c *gin.Context) (any, error) {
	var in dsr.CreateInput
	if err := decodeJSON(c, dsrBodyLimit, &in); err != nil {
		return nil, err
	}
	c.Set("audit_params", "create regulation="+in.Regulation+" "+identifierTypes(in.Identifiers))
	if err := s.takeSubjectBudget(c, len(in.Identifiers)); err != nil {
		return nil, err
	}
	cs, err := s.o.DSR.Create(c.Request.Context(), in, tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", "case="+cs.ID+" create regulation="+cs.Regulation+" "+identifierTypes(in.Identifiers))
	return created(s.dsrCaseOf(cs)), nil
}

func (s *Server) listDSRCases(c *gin.Context) (any, error) {
	cs, err := s.o.DSR.List(c.Request.Context(), c.Query("status"))
	if err != nil {
		return nil, err
	}
	return listOf(each(cs, s.dsrCaseOf)), nil
}

func (s *Server) getDSRCase(c *gin.Context) (any, error) {
	c.Set("audit_params", "case="+c.Param("id"))
	cs, err := s.o.DSR.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, err
	}
	return s.dsrCaseOf(cs), nil
}

func (s *Server) updateDSRCase(c *gin.Context) (any, error) {
	var in dsr.UpdateInput
	if err := decodeJSON(c, dsrBodyLimit, &in); err != nil {
		return nil, err
	}
	params := "case=" + c.Param("id")
	if in.Status != nil {
		params += " status=" + *in.Status
	}
	if in.Owner != nil {
		params += " owner=" + *in.Owner
	}
	c.Set("audit_params", params)
	cs, err := s.o.DSR.Update(c.Request.Context(), c.Param("id"), in, tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	return s.dsrCaseOf(cs), nil
}

func (s *Server) reidentifyDSRCase(c *gin.Context) (any, error) {
	var in struct {
		Identifiers []subjects.Identifier `json:"identifiers"`
	}
	if err := decodeJSON(c, dsrBodyLimit, &in); err != nil {
		return nil, err
	}
	c.Set("audit_params", "case="+c.Param("id")+" reidentify "+identifierTypes(in.Identifiers))
	if err := s.takeSubjectBudget(c, len(in.Identifiers)); err != nil {
		return nil, err
	}
	cs, err := s.o.DSR.Reidentify(c.Request.Context(), c.Param("id"), in.Identifiers, tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	return s.dsrCaseOf(cs), nil
}

func (s *Server) searchDSRCase(c *gin.Context) (any, error) {
	c.Set("audit_params", "case="+c.Param("id")+" search")
	sr, err := s.o.DSR.Search(c.Request.Context(), c.Param("id"), tokenOf(c).Name)
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", fmt.Sprintf("case=%s search=%s matches=%d sources=%d", sr.CaseID, sr.ID, sr.Matches, sr.Sources))
	return created(sr), nil
}

func (s *Server) listDSRSearches(c *gin.Context) (any, error) {
	c.Set("audit_params", "case="+c.Param("id"))
	ss, err := s.o.DSR.Searches(c.Request.Context(), c.Param("id"))
	if err != nil {
		return nil, err
	}
	return listOf(nonNil(ss)), nil
}

// dsrPackage is the response package, as JSON or (format=csv) CSV.
func (s *Server) dsrPackage(c *gin.Context) (any, error) {
	format, err := formatQuery(c)
	if err != nil {
		return nil, err
	}
	c.Set("audit_params", "case="+c.Param("id")+" package format="+format+" search="+c.Query("search"))
	p, err := s.o.DSR.Package(c.Request.Context(), c.Param("id"), c.Query("search"))
	if err != nil {
		return nil, err
	}
	if format == "csv" {
		return dsrPackageCSV(p), nil
	}
	return DSRPackage{
		Case: s.dsrCaseOf(p.Case), Search: p.Search, Found: len(p.Found) > 0, Statement: p.Statement,
		Locations: each(p.Found, func(h store.DSRHit) SubjectMatch {
			return SubjectMatch{AssetID: h.AssetID, Location: h.Location, Host: h.Host, Source: h.Source, Type: h.Type,
				Count: h.Count, LastSeen: h.LastSeen, Identifiers: intsOf(h.Identifiers)}
		}),
		Coverage:    nonNil(p.Coverage),
		GeneratedAt: p.GeneratedAt, Note: subjectNote,
	}, nil
}

// dsrPackageCSV is the package as one table: a row per location found
// ("found", dated by when it was last seen), a row per source covered
// ("covered", dated by its scan's finish), and, when nothing was found, a
// "not_found" row dated by the index the search read.
func dsrPackageCSV(p dsr.Package) csvTable {
	t := csvTable{filename: "dsr-" + p.Case.ID + "-" + p.Search.ID + ".csv",
		header: []string{"record", "case", "reference", "host", "source", "scanner", "location", "type", "count", "identifiers", "scan_id", "as_of"}}
	row := func(rec, host, source, scanner, loc, typ, count, ids, scan string, at time.Time) {
		t.rows = append(t.rows, []string{rec, p.Case.ID, p.Case.Reference, host, source, scanner, loc, typ, count, ids, scan, at.Format(time.RFC3339)})
	}
	if len(p.Found) == 0 {
		row("not_found", "", "", "", "", "", "0", "", "", p.Search.IndexBuiltAt)
	}
	for _, h := range p.Found {
		ids := make([]string, len(h.Identifiers))
		for i, v := range h.Identifiers {
			ids[i] = strconv.Itoa(int(v))
		}
		row("found", h.Host, h.Source, "", h.Location, h.Type, strconv.FormatUint(h.Count, 10), strings.Join(ids, " "), "", h.LastSeen)
	}
	for _, cv := range p.Coverage {
		row("covered", cv.Host, cv.Source, cv.Scanner, "", "", "", "", cv.ScanID, cv.FinishedAt)
	}
	return t
}

func (s *Server) dsrReminders(c *gin.Context) (any, error) {
	days, err := intQuery(c, "within_days", 7, 366)
	if err != nil {
		return nil, err
	}
	r, err := s.o.DSR.Reminders(c.Request.Context(), time.Duration(days)*24*time.Hour)
	if err != nil {
		return nil, err
	}
	return DSRReminders{AsOf: r.AsOf, WithinDays: days, Overdue: each(r.Overdue, s.dsrCaseOf),
		DueSoon: each(r.DueSoon, s.dsrCaseOf), Delivery: dsrDelivery}, nil
}

func intsOf(v []uint16) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func (s *Server) dsrCaseOf(c store.DSRCase) DSRCase {
	ids := make([]DSRIdentifier, len(c.IdentifierTypes))
	for i, t := range c.IdentifierTypes {
		ids[i] = DSRIdentifier{Index: i, Type: t}
	}
	open := c.Status == dsr.StatusOpen || c.Status == dsr.StatusSearching
	return DSRCase{ID: c.ID, Reference: c.Reference, Regulation: c.Regulation, ReceivedAt: c.ReceivedAt, DueAt: c.DueAt,
		Status: c.Status, Owner: c.Owner, Identifiers: ids, Overdue: open && !c.DueAt.After(s.o.Now().UTC()),
		CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedBy: c.UpdatedBy, UpdatedAt: c.UpdatedAt,
		RespondedAt: c.RespondedAt, ClosedAt: c.ClosedAt}
}

// DSRCase is a data-subject request case. Identifiers are named by index
// and type: the case keeps no value.
type DSRCase struct {
	ID          string          `json:"id"`
	Reference   string          `json:"reference"`
	Regulation  string          `json:"regulation"`
	ReceivedAt  time.Time       `json:"received_at"`
	DueAt       time.Time       `json:"due_at"`
	Status      string          `json:"status"`
	Owner       string          `json:"owner"`
	Identifiers []DSRIdentifier `json:"identifiers"`
	Overdue     bool            `json:"overdue"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedBy   string          `json:"updated_by"`
	UpdatedAt   time.Time       `json:"updated_at"`
	RespondedAt *time.Time      `json:"responded_at"`
	ClosedAt    *time.Time      `json:"closed_at"`
}

// DSRIdentifier is one identifier of a case, by index and type.
type DSRIdentifier struct {
	Index int    `json:"index"`
	Type  string `json:"type"`
}

// DSRPackage is the response package of a case.
type DSRPackage struct {
	Case        DSRCase             `json:"case"`
	Search      store.DSRSearch     `json:"search"`
	Found       bool                `json:"found"`
	Statement   string              `json:"statement"`
	Locations   []SubjectMatch      `json:"locations"`
	Coverage    []store.DSRCoverage `json:"coverage"`
	GeneratedAt time.Time           `json:"generated_at"`
	Note        string              `json:"note"`
}

// DSRReminders lists the cases to answer that are overdue or due soon.
type DSRReminders struct {
	AsOf       time.Time `json:"as_of"`
	WithinDays int       `json:"within_days"`
	Overdue    []DSRCase `json:"overdue"`
	DueSoon    []DSRCase `json:"due_soon"`
	Delivery   string    `json:"delivery"`
}
