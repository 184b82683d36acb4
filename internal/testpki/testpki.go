// Package testpki makes a private certificate authority and certificates
// signed by it, for tests and local demos that need real TLS on loopback.
// Nothing here is for production keys: it favours speed (ECDSA P-256) and
// writes PEM files a test can point configuration at.
package testpki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a certificate authority able to sign leaf certificates.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
}

// Leaf is a signed certificate and its key, as PEM.
type Leaf struct {
	CertPEM, KeyPEM []byte
}

// TLS returns the leaf as a tls.Certificate.
func (l Leaf) TLS() (tls.Certificate, error) { return tls.X509KeyPair(l.CertPEM, l.KeyPEM) }

// NewCA makes a self-signed CA valid for a day.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Pool returns a cert pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Server signs a server certificate for the given DNS names and IPs
// (default: localhost and 127.0.0.1).
func (ca *CA) Server(hosts ...string) (Leaf, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	return ca.sign(hosts[0], hosts, x509.ExtKeyUsageServerAuth)
}

// Client signs a client certificate with the given common name.
func (ca *CA) Client(cn string) (Leaf, error) {
	return ca.sign(cn, nil, x509.ExtKeyUsageClientAuth)
}

func (ca *CA) sign(cn string, hosts []string, usage x509.ExtKeyUsage) (Leaf, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Leaf{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return Leaf{}, err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Leaf{}, err
	}
	return Leaf{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
	}, nil
}

// Files is where WriteFiles put a CA and a server and client leaf.
type Files struct {
	CA, ServerCert, ServerKey, ClientCert, ClientKey string
}

// WriteFiles makes a CA, a server certificate for loopback and a client
// certificate, and writes them as PEM files (keys mode 0600) under dir.
func WriteFiles(dir string) (*CA, Files, error) {
	ca, err := NewCA("sightline test CA")
	if err != nil {
		return nil, Files{}, err
	}
	srv, err := ca.Server()
	if err != nil {
		return nil, Files{}, err
	}
	cli, err := ca.Client("sightline test agent")
	if err != nil {
		return nil, Files{}, err
	}
	f := Files{
		CA: filepath.Join(dir, "ca.pem"), ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client-key.pem"),
	}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{f.CA, ca.CertPEM, 0o644}, {f.ServerCert, srv.CertPEM, 0o644}, {f.ServerKey, srv.KeyPEM, 0o600},
		{f.ClientCert, cli.CertPEM, 0o644}, {f.ClientKey, cli.KeyPEM, 0o600},
	} {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return nil, Files{}, fmt.Errorf("writing %s: %w", w.path, err)
		}
	}
	return ca, f, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n.Add(n, big.NewInt(1))
}

// WithSerial returns der (a certificate signed with an ECDSA P-256 key and
// ecdsa-with-SHA256) with its serial number replaced by serial and signed
// again by signer. crypto/x509 refuses to create a certificate with a
// negative serial, which real peers (Samba AD's own LDAPS certificates,
// half the time) send; tests make them with this.
func WithSerial(der []byte, signer *ecdsa.PrivateKey, serial *big.Int) ([]byte, error) {
	var cert struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}
	if rest, err := asn1.Unmarshal(der, &cert); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("not one DER certificate: %v", err)
	}
	// TBSCertificate ::= SEQUENCE { [0] version, serialNumber INTEGER, … }
	var fields [][]byte
	for in := cert.TBS.Bytes; len(in) > 0; {
		var f asn1.RawValue
		var err error
		if in, err = asn1.Unmarshal(in, &f); err != nil {
			return nil, fmt.Errorf("reading the TBSCertificate: %w", err)
		}
		fields = append(fields, f.FullBytes)
	}
	if len(fields) < 2 {
		return nil, fmt.Errorf("the TBSCertificate has %d fields, want a version and a serial", len(fields))
	}
	neg, err := asn1.Marshal(serial)
	if err != nil {
		return nil, err
	}
	fields[1] = neg
	tbs, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: bytes.Join(fields, nil)})
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(tbs)
	sig, err := ecdsa.SignASN1(rand.Reader, signer, digest[:])
	if err != nil {
		return nil, err
	}
	cert.TBS = asn1.RawValue{FullBytes: tbs}
	cert.Sig = asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}
	return asn1.Marshal(cert)
}

// Serial reads a certificate's serial number without crypto/x509, which
// refuses negative ones.
func Serial(der []byte) (*big.Int, error) {
	var cert struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		return nil, fmt.Errorf("not a certificate: %w", err)
	}
	var f asn1.RawValue
	in, err := asn1.Unmarshal(cert.TBS.Bytes, &f) // version [0], or the serial in v1
	if err != nil {
		return nil, fmt.Errorf("reading the TBSCertificate: %w", err)
	}
	if f.Class == asn1.ClassContextSpecific {
		if _, err := asn1.Unmarshal(in, &f); err != nil {
			return nil, fmt.Errorf("reading the serial: %w", err)
		}
	}
	n := new(big.Int)
	if _, err := asn1.Unmarshal(f.FullBytes, &n); err != nil {
		return nil, fmt.Errorf("reading the serial: %w", err)
	}
	return n, nil
}
