//go:build unix

package safeio

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// StatAt and OpenAt answer about the directory that was opened, not about
// what its path leads to now: a parent renamed and replaced by a symlink
// to another directory holding a file of the same name changes nothing.
func TestAtStaysInTheOpenedDirectory(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	a := filepath.Join(root, "a")
	require.NoError(t, os.Mkdir(a, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(a, "f"), []byte("inside"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "f"), []byte("outside"), 0o644))
	dir, err := OpenDir(a)
	require.NoError(t, err)
	defer dir.Close()

	require.NoError(t, os.Rename(a, a+".old"))
	require.NoError(t, os.Symlink(outside, a))

	seen, err := StatAt(dir, "f")
	require.NoError(t, err)
	want, err := os.Lstat(filepath.Join(a+".old", "f"))
	require.NoError(t, err)
	require.True(t, sameFile(want, seen))
	f, err := OpenAt(dir, "f", seen)
	require.NoError(t, err)
	defer f.Close()
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Equal(t, "inside", string(data))
	require.Equal(t, filepath.Join(a, "f"), f.Name())
}

// StatAt tells what os.Lstat tells, for every kind of entry.
func TestStatAtIsLstat(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "reg"), []byte("hello\n"), 0o640))
	require.NoError(t, os.Chmod(filepath.Join(dir, "reg"), 0o4751))
	require.NoError(t, os.Symlink("/dev/urandom", filepath.Join(dir, "link")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o1777))
	mkfifo(t, filepath.Join(dir, "fifo"))
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	for _, name := range []string{"reg", "link", "sub", "fifo"} {
		t.Run(name, func(t *testing.T) {
			want, err := os.Lstat(filepath.Join(dir, name))
			require.NoError(t, err)
			got, err := StatAt(d, name)
			require.NoError(t, err)
			require.Equal(t, want.Name(), got.Name())
			require.Equal(t, want.Mode(), got.Mode())
			require.Equal(t, want.IsDir(), got.IsDir())
			require.Equal(t, want.Size(), got.Size())
			require.True(t, want.ModTime().Equal(got.ModTime()))
			require.True(t, sameFile(want, got))
			require.True(t, sameFile(got, want))
		})
	}
	_, err = StatAt(d, "missing")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// OpenAt refuses what Open refuses, a file that is not the one seen, and
// a name that is not one component of the directory; it never blocks.
func TestOpenAtRefuses(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "reg"), []byte("hello\n"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(dir, "reg"), filepath.Join(dir, "link")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "reg"), nil, 0o644))
	mkfifo(t, filepath.Join(dir, "fifo"))
	d, err := OpenDir(dir)
	require.NoError(t, err)
	defer d.Close()
	// A file replaced by another since it was seen.
	old, err := StatAt(d, "reg")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "new"), []byte("other\n"), 0o644))
	require.NoError(t, os.Rename(filepath.Join(dir, "new"), filepath.Join(dir, "reg")))

	tests := []struct {
		name string
		seen fs.FileInfo
		err  error
		mode fs.FileMode // of the *NotRegularError, when err is ErrNotRegular
	}{
		{"reg", nil, nil, 0},
		{"reg", old, ErrChanged, 0},
		{"reg", noIdentity{}, errNoIdentity, 0},
		{"link", nil, ErrNotRegular, fs.ModeSymlink},
		{"fifo", nil, ErrNotRegular, fs.ModeNamedPipe},
		{"sub", nil, ErrNotRegular, fs.ModeDir},
		{"missing", nil, fs.ErrNotExist, 0},
		{"", nil, errBadName, 0},
		{".", nil, errBadName, 0},
		{"..", nil, errBadName, 0},
		{"sub/reg", nil, errBadName, 0},
		{"../" + filepath.Base(dir) + "/reg", nil, errBadName, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name+" "+errString(tc.err), func(t *testing.T) {
			done := make(chan struct{})
			var f *os.File
			var err error
			go func() { defer close(done); f, err = OpenAt(d, tc.name, tc.seen) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second): // a hang guard, not a speed check
				t.Fatal("OpenAt blocked")
			}
			if tc.err == nil {
				require.NoError(t, err)
				data, err := ReadAll(f, 100)
				require.NoError(t, err)
				require.Equal(t, "other\n", string(data))
				require.NoError(t, f.Close())
				return
			}
			require.Nil(t, f)
			require.ErrorIs(t, err, tc.err)
			var nr *NotRegularError
			if errors.As(err, &nr) {
				require.Equal(t, tc.mode, nr.Mode)
				require.Equal(t, filepath.Join(dir, tc.name), nr.Path)
			}
		})
	}
	_, err = StatAt(d, "sub/reg")
	require.ErrorIs(t, err, errBadName)
}

func errString(err error) string {
	if err == nil {
		return "opens"
	}
	return err.Error()
}

// noIdentity is a FileInfo without a device and inode.
type noIdentity struct{ fs.FileInfo }

func (noIdentity) Sys() any { return nil }
