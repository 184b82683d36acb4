package ldapscan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// testLDAP returns the test directory's URL and manager password, from
// SIGHTLINE_TEST_LDAP (URL) and SIGHTLINE_TEST_LDAP_PASSWORD_FILE, which
// make test sets after starting slapd.
func testLDAP(t *testing.T) (string, string) {
	url := os.Getenv("SIGHTLINE_TEST_LDAP")
	if url == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_LDAP is not set but services are required")
		}
		t.Skip("no test LDAP server (SIGHTLINE_TEST_LDAP); make test starts one")
	}
	pw, err := os.ReadFile(os.Getenv("SIGHTLINE_TEST_LDAP_PASSWORD_FILE"))
	require.NoError(t, err)
	return url, string(pw)
}

const admin = "cn=admin,dc=example,dc=com"

// fixture adds an OU of its own with users and nested groups (with a
// cycle), and returns its DN.
func fixture(t *testing.T, url, pw string) string {
	conn, err := ldap.DialURL(url)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Bind(admin, pw))
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := "ou=t" + hex.EncodeToString(b) + ",dc=example,dc=com"
	add := func(dn string, attrs map[string][]string) {
		req := ldap.NewAddRequest(dn, nil)
		keys := make([]string, 0, len(attrs))
		for k := range attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			req.Attribute(k, attrs[k])
		}
		require.NoError(t, conn.Add(req), dn)
	}
	add(base, map[string][]string{"objectClass": {"organizationalUnit"}})
	user := func(uid string, gid string, manager string) string {
		dn := "uid=" + uid + "," + base
		a := map[string][]string{"objectClass": {"inetOrgPerson", "posixAccount"}, "cn": {uid}, "sn": {uid}, "uid": {uid},
			"uidNumber": {fmt.Sprint(len(uid) * 1000)}, "gidNumber": {gid}, "homeDirectory": {"/home/" + uid}}
		if manager != "" {
			a["manager"] = []string{manager}
		}
		add(dn, a)
		return dn
	}
	// Managers: dave manages alice and bob (entered in upper case, as
	// directories often hold them), carol's manager is outside the scanned
	// base, erin has none.
	dave := "uid=dave," + base
	alice := user("alice", "100", strings.ToUpper(dave))
	bob := user("bob", "100", dave)
	carol := user("carol", "100", "uid=boss,ou=elsewhere,dc=example,dc=com")
	user("dave", "100", "")
	user("erin", "5000", "")
	g := func(cn string) string { return "cn=" + cn + "," + base }
	// admins ← ops ← nested ← admins (a cycle); ops holds alice, nested bob.
	add(g("admins"), map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"admins"}, "member": {g("ops")}})
	add(g("ops"), map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"ops"}, "member": {alice, g("nested")}})
	add(g("nested"), map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"nested"}, "member": {bob, g("admins")}})
	add(g("devs"), map[string][]string{"objectClass": {"groupOfUniqueNames"}, "cn": {"devs"}, "uniqueMember": {carol}})
	add(g("wheel"), map[string][]string{"objectClass": {"posixGroup"}, "cn": {"wheel"}, "gidNumber": {"5000"}, "memberUid": {"dave"}})
	return base
}

func TestOpenLDAP(t *testing.T) {
	url, pw := testLDAP(t)
	base := fixture(t, url, pw)
	var recs []wire.Record
	res, err := Scan(context.Background(), Options{URL: url, BaseDN: base, BindDN: admin, Password: pw, PageSize: 3,
		PrivilegedGroups: []string{"cn=admins," + base, "CN=wheel," + strings.ToUpper(base)}},
		func(r *wire.Record) error {
			wiretest.RequireValid(t, r)
			recs = append(recs, *r)
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)
	require.EqualValues(t, 5, res.Stats["users"], "paged through 10 entries three at a time")
	require.EqualValues(t, 5, res.Stats["groups"])
	names := map[string]string{}
	for _, r := range recs {
		if r.Kind == wire.KindPrincipal {
			names[r.PrincipalID] = r.Name
		}
	}
	var priv, member []string
	for _, r := range recs {
		switch {
		case r.Kind == wire.KindPrincipal && r.Privileged:
			priv = append(priv, r.Name+": "+strings.Join(r.PrivilegedVia, " | "))
		case r.Kind == wire.KindEntitlement:
			member = append(member, fmt.Sprintf("%s in %s via [%s]", names[r.PrincipalID], names[r.ResourceID], strings.Join(r.Via, ",")))
		}
	}
	sort.Strings(priv)
	sort.Strings(member)
	require.Equal(t, []string{
		"admins: privileged group (configured)", // the cycle back to itself is cut
		"alice: member of admins via ops",
		"bob: member of admins via nested → ops",
		"dave: member of wheel",
		"erin: member of wheel",
		"nested: member of admins via ops",
		"ops: member of admins",
		"wheel: privileged group (configured)",
	}, priv)
	require.Equal(t, []string{
		"admins in nested via []", "admins in ops via [nested]",
		"alice in admins via [ops]", "alice in nested via [ops,admins]", "alice in ops via []",
		"bob in admins via [nested,ops]", "bob in nested via []", "bob in ops via [nested]",
		"carol in devs via []", // groupOfUniqueNames
		"dave in wheel via []", // posixGroup memberUid
		"erin in wheel via []", // primary group by gidNumber
		"nested in admins via [ops]", "nested in ops via []",
		"ops in admins via []", "ops in nested via [admins]",
	}, member)

	// manager is the manager's principal_id (DN-based, as the scanner makes
	// ids here, also for a manager outside the base); manager_name only when
	// the manager's entry was read.
	type mgr struct{ id, name, dn string }
	managers := map[string]mgr{}
	ids := map[string]string{}
	for _, r := range recs {
		if r.Kind == wire.KindPrincipal {
			ids[r.Name] = r.PrincipalID
			managers[r.Name] = mgr{r.Attributes["manager"], r.Attributes["manager_name"], r.Attributes["manager_dn"]}
		}
	}
	outside := "uid=boss,ou=elsewhere,dc=example,dc=com"
	require.Equal(t, map[string]mgr{
		"alice": {ids["dave"], "dave", "uid=dave," + base},
		"bob":   {ids["dave"], "dave", "uid=dave," + base},
		"carol": {wire.StableID(wire.SourceLDAP, "127.0.0.1", outside), "", outside},
		"dave":  {}, "erin": {},
		"admins": {}, "ops": {}, "nested": {}, "devs": {}, "wheel": {},
	}, managers)
}

// Each way a scan cannot run is one clear line and a failed scan record.
func TestFailures(t *testing.T) {
	url, pw := testLDAP(t)
	tlsURL := strings.Replace(url, "ldap://", "ldaps://", 1) // slapd speaks plain LDAP there
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"wrong password", Options{URL: url, BaseDN: "dc=example,dc=com", BindDN: admin, Password: "wrong"}, "wrong DN or password"},
		{"unreachable", Options{URL: "ldap://127.0.0.1:1", BaseDN: "dc=x"}, "cannot reach 127.0.0.1:1"},
		{"bad base DN", Options{URL: url, BaseDN: "ou=nope,dc=example,dc=com", BindDN: admin, Password: pw}, "base DN ou=nope,dc=example,dc=com does not exist"},
		{"TLS failure", Options{URL: tlsURL, BaseDN: "dc=example,dc=com"}, "TLS with"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var recs []wire.Record
			res, err := Scan(context.Background(), tc.o, func(r *wire.Record) error {
				wiretest.RequireValid(t, r)
				recs = append(recs, *r)
				return nil
			})
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "\n")
			require.NotContains(t, err.Error(), "wrong\"")
			require.Len(t, recs, 1)
			require.Equal(t, wire.StatusFailed, res.Status)
			require.Equal(t, []string{err.Error()}, recs[0].Errors)
		})
	}
	_, err := Scan(context.Background(), Options{URL: "http://x"}, func(*wire.Record) error { return nil })
	require.ErrorContains(t, err, "must be ldap://")
}
