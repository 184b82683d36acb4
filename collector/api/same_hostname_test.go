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

// TestSameHostnameCannotSpeakForAnotherAgent: a host-local record's ids
// are derived from the enrolled host name (wire.DeriveIDs), and anyone
// holding an enroll secret may enroll with any name, so a second agent
// enrolled as "web-1" derived exactly web-1's asset and account ids: its
// findings showed on web-1's file and its account read it. One agent
// speaks for a host name's files and accounts (the first to report them);
// another enrolled with that name (in any case, with a trailing dot) is
// refused with 403 until an admin moves the host to it (a reinstalled
// host), which retires the former agent's rows.
func TestSameHostnameCannotSpeakForAnotherAgent(t *testing.T) {
	h, twin, rec, scan, post := secondAgent(t, "WEB-1.")
	payroll := wire.AssetID("fs", "web-1", "file:///srv/hr/payroll.csv")
	backup := wire.LocalPrincipalID("web-1", "user", "backup")
	mallory := wire.LocalPrincipalID("web-1", "user", "mallory")
	postWeb1Payroll(h, rec, scan, post, payroll, backup)
	postCode := func(token, key string, lines ...string) (int, string) {
		return h.do("POST", "/api/v1/ingest", token, map[string]string{"Idempotency-Key": key, "Content-Encoding": "gzip"},
			gz(strings.Join(lines, "\n")+"\n"))
	}
	// The twin reports "the same" file with its own findings and its own
	// account as a reader of it, under the ids web-1's agent derives.
	twinFS := func(key, scanID string) (int, string) {
		return postCode(twin, key,
			rec("asset", "fs", scanID, `"asset_id":"`+payroll+`","asset_type":"file","location":"file:///srv/hr/payroll.csv","owner":"root"`),
			rec("pii", "fs", scanID, `"asset_id":"`+payroll+`","location":"file:///srv/hr/payroll.csv","type":"us_ssn","category":"government_id","count":900,"distinct":900`),
			rec("entitlement", "fs", scanID, `"principal_id":"`+mallory+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
			scan("fs", scanID, ""))
	}
	code, body := twinFS("tw-fs", "fs9")
	require.Equal(t, http.StatusForbidden, code, body)
	require.Contains(t, body, "/api/v1/authorities/host/web-1", "the refusal says how to move the host: %s", body)
	code, body = postCode(twin, "tw-host",
		rec("principal", "host", "h9", `"principal_id":"`+mallory+`","name":"mallory","principal_type":"user"`),
		scan("host", "h9", ""))
	require.Equal(t, http.StatusForbidden, code, body)
	// Records of a shared source the twin is the first to report still pass.
	post(twin, "tw-ldap",
		rec("principal", "ldap", "ld9", `"host":"ldap.twin.test","principal_id":"`+wire.DirectoryPrincipalID("ldap.twin.test", "cn=g,dc=twin")+`","name":"g","principal_type":"group","attributes":{"dn":"cn=g,dc=twin"}`),
		scan("ldap", "ld9", `,"host":"ldap.twin.test"`))
	storetest.BuildIndex(t, h.st)

	findings := func() []string {
		t.Helper()
		code, body := h.do("GET", "/api/v1/assets/"+payroll, h.admin, nil, nil)
		require.Equal(t, http.StatusOK, code, body)
		var asset struct {
			Findings []struct {
				Type string `json:"type"`
			} `json:"findings"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &asset))
		var types []string
		for _, f := range asset.Findings {
			types = append(types, f.Type)
		}
		return types
	}
	require.Equal(t, []string{"email"}, findings(), "web-1's file shows web-1's finding only")
	code, body = h.do("GET", "/api/v1/access/readers?location=file:///srv/hr/payroll.csv&host=web-1", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, mallory, "the twin's account reads web-1's file")
	require.Contains(t, body, backup, "web-1's own grant counts")

	// The host is listed with its authority; an admin moves it to the
	// twin (a reinstalled web-1), naming it in any case.
	code, body = h.do("GET", "/api/v1/authorities", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var auths struct {
		Items []struct {
			Source, Scope string
			AgentID       string `json:"agent_id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &auths))
	var web1Agent string
	for _, a := range auths.Items {
		if a.Source == "host" && a.Scope == "web-1" {
			web1Agent = a.AgentID
		}
	}
	require.NotEmpty(t, web1Agent, "web-1 has an authority: %s", body)
	// The fleet view says which of the two conflicting agents speaks for
	// the host.
	speakers := func() map[string]bool {
		t.Helper()
		code, body := h.do("GET", "/api/v1/agents", h.admin, nil, nil)
		require.Equal(t, http.StatusOK, code, body)
		var agents struct {
			Items []struct {
				ID       string `json:"agent_id"`
				Conflict bool   `json:"hostname_conflict"`
				Speaks   bool   `json:"speaks_for_host"`
			} `json:"items"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &agents))
		require.Len(t, agents.Items, 2, body)
		m := map[string]bool{}
		for _, a := range agents.Items {
			require.True(t, a.Conflict, body)
			m[a.ID] = a.Speaks
		}
		return m
	}
	var twinID string
	for id, speaks := range speakers() {
		require.Equal(t, id == web1Agent, speaks)
		if id != web1Agent {
			twinID = id
		}
	}
	code, body = h.do("PUT", "/api/v1/authorities/fs/Web-1", h.admin, nil, strings.NewReader(`{"agent_id":"`+twinID+`"}`))
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"previous_agent_id":"`+web1Agent+`"`, body)

	// Now the twin speaks for the host, and the former agent does not.
	require.Equal(t, map[string]bool{twinID: true, web1Agent: false}, speakers())
	code, body = twinFS("tw-fs-2", "fs10")
	require.Equal(t, http.StatusOK, code, body)
	code, body = postCode(h.agent, "w1-fs-2", scan("fs", "fs2", ""))
	require.Equal(t, http.StatusForbidden, code, body)
	storetest.BuildIndex(t, h.st)
	code, body = h.do("GET", "/api/v1/assets/"+payroll, h.admin, nil, nil)
	require.Equal(t, http.StatusNotFound, code, "web-1's former rows are retired, and the twin's name its own host's ids (WEB-1.): %s", body)
	twinPayroll := wire.AssetID("fs", "WEB-1.", "file:///srv/hr/payroll.csv")
	code, body = h.do("GET", "/api/v1/assets/"+twinPayroll, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "us_ssn", body)
}

// TestSharedSourceCannotGrantToAnotherHostsAccount: a host's grant or
// membership counts only for an account that same agent reported
// (heldByReporter), so an agent cannot make another host's administrator
// a reader of its files and add to that account's reach and risk. On main
// the rule held for fs and host records only: as the authority of a
// made-up directory, agent web-9 named web-1's backup account as a reader
// of web-9's own file (and as a member of a group that reads another),
// and backup's reach grew by both.
func TestSharedSourceCannotGrantToAnotherHostsAccount(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	payroll := wire.AssetID("fs", "web-1", "file:///srv/hr/payroll.csv")
	backup := wire.LocalPrincipalID("web-1", "user", "backup")
	postWeb1Payroll(h, rec, scan, post, payroll, backup)

	own := wire.AssetID("fs", "web-9", "file:///srv/own.csv")
	other := wire.AssetID("fs", "web-9", "file:///srv/other.csv")
	evilGroup := wire.DirectoryPrincipalID("evil.test", "cn=g,dc=evil")
	post(web9, "w9-own",
		rec("asset", "fs", "fs9", `"asset_id":"`+own+`","asset_type":"file","location":"file:///srv/own.csv","owner":"root"`),
		rec("pii", "fs", "fs9", `"asset_id":"`+own+`","location":"file:///srv/own.csv","type":"email","category":"contact","count":5,"distinct":5`),
		rec("asset", "fs", "fs9", `"asset_id":"`+other+`","asset_type":"file","location":"file:///srv/other.csv","owner":"root"`),
		rec("pii", "fs", "fs9", `"asset_id":"`+other+`","location":"file:///srv/other.csv","type":"email","category":"contact","count":5,"distinct":5`),
		rec("entitlement", "fs", "fs9", `"principal_id":"`+evilGroup+`","resource_id":"`+other+`","resource_type":"file","permission":"read"`),
		scan("fs", "fs9", ""))
	// As the authority of a made-up directory: backup reads web-9's file,
	// and is a member of web-9's directory group.
	post(web9, "w9-ldap",
		rec("principal", "ldap", "ld9", `"host":"evil.test","principal_id":"`+evilGroup+`","name":"g","principal_type":"group","attributes":{"dn":"cn=g,dc=evil"}`),
		rec("entitlement", "ldap", "ld9", `"host":"evil.test","principal_id":"`+backup+`","resource_id":"`+own+`","resource_type":"file","permission":"read"`),
		rec("entitlement", "ldap", "ld9", `"host":"evil.test","principal_id":"`+backup+`","resource_id":"`+evilGroup+`","resource_type":"group","permission":"member"`),
		scan("ldap", "ld9", `,"host":"evil.test"`))
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/principals/"+backup, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var p struct {
		Reachable []struct {
			Host string `json:"host"`
		} `json:"reachable_assets_with_pii"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	require.Len(t, p.Reachable, 1, "web-1's backup account reaches web-1's payroll file only: %s", body)
	require.Equal(t, "web-1", p.Reachable[0].Host, body)
}

// TestCloudPrincipalCannotNameAnotherSourcesID: the collector derives a
// principal record's id from its scope and what it says (wire.DeriveIDs),
// but on main it left the ids of GCS and Azure Blob principal records as
// the agent gave them: as the authority of a made-up GCS project, agent
// web-9 reported web-1's backup account under its id, privileged, and the
// read index marked that account privileged. A GCS member's id is derived
// from its member attribute (one Google account in every project), any
// other's kept in its record's scope.
func TestCloudPrincipalCannotNameAnotherSourcesID(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	backup := wire.LocalPrincipalID("web-1", "user", "backup")
	post(h.agent, "w1-host",
		rec("principal", "host", "h1", `"principal_id":"`+backup+`","name":"backup","principal_type":"service"`),
		scan("host", "h1", ""))
	for _, source := range []string{"gcs", "azblob"} {
		post(web9, "w9-"+source,
			rec("principal", source, source+"9", `"host":"evil-project","principal_id":"`+backup+`","name":"backup","principal_type":"user","privileged":true,"privileged_via":["roles/owner"],"attributes":{"member":"user:backup@evil.test"}`),
			scan(source, source+"9", `,"host":"evil-project"`))
	}
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/principals/"+backup, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var p struct {
		Privileged bool `json:"privileged"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	require.False(t, p.Privileged, "a made-up cloud project made web-1's account privileged: %s", body)
}

// TestSMBWellKnownSIDIsNoOwnGroup: an SMB scan names well-known SIDs
// (Everyone, Authenticated Users) under the directory's ids, so an ACL
// naming one and the directory's entry meet. On main that made such a
// group "reported by the same agent" for whoever reported it: as the
// authority of a made-up share, agent web-9 named the directory's
// Everyone and claimed its own account a member, which then read every
// file web-1's share grants to Everyone. A membership counts on a group
// its own agent reported from a source that speaks for it, not an SMB
// scan's well-known SID.
func TestSMBWellKnownSIDIsNoOwnGroup(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const loc = "smb://fs.corp/hr/payroll.csv"
	payroll := wire.AssetID("smb", "fs.corp", loc)
	everyone := wire.DirectoryPrincipalID("fs.corp", "S-1-1-0")
	post(h.agent, "w1-smb",
		rec("asset", "smb", "sm1", `"host":"fs.corp","asset_id":"`+payroll+`","asset_type":"file","location":"`+loc+`"`),
		rec("pii", "smb", "sm1", `"host":"fs.corp","asset_id":"`+payroll+`","location":"`+loc+`","type":"email","category":"contact","count":5,"distinct":3`),
		rec("principal", "smb", "sm1", `"host":"fs.corp","principal_id":"`+everyone+`","name":"Everyone","principal_type":"group","attributes":{"sid":"S-1-1-0"}`),
		rec("entitlement", "smb", "sm1", `"host":"fs.corp","principal_id":"`+everyone+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
		scan("smb", "sm1", `,"host":"fs.corp"`))
	mallory := wire.LocalPrincipalID("web-9", "user", "mallory")
	post(web9, "w9-host",
		rec("principal", "host", "h9", `"principal_id":"`+mallory+`","name":"mallory","principal_type":"user"`),
		rec("entitlement", "host", "h9", `"principal_id":"`+mallory+`","resource_id":"`+everyone+`","resource_type":"group","permission":"member"`),
		scan("host", "h9", ""))
	post(web9, "w9-smb",
		rec("principal", "smb", "sm9", `"host":"evil-smb","principal_id":"`+everyone+`","name":"Everyone","principal_type":"group","attributes":{"sid":"S-1-1-0","directory":"fs.corp"}`),
		scan("smb", "sm9", `,"host":"evil-smb"`))
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/assets/"+payroll, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, mallory, "web-9's account reads web-1's share through Everyone")
}

// secondAgent is a harness (h.agent is web-1) with a second agent
// enrolled as hostname (its token), and how the tests write and post
// records: rec a line, scan a completed scan's line (rest: more fields),
// post a batch with an agent's token.
func secondAgent(t *testing.T, hostname string) (h *harness, token string, rec func(kind, source, scan, rest string) string,
	scan func(source, id, rest string) string, post func(token, key string, lines ...string)) {
	t.Helper()
	h = newHarness(t, 1<<20)
	secret, _, err := auth.New(auth.Options{Store: h.st}).Create(context.Background(), auth.RoleAgentEnroll, "second", "", 0)
	require.NoError(t, err)
	code, body := h.do("POST", "/api/v1/agents/enroll", "", nil, strings.NewReader(`{"enroll_secret":"`+secret+`","hostname":"`+hostname+`"}`))
	require.Equal(t, http.StatusCreated, code, body)
	var second struct{ Token string }
	require.NoError(t, json.Unmarshal([]byte(body), &second))
	now := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	rec = func(kind, source, scan, rest string) string {
		return `{"kind":"` + kind + `","source":"` + source + `","scan_id":"` + scan + `","observed_at":"` + now + `",` + rest + `}`
	}
	scan = func(source, id, rest string) string {
		return rec("scan", source, id, `"scanner":"`+source+`","started_at":"`+now+`","finished_at":"`+now+`","status":"ok"`+rest)
	}
	post = func(token, key string, lines ...string) {
		t.Helper()
		code, body := h.do("POST", "/api/v1/ingest", token, map[string]string{"Idempotency-Key": key, "Content-Encoding": "gzip"},
			gz(strings.Join(lines, "\n")+"\n"))
		require.Equal(t, http.StatusOK, code, body)
	}
	return h, second.Token, rec, scan, post
}

// postWeb1Payroll posts web-1's payroll file (an email finding), read by
// its own backup account.
func postWeb1Payroll(h *harness, rec func(kind, source, scan, rest string) string, scan func(source, id, rest string) string,
	post func(token, key string, lines ...string), payroll, backup string) {
	post(h.agent, "w1-fs",
		rec("asset", "fs", "fs1", `"asset_id":"`+payroll+`","asset_type":"file","location":"file:///srv/hr/payroll.csv","owner":"root"`),
		rec("pii", "fs", "fs1", `"asset_id":"`+payroll+`","location":"file:///srv/hr/payroll.csv","type":"email","category":"contact","count":5,"distinct":3`),
		rec("entitlement", "fs", "fs1", `"principal_id":"`+backup+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
		scan("fs", "fs1", ""))
	post(h.agent, "w1-host",
		rec("principal", "host", "h1", `"principal_id":"`+backup+`","name":"backup","principal_type":"service"`),
		scan("host", "h1", ""))
}

// TestCannotGrantToAnotherHostsEveryone: every account of a host holds
// what its everyone holds, and everyone is no principal record, so on
// main heldByReporter let a grant to another host's everyone count ("no
// host reports it"): agent web-9 made everyone on web-1 a reader of its
// own file, and web-1's backup account's reach grew by it. A grant to a
// host's everyone counts only from that host's records.
func TestCannotGrantToAnotherHostsEveryone(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	payroll := wire.AssetID("fs", "web-1", "file:///srv/hr/payroll.csv")
	backup := wire.LocalPrincipalID("web-1", "user", "backup")
	postWeb1Payroll(h, rec, scan, post, payroll, backup)
	own := wire.AssetID("fs", "web-9", "file:///srv/own.csv")
	everyone := wire.LocalPrincipalID("web-1", "everyone", "")
	post(web9, "w9-own",
		rec("asset", "fs", "fs9", `"asset_id":"`+own+`","asset_type":"file","location":"file:///srv/own.csv","owner":"root"`),
		rec("pii", "fs", "fs9", `"asset_id":"`+own+`","location":"file:///srv/own.csv","type":"email","category":"contact","count":5,"distinct":5`),
		rec("entitlement", "fs", "fs9", `"principal_id":"`+everyone+`","resource_id":"`+own+`","resource_type":"file","permission":"read"`),
		scan("fs", "fs9", ""))
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/principals/"+backup, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var p struct {
		Reachable []struct {
			Host string `json:"host"`
		} `json:"reachable_assets_with_pii"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	require.Len(t, p.Reachable, 1, "web-1's backup account reaches web-1's payroll file only: %s", body)
}
