package tlsserve

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/testpki"
)

// serve runs a real http.Server on loopback with s's TLS configuration, the
// way the collector does, and returns its https base URL.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{TLSConfig: s.TLSConfig(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn := ""
		if len(r.TLS.PeerCertificates) > 0 {
			cn = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "client": cn})
	})}
	done := make(chan error, 1)
	go func() { done <- hs.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		require.NoError(t, hs.Close())
		require.ErrorIs(t, <-done, http.ErrServerClosed)
	})
	return "https://" + ln.Addr().String()
}

// files writes a server leaf of ca (and optionally a client CA) and
// returns the Config naming them.
func files(t *testing.T, dir string, ca *testpki.CA, clientCA *testpki.CA) Config {
	t.Helper()
	leaf, err := ca.Server()
	require.NoError(t, err)
	c := Config{CertFile: filepath.Join(dir, "server.pem"), KeyFile: filepath.Join(dir, "server-key.pem")}
	writeLeaf(t, c, leaf)
	if clientCA != nil {
		c.ClientCAFile = filepath.Join(dir, "client-ca.pem")
		require.NoError(t, os.WriteFile(c.ClientCAFile, clientCA.CertPEM, 0o644))
	}
	return c
}

func writeLeaf(t *testing.T, c Config, leaf testpki.Leaf) {
	t.Helper()
	require.NoError(t, os.WriteFile(c.CertFile, leaf.CertPEM, 0o644))
	require.NoError(t, os.WriteFile(c.KeyFile, leaf.KeyPEM, 0o600))
}

func newCA(t *testing.T, name string) *testpki.CA {
	t.Helper()
	ca, err := testpki.NewCA(name)
	require.NoError(t, err)
	return ca
}

func client(roots *x509.CertPool, certs ...tls.Certificate) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
}

type answer struct {
	OK     bool   `json:"ok"`
	Client string `json:"client"`
	serial string
	reused bool
}

// get fetches url and returns the handler's answer, the serial of the
// certificate the server presented and whether the connection was reused.
func get(c *http.Client, url string) (answer, error) {
	var a answer
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return a, err
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { a.reused = i.Reused },
	}))
	resp, err := c.Do(req)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return a, errors.New(resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return a, err
	}
	a.serial = resp.TLS.PeerCertificates[0].SerialNumber.String()
	return a, nil
}

func TestServerCertificateMustChainToTrustedCA(t *testing.T) {
	ca, other := newCA(t, "collector CA"), newCA(t, "some other CA")
	s, err := New(files(t, t.TempDir(), ca, nil))
	require.NoError(t, err)
	url := serve(t, s)

	_, err = get(client(other.Pool()), url)
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknown, "a client trusting another CA must fail the handshake")

	a, err := get(client(ca.Pool()), url)
	require.NoError(t, err)
	require.True(t, a.OK)
	require.Empty(t, a.Client, "no client certificate was asked for")
}

func TestOldProtocolVersionsRefused(t *testing.T) {
	ca := newCA(t, "collector CA")
	s, err := New(files(t, t.TempDir(), ca, nil))
	require.NoError(t, err)
	url := serve(t, s)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	_, err = get(c, url)
	require.Error(t, err, "TLS 1.1 must be refused")
}

func TestPlainHTTPGetsNoAPIAnswer(t *testing.T) {
	ca := newCA(t, "collector CA")
	s, err := New(files(t, t.TempDir(), ca, nil))
	require.NoError(t, err)
	url := serve(t, s)
	resp, err := http.Get("http" + url[len("https"):] + "/")
	if err != nil {
		return // refused outright: no API answer either
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NotEqual(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, string(body), `"ok"`, "the handler must not have answered")
	require.NotEqual(t, "application/json", resp.Header.Get("Content-Type"))
}

func TestMutualTLS(t *testing.T) {
	ca, clientCA, other := newCA(t, "collector CA"), newCA(t, "agents CA"), newCA(t, "some other CA")
	s, err := New(files(t, t.TempDir(), ca, clientCA))
	require.NoError(t, err)
	url := serve(t, s)

	leaf := func(ca *testpki.CA, cn string) tls.Certificate {
		l, err := ca.Client(cn)
		require.NoError(t, err)
		c, err := l.TLS()
		require.NoError(t, err)
		return c
	}
	serverLeaf, err := ca.Server()
	require.NoError(t, err)
	serverCert, err := serverLeaf.TLS()
	require.NoError(t, err)

	tests := []struct {
		name   string
		certs  []tls.Certificate
		wantCN string // empty: refused
	}{
		{"no client certificate", nil, ""},
		{"certificate from another CA", []tls.Certificate{leaf(other, "intruder")}, ""},
		{"certificate from the server's CA, not the client CA", []tls.Certificate{leaf(ca, "wrong-ca")}, ""},
		{"server certificate as client certificate", []tls.Certificate{serverCert}, ""},
		{"certificate from the client CA", []tls.Certificate{leaf(clientCA, "agent-1")}, "agent-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := get(client(ca.Pool(), tc.certs...), url)
			if tc.wantCN == "" {
				require.Error(t, err)
				require.False(t, a.OK)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantCN, a.Client)
		})
	}
}

func TestReloadSwapsCertificateKeepingConnections(t *testing.T) {
	ca := newCA(t, "collector CA")
	cfg := files(t, t.TempDir(), ca, nil)
	s, err := New(cfg)
	require.NoError(t, err)
	url := serve(t, s)

	kept := client(ca.Pool())
	before, err := get(kept, url)
	require.NoError(t, err)

	next, err := ca.Server()
	require.NoError(t, err)
	writeLeaf(t, cfg, next)
	require.NoError(t, s.Reload())

	again, err := get(kept, url)
	require.NoError(t, err, "a connection opened before the reload must keep working")
	require.True(t, again.reused, "the kept-alive connection must have been reused, not redialled")
	require.Equal(t, before.serial, again.serial)

	fresh, err := get(client(ca.Pool()), url)
	require.NoError(t, err)
	require.False(t, fresh.reused)
	require.NotEqual(t, before.serial, fresh.serial, "a new connection must see the reloaded certificate")
	nl, err := next.TLS()
	require.NoError(t, err)
	require.Equal(t, nl.Leaf.SerialNumber.String(), fresh.serial)
	require.Equal(t, nl.Leaf.NotAfter, s.NotAfter())
}

func TestReloadWithBadFilesKeepsOldCertificate(t *testing.T) {
	ca, clientCA := newCA(t, "collector CA"), newCA(t, "agents CA")
	tests := []struct {
		name    string
		break_  func(t *testing.T, c Config)
		wantErr string
	}{
		{"cert file removed", func(t *testing.T, c Config) { require.NoError(t, os.Remove(c.CertFile)) }, "cert_file"},
		{"key of another certificate", func(t *testing.T, c Config) {
			other, err := ca.Server()
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(c.KeyFile, other.KeyPEM, 0o600))
		}, "private key does not match"},
		{"cert file not PEM", func(t *testing.T, c Config) {
			require.NoError(t, os.WriteFile(c.CertFile, []byte("not a certificate\n"), 0o644))
		}, "cert_file"},
		{"client CA file empty", func(t *testing.T, c Config) {
			require.NoError(t, os.WriteFile(c.ClientCAFile, nil, 0o644))
		}, "client_ca_file"},
		{"client CA file removed", func(t *testing.T, c Config) { require.NoError(t, os.Remove(c.ClientCAFile)) }, "client_ca_file"},
	}
	agent, err := clientCA.Client("agent-1")
	require.NoError(t, err)
	agentCert, err := agent.TLS()
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := files(t, t.TempDir(), ca, clientCA)
			s, err := New(cfg)
			require.NoError(t, err)
			url := serve(t, s)
			before, err := get(client(ca.Pool(), agentCert), url)
			require.NoError(t, err)

			tc.break_(t, cfg)
			require.ErrorContains(t, s.Reload(), tc.wantErr)
			_, err = New(cfg)
			require.ErrorContains(t, err, tc.wantErr, "starting with these files must fail the same way")

			after, err := get(client(ca.Pool(), agentCert), url)
			require.NoError(t, err, "the previous certificate and client CA must stay in use")
			require.False(t, after.reused)
			require.Equal(t, before.serial, after.serial)
			require.Equal(t, "agent-1", after.Client)
		})
	}
}

func TestNewNeedsCertAndKey(t *testing.T) {
	for _, c := range []Config{{}, {CertFile: "c.pem"}, {KeyFile: "k.pem"}} {
		_, err := New(c)
		require.ErrorContains(t, err, "cert_file and key_file must both be set")
	}
}
