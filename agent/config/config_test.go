package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{"fs scan", "data_dir: /d\nscans:\n  fs:\n    enabled: true\n    paths: [/a, /b]\n    interval: 1h\n    jitter: 0.2\n", "", func(t *testing.T, c Config) {
			require.Equal(t, []string{"/a", "/b"}, c.Scans.FS.Paths)
			require.Equal(t, time.Hour, c.Scans.FS.Interval)
			require.Equal(t, 0.2, c.Scans.FS.Jitter)
			require.Equal(t, "/d/spool", c.SpoolDir())
			require.Equal(t, Default().Spool, c.Spool)
		}},
		{"enabled without paths", "scans:\n  fs:\n    enabled: true\n", "scans.fs.paths", nil},
		{"jitter too large", "scans:\n  fs:\n    enabled: true\n    paths: [/a]\n    jitter: 2\n", "jitter", nil},
		{"typo", "scans:\n  fs:\n    enabeld: true\n", "enabeld", nil},
		{"bad spool", "spool:\n  max_bytes: 10\n", "spool", nil},
		{"collector TLS", "collector: https://c.example:8443\nca_file: /etc/s/ca.pem\ncert_file: /etc/s/agent.pem\nkey_file: /etc/s/agent-key.pem\n", "", func(t *testing.T, c Config) {
			require.Equal(t, "/etc/s/ca.pem", c.CAFile)
			require.Equal(t, "/etc/s/agent.pem", c.CertFile)
			require.Equal(t, "/etc/s/agent-key.pem", c.KeyFile)
			require.False(t, c.InsecureHTTP, "off unless asked for")
		}},
		{"insecure http", "collector: http://c.example:8080\ninsecure_http: true\n", "", func(t *testing.T, c Config) {
			require.True(t, c.InsecureHTTP)
		}},
		{"cert without key", "cert_file: /etc/s/agent.pem\n", "cert_file and key_file", nil},
		{"key without cert", "key_file: /etc/s/agent-key.pem\n", "cert_file and key_file", nil},
		{"tls key typo", "ca_fiel: /etc/s/ca.pem\n", "ca_fiel", nil},
		{"db scan", "scans:\n  db:\n    enabled: true\n    dsn: postgres://scan@db1:5432/app\n    password_file: /etc/s/db.pw\n    sample_rows: 500\n", "", func(t *testing.T, c Config) {
			require.Equal(t, "postgres://scan@db1:5432/app", c.Scans.DB.DSN)
			require.Equal(t, 500, c.Scans.DB.SampleRows)
			require.Equal(t, 10000, c.Scans.DB.MaxTables)
			require.Equal(t, 30*time.Second, c.Scans.DB.StatementTimeout)
			require.Equal(t, 24*time.Hour, c.Scans.DB.Interval)
		}},
		{"db scan without dsn", "scans:\n  db:\n    enabled: true\n", "scans.db.dsn", nil},
		{"db negative sample", "scans:\n  db:\n    sample_rows: -1\n", "scans.db", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "agent.yaml")
			require.NoError(t, os.WriteFile(p, []byte(tc.yaml), 0o600))
			c, err := Load(p)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

// The annotated example shipped in deploy/ must stay loadable.
func TestExampleLoads(t *testing.T) {
	c, err := Load("../../deploy/examples/agent.yaml")
	require.NoError(t, err)
	require.True(t, c.Scans.FS.Enabled)
	require.True(t, c.LowPriority)
	require.Equal(t, "https://collector.example.internal:8443", c.Collector, "the example ships over TLS")
	require.NotEmpty(t, c.CAFile)
	require.False(t, c.InsecureHTTP)
}
