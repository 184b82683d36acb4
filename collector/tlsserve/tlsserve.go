// Package tlsserve is the collector's server-side TLS: the certificate its
// listener presents, reloadable without a restart, and (optionally) mutual
// TLS against a private client CA.
//
// The certificate is handed out per handshake from an atomically swapped
// pointer, so a reload (on SIGHUP) changes what new connections see while
// connections already established keep the session they negotiated: nothing
// is closed. A reload that fails (missing file, key not matching, a CA file
// without a certificate) leaves the previous certificate in place.
package tlsserve

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sightline-dev/sightline/internal/capool"
)

// Config names the PEM files. CertFile and KeyFile are required;
// ClientCAFile, when set, turns on mutual TLS: every client must present a
// certificate signed by a CA in that file (and only those CAs, not the
// system's).
type Config struct {
	CertFile, KeyFile string
	ClientCAFile      string
}

// material is what one load produced; it is replaced as a whole so a
// handshake never sees a certificate from one load and a CA pool from
// another.
type material struct {
	cert      *tls.Certificate
	clientCAs *x509.CertPool
	notAfter  time.Time
}

// Server holds the current certificate. It is safe for concurrent use.
type Server struct {
	cfg Config
	cur atomic.Pointer[material]
}

// New loads the files and returns a Server, or an error saying which file
// is wrong and how.
func New(c Config) (*Server, error) {
	if c.CertFile == "" || c.KeyFile == "" {
		return nil, errors.New("tls: cert_file and key_file must both be set (PEM certificate chain and its private key)")
	}
	s := &Server{cfg: c}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload re-reads the certificate, key and client CA files. On any error
// the certificate in use stays, and the error says what to fix.
func (s *Server) Reload() error {
	m, err := load(s.cfg)
	if err != nil {
		return err
	}
	s.cur.Store(m)
	return nil
}

// NotAfter is when the certificate in use expires (for logs).
func (s *Server) NotAfter() time.Time { return s.cur.Load().notAfter }

func load(c Config) (*material, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading cert_file %s and key_file %s: %w (both must be PEM, the key must belong to the first certificate)", c.CertFile, c.KeyFile, err)
	}
	m := &material{cert: &cert}
	if cert.Leaf != nil {
		m.notAfter = cert.Leaf.NotAfter
	}
	if c.ClientCAFile != "" {
		pool, err := capool.Load(c.ClientCAFile, "client_ca_file")
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		m.clientCAs = pool
	}
	return m, nil
}

// TLSConfig returns the configuration for the listener: TLS 1.2 or newer,
// the current certificate on every handshake, HTTP/2 and HTTP/1.1 offered
// by ALPN, and with a client CA, client certificates required and verified
// against it.
func (s *Server) TLSConfig() *tls.Config {
	base := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cur.Load().cert, nil
		},
	}
	if s.cfg.ClientCAFile == "" {
		return base
	}
	// ClientCAs is a plain field, so the pool of the current load goes
	// into a per-handshake copy.
	base.ClientAuth = tls.RequireAndVerifyClientCert
	out := base.Clone()
	out.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.ClientCAs = s.cur.Load().clientCAs
		return c, nil
	}
	return out
}
