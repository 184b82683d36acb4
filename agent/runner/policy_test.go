package runner

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/jobs"
	"github.com/sightline-dev/sightline/agent/policy"
	"github.com/sightline-dev/sightline/internal/wire"
)

func TestJobSetChanges(t *testing.T) {
	s := config.Default().Scans
	set := newJobSet(s)
	_, ch := set.get()
	require.False(t, set.set(s), "the same settings are no change")
	select {
	case <-ch:
		t.Fatal("woke schedulers for nothing")
	default:
	}
	s.Host.Enabled = true
	require.True(t, set.set(s))
	<-ch // closed: schedulers wake
	got, ch2 := set.get()
	require.True(t, got.Host.Enabled)
	require.NotEqual(t, ch, ch2)
}

// TestLoopFollowsTheJobSet: a disabled scanner does not run; enabling it
// by a new job set runs it at once with the new settings; a kick runs it
// again although its interval is not due, and reports the scan.
func TestLoopFollowsTheJobSet(t *testing.T) {
	r := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	entry, ok := jobs.Lookup("host")
	require.True(t, ok)
	s := config.Default().Scans // host disabled, interval 1h
	set := newJobSet(s)
	kicks := make(chan kick, 1)
	runs := make(chan config.Scans)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.loop(ctx, entry, set, kicks, func(_ context.Context, sc config.Scans) (*wire.Record, error) {
			runs <- sc
			return &wire.Record{ScanID: "scan-x"}, nil
		})
	}()
	s.Host.Enabled, s.Host.Root = true, "/policy-root"
	require.True(t, set.set(s))
	got := <-runs
	require.Equal(t, "/policy-root", got.Host.Root)

	done := make(chan string, 1)
	kicks <- kick{done: func(res *wire.Record, err error) {
		require.NoError(t, err)
		done <- res.ScanID
	}}
	<-runs
	require.Equal(t, "scan-x", <-done)
	cancel()
	wg.Wait()
}

// TestSavedPolicy: the applied policy is kept in data_dir and applied at
// the next start (over agent.yaml, pinned settings kept); a damaged file
// is ignored.
func TestSavedPolicy(t *testing.T) {
	dir := t.TempDir()
	c := config.Default()
	c.Scans.FS.Paths, c.Pinned = []string{"/local"}, []string{"scans.fs.paths"}
	r := New(Options{Config: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	state := filepath.Join(dir, "policy.json")
	p := &poller{r: r, set: newJobSet(c.Scans), state: state}
	settings, err := policy.Parse([]byte(`{"fs":{"enabled":true,"paths":["/policy"],"max_mb_per_sec":7}}`))
	require.NoError(t, err)
	p.save(policy.Effective{ETag: `"e1"`, Revisions: "web@1", Settings: settings})
	fi, err := os.Stat(state)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	next := &poller{r: r, set: newJobSet(c.Scans), state: state}
	next.restore()
	require.Equal(t, `"e1"`, next.etag)
	got, _ := next.set.get()
	require.True(t, got.FS.Enabled)
	require.Equal(t, 7.0, got.FS.MaxMBPerSec)
	require.Equal(t, []string{"/local"}, got.FS.Paths, "pinned")

	require.NoError(t, os.WriteFile(state, []byte("{not json"), 0o600))
	damaged := &poller{r: r, set: newJobSet(c.Scans), state: state}
	damaged.restore()
	require.Empty(t, damaged.etag)
	got, _ = damaged.set.get()
	require.False(t, got.FS.Enabled)
}
