package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/limits"
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
			require.Equal(t, 30*time.Minute, c.Scans.Host.MaxDuration, "a host scan takes seconds; one held by a hung home directory is left behind")
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
	tests = append(tests, boundRows...)
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
	// It shows the bounds and max_duration at their defaults.
	def := Default().Scans
	require.Equal(t, def.LDAP.MaxEntries, c.Scans.LDAP.MaxEntries)
	require.Equal(t, def.LDAP.MaxMessageBytes, c.Scans.LDAP.MaxMessageBytes)
	require.Equal(t, def.LDAP.MaxKeptBytes, c.Scans.LDAP.MaxKeptBytes)
	require.Equal(t, def.IAM.MaxDetails, c.Scans.IAM.MaxDetails)
	require.Equal(t, def.IAM.CallBounds, c.Scans.IAM.CallBounds)
	require.Equal(t, def.S3.CallBounds, c.Scans.S3.CallBounds)
	for _, sec := range []struct{ got, want Schedule }{{c.Scans.FS.Schedule, def.FS.Schedule}, {c.Scans.Host.Schedule, def.Host.Schedule},
		{c.Scans.LDAP.Schedule, def.LDAP.Schedule}, {c.Scans.S3.Schedule, def.S3.Schedule}, {c.Scans.IAM.Schedule, def.IAM.Schedule},
		{c.Scans.DB.Schedule, def.DB.Schedule}, {c.Scans.SMB.Schedule, def.SMB.Schedule},
		{c.Scans.AzBlob.Schedule, def.AzBlob.Schedule}, {c.Scans.GCS.Schedule, def.GCS.Schedule}} {
		require.Equal(t, sec.want.MaxDuration, sec.got.MaxDuration)
	}
	require.Equal(t, def.AzBlob.ObjectSampling, c.Scans.AzBlob.ObjectSampling)
	require.Equal(t, def.GCS.ObjectSampling, c.Scans.GCS.ObjectSampling)
	data, err := os.ReadFile("../../deploy/examples/agent.yaml")
	require.NoError(t, err)
	for _, key := range []string{"max_duration", "max_entries", "max_message_bytes", "max_kept_bytes", "max_details", "call_timeout", "max_response_bytes"} {
		require.Contains(t, string(data), "\n    "+key+": ", "the example lists %s", key)
	}
}

// boundRows are TestLoad's rows for the bounds on what a server may cost
// the agent: the scanners' defaults when left out, a site's own value
// (raised or lowered), and 0, negative, over the upper limit and a typo
// refused with the key named.
var boundRows = []struct {
	name    string
	yaml    string
	wantErr string
	check   func(t *testing.T, c Config)
}{
	{"bounds default", "data_dir: /d\n", "", func(t *testing.T, c Config) {
		l := c.Scans.LDAP
		require.Equal(t, limits.LDAPMaxEntries, l.MaxEntries)
		require.Equal(t, int64(limits.LDAPMaxMessageBytes), l.MaxMessageBytes)
		require.Equal(t, int64(limits.LDAPMaxKeptBytes), l.MaxKeptBytes)
		require.Equal(t, limits.IAMMaxDetails, c.Scans.IAM.MaxDetails)
		for _, b := range []CallBounds{c.Scans.S3.CallBounds, c.Scans.IAM.CallBounds} {
			require.Equal(t, limits.CallTimeout, b.CallTimeout)
			require.Equal(t, int64(limits.AWSMaxResponseBytes), b.MaxResponseBytes)
		}
		require.Equal(t, CallBounds{CallTimeout: limits.CallTimeout, MaxResponseBytes: limits.GCSMaxResponseBytes}, c.Scans.GCS.CallBounds)
		require.Equal(t, CallBounds{CallTimeout: limits.CallTimeout, MaxResponseBytes: limits.AzureMaxResponseBytes}, c.Scans.AzBlob.CallBounds)
		require.Equal(t, limits.SMBCallTimeout, c.Scans.SMB.CallTimeout)
	}},
	{"cloud bounds set", "scans:\n  gcs:\n    call_timeout: 30s\n    max_response_bytes: 1048576\n  azblob:\n    call_timeout: 3m\n", "", func(t *testing.T, c Config) {
		require.Equal(t, CallBounds{CallTimeout: 30 * time.Second, MaxResponseBytes: 1 << 20}, c.Scans.GCS.CallBounds)
		require.Equal(t, CallBounds{CallTimeout: 3 * time.Minute, MaxResponseBytes: limits.AzureMaxResponseBytes}, c.Scans.AzBlob.CallBounds)
	}},
	{"smb call_timeout", "scans:\n  smb:\n    call_timeout: 2m\n", "", func(t *testing.T, c Config) {
		require.Equal(t, 2*time.Minute, c.Scans.SMB.CallTimeout)
	}},
	{"smb call_timeout over the limit", "scans:\n  smb:\n    call_timeout: 2h\n", "scans.smb.call_timeout: must be between 1s and 1h0m0s (default 30s", nil},
	{"gcs call_timeout too short", "scans:\n  gcs:\n    call_timeout: 10ms\n", "scans.gcs.call_timeout: must be between 1s and 1h0m0s", nil},
	{"azblob max_response_bytes zero", "scans:\n  azblob:\n    max_response_bytes: 0\n", "scans.azblob.max_response_bytes: must be between 1 and 1073741824 (default 33554432", nil},
	{"bounds raised", "scans:\n  ldap:\n    max_entries: 5000000\n    max_message_bytes: 134217728\n    max_kept_bytes: 8589934592\n" +
		"  iam:\n    max_details: 2000000\n    call_timeout: 10m\n    max_response_bytes: 268435456\n", "", func(t *testing.T, c Config) {
		require.Equal(t, 5000000, c.Scans.LDAP.MaxEntries)
		require.Equal(t, int64(128<<20), c.Scans.LDAP.MaxMessageBytes)
		require.Equal(t, int64(8<<30), c.Scans.LDAP.MaxKeptBytes)
		require.Equal(t, 2000000, c.Scans.IAM.MaxDetails)
		require.Equal(t, CallBounds{CallTimeout: 10 * time.Minute, MaxResponseBytes: 256 << 20}, c.Scans.IAM.CallBounds)
		require.Equal(t, DefaultCallBounds(limits.AWSMaxResponseBytes), c.Scans.S3.CallBounds, "each section has its own")
	}},
	{"bounds lowered", "scans:\n  ldap:\n    max_entries: 100\n  s3:\n    call_timeout: 5s\n    max_response_bytes: 1048576\n", "", func(t *testing.T, c Config) {
		require.Equal(t, 100, c.Scans.LDAP.MaxEntries)
		require.Equal(t, int64(limits.LDAPMaxKeptBytes), c.Scans.LDAP.MaxKeptBytes, "the others keep their default")
		require.Equal(t, CallBounds{CallTimeout: 5 * time.Second, MaxResponseBytes: 1 << 20}, c.Scans.S3.CallBounds)
		require.Equal(t, DefaultCallBounds(limits.AWSMaxResponseBytes), c.Scans.IAM.CallBounds)
	}},
	{"max_entries zero", "scans:\n  ldap:\n    max_entries: 0\n", "scans.ldap.max_entries: must be between 1 and 100000000 (default 1000000", nil},
	{"max_entries negative", "scans:\n  ldap:\n    max_entries: -5\n", "scans.ldap.max_entries: must be between 1", nil},
	{"max_entries over the limit", "scans:\n  ldap:\n    max_entries: 100000001\n", "scans.ldap.max_entries: must be between 1", nil},
	{"max_message_bytes zero", "scans:\n  ldap:\n    max_message_bytes: 0\n", "scans.ldap.max_message_bytes: must be between 1 and 1073741824", nil},
	{"max_message_bytes over the limit", "scans:\n  ldap:\n    max_message_bytes: 1073741825\n", "scans.ldap.max_message_bytes", nil},
	{"max_kept_bytes negative", "scans:\n  ldap:\n    max_kept_bytes: -1\n", "scans.ldap.max_kept_bytes: must be between 1 and 68719476736", nil},
	{"max_kept_bytes not a number", "scans:\n  ldap:\n    max_kept_bytes: 1GiB\n", "1GiB", nil},
	{"max_details zero", "scans:\n  iam:\n    max_details: 0\n", "scans.iam.max_details: must be between 1 and 10000000", nil},
	{"max_details over the limit", "scans:\n  iam:\n    max_details: 10000001\n", "scans.iam.max_details", nil},
	{"call_timeout zero", "scans:\n  iam:\n    call_timeout: 0s\n", "scans.iam.call_timeout: must be between 1s and 1h0m0s (default 2m0s", nil},
	{"call_timeout negative", "scans:\n  s3:\n    call_timeout: -1m\n", "scans.s3.call_timeout", nil},
	{"call_timeout under a second", "scans:\n  s3:\n    call_timeout: 500ms\n", "scans.s3.call_timeout", nil},
	{"call_timeout over the limit", "scans:\n  s3:\n    call_timeout: 2h\n", "scans.s3.call_timeout", nil},
	{"call_timeout not a duration", "scans:\n  iam:\n    call_timeout: 120\n", "cannot unmarshal !!int `120` into time.Duration", nil},
	{"max_response_bytes zero", "scans:\n  s3:\n    max_response_bytes: 0\n", "scans.s3.max_response_bytes: must be between 1 and 1073741824", nil},
	{"max_response_bytes over the limit", "scans:\n  iam:\n    max_response_bytes: 1073741825\n", "scans.iam.max_response_bytes", nil},
	{"bound typo", "scans:\n  ldap:\n    max_entires: 100\n", "max_entires", nil},
	{"bound in the wrong section", "scans:\n  ldap:\n    max_details: 100\n", "max_details", nil},
}
