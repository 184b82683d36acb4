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
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sync/atomic"
	"time"

	"github.com/sightline-dev/sightline/internal/capool"
)

// Config names the PEM files. CertFile and KeyFile are required;
// ClientCAFile, when set, turns on mutual TLS: every client must present a
// certificate signed by a CA in that file (and only those CAs, not the
// system's). ClientCRLFile (with ClientCAFile only) holds certificate
// revocation lists (PEM "X509 CRL" blocks, or one DER list) signed by
// those CAs: a client certificate they list is refused at the handshake.
// It is re-read with the rest on SIGHUP, so revoking an agent's
// certificate is: publish the new list, send SIGHUP.
type Config struct {
	CertFile, KeyFile string
	ClientCAFile      string
	ClientCRLFile     string
}

// material is what one load produced; it is replaced as a whole so a
// handshake never sees a certificate from one load and a CA pool from
// another.
type material struct {
	cert      *tls.Certificate
	clientCAs *x509.CertPool
	notAfter  time.Time
	// revoked holds the client certificates the CRLs list, by issuer
	// and serial number (revokedKey).
	revoked map[string]bool
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
	if c.ClientCRLFile != "" {
		if c.ClientCAFile == "" {
			return nil, errors.New("tls: client_crl_file needs client_ca_file (revocation lists are for mutual TLS)")
		}
		revoked, err := loadCRLs(c.ClientCRLFile, c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		m.revoked = revoked
	}
	return m, nil
}

// revokedKey names a certificate in a CRL: its issuer and serial number.
func revokedKey(rawIssuer []byte, serial *big.Int) string {
	return string(rawIssuer) + "\x00" + serial.String()
}

// loadCRLs reads the revocation lists in crlPath, each of which must be
// signed by a CA of caPath (a list signed by anyone else is refused, not
// skipped: the operator meant it to revoke something), and returns the
// certificates they list.
func loadCRLs(crlPath, caPath string) (map[string]bool, error) {
	data, err := os.ReadFile(crlPath)
	if err != nil {
		return nil, fmt.Errorf("reading client_crl_file: %w", err)
	}
	caPEM, err := os.ReadFile(caPath)
	if err != nil {
		return nil, fmt.Errorf("reading client_ca_file: %w", err)
	}
	var cas []*x509.Certificate
	for rest := caPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			cas = append(cas, c)
		}
	}
	var ders [][]byte
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "X509 CRL" {
			ders = append(ders, b.Bytes)
		}
	}
	if len(ders) == 0 {
		ders = [][]byte{data} // one DER list
	}
	revoked := map[string]bool{}
	for i, der := range ders {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, fmt.Errorf("client_crl_file %s: list %d: %w (want PEM \"X509 CRL\" blocks or one DER list)", crlPath, i+1, err)
		}
		signed := false
		for _, ca := range cas {
			if crl.CheckSignatureFrom(ca) == nil {
				signed = true
				break
			}
		}
		if !signed {
			return nil, fmt.Errorf("client_crl_file %s: list %d (issuer %q) is not signed by a CA of client_ca_file", crlPath, i+1, crl.Issuer.String())
		}
		for _, e := range crl.RevokedCertificateEntries {
			revoked[revokedKey(crl.RawIssuer, e.SerialNumber)] = true
		}
	}
	return revoked, nil
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
		m := s.cur.Load()
		c := base.Clone()
		c.ClientCAs = m.clientCAs
		if len(m.revoked) > 0 {
			// VerifyConnection, not VerifyPeerCertificate: it runs on
			// resumed sessions too, so a ticket from before a revocation
			// does not let the certificate back in.
			c.VerifyConnection = func(cs tls.ConnectionState) error {
				return checkRevoked(m.revoked, cs.VerifiedChains)
			}
		}
		return c, nil
	}
	return out
}

// ErrRevoked is a client certificate a revocation list names.
var ErrRevoked = errors.New("tls: the client certificate is revoked (client_crl_file)")

// checkRevoked refuses a verified chain holding a certificate that
// revoked lists (the leaf, or an intermediate CA).
func checkRevoked(revoked map[string]bool, chains [][]*x509.Certificate) error {
	for _, chain := range chains {
		for _, c := range chain {
			if revoked[revokedKey(c.RawIssuer, c.SerialNumber)] {
				return ErrRevoked
			}
		}
	}
	return nil
}
