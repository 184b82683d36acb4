package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/transport/transporttest"
	"github.com/sightline-dev/sightline/internal/testpki"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url      string
		insecure bool
		wantErr  string
	}{
		{"https://collector.example.com:8443", false, ""},
		{"https://10.1.2.3", false, ""},
		{"http://127.0.0.1:8080", false, ""},
		{"http://127.9.8.7:8080", false, ""},
		{"http://[::1]:8080", false, ""},
		{"http://localhost:8080", false, ""},
		{"http://LocalHost", false, ""},
		{"http://10.1.2.3:8080", false, "insecure_http"},
		{"http://collector.example.com", false, "clear text"},
		{"http://localhost.evil.example", false, "insecure_http"},
		{"http://127.0.0.1.nip.io", false, "insecure_http"},
		{"http://[::ffff:10.0.0.1]", false, "insecure_http"},
		{"http://collector.example.com", true, ""},
		{"ftp://collector.example.com", false, "scheme"},
		{"collector.example.com:8443", false, "scheme"},
		{"https://", false, "no host"},
		{"https://%zz", false, "collector URL"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			_, err := CheckURL(tc.url, tc.insecure)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

// Whatever the string, CheckURL never lets plain http reach a host that
// is not loopback unless told to.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:1", "http://localhost", "https://x", "http://[::1]", "http://10.0.0.1", "http://127.0.0.1@evil.example/", "http://evil.example#@127.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := CheckURL(raw, false)
		if err != nil {
			return
		}
		require.Contains(t, []string{"http", "https"}, u.Scheme)
		require.NotEmpty(t, u.Hostname())
		if u.Scheme == "http" {
			require.True(t, IsLoopback(u.Hostname()), "%q accepted as loopback", raw)
			// What the HTTP client will dial is the same host.
			again, err := url.Parse(u.String())
			require.NoError(t, err)
			require.True(t, IsLoopback(again.Hostname()), "%q re-parses to %q", raw, again.Hostname())
		}
	})
}

// pki is two unrelated CAs, a bundle file trusting both, and a file each.
type pki struct {
	ca1, ca2                *testpki.CA
	leaf1, leaf2            testpki.Leaf
	both, only1, only2, dir string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	var p pki
	var err error
	p.dir = t.TempDir()
	p.ca1, err = testpki.NewCA("collector CA 1")
	require.NoError(t, err)
	p.ca2, err = testpki.NewCA("collector CA 2")
	require.NoError(t, err)
	p.leaf1, err = p.ca1.Server()
	require.NoError(t, err)
	p.leaf2, err = p.ca2.Server()
	require.NoError(t, err)
	p.both = writeFile(t, p.dir, "both.pem", append(append([]byte{}, p.ca1.CertPEM...), p.ca2.CertPEM...))
	p.only1 = writeFile(t, p.dir, "ca1.pem", p.ca1.CertPEM)
	p.only2 = writeFile(t, p.dir, "ca2.pem", p.ca2.CertPEM)
	return p
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

// hello answers with the common name of the client certificate, if any.
var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	cn := "no client certificate"
	if len(r.TLS.PeerCertificates) > 0 {
		cn = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	_, _ = io.WriteString(w, cn)
})

func get(t *testing.T, o Options) (*http.Response, string, error) {
	t.Helper()
	c, err := New(o)
	require.NoError(t, err)
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.URL+"/", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b), nil
}

func TestTrustAndPin(t *testing.T) {
	p := newPKI(t)
	srv := transporttest.Start(t, hello, p.leaf1, nil)

	// Trusting both CAs, the chain verifies through CA 1: that is the pin.
	resp, _, err := get(t, Options{URL: srv.URL, CAFile: p.both})
	require.NoError(t, err)
	pin := RootFingerprint(resp.TLS)
	require.Equal(t, Fingerprint(p.ca1.Cert), pin)
	require.NotEqual(t, Fingerprint(p.ca2.Cert), pin)
	require.Len(t, pin, 64)

	_, _, err = get(t, Options{URL: srv.URL, CAFile: p.both, Pin: pin})
	require.NoError(t, err, "the pinned CA still verifies")
	_, _, err = get(t, Options{URL: srv.URL, CAPEM: p.ca1.CertPEM, Pin: pin})
	require.NoError(t, err, "the CA recorded at enrollment serves as roots")

	// A CA the client does not trust: the handshake fails, pin or not.
	_, _, err = get(t, Options{URL: srv.URL, CAFile: p.only2})
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknown)
	_, _, err = get(t, Options{URL: srv.URL})
	require.ErrorAs(t, err, &unknown, "the system roots do not know a private CA")

	// The collector now shows a certificate from CA 2, which ca_file
	// trusts as well: trust alone would accept it, the pin does not.
	srv.SetLeaf(t, p.leaf2)
	_, _, err = get(t, Options{URL: srv.URL, CAFile: p.both})
	require.NoError(t, err, "without the pin CA 2 is trusted")
	_, _, err = get(t, Options{URL: srv.URL, CAFile: p.both, Pin: pin})
	require.ErrorIs(t, err, ErrPinMismatch)
	require.ErrorContains(t, err, "re-enroll")
	require.ErrorContains(t, err, Fingerprint(p.ca2.Cert), "names the root it saw")

	// An uppercase pin (hand-edited) is the same pin.
	srv.SetLeaf(t, p.leaf1)
	_, _, err = get(t, Options{URL: srv.URL, CAFile: p.both, Pin: strings.ToUpper(pin)})
	require.NoError(t, err)
}

// A pin on an intermediate or on the leaf's own issuer anywhere in the
// verified chain is honoured, not only on the root.
func TestPinAnywhereInTheChain(t *testing.T) {
	p := newPKI(t)
	srv := transporttest.Start(t, hello, p.leaf1, nil)
	resp, _, err := get(t, Options{URL: srv.URL, CAFile: p.only1})
	require.NoError(t, err)
	leaf := resp.TLS.VerifiedChains[0][0]
	_, _, err = get(t, Options{URL: srv.URL, CAFile: p.only1, Pin: Fingerprint(leaf)})
	require.NoError(t, err)
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	cli, err := p.ca1.Client("agent-7")
	require.NoError(t, err)
	certFile := writeFile(t, p.dir, "agent.pem", cli.CertPEM)
	keyFile := writeFile(t, p.dir, "agent-key.pem", cli.KeyPEM)
	srv := transporttest.Start(t, hello, p.leaf1, p.ca1.Pool())

	resp, body, err := get(t, Options{URL: srv.URL, CAFile: p.only1, CertFile: certFile, KeyFile: keyFile})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "agent-7", body, "the server saw the client certificate")

	_, _, err = get(t, Options{URL: srv.URL, CAFile: p.only1})
	require.Error(t, err, "no client certificate, no service")
	require.ErrorContains(t, err, "certificate required")

	// A client certificate from another CA is presented and refused.
	other, err := p.ca2.Client("intruder")
	require.NoError(t, err)
	_, _, err = get(t, Options{URL: srv.URL, CAFile: p.only1,
		CertFile: writeFile(t, p.dir, "o.pem", other.CertPEM), KeyFile: writeFile(t, p.dir, "o-key.pem", other.KeyPEM)})
	require.ErrorContains(t, err, "unknown certificate authority")
}

func TestRedirectElsewhereIsNotFollowed(t *testing.T) {
	p := newPKI(t)
	other := transporttest.Start(t, hello, p.leaf1, nil)
	srv := transporttest.Start(t, http.RedirectHandler(other.URL+"/", http.StatusFound), p.leaf1, nil)
	_, _, err := get(t, Options{URL: srv.URL, CAFile: p.only1})
	require.ErrorContains(t, err, "redirected to "+other.URL)
}

func TestOptionsErrors(t *testing.T) {
	p := newPKI(t)
	notPEM := writeFile(t, p.dir, "junk.pem", []byte("not a certificate"))
	pin := Fingerprint(p.ca1.Cert)
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"http off loopback", Options{URL: "http://192.0.2.1:8080"}, "insecure_http"},
		{"pin over http", Options{URL: "http://127.0.0.1:8080", Pin: pin}, "enrolled over https"},
		{"damaged pin", Options{URL: "https://127.0.0.1:1", Pin: "abc"}, "re-enroll"},
		{"ca file missing", Options{URL: "https://127.0.0.1:1", CAFile: filepath.Join(p.dir, "nope.pem")}, "reading ca_file"},
		{"ca file not PEM", Options{URL: "https://127.0.0.1:1", CAFile: notPEM}, "no PEM certificate"},
		{"recorded CA damaged", Options{URL: "https://127.0.0.1:1", CAPEM: []byte("junk")}, "ca_pem"},
		{"cert without key", Options{URL: "https://127.0.0.1:1", CertFile: p.only1}, "cert_file and key_file"},
		{"cert not a key pair", Options{URL: "https://127.0.0.1:1", CertFile: p.only1, KeyFile: notPEM}, "client certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
	c, err := New(Options{URL: "http://192.0.2.1:8080", InsecureHTTP: true})
	require.NoError(t, err, "allowed when asked for")
	require.Equal(t, 60*time.Second, c.Timeout)
}

func TestTLS12AtLeast(t *testing.T) {
	cfg, err := TLSConfig(Options{})
	require.NoError(t, err)
	require.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
}
