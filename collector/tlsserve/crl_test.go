package tlsserve

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/testpki"
)

// crl writes a revocation list signed by ca listing leaves to path.
func crl(t *testing.T, path string, ca *testpki.CA, leaves ...testpki.Leaf) {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(time.Now().UnixNano()), ThisUpdate: time.Now().Add(-time.Minute),
		NextUpdate: time.Now().Add(time.Hour)}
	for _, l := range leaves {
		b, _ := pem.Decode(l.CertPEM)
		c, err := x509.ParseCertificate(b.Bytes)
		require.NoError(t, err)
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644))
}

// TestRevokedClientCertificateRefused: mutual TLS checked only that a
// client certificate chained to the client CA, so an agent host's
// certificate, once revoked at the CA, kept connecting until it expired.
// With client_crl_file a listed certificate is refused at the handshake,
// a new list takes effect on Reload (SIGHUP), and a list the client CA
// did not sign, or garbage, is refused with the certificate in use kept.
func TestRevokedClientCertificateRefused(t *testing.T) {
	ca, clientCA, other := newCA(t, "collector CA"), newCA(t, "agents CA"), newCA(t, "some other CA")
	dir := t.TempDir()
	cfg := files(t, dir, ca, clientCA)
	cfg.ClientCRLFile = filepath.Join(dir, "agents.crl")
	leaf := func(cn string) (testpki.Leaf, tls.Certificate) {
		l, err := clientCA.Client(cn)
		require.NoError(t, err)
		c, err := l.TLS()
		require.NoError(t, err)
		return l, c
	}
	l1, c1 := leaf("agent-1")
	l2, c2 := leaf("agent-2")
	crl(t, cfg.ClientCRLFile, clientCA, l2)
	s, err := New(cfg)
	require.NoError(t, err)
	url := serve(t, s)

	// agent-1 keeps TLS session tickets, as a client resuming sessions does.
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{c1},
		ClientSessionCache: tls.NewLRUClientSessionCache(8)}}
	resuming := &http.Client{Transport: tr}
	a, err := get(resuming, url)
	require.NoError(t, err)
	require.Equal(t, "agent-1", a.Client)
	_, err = get(client(ca.Pool(), c2), url)
	require.Error(t, err, "a revoked certificate is refused")

	// Revoking agent-1 too takes effect on reload, for new connections,
	// resumed sessions included.
	crl(t, cfg.ClientCRLFile, clientCA, l1, l2)
	require.NoError(t, s.Reload())
	tr.CloseIdleConnections()
	_, err = get(resuming, url)
	require.Error(t, err, "a session ticket from before the revocation does not let it back in")
	_, err = get(client(ca.Pool(), c1), url)
	require.Error(t, err, "revoked by the reloaded list")

	// A list signed by another CA, or garbage: refused, the old list stays.
	crl(t, cfg.ClientCRLFile, other)
	require.ErrorContains(t, s.Reload(), "not signed by a CA of client_ca_file")
	require.NoError(t, os.WriteFile(cfg.ClientCRLFile, []byte("garbage"), 0o644))
	require.ErrorContains(t, s.Reload(), "client_crl_file")
	_, err = get(client(ca.Pool(), c1), url)
	require.Error(t, err, "the list in use stays")

	// Without a client CA a list makes no sense.
	_, err = New(Config{CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, ClientCRLFile: cfg.ClientCRLFile})
	require.ErrorContains(t, err, "needs client_ca_file")
}
