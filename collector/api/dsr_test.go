package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

type dsrCase struct {
	ID          string     `json:"id"`
	Reference   string     `json:"reference"`
	Regulation  string     `json:"regulation"`
	ReceivedAt  time.Time  `json:"received_at"`
	DueAt       time.Time  `json:"due_at"`
	Status      string     `json:"status"`
	Owner       string     `json:"owner"`
	Overdue     bool       `json:"overdue"`
	RespondedAt *time.Time `json:"responded_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	Identifiers []struct {
		Index int    `json:"index"`
		Type  string `json:"type"`
	} `json:"identifiers"`
}

type dsrPackage struct {
	Case   dsrCase `json:"case"`
	Search struct {
		ID              string    `json:"id"`
		IndexGeneration uint64    `json:"index_generation"`
		IndexAsOf       time.Time `json:"index_as_of"`
	} `json:"search"`
	Found     bool   `json:"found"`
	Statement string `json:"statement"`
	Locations []struct {
		AssetID     string `json:"asset_id"`
		Location    string `json:"location"`
		Host        string `json:"host"`
		Type        string `json:"type"`
		Identifiers []int  `json:"identifiers"`
	} `json:"locations"`
	Coverage []struct {
		Host       string    `json:"host"`
		Source     string    `json:"source"`
		ScanID     string    `json:"scan_id"`
		FinishedAt time.Time `json:"finished_at"`
	} `json:"coverage"`
}

// TestDSRCaseEndToEnd: a privacy officer opens a case for a person whose
// e-mail address is in a file on web-1, searches, gets the response
// package naming the file and the scans covered with their dates, and
// closes the case; the address is in no table, log entry or answer. A
// case for an address nobody holds gets a package that says "not found"
// with the same coverage dates. Reminders list what is due and overdue.
func TestDSRCaseEndToEnd(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn})
	ts := httptest.NewServer(api.New(api.Options{Store: st, Auth: authn, Fleet: fl, Logger: log, Now: clock}))
	t.Cleanup(ts.Close)
	h := &harness{t: t, st: st, srv: ts}
	privacy, _, err := authn.Create(ctx, auth.RolePrivacy, "dpo", "", 0)
	require.NoError(t, err)
	security, _, err := authn.Create(ctx, auth.RoleSecurity, "soc", "", 0)
	require.NoError(t, err)
	admin, _, err := authn.Create(ctx, auth.RoleAdmin, "admin", "", 0)
	require.NoError(t, err)

	// web-1's file scan found the person's address in one file; db-1's
	// database scan covered its tables and found nothing of theirs. The
	// stored token is what the agent's hash re-keyed by the collector is.
	const raw = "Jana.Novak@Example.ORG"
	obs := time.Date(2026, 3, 9, 22, 0, 0, 0, time.UTC)
	fsStart, fsEnd := obs.Add(-10*time.Minute), obs
	dbStart, dbEnd := obs.Add(-2*time.Hour), obs.Add(-90*time.Minute)
	recs := []wire.Record{
		{Kind: wire.KindPII, Source: wire.SourceFS, ScanID: "scan-fs", ObservedAt: obs, AgentID: "agent-web", Host: "web-1",
			AssetID: "f-crm", Location: "file:///srv/crm/export.csv", Type: "email", Category: "contact", Count: 3, Distinct: 3,
			Confidence: wire.ConfidenceHigh, Samples: []string{"j***@example.org"}, Where: []string{"line 7"},
			Tokens: []string{fl.Keys().SearchToken([]byte(mustNorm(t, raw)))}},
		{Kind: wire.KindScan, Source: wire.SourceFS, ScanID: "scan-fs", ObservedAt: obs, AgentID: "agent-web", Host: "web-1",
			Scanner: "fs", StartedAt: &fsStart, FinishedAt: &fsEnd, Status: wire.StatusOK},
		{Kind: wire.KindScan, Source: "postgres", ScanID: "scan-db", ObservedAt: dbEnd, AgentID: "agent-db", Host: "db-1",
			Scanner: "postgres", StartedAt: &dbStart, FinishedAt: &dbEnd, Status: wire.StatusOK},
	}
	require.NoError(t, st.InsertRecords(ctx, recs))
	storetest.BuildIndex(t, st)

	call := func(method, path, token, body string, want int, out any) string {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		code, answer := h.do(method, path, token, nil, rd)
		require.Equal(t, want, code, "%s %s: %s", method, path, answer)
		if out != nil {
			require.NoError(t, json.Unmarshal([]byte(answer), out), answer)
		}
		require.NotContains(t, strings.ToLower(answer), strings.ToLower(raw), "no answer echoes the identifier")
		return answer
	}

	// Open the case (a security token may not).
	body := `{"reference":"DSR-2026-0042","regulation":"gdpr","received_at":"2026-03-02T08:00:00Z","identifiers":[{"type":"email","value":"` + raw + `"}]}`
	call("POST", "/api/v1/dsr/cases", security, body, 403, nil)
	call("POST", "/api/v1/dsr/cases", privacy, `{"reference":"Jana Novak","identifiers":[{"type":"email","value":"`+raw+`"}]}`, 400, nil)
	call("POST", "/api/v1/dsr/cases", privacy, `{"reference":"R-1","identifiers":[{"type":"email","value":"not-an-address"}]}`, 400, nil)
	var c dsrCase
	call("POST", "/api/v1/dsr/cases", privacy, body, 201, &c)
	require.Equal(t, "open", c.Status)
	require.Equal(t, "dpo", c.Owner, "the owner defaults to the caller")
	require.Equal(t, time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC), c.DueAt, "GDPR: one month from receipt")
	require.Len(t, c.Identifiers, 1)
	require.Equal(t, "email", c.Identifiers[0].Type)

	// No package before a search; then the search, kept with the index it read.
	call("GET", "/api/v1/dsr/cases/"+c.ID+"/package", privacy, "", 409, nil)
	var sr struct {
		ID              string `json:"id"`
		IndexGeneration uint64 `json:"index_generation"`
		Matches         int    `json:"matches"`
		Sources         int    `json:"sources"`
	}
	call("POST", "/api/v1/dsr/cases/"+c.ID+"/searches", privacy, "", 201, &sr)
	require.Equal(t, 1, sr.Matches)
	require.Equal(t, 2, sr.Sources)
	require.NotZero(t, sr.IndexGeneration)
	call("GET", "/api/v1/dsr/cases/"+c.ID, privacy, "", 200, &c)
	require.Equal(t, "searching", c.Status, "a search moves an open case on")

	var pkg dsrPackage
	call("GET", "/api/v1/dsr/cases/"+c.ID+"/package", privacy, "", 200, &pkg)
	require.True(t, pkg.Found)
	require.Equal(t, sr.ID, pkg.Search.ID)
	require.Len(t, pkg.Locations, 1)
	require.Equal(t, "f-crm", pkg.Locations[0].AssetID)
	require.Equal(t, "file:///srv/crm/export.csv", pkg.Locations[0].Location)
	require.Equal(t, []int{0}, pkg.Locations[0].Identifiers)
	covered := map[string]time.Time{}
	for _, cv := range pkg.Coverage {
		covered[cv.Host+" "+cv.Source+" "+cv.ScanID] = cv.FinishedAt
	}
	require.Equal(t, map[string]time.Time{"web-1 fs scan-fs": fsEnd, "db-1 postgres scan-db": dbEnd}, covered)
	require.Contains(t, pkg.Statement, "Found in 1 assets on 1 hosts among the 2 sources covered")
	require.Contains(t, pkg.Statement, dbEnd.Format(time.RFC3339), "the oldest scan covered is dated")

	csvText := call("GET", "/api/v1/dsr/cases/"+c.ID+"/package?format=csv", privacy, "", 200, nil)
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"record", "case", "reference", "host", "source", "scanner", "location", "type", "count", "identifiers", "scan_id", "as_of"}, rows[0])
	require.Equal(t, []string{"found", c.ID, "DSR-2026-0042", "web-1", "fs", "", "file:///srv/crm/export.csv", "email", "3", "0", "", obs.Format(time.RFC3339)}, rows[1])
	require.ElementsMatch(t, [][]string{
		{"covered", c.ID, "DSR-2026-0042", "db-1", "postgres", "postgres", "", "", "", "", "scan-db", dbEnd.Format(time.RFC3339)},
		{"covered", c.ID, "DSR-2026-0042", "web-1", "fs", "fs", "", "", "", "", "scan-fs", fsEnd.Format(time.RFC3339)},
	}, rows[2:])

	// A case for an address nobody holds: "not found", dated.
	var none dsrCase
	call("POST", "/api/v1/dsr/cases", privacy, `{"reference":"DSR-2026-0043","regulation":"ccpa","owner":"Kim","identifiers":[{"type":"email","value":"nobody@example.net"}]}`, 201, &none)
	require.Equal(t, now.Add(45*24*time.Hour), none.DueAt, "CCPA: 45 days")
	call("POST", "/api/v1/dsr/cases/"+none.ID+"/searches", admin, "", 201, &sr)
	require.Zero(t, sr.Matches)
	var nf dsrPackage
	call("GET", "/api/v1/dsr/cases/"+none.ID+"/package", privacy, "", 200, &nf)
	require.False(t, nf.Found)
	require.Empty(t, nf.Locations)
	require.Len(t, nf.Coverage, 2)
	require.Contains(t, nf.Statement, "Not found: none of the identifiers appears in the 2 sources covered (index as of "+nf.Search.IndexAsOf.Format(time.RFC3339))
	csvText = call("GET", "/api/v1/dsr/cases/"+none.ID+"/package?format=csv", privacy, "", 200, nil)
	rows, err = csv.NewReader(strings.NewReader(csvText)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, "header, not_found, two covered")
	require.Equal(t, []string{"not_found", none.ID, "DSR-2026-0043", "", "", "", "", "", "0", "", "", nf.Search.IndexAsOf.Format(time.RFC3339)}, rows[1])

	// Reminders: on 30 March the GDPR case is due within 7 days; after
	// its deadline it is overdue. Delivery is said to be the API only.
	advance(20 * 24 * time.Hour)
	var rem struct {
		Overdue  []dsrCase `json:"overdue"`
		DueSoon  []dsrCase `json:"due_soon"`
		Delivery string    `json:"delivery"`
	}
	call("GET", "/api/v1/dsr/reminders?within_days=7", privacy, "", 200, &rem)
	require.Empty(t, rem.Overdue)
	require.Len(t, rem.DueSoon, 1)
	require.Equal(t, c.ID, rem.DueSoon[0].ID)
	require.Contains(t, rem.Delivery, "dsr_deadline")
	call("GET", "/api/v1/dsr/reminders?within_days=400", privacy, "", 400, nil)
	advance(4 * 24 * time.Hour)
	call("GET", "/api/v1/dsr/reminders?within_days=30", privacy, "", 200, &rem)
	require.Len(t, rem.Overdue, 1)
	require.True(t, rem.Overdue[0].Overdue)
	require.Len(t, rem.DueSoon, 1)
	require.Equal(t, none.ID, rem.DueSoon[0].ID)

	// Respond and close; a closed case is final.
	call("PATCH", "/api/v1/dsr/cases/"+c.ID, privacy, `{"status":"responded"}`, 200, &c)
	require.NotNil(t, c.RespondedAt)
	call("PATCH", "/api/v1/dsr/cases/"+c.ID, privacy, `{"status":"closed"}`, 200, &c)
	require.Equal(t, "closed", c.Status)
	require.NotNil(t, c.ClosedAt)
	call("PATCH", "/api/v1/dsr/cases/"+c.ID, privacy, `{"status":"open"}`, 409, nil)
	call("POST", "/api/v1/dsr/cases/"+c.ID+"/searches", privacy, "", 409, nil)
	call("GET", "/api/v1/dsr/reminders?within_days=30", privacy, "", 200, &rem)
	require.Empty(t, rem.Overdue, "a closed case needs no reminder")
	var list struct {
		Items []dsrCase `json:"items"`
	}
	call("GET", "/api/v1/dsr/cases?status=closed", privacy, "", 200, &list)
	require.Len(t, list.Items, 1)
	call("GET", "/api/v1/dsr/cases/0123456789abcdef", privacy, "", 404, nil)
	call("GET", "/api/v1/dsr/cases/x%27%20OR%201", privacy, "", 400, nil)

	// The identifier is in no table: every row of every table, and the
	// case's own columns asked for the value directly.
	dump := strings.ToLower(storetest.Dump(t, st))
	require.NotContains(t, dump, strings.ToLower(raw))
	require.NotContains(t, dump, "nobody@example.net")
	require.NotContains(t, dump, "jana.novak")
	var hits []struct {
		N uint64 `ch:"n"`
	}
	require.NoError(t, st.Conn().Select(ctx, &hits, "SELECT count() AS n FROM `"+st.Database()+"`.dsr_cases WHERE positionCaseInsensitive(concat(reference, owner, arrayStringConcat(tokens, ' '), arrayStringConcat(id_types, ' ')), ?) > 0", "novak"))
	require.Equal(t, uint64(0), hits[0].N)
	var toks []struct {
		Tokens []string `ch:"tokens"`
	}
	require.NoError(t, st.Conn().Select(ctx, &toks, "SELECT tokens FROM `"+st.Database()+"`.dsr_cases WHERE case_id = ? LIMIT 1", c.ID))
	require.NotEmpty(t, toks[0].Tokens, "the case keeps its identifier as keyed tokens")

	// Every step is in the audit log, by case, without the identifier.
	var audit struct {
		Items []struct {
			Route  string `json:"route"`
			Params string `json:"params"`
			Status int    `json:"status"`
		} `json:"items"`
	}
	call("GET", "/api/v1/audit?limit=1000", admin, "", 200, &audit)
	steps := map[string]int{}
	for _, e := range audit.Items {
		if strings.HasPrefix(e.Route, "/api/v1/dsr/") && strings.Contains(e.Params, c.ID) {
			steps[e.Route+" "+http.StatusText(e.Status)]++
		}
	}
	require.Equal(t, 1, steps["/api/v1/dsr/cases OK"]+steps["/api/v1/dsr/cases Created"], "creation: %v", steps)
	require.Equal(t, 1, steps["/api/v1/dsr/cases/:id/searches Created"], "%v", steps)
	require.Equal(t, 1, steps["/api/v1/dsr/cases/:id/searches Conflict"], "%v", steps)
	require.Equal(t, 3, steps["/api/v1/dsr/cases/:id/package OK"]+steps["/api/v1/dsr/cases/:id/package Conflict"], "%v", steps)
	require.Equal(t, 3, steps["/api/v1/dsr/cases/:id OK"], "one read and two status changes: %v", steps)
	refused := 0
	for _, e := range audit.Items {
		if e.Route == "/api/v1/dsr/cases" && e.Status == http.StatusForbidden {
			refused++
		}
	}
	require.Equal(t, 1, refused, "a refused attempt is audited too")
}
