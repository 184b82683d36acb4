package gctune

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	v2 := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(v2, "memory.max"), []byte("2147483648\n"), 0o644))
	unlimited := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(unlimited, "memory.max"), []byte("max\n"), 0o644))
	v1 := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(v1, "memory"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(v1, "memory", "memory.limit_in_bytes"), []byte("1073741824"), 0o644))
	none := func(string) (string, bool) { return "", false }
	env := func(k string) (string, bool) { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k], true }
	for _, tc := range []struct {
		name string
		o    Options
		want Settings
	}{
		{"config wins over the cgroup", Options{Percent: 200, LimitBytes: 512 << 20, CgroupRoot: v2, LookupEnv: none},
			Settings{Percent: 200, LimitBytes: 512 << 20, From: "config"}},
		{"cgroup v2: 90% of it", Options{Percent: 200, CgroupRoot: v2, FallbackLimitBytes: 1, LookupEnv: none},
			Settings{Percent: 200, LimitBytes: 2147483648 / 10 * 9, From: "cgroup"}},
		{"cgroup v1", Options{CgroupRoot: v1, LookupEnv: none},
			Settings{LimitBytes: 1073741824 / 10 * 9, From: "cgroup"}},
		{"no cgroup limit: the fallback", Options{Percent: 200, CgroupRoot: unlimited, FallbackLimitBytes: 896 << 20, LookupEnv: none},
			Settings{Percent: 200, LimitBytes: 896 << 20, From: "fallback"}},
		{"nothing at all", Options{CgroupRoot: t.TempDir(), LookupEnv: none},
			Settings{LimitBytes: -1, From: "none"}},
		{"the environment wins", Options{Percent: 200, LimitBytes: 512 << 20, CgroupRoot: v2, LookupEnv: env},
			Settings{Percent: -1, LimitBytes: -1, From: "GOMEMLIMIT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Resolve(tc.o))
		})
	}
}
