//go:build unix

package fsscan

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// A file the walk saw as regular and that is then swapped for a FIFO, a
// symlink to a device or another file is skipped and reported, never read
// and never waited on.
func TestScanFileRefusesWhatWasSwappedAfterTheWalk(t *testing.T) {
	o := Options{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}.withDefaults()
	swaps := map[string]func(p string) error{
		"fifo":       func(p string) error { return unix.Mkfifo(p, 0o644) },
		"symlink":    func(p string) error { return os.Symlink("/dev/urandom", p) },
		"other file": func(p string) error { return os.Rename(p+".new", p) },
	}
	for name, swap := range swaps {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "notes.txt")
			require.NoError(t, os.WriteFile(p, []byte("nothing\n"), 0o644))
			// Made now, so it does not take the inode freed by the swap.
			require.NoError(t, os.WriteFile(p+".new", []byte("jane@example.com\n"), 0o644))
			seen, err := os.Lstat(p)
			require.NoError(t, err)
			if name != "other file" {
				require.NoError(t, os.Remove(p))
			}
			require.NoError(t, swap(p))
			done := make(chan fileResult, 1)
			go func() {
				done <- scanFile(context.Background(), walked{path: p, seen: seen}, o, content.NewScanner(o.content(nil)), newLinks())
			}()
			select {
			case r := <-done:
				require.NoError(t, r.err)
				require.True(t, r.skipped)
				require.Contains(t, r.skipReason, p+": skipped: ")
				require.Empty(t, r.members)
			case <-time.After(30 * time.Second): // a hang guard, not a speed check
				t.Fatal("scanFile blocked")
			}
		})
	}
}

func TestStateNeverFollowsPlantedSymlinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious"), 0o644))
	statePath := filepath.Join(dir, "state.json")
	// The name the old writer used, and a FIFO at the state path itself.
	require.NoError(t, os.Symlink(victim, statePath+".tmp"))
	require.NoError(t, unix.Mkfifo(statePath, 0o644))

	tok := pii.NewTokenizer([]byte("0123456789abcdef"))
	st, err := LoadState(statePath, tok, "") // must not block on the FIFO
	require.Error(t, err)
	require.NotNil(t, st)

	data := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(data, "a.txt"), []byte("mail jane@example.com\n"), 0o644))
	_, err = Scan(context.Background(), Options{Paths: []string{data}, Detector: pii.NewDefault(), Tokenizer: tok, State: st},
		func(*wire.Record) error { return nil })
	require.NoError(t, err)
	require.NoError(t, st.Save())

	v, err := os.ReadFile(victim)
	require.NoError(t, err)
	require.Equal(t, "precious", string(v))
	fi, err := os.Lstat(statePath)
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular())
	again, err := LoadState(statePath, tok, "")
	require.NoError(t, err)
	require.Equal(t, 1, again.Len())
}
