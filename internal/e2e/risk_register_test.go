package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// TestRiskRegister ingests a directory, an AWS account and a file share
// through POST /api/v1/ingest, then checks the principal filters, the
// principal risk factors, the register's order, a status change and its
// history, the roles, and the audit log.
func TestRiskRegister(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	a := s.newAgent([]string{t.TempDir()}, "") // enrolled, never run: the records below are all it sends
	now := time.Now().UTC().Truncate(time.Second)
	ago := func(days int) *time.Time {
		v := now.Add(-time.Duration(days) * 24 * time.Hour)
		return &v
	}
	yes, no := true, false
	env := func(kind, source, host string) wire.Record {
		return wire.Record{Kind: kind, Source: source, ScanID: source + "-scan", ObservedAt: now.Add(-time.Minute), Host: host}
	}
	principal := func(source, id, name, typ string, enabled *bool, via string, last *time.Time, mfa *bool, attrs map[string]string) wire.Record {
		r := env(wire.KindPrincipal, source, "dc1")
		r.PrincipalID, r.Name, r.PrincipalType, r.Enabled, r.LastLogin, r.MFA, r.Attributes = id, name, typ, enabled, last, mfa, attrs
		if via != "" {
			r.Privileged, r.PrivilegedVia = true, []string{via}
		}
		return r
	}
	grant := func(source, who, what, typ, perm string) wire.Record {
		r := env(wire.KindEntitlement, source, "dc1")
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = who, what, typ, perm
		return r
	}
	file := func(id, path, owner string, count int64, attrs map[string]string) []wire.Record {
		as := env(wire.KindAsset, wire.SourceFS, "files1")
		as.AssetID, as.AssetType, as.Location, as.Owner, as.Attributes = id, "file", wire.FileLocation(path), owner, attrs
		p := env(wire.KindPII, wire.SourceFS, "files1")
		p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Distinct = id, as.Location, "email", "contact", count, count
		p.Confidence, p.Samples = wire.ConfidenceHigh, []string{"j***@e***.com"}
		return []wire.Record{as, p}
	}
	scan := func(source, host string) wire.Record {
		r := env(wire.KindScan, source, host)
		r.Scanner, r.Status, r.StartedAt, r.FinishedAt = source, wire.StatusOK, ptrTime(now.Add(-2*time.Minute)), ptrTime(now)
		return r
	}
	recs := []wire.Record{
		principal(wire.SourceLDAP, "p-alice", "alice", "user", &yes, "member of Domain Admins", ago(200), nil,
			map[string]string{"hygiene": "stale_and_privileged", "when_created": ago(1000).Format(time.RFC3339)}),
		principal(wire.SourceLDAP, "p-bob", "bob", "user", &no, "member of Domain Admins", ago(300), nil,
			map[string]string{"hygiene": "disabled_but_privileged"}),
		principal(wire.SourceLDAP, "p-svc", "svc-sql", "user", &yes, "", ago(1), nil,
			map[string]string{"hygiene": "kerberoastable,password_never_expires"}),
		principal(wire.SourceLDAP, "p-dave", "dave", "user", &yes, "", nil, nil,
			map[string]string{"when_created": ago(400).Format(time.RFC3339)}),
		principal(wire.SourceLDAP, "p-erin", "erin", "user", &yes, "", ago(1), nil, nil),
		principal(wire.SourceLDAP, "p-staff", "staff", "group", nil, "", nil, nil, nil),
		grant(wire.SourceLDAP, "p-erin", "p-staff", "group", "member"),
		principal(wire.SourceIAM, "p-deployer", "deployer", "user", nil, "managed policy AdministratorAccess", ago(5), &no,
			map[string]string{"hygiene": "console_without_mfa"}),
		principal(wire.SourceIAM, "p-auditor", "auditor", "user", nil, "", ago(2), &yes, nil),
		grant(wire.SourceFS, "p-staff", "f-hr", "file", "read"),
		grant(wire.SourceFS, "p-deployer", "f-hr", "file", "read"),
		scan(wire.SourceLDAP, "dc1"), scan(wire.SourceIAM, "dc1"), scan(wire.SourceFS, "files1"),
	}
	recs = append(recs, file("f-hr", "/srv/hr/people.csv", "hr-lead", 40, nil)...)
	recs = append(recs, file("f-open", "/srv/pub/list.csv", "", 500, map[string]string{"world_readable": "true"})...)
	host, err := os.Hostname() // the name the agent enrolled as: its files' host
	require.NoError(t, err)
	ids := wiretest.Derive(recs, host)
	lines := make([]string, len(recs))
	for i := range recs {
		b, err := wire.Marshal(&recs[i])
		require.NoError(t, err)
		lines[i] = strings.TrimSpace(string(b))
	}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/ingest", bytes.NewReader(gzipLines(t, lines...)))
	req.Header.Set("Authorization", "Bearer "+readCreds(t, a).Token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Idempotency-Key", "risk-register-1")
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Filters: exactly the expected principals.
	type principalItem struct {
		ID        string     `json:"principal_id"`
		Name      string     `json:"name"`
		LastLogin *time.Time `json:"last_login"`
		MFA       *bool      `json:"mfa"`
		Stale     bool       `json:"stale"`
		Hygiene   []string   `json:"hygiene"`
	}
	list := func(query string) map[string]principalItem {
		var page struct {
			Items []principalItem `json:"items"`
			Total int             `json:"total"`
		}
		require.Equal(t, 200, s.get("/api/v1/principals?"+query, &page), query)
		require.Equal(t, len(page.Items), page.Total, query)
		out := map[string]principalItem{}
		for _, p := range page.Items {
			out[p.Name] = p
		}
		return out
	}
	namesOf := func(m map[string]principalItem) []string {
		out := []string{}
		for n := range m {
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"stale=true", []string{"alice", "dave"}},
		{"stale=false&source=ldap", []string{"bob", "erin", "staff", "svc-sql"}},
		{"disabled=true", []string{"bob"}},
		{"disabled=false&source=iam", []string{"auditor", "deployer"}},
		{"mfa=false", []string{"deployer"}},
		{"mfa=true", []string{"auditor"}},
		{"hygiene=kerberoastable", []string{"svc-sql"}},
		{"hygiene=password_never_expires", []string{"svc-sql"}},
		{"hygiene=console_without_mfa&privileged=true", []string{"deployer"}},
		{"hygiene=roastable", []string{}},
		{"stale=true&privileged=true", []string{"alice"}},
	} {
		require.Equal(t, tc.want, namesOf(list(tc.query)), tc.query)
	}
	all := list("limit=100")
	require.Len(t, all, 8)
	require.True(t, all["alice"].Stale)
	require.Equal(t, *ago(200), *all["alice"].LastLogin)
	require.Equal(t, []string{"stale_and_privileged"}, all["alice"].Hygiene)
	require.Nil(t, all["alice"].MFA)
	require.Equal(t, []string{"kerberoastable", "password_never_expires"}, all["svc-sql"].Hygiene)
	require.False(t, *all["deployer"].MFA)
	require.Nil(t, all["dave"].LastLogin)
	require.Equal(t, []string{}, all["erin"].Hygiene)
	var bad struct{}
	require.Equal(t, 400, s.get("/api/v1/principals?stale=maybe", &bad))
	require.Equal(t, 400, s.get("/api/v1/principals?mfa=2", &bad))

	sec := s.run("token", "create", "--role", "security", "--name", "sec1", "--config", s.config)
	rev := s.run("token", "create", "--role", "reviewer", "--name", "rev1", "--config", s.config)
	priv := s.run("token", "create", "--role", "privacy", "--name", "dpo1", "--config", s.config)
	getJSON := func(token, path string, out any) {
		t.Helper()
		st, body := s.do("GET", path, token, "")
		require.Equal(t, 200, st, body)
		require.NoError(t, json.Unmarshal([]byte(body), out), body)
	}

	// Principal risk: each score its factors.
	type factor struct {
		Factor string `json:"factor"`
		Points int    `json:"points"`
	}
	type scored struct {
		ID      string   `json:"principal_id"`
		Name    string   `json:"name"`
		Score   int      `json:"score"`
		Factors []factor `json:"factors"`
	}
	var pr struct {
		Items []scored `json:"items"`
	}
	getJSON(sec, "/api/v1/risk/principals?limit=100", &pr)
	got := map[string][]factor{}
	var order []string
	for _, it := range pr.Items {
		got[it.Name] = it.Factors
		order = append(order, fmt.Sprintf("%s=%d", it.Name, it.Score))
		sum := 0
		for _, f := range it.Factors {
			sum += f.Points
		}
		require.Equal(t, sum, it.Score, it.Name)
	}
	require.Equal(t, []string{"alice=50", "deployer=50", "bob=45", "svc-sql=15", "dave=5", "erin=5", "staff=5"}, order,
		"highest first, then by name; auditor has nothing to score")
	require.Equal(t, map[string][]factor{
		"alice": {{"full administrator: member of Domain Admins", 30}, {"stale and privileged: no login for 200 days", 20}},
		"deployer": {{"full administrator: managed policy AdministratorAccess", 30}, {"hygiene: console_without_mfa", 15},
			{"can read 1 assets holding personal data", 5}},
		"bob": {{"full administrator: member of Domain Admins", 30},
			{"disabled but still privileged (enabling it again restores the privilege)", 15}},
		"svc-sql": {{"hygiene: kerberoastable", 10}, {"hygiene: password_never_expires", 5}},
		"dave":    {{"stale: never logged in, created 400 days ago", 5}},
		"erin":    {{"can read 1 assets holding personal data", 5}},
		"staff":   {{"can read 1 assets holding personal data", 5}},
	}, got)
	var limited struct {
		Items []scored `json:"items"`
	}
	getJSON(s.admin, "/api/v1/risk/principals?limit=2", &limited)
	require.Len(t, limited.Items, 2)

	// The register: assets and principals in one order.
	type regItem struct {
		Kind      string   `json:"kind"`
		ID        string   `json:"id"`
		Title     string   `json:"title"`
		Location  string   `json:"location"`
		Name      string   `json:"name"`
		Score     int      `json:"score"`
		Factors   []factor `json:"factors"`
		Owner     string   `json:"owner"`
		Status    string   `json:"status"`
		ChangedBy string   `json:"changed_by"`
		Comment   string   `json:"comment"`
	}
	register := func(query string) []regItem {
		var out struct {
			Items []regItem `json:"items"`
		}
		getJSON(sec, "/api/v1/risk/register?"+query, &out)
		return out.Items
	}
	var assets struct {
		Items []struct {
			ID       string   `json:"asset_id"`
			Location string   `json:"location"`
			Score    int      `json:"score"`
			Factors  []factor `json:"factors"`
		} `json:"items"`
	}
	getJSON(s.admin, "/api/v1/risk/assets", &assets)
	require.Len(t, assets.Items, 2)
	var want []regItem
	for _, it := range assets.Items {
		owner := map[string]string{ids["f-hr"]: "hr-lead"}[it.ID]
		want = append(want, regItem{Kind: "asset", ID: it.ID, Title: it.Location, Location: it.Location, Score: it.Score,
			Factors: it.Factors, Owner: owner, Status: "open"})
	}
	for _, it := range pr.Items {
		want = append(want, regItem{Kind: "principal", ID: it.ID, Title: it.Name, Name: it.Name, Score: it.Score, Factors: it.Factors, Status: "open"})
	}
	sort.SliceStable(want, func(i, j int) bool {
		if want[i].Score != want[j].Score {
			return want[i].Score > want[j].Score
		}
		if want[i].Kind != want[j].Kind {
			return want[i].Kind < want[j].Kind
		}
		return want[i].Title < want[j].Title
	})
	reg := register("limit=100")
	require.Equal(t, want, reg, "every risk, highest first; an asset's owner defaults to its file owner")
	require.Equal(t, want[:3], register("limit=3"))

	// Owners and statuses.
	put := func(token, kind, id, body string) (int, string) {
		return s.do("PUT", "/api/v1/risk/register/"+kind+"/"+url.PathEscape(id), token, body)
	}
	st, body := put(sec, "principal", ids["p-alice"], `{"status":"accepted"}`)
	require.Equal(t, 400, st, "accepting needs a comment: %s", body)
	require.Contains(t, body, `"code":"bad_request"`)
	st, _ = put(sec, "principal", ids["p-alice"], `{"status":"closed","comment":"x"}`)
	require.Equal(t, 400, st)
	st, _ = put(sec, "host", ids["p-alice"], `{"status":"open"}`)
	require.Equal(t, 400, st)
	st, _ = put(sec, "principal", "p-nobody", `{"status":"mitigating"}`)
	require.Equal(t, 404, st)
	st, body = put(sec, "principal", ids["p-alice"], `{"owner":"iam-team","status":"accepted","comment":"break-glass account, vaulted"}`)
	require.Equal(t, 200, st, body)
	st, body = put(s.admin, "asset", ids["f-hr"], `{"owner":"dpo","status":"mitigating"}`)
	require.Equal(t, 200, st, body)
	st, body = put(sec, "principal", ids["p-alice"], `{"status":"resolved","comment":"removed from Domain Admins"}`)
	require.Equal(t, 200, st, body)

	var hist struct {
		History []struct {
			Owner     string    `json:"owner"`
			Status    string    `json:"status"`
			Comment   string    `json:"comment"`
			ChangedBy string    `json:"changed_by"`
			ChangedAt time.Time `json:"changed_at"`
		} `json:"history"`
	}
	getJSON(sec, "/api/v1/risk/register/principal/"+ids["p-alice"]+"/history", &hist)
	require.Len(t, hist.History, 2, "every change is kept")
	require.Equal(t, "accepted", hist.History[0].Status)
	require.Equal(t, "break-glass account, vaulted", hist.History[0].Comment)
	require.Equal(t, "resolved", hist.History[1].Status)
	require.Equal(t, "iam-team", hist.History[1].Owner, "a status change keeps the owner")
	require.Equal(t, "sec1", hist.History[1].ChangedBy)
	require.WithinDuration(t, time.Now(), hist.History[1].ChangedAt, time.Minute)
	st, _ = s.do("GET", "/api/v1/risk/register/principal/p-nobody/history", sec, "")
	require.Equal(t, 404, st)

	resolved := register("status=resolved")
	require.Len(t, resolved, 1)
	require.Equal(t, ids["p-alice"], resolved[0].ID)
	require.Equal(t, "iam-team", resolved[0].Owner)
	require.Equal(t, "sec1", resolved[0].ChangedBy)
	mitigating := register("status=mitigating")
	require.Len(t, mitigating, 1)
	require.Equal(t, "dpo", mitigating[0].Owner, "a set owner replaces the file owner")
	open := register("status=open&limit=100")
	require.Len(t, open, len(want)-2)
	for i, it := range open {
		require.NotEqual(t, ids["p-alice"], it.ID)
		require.NotEqual(t, ids["f-hr"], it.ID)
		if i > 0 {
			require.LessOrEqual(t, it.Score, open[i-1].Score)
		}
	}
	st, _ = s.do("GET", "/api/v1/risk/register?status=closed", sec, "")
	require.Equal(t, 400, st)

	// Roles: reviewers and the privacy office may not use the register.
	for _, tok := range []string{rev, priv} {
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/api/v1/risk/register", ""},
			{"GET", "/api/v1/risk/principals", ""},
			{"PUT", "/api/v1/risk/register/principal/p-bob", `{"status":"mitigating"}`},
			{"GET", "/api/v1/risk/register/principal/" + ids["p-alice"] + "/history", ""},
		} {
			st, body := s.do(c.method, c.path, tok, c.body)
			require.Equal(t, 403, st, "%s %s: %s", c.method, c.path, body)
		}
	}
	getJSON(sec, "/api/v1/risk/register/principal/"+ids["p-bob"]+"/history", &hist)
	require.Empty(t, hist.History, "the refused change was not stored")

	// Audit: every call above, without the free text.
	var audit struct {
		Items []struct {
			TokenName string `json:"token_name"`
			Method    string `json:"method"`
			Route     string `json:"route"`
			Params    string `json:"params"`
			Status    int    `json:"status"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/audit?limit=1000", &audit))
	routes := map[string]int{}
	for _, e := range audit.Items {
		routes[e.Method+" "+e.Route]++
		require.NotContains(t, e.Params, "break-glass")
		require.NotContains(t, e.Params, "iam-team")
		if e.Method == "PUT" && e.Status == 200 && e.TokenName == "sec1" {
			require.Contains(t, e.Params, "kind=principal id="+ids["p-alice"]+" status=")
		}
	}
	require.Equal(t, 7, routes["PUT /api/v1/risk/register/:kind/:id"], "every change, refused ones too")
	require.Positive(t, routes["GET /api/v1/risk/register"])
	require.Positive(t, routes["GET /api/v1/risk/principals"])
	require.Positive(t, routes["GET /api/v1/risk/register/:kind/:id/history"])
	require.Positive(t, routes["GET /api/v1/principals"])
}

func ptrTime(t time.Time) *time.Time { return &t }
