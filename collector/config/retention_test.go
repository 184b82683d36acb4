package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/config"
)

func TestParseRetention(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "", want: 0},
		{in: "0", want: 0},
		{in: "400d", want: 400 * day},
		{in: "12w", want: 84 * day},
		{in: "2y", want: 730 * day},
		{in: "30d", bad: true},
		{in: "2m", bad: true},
		{in: "d", bad: true},
		{in: "-5d", bad: true},
		{in: "101y", bad: true},
		{in: "99999999999d", bad: true},
		{in: "1.5y", bad: true},
	} {
		got, err := config.ParseRetention(tc.in)
		if tc.bad {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func FuzzParseRetention(f *testing.F) {
	for _, s := range []string{"400d", "2y", "12w", "", "0", "x", "9999999y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := config.ParseRetention(s)
		if err == nil && d != 0 && (d < 62*24*time.Hour || d > 100*365*24*time.Hour) {
			t.Fatalf("%q gave %s, outside the bounds", s, d)
		}
	})
}

func TestClusterAndRetentionConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	c, err := config.Load(write("clickhouse:\n  cluster: prod_2x2\nretention:\n  history: 400d\n  audit: 2y\n"))
	require.NoError(t, err)
	require.Equal(t, "prod_2x2", c.ClickHouse.Cluster)
	require.Equal(t, 400*24*time.Hour, c.Retention.HistoryAge)
	require.Equal(t, 730*24*time.Hour, c.Retention.AuditAge)

	_, err = config.Load(write("clickhouse:\n  cluster: \"prod`; DROP\"\n"))
	require.ErrorContains(t, err, "clickhouse.cluster")
	_, err = config.Load(write("retention:\n  audit: 1d\n"))
	require.ErrorContains(t, err, "retention.audit")
	_, err = config.Load(write("retention:\n  forever: yes\n"))
	require.Error(t, err, "unknown keys are refused (strict config)")
}
