//go:build linux

package safeio

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// OpenDir opens a directory whose path is longer than PATH_MAX (one open
// of it fails with ENAMETOOLONG) and, as for a short path, refuses one
// whose last component is a symlink.
func TestOpenDirPastPathMax(t *testing.T) {
	dir := t.TempDir()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	require.NoError(t, err)
	name := strings.Repeat("n", 200)
	const levels = 45 // 9 KB: three PATH_MAX pieces
	for i := 0; i < levels; i++ {
		require.NoError(t, unix.Mkdirat(fd, name, 0o755))
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		require.NoError(t, err)
		unix.Close(fd)
		fd = next
	}
	require.NoError(t, unix.Symlinkat(dir, fd, "link"))
	unix.Close(fd)
	deep := dir + strings.Repeat("/"+name, levels)
	require.Greater(t, len(deep), 2*unix.PathMax)

	f, err := OpenDir(deep)
	require.NoError(t, err)
	require.Equal(t, deep, f.Name())
	want, ok := OpenedID(f)
	require.True(t, ok)
	require.NoError(t, f.Close())
	fi, err := os.Lstat(dir)
	require.NoError(t, err)
	root, _ := idOfInfo(fi)
	require.NotEqual(t, root, want)

	_, err = OpenDir(deep + "/link")
	require.ErrorIs(t, err, unix.ENOTDIR, "the last component is a symlink: refused (O_DIRECTORY|O_NOFOLLOW)")
	_, err = OpenDir(deep + "/missing")
	require.ErrorIs(t, err, os.ErrNotExist)
}
