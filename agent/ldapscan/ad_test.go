package ldapscan

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

func TestSIDAndUAC(t *testing.T) {
	b := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0}
	for _, v := range []uint32{1, 2, 3, 512} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	require.Equal(t, "S-1-5-21-1-2-3-512", sidString(b))
	require.Equal(t, "Domain Admins", privilegedSID(sidString(b)))
	require.Equal(t, "Backup Operators", privilegedSID("S-1-5-32-551"))
	require.Equal(t, "", privilegedSID("S-1-5-21-1-2-3-513"))
	require.Equal(t, "", sidString(b[:9]))
	require.Equal(t, []string{"disabled", "password_never_expires", "no_kerberos_preauth"}, uacFlags(0x2|0x200|0x10000|0x400000))
	tm := fileTime("133000000000000000")
	require.Equal(t, "2022-06-18T04:26:40Z", tm.Format("2006-01-02T15:04:05Z"))
	require.Nil(t, fileTime("0"))
	require.Nil(t, fileTime("9223372036854775807"))
}

// testAD returns the test domain controller's URL, Administrator password
// and CA file (SIGHTLINE_TEST_AD, SIGHTLINE_TEST_AD_PASSWORD_FILE,
// SIGHTLINE_TEST_AD_CA), set by make test after provisioning a Samba AD DC.
func testAD(t *testing.T) (string, string, string) {
	url := os.Getenv("SIGHTLINE_TEST_AD")
	if url == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_AD is not set but services are required")
		}
		t.Skip("no test AD domain controller (SIGHTLINE_TEST_AD); make test provisions one")
	}
	pw, err := os.ReadFile(os.Getenv("SIGHTLINE_TEST_AD_PASSWORD_FILE"))
	require.NoError(t, err)
	return url, string(pw), os.Getenv("SIGHTLINE_TEST_AD_CA")
}

const adBase = "DC=corp,DC=example,DC=com"
const adAdmin = "Administrator@CORP.EXAMPLE.COM"

func utf16Password(p string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(`"` + p + `"`)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

func TestActiveDirectory(t *testing.T) {
	url, pw, ca := testAD(t)
	pem, err := os.ReadFile(ca)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	conn, err := ldap.DialURL(url, ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Bind(adAdmin, pw))
	rb := make([]byte, 3)
	_, _ = rand.Read(rb)
	tag := hex.EncodeToString(rb)
	ou := "OU=t" + tag + "," + adBase
	require.NoError(t, conn.Add(func() *ldap.AddRequest {
		r := ldap.NewAddRequest(ou, nil)
		r.Attribute("objectClass", []string{"organizationalUnit"})
		return r
	}()))
	user := func(name string, uac int, extra map[string][]string) string {
		dn := "CN=" + name + "," + ou
		r := ldap.NewAddRequest(dn, nil)
		r.Attribute("objectClass", []string{"user"})
		r.Attribute("sAMAccountName", []string{name + tag})
		r.Attribute("unicodePwd", []string{utf16Password("Sightline!" + tag + "x9")})
		r.Attribute("userAccountControl", []string{fmt.Sprint(uac)})
		for k, v := range extra {
			r.Attribute(k, v)
		}
		require.NoError(t, conn.Add(r), name)
		return dn
	}
	group := func(name string, members ...string) string {
		dn := "CN=" + name + "," + ou
		r := ldap.NewAddRequest(dn, nil)
		r.Attribute("objectClass", []string{"group"})
		r.Attribute("sAMAccountName", []string{name + tag})
		if len(members) > 0 {
			r.Attribute("member", members)
		}
		require.NoError(t, conn.Add(r), name)
		return dn
	}
	alice := user("alice", 512, nil)
	bob := user("bob", 514, nil) // disabled
	user("svcsql", 512, map[string][]string{"servicePrincipalName": {"MSSQLSvc/db" + tag + ".corp.example.com:1433"}})
	user("carol", 512|0x400000, nil) // no Kerberos pre-authentication
	dave := user("dave", 512|0x10000, nil)
	var many []string
	for i := 0; i < 25; i++ {
		many = append(many, user(fmt.Sprintf("m%02d", i), 512, nil))
	}
	group("big", many...)
	// A group twice the size of AD's ranged page (1,500): accounts without
	// a password, which are quick to create.
	var huge []string
	for i := 0; i < 3000; i++ {
		dn := fmt.Sprintf("CN=h%04d,%s", i, ou)
		r := ldap.NewAddRequest(dn, nil)
		r.Attribute("objectClass", []string{"user"})
		r.Attribute("sAMAccountName", []string{fmt.Sprintf("h%04d%s", i, tag)})
		require.NoError(t, conn.Add(r))
		huge = append(huge, dn)
	}
	group("huge", huge...)
	erin := user("erin", 512, nil)
	group("backup", erin) // nested into Backup Operators below
	tier0 := group("tier0", alice, bob)
	// tier0 into Domain Admins; dave gets adminCount=1 without any group.
	da := "CN=Domain Admins,CN=Users," + adBase
	mod := ldap.NewModifyRequest(da, nil)
	mod.Add("member", []string{tier0})
	require.NoError(t, conn.Modify(mod))
	t.Cleanup(func() {
		m := ldap.NewModifyRequest(da, nil)
		m.Delete("member", []string{tier0})
		_ = conn.Modify(m)
	})
	bo := "CN=Backup Operators,CN=Builtin," + adBase
	bm := ldap.NewModifyRequest(bo, nil)
	bm.Add("member", []string{"CN=backup," + ou})
	require.NoError(t, conn.Modify(bm))
	t.Cleanup(func() {
		m := ldap.NewModifyRequest(bo, nil)
		m.Delete("member", []string{"CN=backup," + ou})
		_ = conn.Modify(m)
	})
	m := ldap.NewModifyRequest(dave, nil)
	m.Replace("adminCount", []string{"1"})
	require.NoError(t, conn.Modify(m))

	var recs []wire.Record
	res, err := Scan(context.Background(), Options{URL: url, BaseDN: adBase, BindDN: adAdmin, Password: pw, CAFile: ca,
		RangeStep: 1000}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		recs = append(recs, *r)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)

	byName := map[string]wire.Record{}
	ids := map[string]string{}
	for _, r := range recs {
		if r.Kind == wire.KindPrincipal {
			n := r.Name
			if strings.HasSuffix(n, tag) { // this run's accounts; a reused DC holds earlier ones
				n = strings.TrimSuffix(n, tag)
				byName[n] = r
			} else if _, mine := byName[n]; !mine {
				byName[n] = r
			}
			ids[r.PrincipalID] = n
		}
	}
	type row struct{ name, priv, hygiene string }
	var got []row
	for _, n := range []string{"alice", "bob", "svcsql", "carol", "dave", "m00", "tier0"} {
		r := byName[n]
		got = append(got, row{n, strings.ReplaceAll(strings.Join(r.PrivilegedVia, " | "), tag, ""), r.Attributes["hygiene"]})
	}
	// The exact privileged set among this run's accounts and groups.
	var privileged []string
	for n, r := range byName {
		if r.Privileged && strings.HasSuffix(r.Name, tag) {
			privileged = append(privileged, n)
		}
	}
	sort.Strings(privileged)
	require.Equal(t, []string{"alice", "backup", "bob", "erin", "tier0"}, privileged)
	require.Equal(t, []string{"member of Backup Operators via backup"},
		strings.Split(strings.ReplaceAll(strings.Join(byName["erin"].PrivilegedVia, "|"), tag, ""), "|"))
	require.Equal(t, []row{
		// Domain Admins is itself a member of Administrators, as on Windows.
		{"alice", "member of Administrators via tier0 → Domain Admins | member of Domain Admins via tier0", "stale_and_privileged"},
		{"bob", "member of Administrators via tier0 → Domain Admins | member of Domain Admins via tier0", "disabled_but_privileged"},
		{"svcsql", "", "kerberoastable"},
		{"carol", "", "asrep_roastable"},
		{"dave", "", "password_never_expires,orphaned_admin_count"},
		{"m00", "", ""},
		{"tier0", "member of Administrators via Domain Admins | member of Domain Admins", ""},
	}, got)
	require.Equal(t, []string{"member of Administrators", "well-known privileged group Domain Admins"}, byName["Domain Admins"].PrivilegedVia)
	require.NotEmpty(t, byName["alice"].Attributes["sid"])
	require.NotEmpty(t, byName["alice"].Attributes["when_created"])
	require.NotNil(t, byName["alice"].PasswordLastSet)
	require.Equal(t, "disabled", byName["bob"].Attributes["uac"])
	require.False(t, *byName["bob"].Enabled)

	// big has 25 members read in ranges of 10; every account is in Domain
	// Users through primaryGroupID, which AD does not list in member.
	members := map[string]int{}
	for _, r := range recs {
		if r.Kind == wire.KindEntitlement && len(r.Via) == 0 {
			members[ids[r.ResourceID]]++
		}
	}
	require.Equal(t, 25, members["big"])
	require.Equal(t, 3000, members["huge"], "read completely, in ranges of 1,000")
	var inDU []string
	for _, r := range recs {
		if r.Kind == wire.KindEntitlement && ids[r.ResourceID] == "Domain Users" && len(ids[r.PrincipalID]) == 3 && strings.HasPrefix(ids[r.PrincipalID], "m0") {
			inDU = append(inDU, ids[r.PrincipalID])
		}
	}
	sort.Strings(inDU)
	require.Equal(t, []string{"m00", "m01", "m02", "m03", "m04", "m05", "m06", "m07", "m08", "m09"}, inDU)
}

// On AD, manager is the manager's objectSid-based principal_id and
// manager_name its sAMAccountName; a manager outside the scanned base has
// no SID to make an id from, so only manager_dn is emitted for it.
func TestActiveDirectoryManager(t *testing.T) {
	url, pw, ca := testAD(t)
	pem, err := os.ReadFile(ca)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	conn, err := ldap.DialURL(url, ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}))
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Bind(adAdmin, pw))
	rb := make([]byte, 3)
	_, _ = rand.Read(rb)
	tag := hex.EncodeToString(rb)
	top := "OU=m" + tag + "," + adBase
	people, other := "OU=people,"+top, "OU=other,"+top
	for _, ou := range []string{top, people, other} {
		r := ldap.NewAddRequest(ou, nil)
		r.Attribute("objectClass", []string{"organizationalUnit"})
		require.NoError(t, conn.Add(r), ou)
	}
	user := func(name, ou string) string {
		dn := "CN=" + name + "," + ou
		r := ldap.NewAddRequest(dn, nil)
		r.Attribute("objectClass", []string{"user"})
		r.Attribute("sAMAccountName", []string{name + tag})
		require.NoError(t, conn.Add(r), name)
		return dn
	}
	boss := user("boss", people)
	far := user("far", other)
	for report, manager := range map[string]string{user("ann", people): boss, user("ben", people): boss, user("cid", people): far} {
		m := ldap.NewModifyRequest(report, nil)
		m.Replace("manager", []string{manager})
		require.NoError(t, conn.Modify(m))
	}
	user("dee", people)

	var recs []wire.Record
	res, err := Scan(context.Background(), Options{URL: url, BaseDN: people, BindDN: adAdmin, Password: pw, CAFile: ca},
		func(r *wire.Record) error {
			wiretest.RequireValid(t, r)
			recs = append(recs, *r)
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)
	type mgr struct{ id, name, dn string }
	got := map[string]mgr{}
	byName := map[string]wire.Record{}
	for _, r := range recs {
		if r.Kind == wire.KindPrincipal {
			n := strings.TrimSuffix(r.Name, tag)
			byName[n] = r
			got[n] = mgr{r.Attributes["manager"], strings.ReplaceAll(r.Attributes["manager_name"], tag, "#"), r.Attributes["manager_dn"]}
		}
	}
	bossRec := byName["boss"]
	require.NotEmpty(t, bossRec.Attributes["sid"])
	require.Equal(t, wire.StableID(wire.SourceLDAP, "127.0.0.1", bossRec.Attributes["sid"]), bossRec.PrincipalID, "ids are SID-based")
	require.Equal(t, map[string]mgr{
		"ann":  {bossRec.PrincipalID, "boss#", strings.ToLower(boss)},
		"ben":  {bossRec.PrincipalID, "boss#", strings.ToLower(boss)},
		"cid":  {"", "", strings.ToLower(far)},
		"boss": {}, "dee": {},
	}, got)
}
