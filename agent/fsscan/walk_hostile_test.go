//go:build unix

package fsscan

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A directory listed and then swapped for a FIFO (no writer) or deleted
// is reported, never waited on, and the walk goes on to its siblings.
func TestWalkDirSurvivesDirectoriesSwappedOrDeleted(t *testing.T) {
	for name, swap := range map[string]func(p string) error{
		"fifo":    func(p string) error { return unix.Mkfifo(p, 0o644) },
		"deleted": func(string) error { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			for _, d := range []string{"a", "b"} {
				require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(root, d, "f.txt"), nil, 0o644))
			}
			var seen, errs []string
			done := make(chan error, 1)
			go func() {
				done <- walkDir(context.Background(), root, func(p string, d fs.DirEntry, err error) error {
					if err != nil {
						errs = append(errs, p)
						return fs.SkipDir
					}
					seen = append(seen, p)
					if d.IsDir() && d.Name() == "a" {
						require.NoError(t, os.RemoveAll(p))
						require.NoError(t, swap(p))
					}
					return nil
				})
			}()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(30 * time.Second): // a hang guard, not a speed check
				t.Fatal("walkDir blocked")
			}
			require.Equal(t, []string{filepath.Join(root, "a")}, errs)
			require.Contains(t, seen, filepath.Join(root, "b", "f.txt"))
			require.NotContains(t, seen, filepath.Join(root, "a", "f.txt"))
		})
	}
}
