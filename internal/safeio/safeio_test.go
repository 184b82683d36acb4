package safeio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := makeFIFO(p); errors.Is(err, errors.ErrUnsupported) {
		t.Skip("no FIFOs in this file namespace")
	} else {
		require.NoError(t, err)
	}
}

func TestOpenRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg")
	require.NoError(t, os.WriteFile(reg, []byte("hello\n"), 0o644))
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	require.NoError(t, os.Symlink("/dev/urandom", filepath.Join(dir, "urandom")))
	require.NoError(t, os.Symlink(reg, filepath.Join(dir, "link")))

	tests := []struct {
		name string
		path string
		mode fs.FileMode // expected in the error; 0: opens
	}{
		{"regular file", reg, 0},
		{"FIFO without a writer does not block", fifo, fs.ModeNamedPipe},
		{"symlink to a device", filepath.Join(dir, "urandom"), fs.ModeSymlink},
		{"symlink to a regular file", filepath.Join(dir, "link"), fs.ModeSymlink},
		{"directory", dir, fs.ModeDir},
		{"character device", "/dev/null", fs.ModeDevice | fs.ModeCharDevice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Open(tc.path)
			if tc.mode == 0 {
				require.NoError(t, err)
				data, err := ReadAll(f, 100)
				require.NoError(t, err)
				require.Equal(t, "hello\n", string(data))
				require.NoError(t, f.Close())
				return
			}
			require.Error(t, err)
			require.Nil(t, f)
			require.ErrorIs(t, err, ErrNotRegular)
			require.True(t, Skipped(err))
			var nr *NotRegularError
			require.True(t, errors.As(err, &nr))
			require.Equal(t, tc.mode, nr.Mode)
			require.Equal(t, tc.path, nr.Path)
		})
	}
}

func TestReadFileCap(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(p, []byte(strings.Repeat("x", 101)), 0o644))
	_, err := ReadFile(p, 100)
	require.ErrorIs(t, err, ErrTooLarge)
	var tl *TooLargeError
	require.True(t, errors.As(err, &tl))
	require.Equal(t, int64(101), tl.Size)
	data, err := ReadFile(p, 101)
	require.NoError(t, err)
	require.Len(t, data, 101)
}

func TestOpenSeenRefusesASwappedFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(p, []byte("first"), 0o644))
	seen, err := os.Lstat(p)
	require.NoError(t, err)
	f, err := OpenSeen(p, seen)
	require.NoError(t, err)
	f.Close()

	// Replaced by another file between the walk and the open.
	other := filepath.Join(dir, "other")
	require.NoError(t, os.WriteFile(other, []byte("second"), 0o644))
	require.NoError(t, os.Rename(other, p))
	_, err = OpenSeen(p, seen)
	require.ErrorIs(t, err, ErrChanged)
	require.True(t, Skipped(err))
}

func TestWriteFileAtomicNeverFollowsAPlantedSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o644))
	state := filepath.Join(dir, "state.json")
	// Symlinks at every name a naive writer might use.
	for _, n := range []string{state + ".tmp", filepath.Join(dir, ".state.json.tmp"), filepath.Join(dir, "state.json~")} {
		require.NoError(t, os.Symlink(victim, n))
	}
	require.NoError(t, WriteFileAtomic(state, []byte(`{"v":1}`), 0o600))
	got, err := os.ReadFile(state)
	require.NoError(t, err)
	require.Equal(t, `{"v":1}`, string(got))
	v, err := os.ReadFile(victim)
	require.NoError(t, err)
	require.Equal(t, "precious", string(v))

	// A symlink at the state path itself is replaced, not written through.
	require.NoError(t, os.Remove(state))
	require.NoError(t, os.Symlink(victim, state))
	require.NoError(t, WriteFileAtomic(state, []byte(`{"v":2}`), 0o600))
	fi, err := os.Lstat(state)
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular())
	v, err = os.ReadFile(victim)
	require.NoError(t, err)
	require.Equal(t, "precious", string(v))
	if runtime.GOOS != "windows" {
		require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	}
	// No temporary file is left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.Contains(e.Name(), ".tmp-"), e.Name())
	}
}
