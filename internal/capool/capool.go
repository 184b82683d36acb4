// Package capool reads the CA bundles that TLS clients and servers trust.
// A pool holds only the bundle's certificates: a private CA is never
// widened to every public one.
package capool

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Parse returns a pool of the PEM certificates in pem.
func Parse(pem []byte) (*x509.CertPool, error) {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		return nil, errors.New("no PEM certificate in it")
	}
	return p, nil
}

// Load reads the PEM bundle at path into a pool. setting names where the
// path came from (a config key, a flag) in errors, so the user knows what
// to fix.
func Load(path, setting string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", setting, err)
	}
	p, err := Parse(pem)
	if err != nil {
		return nil, fmt.Errorf("%s %s holds no PEM certificate", setting, path)
	}
	return p, nil
}
