// Package smbtest prepares the test Samba AD domain controller that make
// test starts (deploy/scripts/samba-ad-start.sh: LDAPS on 636, the SMB
// shares "files" and "restricted" on 445) for a test: a fresh organizational unit with
// users and groups, made over LDAPS, and files with NT ACLs naming them,
// written over SMB as Administrator. The SMB scanner's tests and the
// end-to-end tests share it.
package smbtest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"unicode/utf16"

	smb2 "github.com/cloudsoda/go-smb2"
	"github.com/cloudsoda/sddl"
	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/ntsd"
)

// BaseDN is the test domain's (CORP.EXAMPLE.COM).
const BaseDN = "DC=corp,DC=example,DC=com"

// DC is the test domain controller: its LDAPS URL, the Administrator
// password and its file, the CA of its LDAPS certificate, and its SMB
// address.
type DC struct{ LDAPURL, Password, PasswordFile, CAFile, SMB string }

// Env reads the domain controller from SIGHTLINE_TEST_AD,
// SIGHTLINE_TEST_AD_PASSWORD_FILE, SIGHTLINE_TEST_AD_CA and
// SIGHTLINE_TEST_SMB; without them the test is skipped (failed when
// SIGHTLINE_REQUIRE_SERVICES is set, as make test sets it).
func Env(t testing.TB) DC {
	t.Helper()
	url, smbAddr := os.Getenv("SIGHTLINE_TEST_AD"), os.Getenv("SIGHTLINE_TEST_SMB")
	if url == "" || smbAddr == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_AD or SIGHTLINE_TEST_SMB is not set but services are required")
		}
		t.Skip("no test domain controller with a file share (SIGHTLINE_TEST_AD, SIGHTLINE_TEST_SMB); make test provisions one")
	}
	pwFile := os.Getenv("SIGHTLINE_TEST_AD_PASSWORD_FILE")
	pw, err := os.ReadFile(pwFile)
	require.NoError(t, err)
	return DC{LDAPURL: url, Password: string(pw), PasswordFile: pwFile, CAFile: os.Getenv("SIGHTLINE_TEST_AD_CA"), SMB: smbAddr}
}

// TLSConfig trusts the CA in caFile for the domain controller at 127.0.0.1.
func TLSConfig(t testing.TB, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// OU is an organizational unit of this test's own, under a random tag
// that every name made in it ends with, so tests sharing the domain stay
// apart.
type OU struct {
	DN, Tag string
	t       testing.TB
	conn    *ldap.Conn
}

// NewOU binds as Administrator and makes a fresh OU.
func (d DC) NewOU(t testing.TB, prefix string) *OU {
	t.Helper()
	conn, err := ldap.DialURL(d.LDAPURL, ldap.DialWithTLSConfig(TLSConfig(t, d.CAFile)))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.Bind("Administrator@CORP.EXAMPLE.COM", d.Password))
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	o := &OU{Tag: hex.EncodeToString(b), t: t, conn: conn}
	o.DN = "OU=" + prefix + o.Tag + "," + BaseDN
	o.add(o.DN, map[string][]string{"objectClass": {"organizationalUnit"}})
	return o
}

func (o *OU) add(dn string, attrs map[string][]string) {
	o.t.Helper()
	r := ldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		r.Attribute(k, v)
	}
	require.NoError(o.t, o.conn.Add(r), dn)
}

// User makes an enabled user name+Tag with password pw; it returns the DN.
func (o *OU) User(name, pw string) string {
	o.t.Helper()
	dn := "CN=" + name + o.Tag + "," + o.DN
	var u []byte
	for _, c := range utf16.Encode([]rune(`"` + pw + `"`)) {
		u = binary.LittleEndian.AppendUint16(u, c)
	}
	o.add(dn, map[string][]string{"objectClass": {"user"}, "sAMAccountName": {name + o.Tag},
		"unicodePwd": {string(u)}, "userAccountControl": {"512"}})
	return dn
}

// Group makes a global security group name+Tag with the members (DNs).
func (o *OU) Group(name string, members ...string) string {
	o.t.Helper()
	dn := "CN=" + name + o.Tag + "," + o.DN
	attrs := map[string][]string{"objectClass": {"group"}, "sAMAccountName": {name + o.Tag}}
	if len(members) > 0 {
		attrs["member"] = members
	}
	o.add(dn, attrs)
	return dn
}

// SID is the objectSid of the entry dn, as text.
func (o *OU) SID(dn string) string {
	o.t.Helper()
	res, err := o.conn.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"objectSid"}, nil))
	require.NoError(o.t, err)
	s := ntsd.SIDString(res.Entries[0].GetRawAttributeValue("objectSid"))
	require.NotEmpty(o.t, s)
	return s
}

// RestrictedShare is the share whose share permission admits only the
// AD group RestrictedGroup (full control); Administrator is a member.
const (
	RestrictedShare = "restricted"
	RestrictedGroup = "restricted-share-users"
)

// JoinGroup adds the entry memberDN to the domain's group whose
// sAMAccountName is group (one outside this OU, such as RestrictedGroup),
// and removes it again when the test ends; it returns the group's SID.
func (o *OU) JoinGroup(group, memberDN string) string {
	o.t.Helper()
	res, err := o.conn.Search(ldap.NewSearchRequest(BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		"(&(objectClass=group)(sAMAccountName="+ldap.EscapeFilter(group)+"))", []string{"objectSid"}, nil))
	require.NoError(o.t, err)
	require.Len(o.t, res.Entries, 1, "group %s (made by samba-ad-start.sh)", group)
	dn := res.Entries[0].DN
	add := ldap.NewModifyRequest(dn, nil)
	add.Add("member", []string{memberDN})
	require.NoError(o.t, o.conn.Modify(add), dn)
	o.t.Cleanup(func() {
		del := ldap.NewModifyRequest(dn, nil)
		del.Delete("member", []string{memberDN})
		_ = o.conn.Modify(del)
	})
	s := ntsd.SIDString(res.Entries[0].GetRawAttributeValue("objectSid"))
	require.NotEmpty(o.t, s)
	return s
}

// Mount mounts the share "files" as user (domain CORP).
func (d DC) Mount(t testing.TB, user, pw string) *smb2.Share {
	t.Helper()
	return d.MountShare(t, "files", user, pw)
}

// MountShare mounts share as user (domain CORP).
func (d DC) MountShare(t testing.TB, share, user, pw string) *smb2.Share {
	t.Helper()
	conn, err := net.Dial("tcp", d.SMB)
	require.NoError(t, err)
	sess, err := (&smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: user, Password: pw, Domain: "CORP"}}).DialConn(context.Background(), conn, d.SMB)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sess.Logoff() })
	sh, err := sess.Mount(share)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sh.Umount() })
	return sh
}

// SetDACL replaces p's DACL with the one in SDDL s.
func SetDACL(t testing.TB, sh *smb2.Share, p, s string) {
	t.Helper()
	sd, err := sddl.FromString(s)
	require.NoError(t, err, s)
	require.NoError(t, sh.SetSecurityInfo(p, smb2.DACLSecurityInformation, sd), p)
}
