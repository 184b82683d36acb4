package api_test

import (
	"bytes"
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

// TestMovedHostRetiresAFutureDatedSquatter: an agent may date its records
// and scans up to the allowed clock skew (5 min) ahead of the collector,
// and a scan is current by its finished_at. On main the handover scan
// that retires the former authority's rows when an admin moves a host
// name was dated now: a squatter on "web-1" that had dated its last scan
// a few minutes ahead kept it current after the move, so its findings
// and its account's grant stayed on the real web-1's file (the same ids:
// both enrolled as web-1) for good — it is refused from then on, so no
// later scan of its own ever replaces that one.
func TestMovedHostRetiresAFutureDatedSquatter(t *testing.T) {
	h, real, rec, scan, post := secondAgent(t, "web-1")
	payroll := wire.AssetID("fs", "web-1", "file:///srv/hr/payroll.csv")
	mallory := wire.LocalPrincipalID("web-1", "user", "mallory")
	ahead := time.Now().UTC().Add(4 * time.Minute).Format(time.RFC3339)
	// The squatter (h.agent, the first to report web-1) dates everything
	// four minutes ahead: within the allowed skew.
	fut := func(kind, rest string) string {
		return `{"kind":"` + kind + `","source":"fs","scan_id":"sq1","observed_at":"` + ahead + `",` + rest + `}`
	}
	post(h.agent, "sq-fs",
		fut("asset", `"asset_id":"`+payroll+`","asset_type":"file","location":"file:///srv/hr/payroll.csv","owner":"root"`),
		fut("pii", `"asset_id":"`+payroll+`","location":"file:///srv/hr/payroll.csv","type":"us_ssn","category":"government_id","count":900,"distinct":900`),
		fut("entitlement", `"principal_id":"`+mallory+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
		fut("scan", `"scanner":"fs","started_at":"`+ahead+`","finished_at":"`+ahead+`","status":"ok"`))
	post(h.agent, "sq-host",
		`{"kind":"principal","source":"host","scan_id":"sqh","observed_at":"`+ahead+`","principal_id":"`+mallory+`","name":"mallory","principal_type":"user"}`,
		`{"kind":"scan","source":"host","scan_id":"sqh","observed_at":"`+ahead+`","scanner":"host","started_at":"`+ahead+`","finished_at":"`+ahead+`","status":"ok"}`)

	// The real web-1 enrolls; an admin moves the host name to it.
	code, body := h.do("GET", "/api/v1/agents", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var agents struct {
		Items []struct {
			ID     string `json:"agent_id"`
			Speaks bool   `json:"speaks_for_host"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &agents))
	var realID string
	for _, a := range agents.Items {
		if !a.Speaks {
			realID = a.ID
		}
	}
	require.NotEmpty(t, realID, body)
	code, body = h.do("PUT", "/api/v1/authorities/host/web-1", h.admin, nil, strings.NewReader(`{"agent_id":"`+realID+`"}`))
	require.Equal(t, http.StatusOK, code, body)

	// The real web-1 reports its file: an email finding, no mallory.
	post(real, "real-fs",
		rec("asset", "fs", "fs2", `"asset_id":"`+payroll+`","asset_type":"file","location":"file:///srv/hr/payroll.csv","owner":"root"`),
		rec("pii", "fs", "fs2", `"asset_id":"`+payroll+`","location":"file:///srv/hr/payroll.csv","type":"email","category":"contact","count":5,"distinct":3`),
		scan("fs", "fs2", ""))
	storetest.BuildIndex(t, h.st)

	code, body = h.do("GET", "/api/v1/assets/"+payroll, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, "us_ssn", "the squatter's findings outlived the move: %s", body)
	code, body = h.do("GET", "/api/v1/access/readers?location=file:///srv/hr/payroll.csv&host=web-1", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, mallory, "the squatter's account still reads web-1's file: %s", body)
	code, body = h.do("GET", "/api/v1/principals/"+mallory, h.admin, nil, nil)
	require.Equal(t, http.StatusNotFound, code, "the squatter's account is still web-1's: %s", body)
}

// TestSMBWellKnownSIDKeepsItsName: an SMB scan names well-known SIDs
// under the directory's ids (wire.DeriveIDs), so every share of a
// directory names one Everyone, one Authenticated Users. On main the
// collector cleared such a record's privileged flag but kept the name
// and type it gave: as the authority of a made-up share, agent web-9
// named fs.corp's Authenticated Users "Domain Admins", a user, and the
// read index (one row per id: any name, any type) could show that name
// for web-1's share's grantee and count it as a reader rather than a
// group. The collector names a well-known SID itself.
func TestSMBWellKnownSIDKeepsItsName(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const loc = "smb://fs.corp/hr/payroll.csv"
	payroll := wire.AssetID("smb", "fs.corp", loc)
	authUsers := wire.DirectoryPrincipalID("fs.corp", "S-1-5-11")
	forged := func(scanID string) []string {
		return []string{
			rec("principal", "smb", scanID, `"host":"evil-smb","principal_id":"`+authUsers+`","name":"Domain Admins","principal_type":"user","enabled":true,"mfa":false,"attributes":{"sid":"S-1-5-11","directory":"fs.corp","title":"CEO"}`),
			scan("smb", scanID, `,"host":"evil-smb"`)}
	}
	post(web9, "w9-smb-1", forged("sm9")...)
	post(h.agent, "w1-smb",
		rec("asset", "smb", "sm1", `"host":"fs.corp","asset_id":"`+payroll+`","asset_type":"file","location":"`+loc+`"`),
		rec("pii", "smb", "sm1", `"host":"fs.corp","asset_id":"`+payroll+`","location":"`+loc+`","type":"email","category":"contact","count":5,"distinct":3`),
		rec("principal", "smb", "sm1", `"host":"fs.corp","principal_id":"`+authUsers+`","name":"Authenticated Users","principal_type":"group","attributes":{"sid":"S-1-5-11","well_known":"true","directory":"fs.corp"}`),
		rec("entitlement", "smb", "sm1", `"host":"fs.corp","principal_id":"`+authUsers+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
		scan("smb", "sm1", `,"host":"fs.corp"`))
	post(web9, "w9-smb-2", forged("sm10")...)
	storetest.BuildIndex(t, h.st)

	name, typ, body := principalOf(t, h, authUsers)
	require.Equal(t, "Authenticated Users", name, body)
	require.Equal(t, "group", typ, body)
	require.NotContains(t, body, "CEO", body)
	code, body := h.do("GET", "/api/v1/assets/"+payroll, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, "Domain Admins", "a made-up share renamed web-1's share's grantee: %s", body)
	require.Contains(t, body, `"readers":[]`, "a group is no reader: %s", body)
}

// TestCannotJoinAnotherHostsEveryone: every account of a host holds what
// its everyone holds, and a membership from a shared source counts on a
// group no scan reports (a directory group outside the scan's base).
// A host's everyone is no principal record, so on main the authority of
// a made-up directory made its own account a member of web-1's everyone,
// and that account read every file web-1 grants to everyone.
func TestCannotJoinAnotherHostsEveryone(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const loc = "file:///srv/hr/world.csv"
	world := wire.AssetID("fs", "web-1", loc)
	everyone := wire.LocalPrincipalID("web-1", "everyone", "")
	backup := wire.LocalPrincipalID("web-1", "user", "backup")
	post(h.agent, "w1-fs",
		rec("asset", "fs", "fs1", `"asset_id":"`+world+`","asset_type":"file","location":"`+loc+`","owner":"root"`),
		rec("pii", "fs", "fs1", `"asset_id":"`+world+`","location":"`+loc+`","type":"email","category":"contact","count":5,"distinct":3`),
		rec("entitlement", "fs", "fs1", `"principal_id":"`+everyone+`","resource_id":"`+world+`","resource_type":"file","permission":"read","via":["world-readable"]`),
		scan("fs", "fs1", ""))
	post(h.agent, "w1-host",
		rec("principal", "host", "h1", `"principal_id":"`+backup+`","name":"backup","principal_type":"user"`),
		scan("host", "h1", ""))
	mallory := wire.DirectoryPrincipalID("evil.test", "cn=mallory,dc=evil")
	post(web9, "w9-ldap",
		rec("principal", "ldap", "ld9", `"host":"evil.test","principal_id":"`+mallory+`","name":"mallory","principal_type":"user","attributes":{"dn":"cn=mallory,dc=evil"}`),
		rec("entitlement", "ldap", "ld9", `"host":"evil.test","principal_id":"`+mallory+`","resource_id":"`+everyone+`","resource_type":"group","permission":"member"`),
		scan("ldap", "ld9", `,"host":"evil.test"`))
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/assets/"+world, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, backup, "web-1's own account reads its world-readable file: %s", body)
	require.NotContains(t, body, mallory, "a made-up directory's account joined web-1's everyone: %s", body)
	code, body = h.do("GET", "/api/v1/principals/"+mallory, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, world, "a made-up directory's account reaches web-1's file: %s", body)
}

// TestCannotJoinAnotherHostsUnreportedGroup: a membership from a shared
// source counts on a group no scan reports (a directory group outside
// the scan's base). A host's group that its host scan does not report (a
// file's group id with no name in /etc/group, or a host running the file
// scanner only) is such a group too: the authority of a made-up
// directory makes its own account a member and reads web-1's files
// granted to that group.
func TestCannotJoinAnotherHostsUnreportedGroup(t *testing.T) {
	t.Skip("open hole: a shared source's membership on a group nobody reports counts even when host-local grants name that group " +
		"(the access map cannot tell a host's group id from a directory's; closing it needs the build to exclude ids named by fs/host grants, " +
		"one more scan of the entitlements per index build: the index helper's area)")
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const loc = "file:///srv/hr/staff.csv"
	file := wire.AssetID("fs", "web-1", loc)
	staff := wire.LocalPrincipalID("web-1", "group", "1234")
	post(h.agent, "w1-fs",
		rec("asset", "fs", "fs1", `"asset_id":"`+file+`","asset_type":"file","location":"`+loc+`","owner":"root"`),
		rec("pii", "fs", "fs1", `"asset_id":"`+file+`","location":"`+loc+`","type":"email","category":"contact","count":5,"distinct":3`),
		rec("entitlement", "fs", "fs1", `"principal_id":"`+staff+`","resource_id":"`+file+`","resource_type":"file","permission":"read","via":["group"]`),
		scan("fs", "fs1", ""))
	mallory := wire.DirectoryPrincipalID("evil.test", "cn=mallory,dc=evil")
	post(web9, "w9-ldap",
		rec("principal", "ldap", "ld9", `"host":"evil.test","principal_id":"`+mallory+`","name":"mallory","principal_type":"user","attributes":{"dn":"cn=mallory,dc=evil"}`),
		rec("entitlement", "ldap", "ld9", `"host":"evil.test","principal_id":"`+mallory+`","resource_id":"`+staff+`","resource_type":"group","permission":"member"`),
		scan("ldap", "ld9", `,"host":"evil.test"`))
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/assets/"+file, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, mallory, "a made-up directory's account joined web-1's group: %s", body)
}

// TestSharedSourceCannotPassAsAHostsFile: a shared source's scope is the
// name its records give (an SMB server, a database server), which may be
// any host's name, and a record's location was not tied to its source.
// On main agent web-9, as the authority of a made-up SMB server named
// "web-1", reported web-1's payroll file's location (file:///…, dated
// ahead): GET /access/readers?location=…&host=web-1 answered with its
// asset and its own account as the reader, and the asset list of host
// web-1 showed its file. A file:// location is a host's file, host:// a
// host: only the fs and host sources may report them.
func TestSharedSourceCannotPassAsAHostsFile(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const loc = "file:///srv/hr/payroll.csv"
	payroll := wire.AssetID("fs", "web-1", loc)
	backup := wire.LocalPrincipalID("web-1", "user", "backup")
	postWeb1Payroll(h, rec, scan, post, payroll, backup)
	ahead := time.Now().UTC().Add(4 * time.Minute).Format(time.RFC3339)
	mallory := wire.DirectoryPrincipalID("web-1", "S-1-5-21-1-2-3-1001")
	fake := wire.AssetID("smb", "web-1", loc)
	code, body := h.do("POST", "/api/v1/ingest", web9, map[string]string{"Idempotency-Key": "w9-smb", "Content-Encoding": "gzip"}, gz(strings.Join([]string{
		`{"kind":"asset","source":"smb","scan_id":"sm9","observed_at":"` + ahead + `","host":"web-1","asset_id":"` + fake + `","asset_type":"file","location":"` + loc + `","owner":"root"}`,
		`{"kind":"pii","source":"smb","scan_id":"sm9","observed_at":"` + ahead + `","host":"web-1","asset_id":"` + fake + `","location":"` + loc + `","type":"us_ssn","category":"government_id","count":900,"distinct":900}`,
		`{"kind":"principal","source":"smb","scan_id":"sm9","observed_at":"` + ahead + `","host":"web-1","principal_id":"` + mallory + `","name":"mallory","principal_type":"user","attributes":{"sid":"S-1-5-21-1-2-3-1001"}}`,
		`{"kind":"entitlement","source":"smb","scan_id":"sm9","observed_at":"` + ahead + `","host":"web-1","principal_id":"` + mallory + `","resource_id":"` + fake + `","resource_type":"file","permission":"read"}`,
		`{"kind":"scan","source":"smb","scan_id":"sm9","observed_at":"` + ahead + `","host":"web-1","scanner":"smb","started_at":"` + ahead + `","finished_at":"` + ahead + `","status":"ok"}`,
	}, "\n")+"\n"))
	require.Equal(t, http.StatusBadRequest, code, body)
	require.Contains(t, body, "location", body)
	storetest.BuildIndex(t, h.st)
	code, body = h.do("GET", "/api/v1/access/readers?location="+loc+"&host=web-1", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, payroll, "the readers of web-1's file are those of another source's asset: %s", body)
}

// TestLookalikeHostnameIsTheSameHost: one agent speaks for a host name
// as wire.HostKey compares them. On main that was lower case without a
// trailing dot only: an agent enrolled as "ｗｅｂ－１" (full-width), as
// "Web-1" with a decomposed accent, or with a Kelvin sign for a K, looks
// like (or is folded to) another host's name in the console, yet spoke
// for a host of its own, with no conflict flagged. Names are compared
// after compatibility normalization and full case folding (NFKC,
// casefold), so the look-alike is refused like any same-named agent.
func TestLookalikeHostnameIsTheSameHost(t *testing.T) {
	for _, tc := range []struct{ name, real, twin string }{
		{"full-width", "web-1", "ｗｅｂ－１"},
		{"decomposed accent", "caf\u00e9-1", "CAFE\u0301-1"},
		{"sharp s", "strasse-1", "STRAẞE-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, twin, rec, scan, post := secondAgent(t, tc.twin)
			real := h.agent
			if tc.real != "web-1" {
				real = enrollAs(t, h, tc.real)
			}
			post(real, "real-host", rec("principal", "host", "h1", `"principal_id":"x","name":"backup","principal_type":"user"`), scan("host", "h1", ""))
			code, body := h.do("POST", "/api/v1/ingest", twin, map[string]string{"Idempotency-Key": "twin", "Content-Encoding": "gzip"},
				gz(rec("principal", "host", "h9", `"principal_id":"y","name":"mallory","principal_type":"user"`)+"\n"+scan("host", "h9", "")+"\n"))
			require.Equal(t, http.StatusForbidden, code, "a look-alike of %q speaks for a host of its own: %s", tc.real, body)
		})
	}
}

// enrollAs enrolls one more agent as hostname and returns its token.
func enrollAs(t *testing.T, h *harness, hostname string) string {
	t.Helper()
	secret, _, err := auth.New(auth.Options{Store: h.st}).Create(context.Background(), auth.RoleAgentEnroll, "third", "", 0)
	require.NoError(t, err)
	b, err := json.Marshal(map[string]string{"enroll_secret": secret, "hostname": hostname})
	require.NoError(t, err)
	code, body := h.do("POST", "/api/v1/agents/enroll", "", nil, bytes.NewReader(b))
	require.Equal(t, http.StatusCreated, code, body)
	var en struct{ Token string }
	require.NoError(t, json.Unmarshal([]byte(body), &en))
	return en.Token
}

// TestGCSMemberKeepsItsName: a GCS member's id is global (one Google
// account in every project: wire.GCSPrincipalID), and the read index
// keeps one name and type per id, whichever row it meets. On main the
// collector kept what a record said of the member: as the authority of
// a made-up project, agent web-9 named web-1's bucket's reader
// ann@example.com "backup-robot", a service account, disabled. The
// collector names a member from its member string, as the scanner does.
func TestGCSMemberKeepsItsName(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	ann := wire.GCSPrincipalID("user:ann@example.com")
	forged := func(scanID string) []string {
		return []string{
			rec("principal", "gcs", scanID, `"host":"evil-project","principal_id":"`+ann+`","name":"backup-robot","principal_type":"service","enabled":false,"attributes":{"member":"user:ann@example.com","title":"robot"}`),
			scan("gcs", scanID, `,"host":"evil-project"`)}
	}
	post(web9, "w9-gcs-1", forged("g9")...)
	post(h.agent, "w1-gcs",
		rec("principal", "gcs", "g1", `"host":"real-project","principal_id":"`+ann+`","name":"ann@example.com","principal_type":"user","enabled":true,"attributes":{"member":"user:ann@example.com"}`),
		scan("gcs", "g1", `,"host":"real-project"`))
	post(web9, "w9-gcs-2", forged("g10")...)
	storetest.BuildIndex(t, h.st)

	name, typ, body := principalOf(t, h, ann)
	require.Equal(t, "ann@example.com", name, body)
	require.Equal(t, "user", typ, body)
	require.NotContains(t, body, "robot", body)
}

// principalOf reads a principal's detail as an admin: its name, its type
// and the whole body for the assertions that follow.
func principalOf(t *testing.T, h *harness, id string) (name, typ, body string) {
	t.Helper()
	code, body := h.do("GET", "/api/v1/principals/"+id, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var p struct {
		Name string `json:"name"`
		Type string `json:"principal_type"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	return p.Name, p.Type, body
}

// TestSameLocationOtherSourceKeepsItsReaders: a location is what a record
// says, and a shared source's scope is whatever name its records give,
// so the authority of a made-up Azure account named "fs.corp" may report
// an asset at web-1's share's location on host fs.corp. On main the
// asset detail (GET /assets/{id}) listed the readers of whichever asset
// at that location and host was seen last (by the agent's clock: dated
// ahead, the forger's), and so did /access/readers. The detail reads the
// readers of its own asset; the location lookup refuses to choose
// between two (409: ask by id or give the source).
func TestSameLocationOtherSourceKeepsItsReaders(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const loc = "smb://fs.corp/hr/payroll.csv"
	payroll := wire.AssetID("smb", "fs.corp", loc)
	ann := wire.StableID("smb", "fs.corp", "sid:S-1-5-21-1-2-3-1104")
	post(h.agent, "w1-smb",
		rec("asset", "smb", "sm1", `"host":"fs.corp","asset_id":"`+payroll+`","asset_type":"file","location":"`+loc+`"`),
		rec("pii", "smb", "sm1", `"host":"fs.corp","asset_id":"`+payroll+`","location":"`+loc+`","type":"email","category":"contact","count":5,"distinct":3`),
		rec("principal", "smb", "sm1", `"host":"fs.corp","principal_id":"`+ann+`","name":"ann","principal_type":"user","attributes":{"sid":"S-1-5-21-1-2-3-1104"}`),
		rec("entitlement", "smb", "sm1", `"host":"fs.corp","principal_id":"`+ann+`","resource_id":"`+payroll+`","resource_type":"file","permission":"read"`),
		scan("smb", "sm1", `,"host":"fs.corp"`))
	ahead := time.Now().UTC().Add(4 * time.Minute).Format(time.RFC3339)
	fake := wire.AssetID("azblob", "fs.corp", loc)
	mallory := wire.StableID("azblob", "fs.corp", "name:mallory")
	fut := func(kind, rest string) string {
		return `{"kind":"` + kind + `","source":"azblob","scan_id":"az9","observed_at":"` + ahead + `","host":"fs.corp",` + rest + `}`
	}
	post(web9, "w9-az",
		fut("asset", `"asset_id":"`+fake+`","asset_type":"file","location":"`+loc+`"`),
		fut("principal", `"principal_id":"`+mallory+`","name":"mallory","principal_type":"user"`),
		fut("entitlement", `"principal_id":"`+mallory+`","resource_id":"`+fake+`","resource_type":"file","permission":"read"`),
		fut("scan", `"scanner":"azblob","started_at":"`+ahead+`","finished_at":"`+ahead+`","status":"ok"`))
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/assets/"+payroll, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, ann, "the share's own reader: %s", body)
	require.NotContains(t, body, "mallory", "another source's asset's readers on the share's file: %s", body)
	code, body = h.do("GET", "/api/v1/access/readers?location="+loc+"&host=fs.corp", h.admin, nil, nil)
	require.Equal(t, http.StatusConflict, code, body)
	code, body = h.do("GET", "/api/v1/access/readers?location="+loc+"&host=fs.corp&source=smb", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, ann, body)
	require.NotContains(t, body, "mallory", body)
}

// TestBucketGrantCoversOnlyItsOwnObjects: a grant on a bucket covers the
// objects in it, matched by the bucket's name (s3://NAME), which a
// location says. Bucket names are global and a shared source's scope any
// account its records name: as the authority of a made-up AWS account,
// agent web-9 reported a bucket at another account's bucket's location
// and made its own account a reader of it, which made that account a
// reader of every object the real bucket's scan reported.
func TestBucketGrantCoversOnlyItsOwnObjects(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const bucketLoc, objLoc = "s3://payroll-bucket", "s3://payroll-bucket/people.csv"
	bucket := wire.AssetID("s3", "111111111111", bucketLoc)
	obj := wire.AssetID("s3", "111111111111", objLoc)
	post(h.agent, "w1-s3",
		rec("asset", "s3", "s31", `"host":"111111111111","asset_id":"`+bucket+`","asset_type":"bucket","location":"`+bucketLoc+`"`),
		rec("asset", "s3", "s31", `"host":"111111111111","asset_id":"`+obj+`","asset_type":"object","location":"`+objLoc+`"`),
		rec("pii", "s3", "s31", `"host":"111111111111","asset_id":"`+obj+`","location":"`+objLoc+`","type":"email","category":"contact","count":5,"distinct":3`),
		scan("s3", "s31", `,"host":"111111111111"`))
	fake := wire.AssetID("s3", "999999999999", bucketLoc)
	mallory := wire.IAMPrincipalID("999999999999", "arn:aws:iam::999999999999:user/mallory")
	post(web9, "w9-s3",
		rec("asset", "s3", "s39", `"host":"999999999999","asset_id":"`+fake+`","asset_type":"bucket","location":"`+bucketLoc+`"`),
		rec("principal", "s3", "s39", `"host":"999999999999","principal_id":"`+mallory+`","name":"mallory","principal_type":"user","attributes":{"arn":"arn:aws:iam::999999999999:user/mallory"}`),
		rec("entitlement", "s3", "s39", `"host":"999999999999","principal_id":"`+mallory+`","resource_id":"`+fake+`","resource_type":"bucket","permission":"read"`),
		scan("s3", "s39", `,"host":"999999999999"`))
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/assets/"+obj, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, mallory, "a made-up account's bucket grant covers another account's object: %s", body)
	code, body = h.do("GET", "/api/v1/access/readers?location="+bucketLoc+"&host=999999999999", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, mallory, "its own bucket's grant still counts: %s", body)
}

// TestPublicBucketAlertIsItsOwnObjects: the public-bucket alert rolls up
// the objects in a public bucket, matched by the bucket's name. On main
// a made-up account's public bucket at a private bucket's location
// (s3://payroll-bucket) was alerted on with the real bucket's objects:
// their personal data counted as exposed in the forger's bucket, a
// false alert that names the real data. The rollup is by account and
// bucket.
func TestPublicBucketAlertIsItsOwnObjects(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const bucketLoc, objLoc = "s3://payroll-bucket", "s3://payroll-bucket/people.csv"
	bucket := wire.AssetID("s3", "111111111111", bucketLoc)
	obj := wire.AssetID("s3", "111111111111", objLoc)
	post(h.agent, "w1-s3",
		rec("asset", "s3", "s31", `"host":"111111111111","asset_id":"`+bucket+`","asset_type":"bucket","location":"`+bucketLoc+`"`),
		rec("asset", "s3", "s31", `"host":"111111111111","asset_id":"`+obj+`","asset_type":"object","location":"`+objLoc+`"`),
		rec("pii", "s3", "s31", `"host":"111111111111","asset_id":"`+obj+`","location":"`+objLoc+`","type":"email","category":"contact","count":5,"distinct":3`),
		scan("s3", "s31", `,"host":"111111111111"`))
	fake := wire.AssetID("s3", "999999999999", bucketLoc)
	post(web9, "w9-s3",
		rec("asset", "s3", "s39", `"host":"999999999999","asset_id":"`+fake+`","asset_type":"bucket","location":"`+bucketLoc+`","attributes":{"public":"true"}`),
		scan("s3", "s39", `,"host":"999999999999"`))
	storetest.BuildIndex(t, h.st)

	ctx := context.Background()
	st, err := h.st.IndexState(ctx)
	require.NoError(t, err)
	exposed, err := h.st.ExposedAssets(ctx, st.Gen)
	require.NoError(t, err)
	for _, e := range exposed {
		require.NotEqual(t, fake, e.AssetID, "a made-up account's public bucket alerted with another account's objects: %+v", e)
	}
}

// TestDataMapBucketIsItsOwn: the read index gave a bucket's objects the
// bucket's jurisdiction and marked a system public when its bucket was,
// both matched by the bucket's name alone (collector/store/index.go): a
// made-up account's public bucket at a private bucket's location marked
// the real account's system public in the data map.
func TestDataMapBucketIsItsOwn(t *testing.T) {
	h, web9, rec, scan, post := secondAgent(t, "web-9")
	const bucketLoc, objLoc = "s3://payroll-bucket", "s3://payroll-bucket/people.csv"
	bucket := wire.AssetID("s3", "111111111111", bucketLoc)
	obj := wire.AssetID("s3", "111111111111", objLoc)
	post(h.agent, "w1-s3",
		rec("asset", "s3", "s31", `"host":"111111111111","asset_id":"`+bucket+`","asset_type":"bucket","location":"`+bucketLoc+`","attributes":{"region":"eu-west-1","jurisdiction":"EU"}`),
		rec("asset", "s3", "s31", `"host":"111111111111","asset_id":"`+obj+`","asset_type":"object","location":"`+objLoc+`"`),
		rec("pii", "s3", "s31", `"host":"111111111111","asset_id":"`+obj+`","location":"`+objLoc+`","type":"email","category":"contact","count":5,"distinct":3`),
		scan("s3", "s31", `,"host":"111111111111"`))
	fake := wire.AssetID("s3", "999999999999", bucketLoc)
	post(web9, "w9-s3",
		rec("asset", "s3", "s39", `"host":"999999999999","asset_id":"`+fake+`","asset_type":"bucket","location":"`+bucketLoc+`","attributes":{"public":"true","region":"ap-east-1","jurisdiction":"HK"}`),
		scan("s3", "s39", `,"host":"999999999999"`))
	storetest.BuildIndex(t, h.st)

	code, body := h.do("GET", "/api/v1/datamap", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.NotContains(t, body, `"public":true`, "the private bucket's system is marked public: %s", body)
	require.NotContains(t, body, `"HK"`, "the private bucket's objects took another account's bucket's jurisdiction: %s", body)
	require.Contains(t, body, `"jurisdiction":"EU"`, "the objects keep their own bucket's jurisdiction: %s", body)
}
