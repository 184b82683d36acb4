package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// TestManagerReviewCampaign ingests a directory scan whose users carry
// their manager (as the LDAP scanner emits it) through POST /api/v1/ingest,
// runs a campaign with reviewer @manager and a fallback, and checks who
// sees which items: the manager exactly their reports' items, the fallback
// the rest, another reviewer none; every item says which rule chose its
// reviewer, in the listing and in the CSV evidence.
func TestManagerReviewCampaign(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	a := s.newAgent([]string{t.TempDir()}, "")
	creds := readCreds(t, a)

	const server = "ldap.corp.test"
	observed := time.Now().UTC().Truncate(time.Second)
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceLDAP, ScanID: "dir-1", ObservedAt: observed, Host: server}
	}
	dn := func(rdn string) string { return rdn + ",ou=people,dc=corp,dc=test" }
	id := func(rdn string) string { return wire.StableID(wire.SourceLDAP, server, dn(rdn)) }
	var recs []wire.Record
	user := func(uid, managerUID string, managerKnown bool) {
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType = id("uid="+uid), uid, "user"
		enabled := true
		r.Enabled = &enabled
		r.Attributes = map[string]string{"dn": dn("uid=" + uid)}
		if managerUID != "" {
			r.Attributes["manager_dn"] = dn("uid=" + managerUID)
			r.Attributes["manager"] = id("uid=" + managerUID)
			if managerKnown {
				r.Attributes["manager_name"] = managerUID
			}
		}
		recs = append(recs, r)
	}
	group := func(cn string) {
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType = id("cn="+cn), cn, "group"
		r.Attributes = map[string]string{"dn": dn("cn=" + cn)}
		recs = append(recs, r)
	}
	member := func(uid, cn string) {
		r := env(wire.KindEntitlement)
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = id("uid="+uid), id("cn="+cn), "group", "member"
		recs = append(recs, r)
	}
	user("boss", "", false)
	user("ann", "boss", true)
	user("ben", "boss", true)
	user("cid", "chief", false) // the manager's entry was outside the scan: an id, no name
	user("dee", "", false)
	group("finance")
	group("ops")
	for _, m := range [][2]string{{"ann", "finance"}, {"ann", "ops"}, {"ben", "ops"}, {"cid", "finance"}, {"dee", "ops"}, {"boss", "finance"}} {
		member(m[0], m[1])
	}
	fin := observed.Add(time.Second)
	scan := env(wire.KindScan)
	scan.Scanner, scan.StartedAt, scan.FinishedAt, scan.Status = "ldap", &observed, &fin, wire.StatusOK
	recs = append(recs, scan)
	var body bytes.Buffer
	for i := range recs {
		require.NoError(t, recs[i].Validate())
		line, err := json.Marshal(recs[i])
		require.NoError(t, err)
		body.Write(append(line, '\n'))
	}
	req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/ingest", &body)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+creds.Token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Idempotency-Key", "dir-1")
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 2, resp.StatusCode/100, "ingest answered %d", resp.StatusCode)
	var users struct {
		Items []struct {
			Name       string            `json:"name"`
			Attributes map[string]string `json:"attributes"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/principals?source=ldap&type=user", &users))
	require.Len(t, users.Items, 5)
	managerOf := map[string]string{}
	for _, u := range users.Items {
		managerOf[u.Name] = u.Attributes["manager_name"]
	}
	require.Equal(t, map[string]string{"ann": "boss", "ben": "boss", "boss": "", "cid": "", "dee": ""}, managerOf)

	boss := s.run("token", "create", "--role", "reviewer", "--name", "boss", "--config", s.config)
	secops := s.run("token", "create", "--role", "reviewer", "--name", "secops", "--config", s.config)
	other := s.run("token", "create", "--role", "reviewer", "--name", "other", "--config", s.config)

	status, out := s.do("POST", "/api/v1/reviews", s.admin, `{"name":"q1 by manager","scope":{"source":"ldap"},"reviewer":"@manager"}`)
	require.Equal(t, 400, status, "@manager needs a fallback: %s", out)
	status, out = s.do("POST", "/api/v1/reviews", s.admin,
		`{"name":"q1 by manager","scope":{"source":"ldap"},"reviewer":"@manager","fallback_reviewer":"secops"}`)
	require.Equal(t, 201, status, out)
	var created struct {
		ID    string `json:"campaign_id"`
		Items int    `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &created))
	require.Equal(t, 6, created.Items)

	type item struct {
		ItemID     string `json:"item_id"`
		Principal  string `json:"principal"`
		ResourceID string `json:"resource_id"`
		Reviewer   string `json:"reviewer"`
		Source     string `json:"reviewer_source"`
	}
	itemsOf := func(token string) ([]item, []string) {
		st, b := s.do("GET", "/api/v1/reviews/"+created.ID+"/items", token, "")
		require.Equal(t, 200, st, b)
		var page struct {
			Items []item `json:"items"`
		}
		require.NoError(t, json.Unmarshal([]byte(b), &page))
		group := map[string]string{id("cn=finance"): "finance", id("cn=ops"): "ops"}
		var rows []string
		for _, it := range page.Items {
			rows = append(rows, it.Principal+" in "+group[it.ResourceID]+" → "+it.Reviewer+" ("+it.Source+")")
		}
		sort.Strings(rows)
		return page.Items, rows
	}
	mine, rows := itemsOf(boss)
	require.Equal(t, []string{
		"ann in finance → boss (manager)",
		"ann in ops → boss (manager)",
		"ben in ops → boss (manager)",
	}, rows, "the manager sees exactly their reports' items")
	rest, rows := itemsOf(secops)
	require.Equal(t, []string{
		"boss in finance → secops (fallback)", // no manager of their own
		"cid in finance → secops (fallback)",  // manager not known by name
		"dee in ops → secops (fallback)",
	}, rows, "the fallback reviewer sees the rest")
	none, _ := itemsOf(other)
	require.Empty(t, none, "another reviewer sees none")
	all, _ := itemsOf(s.admin)
	require.Len(t, all, 6)

	decide := func(token, itemID, body string) int {
		st, _ := s.do("POST", "/api/v1/reviews/"+created.ID+"/items/"+itemID+"/decision", token, body)
		return st
	}
	require.Equal(t, 403, decide(secops, mine[0].ItemID, `{"decision":"certify"}`), "not the fallback's item")
	require.Equal(t, 403, decide(other, mine[0].ItemID, `{"decision":"certify"}`))
	require.Equal(t, 200, decide(boss, mine[0].ItemID, `{"decision":"certify"}`))
	require.Equal(t, 403, decide(boss, rest[0].ItemID, `{"decision":"certify"}`), "not the manager's item")
	require.Equal(t, 200, decide(secops, rest[0].ItemID, `{"decision":"revoke","comment":"no longer needed"}`))

	status, csvOut := s.do("GET", "/api/v1/reviews/"+created.ID+"/export", s.admin, "")
	require.Equal(t, 200, status)
	lines := strings.Split(strings.TrimSpace(csvOut), "\n")
	require.Equal(t, "campaign,item,principal,resource_id,resource_type,permission,via,reviewer,decision,comment,reassign_to,decided_by,decided_at,reviewer_source", lines[0])
	require.Len(t, lines, 7, "two decisions and four pending items")
	sources := map[string]int{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		sources[f[7]+" "+f[len(f)-1]]++
	}
	require.Equal(t, map[string]int{"boss manager": 3, "secops fallback": 3}, sources)
	require.Contains(t, csvOut, ",boss,certify,,,boss,")
	require.Contains(t, csvOut, ",secops,revoke,no longer needed,,secops,")
}

// TestManagerReviewFromDirectoryScan is the whole chain on a real
// directory: an agent in run mode scans the test OpenLDAP (users with a
// manager) and ships through the collector's ingest; a @manager campaign
// gives the reports' items to the token named like their manager's uid.
func TestManagerReviewFromDirectoryScan(t *testing.T) {
	url := os.Getenv("SIGHTLINE_TEST_LDAP")
	if url == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_LDAP is not set but services are required")
		}
		t.Skip("no test LDAP server (SIGHTLINE_TEST_LDAP)")
	}
	pwFile := os.Getenv("SIGHTLINE_TEST_LDAP_PASSWORD_FILE")
	pw, err := os.ReadFile(pwFile)
	require.NoError(t, err)
	conn, err := ldap.DialURL(url)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Bind("cn=admin,dc=example,dc=com", string(pw)))
	base := "ou=e2e" + randomHex(4) + ",dc=example,dc=com"
	add := func(dn string, attrs map[string][]string) {
		r := ldap.NewAddRequest(dn, nil)
		for _, k := range []string{"objectClass", "cn", "sn", "uid", "member", "manager"} {
			if v, ok := attrs[k]; ok {
				r.Attribute(k, v)
			}
		}
		require.NoError(t, conn.Add(r), dn)
	}
	add(base, map[string][]string{"objectClass": {"organizationalUnit"}})
	person := func(uid, manager string) string {
		dn := "uid=" + uid + "," + base
		a := map[string][]string{"objectClass": {"inetOrgPerson"}, "cn": {uid}, "sn": {uid}, "uid": {uid}}
		if manager != "" {
			a["manager"] = []string{"uid=" + manager + "," + base}
		}
		add(dn, a)
		return dn
	}
	staff := []string{person("lead", ""), person("ann", "lead"), person("ben", "lead"), person("dee", "")}
	add("cn=staff,"+base, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"staff"}, "member": staff})

	s := newStack(t, clickhouseAddr(t))
	a := s.newAgent([]string{t.TempDir()}, fmt.Sprintf(
		"  ldap:\n    enabled: true\n    interval: 1h\n    url: %s\n    base_dn: %q\n    bind_dn: cn=admin,dc=example,dc=com\n    password_file: %s\n",
		url, base, pwFile))
	s.runAgent(a)
	var principals struct {
		Total int `json:"total"`
	}
	require.Eventually(t, func() bool {
		return s.get("/api/v1/principals?source=ldap", &principals) == 200 && principals.Total == 5
	}, 30*time.Second, 100*time.Millisecond, "directory principals did not arrive")

	lead := s.run("token", "create", "--role", "reviewer", "--name", "lead", "--config", s.config)
	secops := s.run("token", "create", "--role", "reviewer", "--name", "secops", "--config", s.config)
	var c struct {
		ID    string `json:"campaign_id"`
		Items int    `json:"items"`
	}
	// The entitlements may land just after the principals.
	for deadline := time.Now().Add(10 * time.Second); c.Items != 4 && time.Now().Before(deadline); {
		status, out := s.do("POST", "/api/v1/reviews", s.admin,
			`{"name":"staff by manager `+randomHex(2)+`","scope":{"source":"ldap"},"reviewer":"@manager","fallback_reviewer":"secops"}`)
		require.Equal(t, 201, status, out)
		require.NoError(t, json.Unmarshal([]byte(out), &c))
		if c.Items != 4 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	require.Equal(t, 4, c.Items, "one item per staff member")
	id := c.ID
	rowsOf := func(token string) []string {
		st, b := s.do("GET", "/api/v1/reviews/"+id+"/items", token, "")
		require.Equal(t, 200, st, b)
		var page struct {
			Items []struct {
				Principal string `json:"principal"`
				Reviewer  string `json:"reviewer"`
				Source    string `json:"reviewer_source"`
			} `json:"items"`
		}
		require.NoError(t, json.Unmarshal([]byte(b), &page))
		var rows []string
		for _, it := range page.Items {
			rows = append(rows, it.Principal+" → "+it.Reviewer+" ("+it.Source+")")
		}
		sort.Strings(rows)
		return rows
	}
	require.Equal(t, []string{"ann → lead (manager)", "ben → lead (manager)"}, rowsOf(lead))
	require.Equal(t, []string{"dee → secops (fallback)", "lead → secops (fallback)"}, rowsOf(secops))
}
