package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestHostCannotGrantOnAnotherHost: an agent speaks for its own host
// (collector/identity), but its entitlement records name resources by
// id, and ids are stable hashes anyone can compute. On main, agent web-9
// made its own account "mallory" a privileged reader of web-1's
// payroll.csv, directly and by claiming membership of a directory group
// that reads it: the asset's readers and risk showed mallory. A host
// scan's grant or membership now counts only on a resource (asset,
// group) its own agent reported; web-1's own grant still counts.
func TestHostCannotGrantOnAnotherHost(t *testing.T) {
	for _, forge := range []bool{false, true} {
		t.Run(map[bool]string{false: "grants", true: "grants-and-forged-ids"}[forge], func(t *testing.T) { hostCannotGrantOnAnotherHost(t, forge) })
	}
}

// hostCannotGrantOnAnotherHost runs TestHostCannotGrantOnAnotherHost; with
// forge, web-9 also reports web-1's file and the directory group under
// their ids (computable by anyone): on main that merged its copies into
// the originals in the read index, so its findings showed on web-1's file,
// its grant and membership counted ("reported by the same agent"), and its
// claim made web-1's backup account privileged. The collector derives
// every record's own ids from its scope now (wire.DeriveIDs).
func hostCannotGrantOnAnotherHost(t *testing.T, forge bool) {
	h := newHarness(t, 1<<20) // h.agent is web-1
	ctx := context.Background()
	secret, _, err := auth.New(auth.Options{Store: h.st}).Create(ctx, auth.RoleAgentEnroll, "second", "", 0)
	require.NoError(t, err)
	code, body := h.do("POST", "/api/v1/agents/enroll", "", nil, strings.NewReader(`{"enroll_secret":"`+secret+`","hostname":"web-9"}`))
	require.Equal(t, http.StatusCreated, code, body)
	var web9 struct{ Token string }
	require.NoError(t, json.Unmarshal([]byte(body), &web9))

	now := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	rec := func(kind, source, scan, rest string) string {
		return `{"kind":"` + kind + `","source":"` + source + `","scan_id":"` + scan + `","observed_at":"` + now + `",` + rest + `}`
	}
	scan := func(source, id string) string {
		return rec("scan", source, id, `"scanner":"`+source+`","started_at":"`+now+`","finished_at":"`+now+`","status":"ok"`)
	}
	post := func(token, key string, lines ...string) {
		t.Helper()
		code, body := h.do("POST", "/api/v1/ingest", token, map[string]string{"Idempotency-Key": key, "Content-Encoding": "gzip"},
			gz(strings.Join(lines, "\n")+"\n"))
		require.Equal(t, http.StatusOK, code, body)
	}
	// The ids the scanners derive (and the collector derives again).
	payroll := wire.AssetID("fs", "web-1", "file:///srv/hr/payroll.csv")
	backup := wire.LocalPrincipalID("web-1", "user", "backup")
	hr := wire.DirectoryPrincipalID("ldap.test", "cn=hr,dc=test")
	alice := wire.DirectoryPrincipalID("ldap.test", "uid=alice,dc=test")
	mallory := wire.LocalPrincipalID("web-9", "user", "mallory")
	// web-1: its payroll file, read by the directory group HR (alice's)
	// and by its own backup account; web-1 is also the directory's agent.
	post(h.agent, "w1-fs",
		rec("asset", "fs", "fs1", `"asset_id":"`+payroll+`","asset_type":"file","location":"file:///srv/hr/payroll.csv","owner":"root"`),
		rec("pii", "fs", "fs1", `"asset_id":"`+payroll+`","location":"file:///srv/hr/payroll.csv","type":"email","category":"contact","count":5,"distinct":3`),
		rec("entitlement", "fs", "fs1", `"principal_id":"`+hr+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
		rec("entitlement", "fs", "fs1", `"principal_id":"`+backup+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
		scan("fs", "fs1"))
	post(h.agent, "w1-host",
		rec("principal", "host", "h1", `"principal_id":"`+backup+`","name":"backup","principal_type":"service"`),
		scan("host", "h1"))
	post(h.agent, "w1-ldap",
		rec("principal", "ldap", "ld1", `"host":"ldap.test","principal_id":"`+hr+`","name":"HR","principal_type":"group","attributes":{"dn":"cn=hr,dc=test"}`),
		rec("principal", "ldap", "ld1", `"host":"ldap.test","principal_id":"`+alice+`","name":"alice","principal_type":"user","attributes":{"dn":"uid=alice,dc=test"}`),
		rec("entitlement", "ldap", "ld1", `"host":"ldap.test","principal_id":"`+alice+`","resource_id":"`+hr+`","resource_type":"group","permission":"member"`),
		scan("ldap", "ld1")[:len(scan("ldap", "ld1"))-1]+`,"host":"ldap.test"}`)
	// web-9: mallory reads the file, and is a member of HR.
	post(web9.Token, "w9-host",
		rec("principal", "host", "h9", `"principal_id":"`+mallory+`","name":"mallory","principal_type":"user","privileged":true`),
		rec("entitlement", "host", "h9", `"principal_id":"`+mallory+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
		rec("entitlement", "host", "h9", `"principal_id":"`+mallory+`","resource_id":"`+hr+`","resource_type":"group","permission":"member"`),
		scan("host", "h9"))
	if forge {
		// web-9 also reports the file and the group under their ids, so
		// that "reported by the same agent" holds for its claims, its own
		// findings on "the file", and web-1's backup account as privileged.
		post(web9.Token, "w9-forged",
			rec("asset", "fs", "fs9", `"asset_id":"`+payroll+`","asset_type":"file","location":"file:///srv/hr/payroll.csv","owner":"root"`),
			rec("pii", "fs", "fs9", `"asset_id":"`+payroll+`","location":"file:///srv/hr/payroll.csv","type":"us_ssn","category":"government_id","count":900,"distinct":900`),
			rec("entitlement", "fs", "fs9", `"principal_id":"`+mallory+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
			rec("principal", "host", "fs9", `"principal_id":"`+hr+`","name":"HR","principal_type":"group"`),
			rec("principal", "host", "fs9", `"principal_id":"`+backup+`","name":"backup","principal_type":"user","privileged":true,"privileged_via":["forged"]`),
			scan("fs", "fs9"))
		// And it names web-1's backup account as a reader of its own
		// file: that account's reach would grow by a file it cannot see.
		own := wire.AssetID("fs", "web-9", "file:///srv/own.csv")
		post(web9.Token, "w9-own",
			rec("asset", "fs", "fs10", `"asset_id":"`+own+`","asset_type":"file","location":"file:///srv/own.csv","owner":"root"`),
			rec("pii", "fs", "fs10", `"asset_id":"`+own+`","location":"file:///srv/own.csv","type":"email","category":"contact","count":5,"distinct":5`),
			rec("entitlement", "fs", "fs10", `"principal_id":"`+backup+`","resource_id":"`+own+`","resource_type":"file","permission":"read"`),
			scan("fs", "fs10"))
		// And as the first reporter (so the authority) of a made-up
		// directory and AWS account, it says mallory is in HR and may
		// read the file.
		post(web9.Token, "w9-shared",
			rec("entitlement", "ldap", "ld9", `"host":"evil.test","principal_id":"`+mallory+`","resource_id":"`+hr+`","resource_type":"group","permission":"member"`),
			scan("ldap", "ld9")[:len(scan("ldap", "ld9"))-1]+`,"host":"evil.test"}`)
		post(web9.Token, "w9-s3",
			rec("entitlement", "s3", "s39", `"host":"999999999999","principal_id":"`+mallory+`","resource_id":"`+payroll+`","resource_type":"bucket","permission":"read"`),
			scan("s3", "s39")[:len(scan("s3", "s39"))-1]+`,"host":"999999999999"}`)
	}
	storetest.BuildIndex(t, h.st)

	code, body = h.do("GET", "/api/v1/access/readers?location=file:///srv/hr/payroll.csv", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var got struct {
		Readers []struct {
			PrincipalID string `json:"principal_id"`
		} `json:"readers"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	var ids []string
	for _, r := range got.Readers {
		ids = append(ids, r.PrincipalID)
	}
	require.NotContains(t, ids, mallory, "web-9's account reads web-1's file: %s", body)
	require.Contains(t, ids, backup, "web-1's own grant counts: %s", body)
	require.Contains(t, ids, alice, "the directory group's grant counts for its members: %s", body)
	require.Len(t, ids, 2, body)

	// The file holds web-1's findings only, and its backup account is
	// what web-1 said of it.
	code, body = h.do("GET", "/api/v1/assets/"+payroll, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var asset struct {
		Host     string `json:"host"`
		Findings []struct {
			Type  string `json:"type"`
			Count int64  `json:"count"`
		} `json:"findings"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &asset))
	require.Equal(t, "web-1", asset.Host, body)
	require.Len(t, asset.Findings, 1, body)
	require.Equal(t, "email", asset.Findings[0].Type, body)
	require.EqualValues(t, 5, asset.Findings[0].Count, body)
	code, body = h.do("GET", "/api/v1/principals/"+backup, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var p struct {
		Privileged bool `json:"privileged"`
		Reachable  []struct {
			Host string `json:"host"`
		} `json:"reachable_assets_with_pii"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	require.False(t, p.Privileged, "web-9 made web-1's account privileged: %s", body)
	require.Len(t, p.Reachable, 1, "web-1's backup account reaches web-1's payroll file only: %s", body)
	require.Equal(t, "web-1", p.Reachable[0].Host, body)
}
