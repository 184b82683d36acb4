package config

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/testpki"
)

func write(t *testing.T, s string) string {
	p := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
	return p
}

func TestLoad(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pw, []byte("s3cret\n"), 0o600))
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{"defaults", "", nil, func(t *testing.T, c Config) { require.Equal(t, Default().Ingest, c.Ingest) }, ""},
		{"overrides", "listen: 0.0.0.0:9\ningest:\n  batch_interval: 1s\n", nil, func(t *testing.T, c Config) {
			require.Equal(t, "0.0.0.0:9", c.Listen)
			require.Equal(t, time.Second, c.Ingest.BatchInterval)
			require.Equal(t, 50000, c.Ingest.BatchRows, "keys left out keep their defaults")
		}, ""},
		{"password file", "clickhouse:\n  password_file: " + pw + "\n", nil, func(t *testing.T, c Config) {
			require.Equal(t, "s3cret", c.ClickHouse.Password)
		}, ""},
		{"env wins", "clickhouse:\n  addr: a:1\n", map[string]string{"SIGHTLINE_CLICKHOUSE_ADDR": "b:2"}, func(t *testing.T, c Config) {
			require.Equal(t, "b:2", c.ClickHouse.Addr)
		}, ""},
		{"unknown key", "lisen: x\n", nil, nil, "field lisen not found"},
		{"bad level", "log_level: loud\n", nil, nil, "log_level"},
		{"bad batch", "ingest:\n  batch_rows: 0\n", nil, nil, "batch_rows"},
		{"stale_after default", "", nil, func(t *testing.T, c Config) { require.Equal(t, 90*24*time.Hour, c.StaleAfter) }, ""},
		{"stale_after", "stale_after: 720h\n", nil, func(t *testing.T, c Config) { require.Equal(t, 30*24*time.Hour, c.StaleAfter) }, ""},
		{"stale_after too short", "stale_after: 1s\n", nil, nil, "stale_after"},
		{"missing password file", "clickhouse:\n  password_file: /nonexistent/pw\n", nil, nil, "password_file"},

		{"no tls by default", "", nil, func(t *testing.T, c Config) {
			require.False(t, c.TLS.Enabled())
			require.False(t, c.ClickHouse.TLS)
			require.Nil(t, c.ClickHouse.ClientTLS)
		}, ""},
		{"tls", "tls:\n  cert_file: /etc/sightline/c.pem\n  key_file: /etc/sightline/k.pem\n", nil, func(t *testing.T, c Config) {
			require.True(t, c.TLS.Enabled())
			require.Equal(t, TLS{CertFile: "/etc/sightline/c.pem", KeyFile: "/etc/sightline/k.pem"}, c.TLS)
		}, ""},
		{"mutual tls", "tls:\n  cert_file: c.pem\n  key_file: k.pem\n  client_ca_file: ca.pem\n", nil, func(t *testing.T, c Config) {
			require.Equal(t, "ca.pem", c.TLS.ClientCAFile)
		}, ""},
		{"tls cert without key", "tls:\n  cert_file: c.pem\n", nil, nil, "tls: cert_file and key_file must be set together"},
		{"tls key without cert", "tls:\n  key_file: k.pem\n", nil, nil, "tls: cert_file and key_file must be set together"},
		{"tls client ca alone", "tls:\n  client_ca_file: ca.pem\n", nil, nil, "tls.client_ca_file: needs tls.cert_file and tls.key_file"},
		{"mutual tls with a crl", "tls:\n  cert_file: c.pem\n  key_file: k.pem\n  client_ca_file: ca.pem\n  client_crl_file: agents.crl\n", nil, func(t *testing.T, c Config) {
			require.Equal(t, "agents.crl", c.TLS.ClientCRLFile)
		}, ""},
		{"tls crl without client ca", "tls:\n  cert_file: c.pem\n  key_file: k.pem\n  client_crl_file: agents.crl\n", nil, nil, "tls.client_crl_file: needs tls.client_ca_file"},
		{"tls unknown key", "tls:\n  cert: c.pem\n", nil, nil, "field cert not found"},

		{"http defaults", "", nil, func(t *testing.T, c Config) {
			require.Equal(t, HTTP{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}, c.HTTP)
		}, ""},
		{"http overrides", "http:\n  read_timeout: 30s\n  write_timeout: 10m\n  idle_timeout: 1m\n  read_header_timeout: 5s\n", nil, func(t *testing.T, c Config) {
			require.Equal(t, HTTP{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 10 * time.Minute, IdleTimeout: time.Minute}, c.HTTP)
		}, ""},
		{"http zero read timeout", "http:\n  read_timeout: 0s\n", nil, nil, "http.read_timeout: must be a positive duration"},
		{"http negative write timeout", "http:\n  write_timeout: -1s\n", nil, nil, "http.write_timeout: must be a positive duration"},
		{"http zero idle timeout", "http:\n  idle_timeout: 0s\n", nil, nil, "http.idle_timeout: must be a positive duration"},
		{"http zero header timeout", "http:\n  read_header_timeout: 0s\n", nil, nil, "http.read_header_timeout: must be a positive duration"},
		{"http header beyond read", "http:\n  read_header_timeout: 3m\n", nil, nil, "must not exceed http.read_timeout"},
		{"http not a duration", "http:\n  read_timeout: soon\n", nil, nil, "into time.Duration"},

		{"clickhouse tls with system roots", "clickhouse:\n  tls: true\n", nil, func(t *testing.T, c Config) {
			require.NotNil(t, c.ClickHouse.ClientTLS)
			require.Nil(t, c.ClickHouse.ClientTLS.RootCAs, "no ca_file: the system's roots")
			require.Equal(t, uint16(tls.VersionTLS12), c.ClickHouse.ClientTLS.MinVersion)
			require.Empty(t, c.ClickHouse.ClientTLS.ServerName, "empty: crypto/tls takes the host of addr")
		}, ""},
		{"clickhouse tls server name and password file", "clickhouse:\n  tls: true\n  server_name: ch.internal\n  password_file: " + pw + "\n", nil, func(t *testing.T, c Config) {
			require.Equal(t, "ch.internal", c.ClickHouse.ClientTLS.ServerName)
			require.Equal(t, "s3cret", c.ClickHouse.Password)
		}, ""},
		{"clickhouse ca_file without tls", "clickhouse:\n  ca_file: /etc/sightline/ch-ca.pem\n", nil, nil, "clickhouse.ca_file: only used with clickhouse.tls: true"},
		{"clickhouse server_name without tls", "clickhouse:\n  server_name: ch\n", nil, nil, "clickhouse.server_name: only used with clickhouse.tls: true"},
		{"clickhouse ca_file missing", "clickhouse:\n  tls: true\n  ca_file: /nonexistent/ca.pem\n", nil, nil, "clickhouse.ca_file"},
		{"clickhouse ca_file not PEM", "clickhouse:\n  tls: true\n  ca_file: " + pw + "\n", nil, nil, "holds no PEM certificate"},
		{"clickhouse tls not a bool", "clickhouse:\n  tls: maybe\n", nil, nil, "into bool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Load(write(t, tc.yaml))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

// The annotated example shipped in deploy/ must stay loadable and equal
// to the defaults it claims to show, plus its example jurisdictions.
func TestExampleLoads(t *testing.T) {
	c, err := Load("../../deploy/examples/collector.yaml")
	require.NoError(t, err)
	want := Default()
	want.Listen = "0.0.0.0:8443"
	want.TLS = TLS{CertFile: "/etc/sightline/tls/collector.pem", KeyFile: "/etc/sightline/tls/collector-key.pem"}
	want.Jurisdictions = []Jurisdiction{{"*.eu.example.com", "EU"}, {"*.us.example.com", "US"}}
	require.Equal(t, want, c)
}

// clickhouse.ca_file becomes the only root ClickHouse's certificate may
// chain to.
func TestClickHouseCAFile(t *testing.T) {
	dir := t.TempDir()
	ca, f, err := testpki.WriteFiles(dir)
	require.NoError(t, err)
	other, err := testpki.NewCA("other")
	require.NoError(t, err)
	c, err := Load(write(t, "clickhouse:\n  addr: 127.0.0.1:9440\n  tls: true\n  ca_file: "+f.CA+"\n"))
	require.NoError(t, err)
	require.NotNil(t, c.ClickHouse.ClientTLS.RootCAs)

	leaf, err := ca.Server()
	require.NoError(t, err)
	cert, err := leaf.TLS()
	require.NoError(t, err)
	_, err = cert.Leaf.Verify(x509.VerifyOptions{Roots: c.ClickHouse.ClientTLS.RootCAs, DNSName: "127.0.0.1"})
	require.NoError(t, err)

	foreign, err := other.Server()
	require.NoError(t, err)
	fc, err := foreign.TLS()
	require.NoError(t, err)
	_, err = fc.Leaf.Verify(x509.VerifyOptions{Roots: c.ClickHouse.ClientTLS.RootCAs, DNSName: "127.0.0.1"})
	require.Error(t, err, "a certificate from another CA must not verify")
}
