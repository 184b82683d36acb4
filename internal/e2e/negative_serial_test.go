package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/testpki"
)

// Samba AD generates its own LDAPS certificate at first start with a serial
// derived from the time, which is negative about half the time. Go refuses
// to parse such a certificate unless GODEBUG x509negativeserial=1, which
// the agent's main package sets with a //go:debug line. These tests hold
// the built agent binary to that: the first with a certificate whose serial
// is negative by construction (deterministic), the second against Samba's
// own generated certificate when make test provides one.

// negativeSerialCert returns a self-signed CA-and-server certificate for
// 127.0.0.1 whose serial number is negative, and its key (crypto/x509
// refuses to create one; testpki.WithSerial swaps the serial in).
func negativeSerialCert(t *testing.T) (certDER []byte, key *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(0x566EF095),
		Subject:               pkix.Name{CommonName: "negative-serial test CA and server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	out, err := testpki.WithSerial(der, key, big.NewInt(-0x566EF095)) // the serial of a real Samba certificate
	require.NoError(t, err)
	serial, err := testpki.Serial(out)
	require.NoError(t, err)
	require.Equal(t, -1, serial.Sign())
	return out, key
}

// agentBinary is the built agent: make test's (SIGHTLINE_BIN_DIR), the one
// TestMain built, or one built here (`go build` of the agent's main package,
// so its //go:debug lines apply as in a release).
func agentBinary(t *testing.T) string {
	t.Helper()
	if binDir != "" {
		return filepath.Join(binDir, "sightline-agent")
	}
	out := filepath.Join(t.TempDir(), "sightline-agent")
	cmd := exec.Command("go", "build", "-o", out, "github.com/sightline-dev/sightline/agent")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./agent: %s", b)
	return out
}

// agentEnv is the test's environment without GODEBUG, so that only the
// binary's own settings decide how it parses certificates.
func agentEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	return env
}

// testLDAP returns the test OpenLDAP's URL and admin password file, or skips.
func testLDAP(t *testing.T) (string, string) {
	t.Helper()
	u := os.Getenv("SIGHTLINE_TEST_LDAP")
	if u == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_LDAP is not set but services are required")
		}
		t.Skip("no test LDAP server (SIGHTLINE_TEST_LDAP); make test starts one")
	}
	return u, os.Getenv("SIGHTLINE_TEST_LDAP_PASSWORD_FILE")
}

// ldapOU adds an OU with users under the test OpenLDAP and returns its DN.
func ldapOU(t *testing.T, ldapURL, pwFile string, users int) string {
	t.Helper()
	pw, err := os.ReadFile(pwFile)
	require.NoError(t, err)
	conn, err := ldap.DialURL(ldapURL)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Bind("cn=admin,dc=example,dc=com", strings.TrimSpace(string(pw))))
	base := "ou=t" + randomHex(4) + ",dc=example,dc=com"
	add := func(dn string, attrs map[string][]string) {
		r := ldap.NewAddRequest(dn, nil)
		for _, k := range []string{"objectClass", "cn", "sn", "uid"} {
			if v, ok := attrs[k]; ok {
				r.Attribute(k, v)
			}
		}
		require.NoError(t, conn.Add(r), dn)
	}
	add(base, map[string][]string{"objectClass": {"organizationalUnit"}})
	for i := 0; i < users; i++ {
		uid := fmt.Sprintf("u%05d", i)
		add("uid="+uid+","+base, map[string][]string{"objectClass": {"inetOrgPerson"}, "cn": {uid}, "sn": {"S"}, "uid": {uid}})
	}
	return base
}

// tlsFront serves TLS with cert on a loopback port and passes the plain
// bytes on to backend (host:port). It returns its address.
func tlsFront(t *testing.T, cert tls.Certificate, backend string) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				b, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer b.Close()
				go func() { _, _ = io.Copy(b, c); b.Close() }()
				_, _ = io.Copy(c, b)
			}()
		}
	}()
	return l.Addr().String()
}

// scanLDAPPrincipals runs `sightline-agent scan ldap ARGS…` and returns the names of
// the principals it printed.
func scanLDAPPrincipals(t *testing.T, bin string, args ...string) ([]string, string, error) {
	t.Helper()
	names, _, stderr, err := scanLDAP(t, bin, args...)
	return names, stderr, err
}

// scanLDAP is scanLDAPPrincipals that also returns the privileged ones.
func scanLDAP(t *testing.T, bin string, args ...string) (names, privileged []string, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"scan", "ldap"}, args...)...)
	cmd.Env = agentEnv()
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Kind       string `json:"kind"`
			Name       string `json:"name"`
			Privileged bool   `json:"privileged"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		if r.Kind == "principal" {
			names = append(names, r.Name)
			if r.Privileged {
				privileged = append(privileged, r.Name)
			}
		}
	}
	return names, privileged, errb.String(), err
}

// TestAgentAcceptsNegativeSerialCertificate: the agent binary scans a
// directory over LDAPS whose certificate has a negative serial, both
// without verification and verifying it against the certificate itself.
func TestAgentAcceptsNegativeSerialCertificate(t *testing.T) {
	ldapURL, pwFile := testLDAP(t)
	der, key := negativeSerialCert(t)
	if !strings.Contains(os.Getenv("GODEBUG"), "x509negativeserial=1") {
		_, err := x509.ParseCertificate(der)
		require.ErrorContains(t, err, "negative serial", "the test certificate must be one Go refuses by default")
	}
	u, err := url.Parse(ldapURL)
	require.NoError(t, err)
	front := tlsFront(t, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, u.Host)
	caFile := filepath.Join(t.TempDir(), "negative-serial.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))

	base := ldapOU(t, ldapURL, pwFile, 3)
	bin := agentBinary(t)
	for _, tc := range []struct {
		name string
		tls  []string
	}{
		{"tls-skip-verify", []string{"--tls-skip-verify"}},
		{"ca-file", []string{"--ca-file", caFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--url", "ldaps://" + front, "--base-dn", base,
				"--bind-dn", "cn=admin,dc=example,dc=com", "--password-file", pwFile}, tc.tls...)
			names, stderr, err := scanLDAPPrincipals(t, bin, args...)
			require.NoError(t, err, "sightline-agent scan ldap over a negative-serial certificate: %s", stderr)
			require.ElementsMatch(t, []string{"u00000", "u00001", "u00002"}, names, stderr)
		})
	}
}

// TestAgentScansSambaWithItsOwnCertificate runs when make test has
// restarted the Samba DC with the certificate Samba generated itself
// (SIGHTLINE_TEST_AD_OWN_CA names its CA). That certificate names the DC's
// host name only in its subject CN, with no subjectAltName, which Go does
// not verify host names against; so the agent reaches it with
// --tls-skip-verify, the setting a deployment against such a DC uses.
func TestAgentScansSambaWithItsOwnCertificate(t *testing.T) {
	own := os.Getenv("SIGHTLINE_TEST_AD_OWN_CA")
	if own == "" {
		t.Skip("SIGHTLINE_TEST_AD_OWN_CA not set: make test sets it on its second Samba run, with Samba's own certificate")
	}
	adURL := os.Getenv("SIGHTLINE_TEST_AD")
	require.NotEmpty(t, adURL, "SIGHTLINE_TEST_AD")
	pwFile := os.Getenv("SIGHTLINE_TEST_AD_PASSWORD_FILE")
	b, err := os.ReadFile(own)
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk, "%s holds no PEM certificate", own)
	// Which sign the serial has depends on when Samba generated it: logged.
	serial, err := testpki.Serial(blk.Bytes)
	require.NoError(t, err)
	t.Logf("Samba's own CA certificate has serial %s (negative: %v)", serial.Text(16), serial.Sign() < 0)

	names, privileged, stderr, err := scanLDAP(t, agentBinary(t), "--url", adURL, "--base-dn", "DC=corp,DC=example,DC=com",
		"--bind-dn", "Administrator@CORP.EXAMPLE.COM", "--password-file", pwFile, "--tls-skip-verify")
	require.NoError(t, err, "sightline-agent scan ldap against Samba's own certificate: %s", stderr)
	require.Contains(t, names, "Administrator", stderr)
	require.Contains(t, names, "krbtgt", stderr)
	require.Contains(t, privileged, "Administrator", "Administrator is in Domain Admins")
}
