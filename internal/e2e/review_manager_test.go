package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

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
	resp, err := http.DefaultClient.Do(req)
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
