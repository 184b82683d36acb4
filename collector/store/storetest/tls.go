package storetest

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// Environment variables naming the test server's TLS port and its
// password-protected user (deploy/scripts/test.sh sets them; see
// clickhouse-start.sh's CH_TLS_PORT and CH_PASSWORD_FILE).
const (
	// EnvTLSAddr is host:port of the secure native port (tcp_port_secure).
	EnvTLSAddr = "SIGHTLINE_TEST_CLICKHOUSE_TLS"
	// EnvCA is the PEM file of the CA that signed the server's certificate.
	EnvCA = "SIGHTLINE_TEST_CLICKHOUSE_CA"
	// EnvPasswordFile holds the password of EnvUser.
	EnvPasswordFile = "SIGHTLINE_TEST_CLICKHOUSE_PASSWORD_FILE"
	// EnvUser is the user with that password (default "sightline").
	EnvUser = "SIGHTLINE_TEST_CLICKHOUSE_USER"
)

// TLSServer is the test ClickHouse's TLS endpoint and password user.
type TLSServer struct {
	Addr, CAFile, Username, Password string
	// Roots holds only the CA of CAFile.
	Roots *x509.CertPool
}

// TLS returns the test server's TLS endpoint, or skips (or, with
// SIGHTLINE_REQUIRE_SERVICES=1, fails) the test when it is not configured.
func TLS(t testing.TB) TLSServer {
	t.Helper()
	s := TLSServer{Addr: os.Getenv(EnvTLSAddr), CAFile: os.Getenv(EnvCA), Username: os.Getenv(EnvUser)}
	pwFile := os.Getenv(EnvPasswordFile)
	if s.Addr == "" || s.CAFile == "" || pwFile == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s, %s and %s must be set when %s=1: start ClickHouse with CH_TLS_PORT and CH_PASSWORD_FILE (deploy/scripts/clickhouse-start.sh) or run deploy/scripts/test.sh", EnvTLSAddr, EnvCA, EnvPasswordFile, EnvRequire)
		}
		t.Skipf("%s, %s or %s not set: skipping a test that needs ClickHouse over TLS", EnvTLSAddr, EnvCA, EnvPasswordFile)
	}
	if s.Username == "" {
		s.Username = "sightline"
	}
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatalf("%s: %v", EnvPasswordFile, err)
	}
	s.Password = strings.TrimSpace(string(pw))
	ca, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatalf("%s: %v", EnvCA, err)
	}
	s.Roots = x509.NewCertPool()
	if !s.Roots.AppendCertsFromPEM(ca) {
		t.Fatalf("%s: %s holds no PEM certificate", EnvCA, s.CAFile)
	}
	return s
}

// Options returns store options that connect over TLS as the password
// user, trusting only the test CA. No database is created.
func (s TLSServer) Options() store.Options {
	return store.Options{
		Addr: s.Addr, Username: s.Username, Password: s.Password,
		TLS:         &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.Roots},
		DialTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		Logger: slog.New(slog.DiscardHandler),
	}
}
