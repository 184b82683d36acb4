package fsscan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// stallingTree writes n files named stuckN.txt whose read "never returns"
// (the opening hook blocks on them until the test ends, as a read on a
// hung NFS mount does) and ten ok files with an e-mail address each.
func stallingTree(t *testing.T, n int) (string, *scanHooks) {
	t.Helper()
	dir := t.TempDir()
	for i := range n {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("stuck%d.txt", i)), []byte("ann@example.com\n"), 0o600))
	}
	for i := range 10 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("ok%d.txt", i)), []byte("bob@example.org\n"), 0o600))
	}
	never := make(chan struct{})
	t.Cleanup(func() { close(never) }) // the kernel answers at last: the workers left behind exit
	return dir, &scanHooks{
		stallAfter: 100 * time.Millisecond,
		opening: func(p string) {
			if strings.HasPrefix(filepath.Base(p), "stuck") {
				<-never
			}
		},
	}
}

// scanWithin runs Scan and fails the test if it has not returned within
// a minute (it waited for ever on a worker in a read before the watch).
func scanWithin(t *testing.T, ctx context.Context, o Options) ([]wire.Record, *wire.Record, error) {
	t.Helper()
	o.Detector, o.Tokenizer, o.Host = pii.NewDefault(), pii.NewTokenizer([]byte("0123456789abcdef")), "host-1"
	type out struct {
		recs []wire.Record
		res  *wire.Record
		err  error
	}
	done := make(chan out, 1)
	go func() {
		var recs []wire.Record
		res, err := Scan(ctx, o, func(r *wire.Record) error {
			recs = append(recs, *r)
			return nil
		})
		done <- out{recs, res, err}
	}()
	select {
	case r := <-done:
		return r.recs, r.res, r.err
	case <-time.After(time.Minute):
		t.Fatal("the scan waited for a read that never returns")
		return nil, nil, nil
	}
}

func TestStalledReadIsLeftBehind(t *testing.T) {
	dir, hooks := stallingTree(t, 2)
	recs, res, err := scanWithin(t, context.Background(), Options{Paths: []string{dir}, Concurrency: 2, hooks: hooks})
	require.NoError(t, err)
	require.Equal(t, wire.StatusPartial, res.Status)
	var stalled []string
	for _, e := range res.Errors {
		if strings.Contains(e, "did not return") {
			stalled = append(stalled, e)
		}
	}
	require.Len(t, stalled, 2, res.Errors)
	for i, e := range stalled {
		require.Contains(t, e, "stuck", "problem %d names the file", i)
	}
	// Both workers were stuck at some point (Concurrency 2, two stuck
	// files): every other file was still read by their replacements.
	assets := 0
	for _, r := range recs {
		if r.Kind == wire.KindAsset {
			require.Contains(t, r.Location, "ok", "a stalled file is not reported as read")
			assets++
		}
	}
	require.Equal(t, 10, assets)
	require.Equal(t, int64(10), res.Stats["files"])
}

func TestTooManyStalledReadsStopTheScan(t *testing.T) {
	dir, hooks := stallingTree(t, maxStalled+4)
	_, res, err := scanWithin(t, context.Background(), Options{Paths: []string{dir}, Concurrency: 2, hooks: hooks})
	require.NoError(t, err, "a scan stopped by stalls is a partial scan, not an error")
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Contains(t, strings.Join(res.Errors, "\n"), fmt.Sprintf("more than %d reads did not return", maxStalled))
}

func TestCancelWhileAReadIsStalled(t *testing.T) {
	dir, hooks := stallingTree(t, 1)
	hooks.stallAfter = time.Hour // never left behind by the watch: only the cancel ends the scan
	ctx, cancel := context.WithCancel(context.Background())
	opening := hooks.opening
	hooks.opening = func(p string) {
		if strings.HasPrefix(filepath.Base(p), "stuck") {
			cancel() // the job's max_duration, say, ends the scan while this read hangs
		}
		opening(p)
	}
	_, _, err := scanWithin(t, ctx, Options{Paths: []string{dir}, Concurrency: 1, hooks: hooks})
	require.ErrorIs(t, err, context.Canceled)
}

func TestStallsWatch(t *testing.T) {
	now := time.Unix(1000, 0)
	s := newStalls(time.Minute, func() time.Time { return now })
	a, b := s.join(), s.join()
	s.start(a, "/a")
	s.start(b, "/b")
	now = now.Add(time.Minute)
	n, over := s.check()
	require.Zero(t, n, "exactly the bound is not past it")
	require.False(t, over)
	require.True(t, s.done(b), "b's read returned in time")
	now = now.Add(time.Second)
	n, over = s.check()
	require.Equal(t, 1, n, "a is past the bound, b is between files")
	require.False(t, over)
	require.False(t, s.done(a), "a's result comes too late: its worker exits")
	require.Len(t, s.problems(), 1)
	require.Empty(t, s.problems(), "reported once")
	for i := range maxStalled {
		sl := s.join()
		s.start(sl, fmt.Sprint("/c", i))
	}
	now = now.Add(2 * time.Minute)
	n, over = s.check()
	require.Equal(t, maxStalled, n)
	require.True(t, over, "1 + maxStalled left behind")
}

// TestStalledWalkIsLeftBehind: the walk entering a file system that stops
// answering (a listing or stat that never returns, as the listed hook
// blocks here) held the scan for ever. The files queued before it are
// read and the scan ends partial, naming where the walk stopped.
func TestStalledWalkIsLeftBehind(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a/ok0.txt", "a/ok1.txt", "a/ok2.txt", "m/hang.txt", "z/later.txt"} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("bob@example.org\n"), 0o600))
	}
	never := make(chan struct{})
	t.Cleanup(func() { close(never) })
	hooks := &scanHooks{stallAfter: 100 * time.Millisecond, listed: func(p string) {
		if filepath.Base(p) == "hang.txt" {
			<-never
		}
	}}
	recs, res, err := scanWithin(t, context.Background(), Options{Paths: []string{dir}, Concurrency: 2, hooks: hooks})
	require.NoError(t, err)
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Contains(t, strings.Join(res.Errors, "\n"), filepath.Join(dir, "m", "hang.txt")+": the walk stopped here")
	var read []string
	for _, r := range recs {
		if r.Kind == wire.KindAsset {
			read = append(read, filepath.Base(r.Location))
		}
	}
	// The walk's order is the directories' (not sorted): later.txt may
	// come before the stall or not. hang.txt is never reported read.
	require.NotContains(t, read, "hang.txt")
	require.Subset(t, []string{"ok0.txt", "ok1.txt", "ok2.txt", "later.txt"}, read)
}

func TestWalkWatchWaitingOnWorkersIsNoStall(t *testing.T) {
	now := time.Unix(1000, 0)
	paths := make(chan walked) // unbuffered, no reader: the hand-over waits
	w := newWalkWatch(time.Minute, func() time.Time { return now }, paths)
	ctx, cancel := context.WithCancel(context.Background())
	sent := make(chan bool)
	go func() { sent <- watchedSend(ctx, w, paths, walked{path: "/a"}) }()
	require.Eventually(t, func() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.sending }, 10*time.Second, time.Millisecond)
	now = now.Add(time.Hour)
	require.False(t, w.check(), "a walk waiting for the workers is not stalled")
	cancel()
	require.False(t, <-sent)
	now = now.Add(time.Minute + time.Second)
	require.True(t, w.check(), "a minute and a second without a beat, not sending")
	_, open := <-paths
	require.False(t, open, "the queue is closed when the walk is left behind")
	require.False(t, w.beat("/b"), "the walk left behind is told to stop")
	require.False(t, watchedSend(context.Background(), w, paths, walked{path: "/c"}), "and never sends again")
	require.True(t, w.finish())
}
