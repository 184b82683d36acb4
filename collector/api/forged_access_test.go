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
	// web-1: its payroll file, read by the directory group g-hr (alice's)
	// and by its own backup account; web-1 is also the directory's agent.
	post(h.agent, "w1-fs",
		rec("asset", "fs", "fs1", `"asset_id":"f-payroll","asset_type":"file","location":"file:///srv/hr/payroll.csv","owner":"root"`),
		rec("pii", "fs", "fs1", `"asset_id":"f-payroll","location":"file:///srv/hr/payroll.csv","type":"email","category":"contact","count":5,"distinct":3`),
		rec("entitlement", "fs", "fs1", `"principal_id":"g-hr","resource_id":"f-payroll","resource_type":"file","permission":"read"`),
		rec("entitlement", "fs", "fs1", `"principal_id":"p-backup","resource_id":"f-payroll","resource_type":"file","permission":"read"`),
		scan("fs", "fs1"))
	post(h.agent, "w1-host",
		rec("principal", "host", "h1", `"principal_id":"p-backup","name":"backup","principal_type":"service"`),
		scan("host", "h1"))
	post(h.agent, "w1-ldap",
		rec("principal", "ldap", "ld1", `"host":"ldap.test","principal_id":"g-hr","name":"HR","principal_type":"group"`),
		rec("principal", "ldap", "ld1", `"host":"ldap.test","principal_id":"p-alice","name":"alice","principal_type":"user"`),
		rec("entitlement", "ldap", "ld1", `"host":"ldap.test","principal_id":"p-alice","resource_id":"g-hr","resource_type":"group","permission":"member"`),
		scan("ldap", "ld1")[:len(scan("ldap", "ld1"))-1]+`,"host":"ldap.test"}`)
	// web-9: mallory reads the file, and is a member of g-hr.
	post(web9.Token, "w9-host",
		rec("principal", "host", "h9", `"principal_id":"p-evil","name":"mallory","principal_type":"user","privileged":true`),
		rec("entitlement", "host", "h9", `"principal_id":"p-evil","resource_id":"f-payroll","resource_type":"file","permission":"read"`),
		rec("entitlement", "host", "h9", `"principal_id":"p-evil","resource_id":"g-hr","resource_type":"group","permission":"member"`),
		scan("host", "h9"))
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
	require.NotContains(t, ids, "p-evil", "web-9's account reads web-1's file: %s", body)
	require.Contains(t, ids, "p-backup", "web-1's own grant counts: %s", body)
	require.Contains(t, ids, "p-alice", "the directory group's grant counts for its members: %s", body)
}
