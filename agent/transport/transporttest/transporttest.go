// Package transporttest runs a real TLS collector stand-in on loopback
// whose certificate a test can swap between requests (a CA rotation, an
// impersonator), and which can require client certificates.
package transporttest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/testpki"
)

// Server is an HTTPS server on 127.0.0.1.
type Server struct {
	URL  string // https://127.0.0.1:port
	cert atomic.Pointer[tls.Certificate]
}

// Start serves h over TLS with leaf's certificate until the test ends.
// clientCAs, when set, makes the server require and verify a client
// certificate signed by one of them.
func Start(t testing.TB, h http.Handler, leaf testpki.Leaf, clientCAs *x509.CertPool) *Server {
	t.Helper()
	s := &Server{}
	s.SetLeaf(t, leaf)
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// GetCertificate, not Certificates: clients dial an IP and send no
		// server name, and the certificate must be swappable.
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.cert.Load(), nil },
	}
	if clientCAs != nil {
		cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, clientCAs
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)} // refused handshakes are what tests expect
	done := make(chan error, 1)
	go func() { done <- srv.Serve(tls.NewListener(ln, cfg)) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.True(t, errors.Is(<-done, http.ErrServerClosed))
	})
	s.URL = "https://" + ln.Addr().String()
	return s
}

// SetLeaf makes new connections get leaf's certificate.
func (s *Server) SetLeaf(t testing.TB, leaf testpki.Leaf) {
	t.Helper()
	c, err := leaf.TLS()
	require.NoError(t, err)
	s.cert.Store(&c)
}
