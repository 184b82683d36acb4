package fsscan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// walkTree makes dirs×files files spread over nested directories.
func walkTree(t *testing.T) string {
	root := t.TempDir()
	for i := range 30 {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", i%7), fmt.Sprintf("e%02d", i))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for j := range 40 {
			require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.txt", j)), nil, 0o644))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "top.txt"), nil, 0o644))
	require.NoError(t, os.Symlink(root, filepath.Join(root, "d00", "loop")))
	return root
}

func visited(t *testing.T, walk func(string, fs.WalkDirFunc) error, root string, fn fs.WalkDirFunc) []string {
	var out []string
	err := walk(root, func(p string, d fs.DirEntry, err error) error {
		out = append(out, p)
		if fn != nil {
			return fn(p, d, err)
		}
		return err
	})
	require.NoError(t, err)
	sort.Strings(out)
	return out
}

// walkDir visits what filepath.WalkDir visits (in another order), with
// SkipDir and SkipAll meaning what they mean there.
func TestWalkDirVisitsWhatWalkDirDoes(t *testing.T) {
	root := walkTree(t)
	ours := func(r string, fn fs.WalkDirFunc) error { return walkDir(context.Background(), r, fn) }
	require.Equal(t, visited(t, filepath.WalkDir, root, nil), visited(t, ours, root, nil))
	require.Len(t, visited(t, ours, root, nil), 1+7+30+30*40+2)

	skipD03 := func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() && d.Name() == "d03" {
			return fs.SkipDir
		}
		return err
	}
	require.Equal(t, visited(t, filepath.WalkDir, root, skipD03), visited(t, ours, root, skipD03))

	n := 0
	require.NoError(t, walkDir(context.Background(), root, func(string, fs.DirEntry, error) error {
		n++
		if n == 10 {
			return fs.SkipAll
		}
		return nil
	}))
	require.Equal(t, 10, n, "SkipAll ends the walk")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, walkDir(ctx, root, func(string, fs.DirEntry, error) error { return nil }), context.Canceled)
}

// Past the bound on pending directory names, a directory is reported to
// fn with the error, and not walked; the rest is.
func TestWalkDirBoundsPendingDirectories(t *testing.T) {
	root := walkTree(t)
	var errs []string
	files := 0
	err := walkDirHolding(context.Background(), root, 3*len(root), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err.Error())
			return fs.SkipDir
		}
		if d.Type().IsRegular() {
			files++
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, errs)
	require.Contains(t, errs[0], "more directories waiting to be walked than the walk keeps")
	require.Positive(t, files)
	require.Less(t, files, 30*40+1)
}

// A directory swapped for a symlink after it was listed is not entered.
func TestWalkDirDoesNotEnterASymlinkSwappedIn(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.txt"), nil, 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(root, "sub"), 0o755))
	var seen []string
	var dirErr error
	err := walkDir(context.Background(), root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			dirErr = err
			return fs.SkipDir
		}
		seen = append(seen, p)
		if d.IsDir() && d.Name() == "sub" {
			// Listed as a directory; now a symlink to elsewhere.
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Symlink(outside, p))
		}
		return nil
	})
	require.NoError(t, err)
	require.NotContains(t, seen, filepath.Join(root, "sub", "secret.txt"))
	require.Error(t, dirErr)
}

// BenchmarkWalkWideDirectory walks one directory of 200,000 files with
// filepath.WalkDir (the baseline) and walkDir, reporting the peak live heap
// seen while walking (sampled every 2,000 entries) beside the time:
// WalkDir holds every entry of the directory, walkDir a batch.
//
//	go test -run '^$' -bench WalkWideDirectory ./agent/fsscan/
func BenchmarkWalkWideDirectory(b *testing.B) {
	root := b.TempDir()
	dir := filepath.Join(root, "maildir")
	require.NoError(b, os.Mkdir(dir, 0o755))
	for i := range 200_000 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("1733150000.M%06dP4242.mail-host,S=2048", i)))
		require.NoError(b, err)
		require.NoError(b, f.Close())
	}
	walks := map[string]func(string, fs.WalkDirFunc) error{
		"filepath.WalkDir": filepath.WalkDir,
		"walkDir":          func(r string, fn fs.WalkDirFunc) error { return walkDir(context.Background(), r, fn) },
		// As the scan walks: each file's Info (its stat) too.
		"walkDir+Info": func(r string, fn fs.WalkDirFunc) error {
			return walkDir(context.Background(), r, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					if _, err := d.Info(); err != nil {
						return err
					}
				}
				return fn(p, d, err)
			})
		},
	}
	for _, name := range []string{"filepath.WalkDir", "walkDir", "walkDir+Info"} {
		b.Run(name, func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapAlloc
				n := 0
				require.NoError(b, walks[name](root, func(string, fs.DirEntry, error) error {
					if n++; n%2000 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
					}
					return nil
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// A directory whose parent is swapped for a symlink after the directory
// was listed is not entered through it: the walk opens a directory by its
// path, whose earlier components follow symlinks, and checks that what it
// opened is the directory it listed.
func TestWalkDirDoesNotEnterThroughAParentSwapped(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "b"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "b", "secret.txt"), nil, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "a", "b"), 0o755))
	var seen, errs []string
	err := walkDir(context.Background(), root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err.Error())
			return fs.SkipDir
		}
		seen = append(seen, p)
		if p == filepath.Join(root, "a", "b") {
			// b is listed; its parent becomes a symlink to elsewhere.
			a := filepath.Join(root, "a")
			require.NoError(t, os.Rename(a, a+".old"))
			require.NoError(t, os.Symlink(outside, a))
		}
		return nil
	})
	require.NoError(t, err)
	require.NotContains(t, seen, filepath.Join(root, "a", "b", "secret.txt"))
	require.Len(t, errs, 1)
	require.Contains(t, errs[0], "changed between the walk and the open")
}
