package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/enroll"
	"github.com/sightline-dev/sightline/agent/transport"
	"github.com/sightline-dev/sightline/agent/transport/transporttest"
	"github.com/sightline-dev/sightline/internal/testpki"
)

// negativeSerialLeaf is a server certificate for loopback signed by ca
// whose serial number is negative, as Samba AD issues half the time.
// x509.CreateCertificate refuses negative serials: testpki.WithSerial
// swaps one in and signs again.
func negativeSerialLeaf(t *testing.T, ca *testpki.CA) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dc1.samba.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	require.NoError(t, err)
	der, err = testpki.WithSerial(der, ca.Key, big.NewInt(-0x1234567890))
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der
}

// The //go:debug line in main.go reaches this package's binaries (the test
// binary of a main package takes its directives): without it, both the
// parse and the handshake fail with "x509: negative serial number".
func TestNegativeSerialCertificatesAreAccepted(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	require.True(t, ok)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	require.Contains(t, settings["DefaultGODEBUG"], "x509negativeserial=1")

	ca, err := testpki.NewCA("samba CA")
	require.NoError(t, err)
	leaf, der := negativeSerialLeaf(t, ca)
	parsed, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	require.Equal(t, -1, parsed.SerialNumber.Sign())
	require.NoError(t, parsed.CheckSignatureFrom(ca.Cert), "still a properly signed certificate")

	// And over a real handshake, as the LDAP scanner and the collector
	// client meet it.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	srv.StartTLS()
	defer srv.Close()
	client, err := transport.New(transport.Options{URL: srv.URL, CAPEM: ca.CertPEM})
	require.NoError(t, err)
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, -1, resp.TLS.PeerCertificates[0].SerialNumber.Sign())
}

type enrollRig struct {
	dir    string
	ca     *testpki.CA
	files  testpki.Files
	col    *transporttest.Collector
	srv    *transporttest.Server
	secret string // a file holding the secret
}

func newEnrollRig(t *testing.T, mutual bool) *enrollRig {
	t.Helper()
	r := &enrollRig{dir: t.TempDir(), col: &transporttest.Collector{Secret: "enroll-s3cret"}}
	var err error
	r.ca, r.files, err = testpki.WriteFiles(r.dir)
	require.NoError(t, err)
	leaf, err := r.ca.Server()
	require.NoError(t, err)
	var clientCAs *x509.CertPool
	if mutual {
		clientCAs = r.ca.Pool()
	}
	r.srv = transporttest.Start(t, r.col, leaf, clientCAs)
	r.secret = filepath.Join(r.dir, "enroll.secret")
	require.NoError(t, os.WriteFile(r.secret, []byte("enroll-s3cret\n"), 0o600))
	return r
}

func runAgent(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := run(ctx, args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestEnrollCommand(t *testing.T) {
	otherCA, err := testpki.NewCA("someone else")
	require.NoError(t, err)
	tests := []struct {
		name    string
		mutual  bool
		env     string                                          // SIGHTLINE_ENROLL_SECRET
		args    func(r *enrollRig) []string                     // after enroll --data-dir DIR
		wantErr string                                          // else enrolled and pinned
		check   func(t *testing.T, r *enrollRig, stderr string) // extra checks
	}{
		{name: "ca file and secret file", args: func(r *enrollRig) []string {
			return []string{"--collector", r.srv.URL, "--ca-file", r.files.CA, "--enroll-secret-file", r.secret}
		}, check: func(t *testing.T, _ *enrollRig, stderr string) { require.Empty(t, stderr) }},
		{name: "secret from the environment", env: "enroll-s3cret", args: func(r *enrollRig) []string {
			return []string{"--collector", r.srv.URL, "--ca-file", r.files.CA}
		}},
		{name: "secret in a flag still works, with a warning", args: func(r *enrollRig) []string {
			return []string{"--collector", r.srv.URL, "--ca-file", r.files.CA, "--enroll-secret", "enroll-s3cret"}
		}, check: func(t *testing.T, _ *enrollRig, stderr string) {
			require.Contains(t, stderr, "warning: --enroll-secret")
			require.Contains(t, stderr, "ps")
			require.Contains(t, stderr, "--enroll-secret-file")
			require.NotContains(t, stderr, "enroll-s3cret", "the warning does not repeat the secret")
		}},
		{name: "secret twice", args: func(r *enrollRig) []string {
			return []string{"--collector", r.srv.URL, "--ca-file", r.files.CA, "--enroll-secret", "x", "--enroll-secret-file", r.secret}
		}, wantErr: "not both"},
		{name: "wrong secret", env: "nope", args: func(r *enrollRig) []string {
			return []string{"--collector", r.srv.URL, "--ca-file", r.files.CA}
		}, wantErr: "enroll secret not valid"},
		{name: "wrong CA", args: func(r *enrollRig) []string {
			p := filepath.Join(r.dir, "other.pem")
			require.NoError(t, os.WriteFile(p, otherCA.CertPEM, 0o600))
			return []string{"--collector", r.srv.URL, "--ca-file", p, "--enroll-secret-file", r.secret}
		}, wantErr: "certificate signed by unknown authority"},
		{name: "system roots do not know a private CA", args: func(r *enrollRig) []string {
			return []string{"--collector", r.srv.URL, "--enroll-secret-file", r.secret}
		}, wantErr: "certificate signed by unknown authority"},
		{name: "mutual TLS", mutual: true, args: func(r *enrollRig) []string {
			return []string{"--collector", r.srv.URL, "--ca-file", r.files.CA, "--cert-file", r.files.ClientCert, "--key-file", r.files.ClientKey, "--enroll-secret-file", r.secret}
		}, check: func(t *testing.T, r *enrollRig, _ string) {
			require.Equal(t, []string{"sightline test agent"}, r.col.Enrolls(), "the collector saw the client certificate")
		}},
		{name: "mutual TLS without a client certificate", mutual: true, args: func(r *enrollRig) []string {
			return []string{"--collector", r.srv.URL, "--ca-file", r.files.CA, "--enroll-secret-file", r.secret}
		}, wantErr: "certificate required"},
		{name: "TLS settings from agent.yaml", mutual: true, env: "enroll-s3cret", args: func(r *enrollRig) []string {
			cfg := filepath.Join(r.dir, "agent.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte("collector: "+r.srv.URL+"\nca_file: "+r.files.CA+
				"\ncert_file: "+r.files.ClientCert+"\nkey_file: "+r.files.ClientKey+"\n"), 0o600))
			return []string{"--config", cfg}
		}},
		{name: "http off loopback", args: func(r *enrollRig) []string {
			return []string{"--collector", "http://192.0.2.7:8080", "--enroll-secret-file", r.secret}
		}, wantErr: "--insecure-http"},
		{name: "http off loopback, allowed, gets as far as the network", args: func(r *enrollRig) []string {
			return []string{"--collector", "http://sightline-test.invalid:8080", "--insecure-http", "--enroll-secret-file", r.secret}
		}, wantErr: "enrolling with http://sightline-test.invalid:8080"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SIGHTLINE_ENROLL_SECRET", tc.env)
			t.Setenv("SIGHTLINE_COLLECTOR", "")
			t.Setenv("SIGHTLINE_AGENT_CONFIG", "")
			r := newEnrollRig(t, tc.mutual)
			data := filepath.Join(r.dir, "data")
			stdout, stderr, err := runAgent(t, append([]string{"enroll", "--data-dir", data}, tc.args(r)...)...)
			credsPath := filepath.Join(data, "credentials.json")
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.NoFileExists(t, credsPath)
				return
			}
			require.NoError(t, err, stderr)
			fi, err := os.Stat(credsPath)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			c, err := enroll.Load(credsPath)
			require.NoError(t, err)
			require.Equal(t, r.srv.URL, c.Collector)
			require.Equal(t, transport.Fingerprint(r.ca.Cert), c.CASPKISHA256)
			require.Equal(t, string(r.ca.CertPEM), c.CAPEM)
			require.Contains(t, stdout, "pinned the collector's CA key (SPKI SHA-256 "+c.CASPKISHA256+")")
			if tc.check != nil {
				tc.check(t, r, stderr)
			}
		})
	}
}

// Tests and the demo enroll over plain http on loopback: still allowed,
// and nothing is pinned.
func TestEnrollOverLoopbackHTTP(t *testing.T) {
	t.Setenv("SIGHTLINE_ENROLL_SECRET", "s")
	col := &transporttest.Collector{Secret: "s"}
	srv := httptest.NewServer(col)
	defer srv.Close()
	data := t.TempDir()
	stdout, _, err := runAgent(t, "enroll", "--collector", srv.URL, "--data-dir", data)
	require.NoError(t, err)
	require.NotContains(t, stdout, "pinned")
	raw, err := os.ReadFile(filepath.Join(data, "credentials.json"))
	require.NoError(t, err)
	require.False(t, strings.Contains(string(raw), "ca_spki_sha256"), string(raw))
	require.Len(t, col.Enrolls(), 1)
}

func TestEnrollSecretFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	_, err := enrollSecret(empty, "", &bytes.Buffer{})
	require.ErrorContains(t, err, "empty")
	_, err = enrollSecret(filepath.Join(dir, "missing"), "", &bytes.Buffer{})
	require.ErrorContains(t, err, "reading --enroll-secret-file")
	full := filepath.Join(dir, "s")
	require.NoError(t, os.WriteFile(full, []byte("  abc\r\n"), 0o600))
	t.Setenv("SIGHTLINE_ENROLL_SECRET", "from-env")
	got, err := enrollSecret(full, "", &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "abc", got, "the file wins over the environment")
	got, err = enrollSecret("", "", &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "from-env", got)
}

// One exit rule for every scan subcommand: a scan that failed (here: a
// root with no /etc/passwd) prints its scan record and exits non-zero
// with the reason; one that ran succeeds.
func TestScanExitRule(t *testing.T) {
	empty := t.TempDir()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"scan", "host", "--root", empty, "--host", "h1"}, &out, &errOut)
	require.ErrorContains(t, err, "host scan failed")
	require.Contains(t, out.String(), `"status":"failed"`)

	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/bash\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "group"), []byte("root:x:0:\n"), 0o644))
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"scan", "host", "--root", root, "--host", "h1"}, &out, &errOut))
	require.Contains(t, out.String(), `"kind":"scan"`)
	require.NotContains(t, out.String(), `"status":"failed"`)

	err = run(context.Background(), []string{"scan", "nfs"}, &out, &errOut)
	require.EqualError(t, err, `unknown scanner "nfs" (this build has: fs, host, ldap, s3, iam, db, smb, azblob, gcs)`)
}
