package dbscan

import (
	"net/url"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// testCA is the CA that signs the test servers' certificates
// (SIGHTLINE_TEST_DB_CA; make test starts both servers with TLS).
func testCA(t *testing.T) string {
	t.Helper()
	ca := os.Getenv("SIGHTLINE_TEST_DB_CA")
	if ca == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_DB_CA is not set but services are required")
		}
		t.Skip("no CA for the test databases' TLS (SIGHTLINE_TEST_DB_CA)")
	}
	return ca
}

// withQuery sets a DSN's query parameter.
func withQuery(dsn, k, v string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestTLS: with the CA file the scan verifies the server's certificate
// and runs; verifying against the system roots instead fails, naming the
// server: the connection was TLS and was checked.
func TestTLS(t *testing.T) {
	for _, c := range []struct{ env, key, verify string }{
		{"SIGHTLINE_TEST_POSTGRES", "sslmode", "verify-full"},
		{"SIGHTLINE_TEST_MARIADB", "tls", "true"},
	} {
		t.Run(c.env, func(t *testing.T) {
			dsn, pw := testServer(t, c.env)
			ca := testCA(t)
			o := quick()
			o.DSN, o.Password, o.CAFile = withQuery(dsn, c.key, c.verify), pw, ca
			if c.key == "tls" {
				o.DSN = withQuery(dsn, "tls", "custom")
			}
			ok := scanOnce(t, o)
			require.Equal(t, "ok", ok.scan.Status, ok.scan.Errors)
			o.DSN, o.CAFile = withQuery(dsn, c.key, c.verify), ""
			bad := scanOnce(t, o)
			require.Equal(t, "failed", bad.scan.Status)
			require.Contains(t, bad.scan.Errors[0], "certificate")
		})
	}
}

// TLS on every hop: a MySQL DSN without tls= verifies the server's
// certificate (against the system roots here, which do not hold the test
// CA, so the scan fails naming the certificate), and tls=preferred, which
// goes on in plain text when TLS is refused, is refused.
func TestMySQLTLSByDefault(t *testing.T) {
	o := quick()
	o.DSN, o.Password = "mysql://scan@127.0.0.1:1/app?tls=preferred", "pw"
	res := scanOnce(t, o)
	require.Equal(t, "failed", res.scan.Status)
	require.Contains(t, res.scan.Errors[0], "tls=preferred goes on in plain text")

	dsn, pw := testServer(t, "SIGHTLINE_TEST_MARIADB")
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Del("tls")
	u.RawQuery = q.Encode()
	o.DSN, o.Password = u.String(), pw
	res = scanOnce(t, o)
	require.Equal(t, "failed", res.scan.Status)
	require.Contains(t, res.scan.Errors[0], "certificate")
}
