package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
	want.Jurisdictions = []Jurisdiction{{"*.eu.example.com", "EU"}, {"*.us.example.com", "US"}}
	require.Equal(t, want, c)
}
