//go:build linux

package fsscan

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// A file whose parent directory is renamed and replaced by a symlink to a
// directory outside the tree, after the walk listed the file and before
// it is stat'ed or opened, is still the file listed: its stat and open
// are relative to the open directory it was listed from, so the file of
// the same name outside (other e-mail addresses, an SSN) is never read.
func TestScanDoesNotReadThroughAParentSwapped(t *testing.T) {
	for _, at := range []string{"before its stat", "before its open"} {
		t.Run(at, func(t *testing.T) {
			root, outside := t.TempDir(), t.TempDir()
			a := filepath.Join(root, "a")
			require.NoError(t, os.Mkdir(a, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(a, "notes.txt"), []byte("contact ann@example.com\n"), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(outside, "notes.txt"),
				[]byte("mallory@example.org, bob@example.org\nSSN: 123-45-6780\n"), 0o644))

			var once sync.Once
			var swapErr error
			swap := func(p string) {
				if p != filepath.Join(a, "notes.txt") {
					return
				}
				once.Do(func() {
					if swapErr = os.Rename(a, a+".old"); swapErr == nil {
						swapErr = os.Symlink(outside, a)
					}
				})
			}
			hooks := &scanHooks{listed: swap}
			if at == "before its open" {
				hooks = &scanHooks{opening: swap}
			}
			recs, res := scan(t, Options{Paths: []string{root}, Concurrency: 1, hooks: hooks})
			require.NoError(t, swapErr)
			fi, err := os.Lstat(a)
			require.NoError(t, err)
			require.NotZero(t, fi.Mode()&os.ModeSymlink, "the swap happened")

			require.Equal(t, map[string]int64{"notes.txt email": 1}, piiCounts(recs), "the file listed is read, not the one outside")
			require.Empty(t, res.Errors)
			require.EqualValues(t, 1, res.Stats["files"])
		})
	}
}

// The walk keeps a directory open for the files it handed on from it, but
// only until they are opened: the descriptors open at once are bounded by
// the queue between the walk and the workers, not by the tree, and none
// is left open after the scan.
func TestScanHoldsFewDirectoriesOpen(t *testing.T) {
	root := t.TempDir()
	const dirs = 300
	for i := range dirs {
		d := filepath.Join(root, fmt.Sprintf("d%03d", i))
		require.NoError(t, os.Mkdir(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "f.txt"), []byte("nothing\n"), 0o644))
	}
	openFDs := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		require.NoError(t, err)
		return len(entries)
	}
	base := openFDs()
	peak := 0
	_, res := scan(t, Options{Paths: []string{root}, Concurrency: 1, hooks: &scanHooks{
		opening: func(string) { peak = max(peak, openFDs()) }, // one worker: one caller
	}})
	require.EqualValues(t, dirs, res.Stats["files"])
	// 64 queued files' directories, the one being read, the worker's.
	require.LessOrEqual(t, peak, base+64+8)
	require.Equal(t, base, openFDs(), "every directory is closed after the scan")
}
