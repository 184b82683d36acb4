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
		{"max_duration defaults", "data_dir: /d\n", "", func(t *testing.T, c Config) {
			for _, d := range []time.Duration{c.Scans.LDAP.MaxDuration, c.Scans.S3.MaxDuration, c.Scans.IAM.MaxDuration,
				c.Scans.DB.MaxDuration, c.Scans.SMB.MaxDuration, c.Scans.AzBlob.MaxDuration, c.Scans.GCS.MaxDuration} {
				require.Equal(t, 2*time.Hour, d, "a network scan is bounded")
			}
			require.Zero(t, c.Scans.FS.MaxDuration, "a large tree may take long")
			require.Zero(t, c.Scans.Host.MaxDuration)
		}},
		{"max_duration set", "scans:\n  ldap:\n    max_duration: 30m\n  fs:\n    max_duration: 12h\n  gcs:\n    max_duration: 0s\n", "", func(t *testing.T, c Config) {
			require.Equal(t, 30*time.Minute, c.Scans.LDAP.MaxDuration)
			require.Equal(t, 12*time.Hour, c.Scans.FS.MaxDuration)
			require.Zero(t, c.Scans.GCS.MaxDuration, "0: no bound")
			require.Equal(t, 6*time.Hour, c.Scans.LDAP.Interval, "the rest of the schedule stays")
		}},
		{"max_duration negative", "scans:\n  smb:\n    max_duration: -1m\n", "scans.smb.max_duration: must not be negative", nil},
		{"max_duration not a duration", "scans:\n  db:\n    max_duration: two hours\n", "two hours", nil},
		{"max_duration typo", "scans:\n  db:\n    max_durration: 1h\n", "max_durration", nil},
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
