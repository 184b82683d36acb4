package spool

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/syncbuf"
)

// fakeClock is an injectable clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func testLogger() (*slog.Logger, *syncbuf.Buffer) {
	var buf syncbuf.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func open(t *testing.T, o Options) *Spool {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = time.Hour // only the tests about the interval want it
	}
	if o.Logger == nil {
		o.Logger, _ = testLogger()
	}
	s, err := Open(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func readLines(t *testing.T, seg *Segment) []string {
	t.Helper()
	f, err := seg.Open()
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(b), "\n"), "segments end with a newline")
	require.EqualValues(t, len(b), seg.Bytes)
	l := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	require.Len(t, l, seg.Records)
	return l
}

// drain takes every sealed segment, oldest first, acknowledging each.
func drain(t *testing.T, s *Spool) (ids []string, lines []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for s.Stats().Ready > 0 {
		seg, err := s.Next(ctx)
		require.NoError(t, err)
		ids = append(ids, seg.ID)
		lines = append(lines, readLines(t, seg)...)
		require.NoError(t, s.Ack(seg))
		_, err = os.Stat(seg.Path)
		require.ErrorIs(t, err, os.ErrNotExist, "acknowledged segments are deleted")
	}
	return ids, lines
}

func rec(i int) string { return fmt.Sprintf(`{"n":%d}`, i) }

func TestSeal(t *testing.T) {
	tests := []struct {
		name     string
		o        Options
		appends  int
		flush    bool
		segments [][]int // lines per sealed segment, by record number
		open     int
	}{
		{"by record count", Options{SegmentRecords: 3}, 7, false, [][]int{{0, 1, 2}, {3, 4, 5}}, 1},
		// Lines are 8 bytes with the newline; a segment seals once it reaches 20.
		{"by size", Options{SegmentBytes: 20}, 7, false, [][]int{{0, 1, 2}, {3, 4, 5}}, 1},
		{"by flush", Options{}, 4, true, [][]int{{0, 1, 2, 3}}, 0},
		{"flush with nothing open", Options{}, 0, true, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, tc.o)
			for i := 0; i < tc.appends; i++ {
				line := rec(i)
				if i%2 == 0 {
					line += "\n" // the newline is optional
				}
				require.NoError(t, s.Append(ctx, []byte(line)))
			}
			if tc.flush {
				require.NoError(t, s.Flush(ctx))
			}
			st := s.Stats()
			require.Equal(t, len(tc.segments), st.Ready)
			require.Equal(t, tc.open, st.OpenRecords)
			require.EqualValues(t, 8*tc.appends, st.Bytes)

			ids := map[string]bool{}
			for _, want := range tc.segments {
				seg, err := s.Next(ctx)
				require.NoError(t, err)
				var wantLines []string
				for _, n := range want {
					wantLines = append(wantLines, rec(n))
				}
				require.Equal(t, wantLines, readLines(t, seg))
				require.Regexp(t, `^\d{20}-[0-9a-f]{16}$`, seg.ID)
				require.Equal(t, filepath.Join(s.o.Dir, seg.ID+".ready"), seg.Path)
				require.False(t, ids[seg.ID])
				ids[seg.ID] = true
				require.NoError(t, s.Ack(seg))
			}
			require.EqualValues(t, 8*tc.open, s.Stats().Bytes, "Ack frees the space")
		})
	}
}

func TestAppendRejectsWhatIsNotOneLine(t *testing.T) {
	s := open(t, Options{})
	for _, bad := range []string{"", "\n", "{\"a\":1}\n{\"b\":2}", "{\"a\":\n1}"} {
		require.Error(t, s.Append(context.Background(), []byte(bad)), "%q", bad)
	}
	require.Equal(t, Stats{}, s.Stats())
}

func TestSegmentFilesHoldExactlyTheLines(t *testing.T) {
	s := open(t, Options{Dir: filepath.Join(t.TempDir(), "spool"), SegmentRecords: 2})
	ctx := context.Background()
	require.NoError(t, s.Append(ctx, []byte(`{"a":"é"}`)))
	require.NoError(t, s.Append(ctx, []byte("{\"b\":2}\n")))
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	b, err := os.ReadFile(seg.Path)
	require.NoError(t, err)
	require.Equal(t, "{\"a\":\"é\"}\n{\"b\":2}\n", string(b))
	fi, err := os.Stat(seg.Path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(s.o.Dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), di.Mode().Perm(), "findings stay private to the agent's user")
}

func TestFlushInterval(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

	t.Run("due only after the interval on the injected clock", func(t *testing.T) {
		s := open(t, Options{FlushInterval: time.Hour, Now: clock.Now})
		left, err := s.sealIfDue()
		require.NoError(t, err)
		require.Zero(t, left, "nothing open, nothing due")

		require.NoError(t, s.Append(ctx, []byte(`{}`)))
		clock.Add(59 * time.Minute)
		left, err = s.sealIfDue()
		require.NoError(t, err)
		require.Equal(t, time.Minute, left)
		require.Equal(t, 0, s.Stats().Ready)

		clock.Add(time.Minute)
		left, err = s.sealIfDue()
		require.NoError(t, err)
		require.Zero(t, left)
		require.Equal(t, Stats{Ready: 1, Bytes: 3}, s.Stats())
	})

	t.Run("the background flusher seals without another Append", func(t *testing.T) {
		// A short real interval makes the flusher look at the fake clock
		// often; the fake clock alone says when the segment is due.
		s := open(t, Options{FlushInterval: 20 * time.Millisecond, Now: clock.Now})
		require.NoError(t, s.Append(ctx, []byte(`{"x":1}`)))
		clock.Add(time.Second)
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		seg, err := s.Next(wctx)
		require.NoError(t, err)
		require.Equal(t, []string{`{"x":1}`}, readLines(t, seg))
	})
}

func TestOrderAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var want []string
	n := 0
	// Three runs, each leaving sealed segments behind for the next.
	for run := 0; run < 3; run++ {
		s, err := Open(ctx, Options{Dir: dir, SegmentRecords: 2, FlushInterval: time.Hour, Now: clock.Now})
		require.NoError(t, err)
		for i := 0; i < 5; i++ { // 2 segments sealed by count, 1 by Close
			require.NoError(t, s.Append(ctx, []byte(rec(n))))
			want = append(want, rec(n))
			n++
		}
		require.NoError(t, s.Close())
		require.ErrorIs(t, s.Append(ctx, []byte(`{}`)), ErrClosed)
		if run == 1 {
			clock.Add(-time.Hour) // a clock set back must not reorder the backlog
		}
	}
	s := open(t, Options{Dir: dir})
	ids, got := drain(t, s)
	require.Equal(t, want, got)
	require.Len(t, ids, 9)
	require.IsIncreasing(t, ids)

	// Drained and restarted: the next segment still gets a new, later ID.
	require.NoError(t, s.Close())
	clock.Add(2 * time.Hour)
	s2 := open(t, Options{Dir: dir, Now: clock.Now})
	require.NoError(t, s2.Append(ctx, []byte(`{}`)))
	require.NoError(t, s2.Flush(ctx))
	seg, err := s2.Next(ctx)
	require.NoError(t, err)
	require.Greater(t, seg.ID, ids[len(ids)-1])
}

func TestRecoverOpenSegment(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // nil: no segment is left
	}{
		{"torn last line dropped", "{\"n\":4}\n{\"n\":5}\n{\"n\":", []string{`{"n":4}`, `{"n":5}`}},
		{"complete lines kept", "{\"n\":4}\n{\"n\":5}\n", []string{`{"n":4}`, `{"n":5}`}},
		{"only a torn line", `{"n":4`, nil},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			// A sealed segment from before the crash, and the one that was open.
			older := filepath.Join(dir, fmt.Sprintf("%020d-%016x.ready", 7, 1))
			require.NoError(t, os.WriteFile(older, []byte("{\"n\":3}\n"), 0o600))
			torn := filepath.Join(dir, fmt.Sprintf("%020d-%016x.open", 8, 2))
			require.NoError(t, os.WriteFile(torn, []byte(tc.content), 0o600))
			// Not ours: left alone.
			other := filepath.Join(dir, "notes.txt")
			require.NoError(t, os.WriteFile(other, []byte("x"), 0o600))

			logger, logs := testLogger()
			s := open(t, Options{Dir: dir, Logger: logger})
			_, err := os.Stat(torn)
			require.ErrorIs(t, err, os.ErrNotExist, "the open segment is sealed or removed")
			_, err = os.Stat(other)
			require.NoError(t, err)

			seg, err := s.Next(ctx)
			require.NoError(t, err)
			require.Equal(t, []string{`{"n":3}`}, readLines(t, seg))
			require.NoError(t, s.Ack(seg))
			if tc.want == nil {
				require.Equal(t, 0, s.Stats().Ready)
				return
			}
			seg, err = s.Next(ctx)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("%020d-%016x", 8, 2), seg.ID, "the ID survives recovery")
			require.Equal(t, tc.want, readLines(t, seg))
			require.Contains(t, logs.String(), seg.ID)
			require.NotContains(t, logs.String(), `"n"`, "line contents are never logged")

			// New segments sort after the recovered ones.
			require.NoError(t, s.Ack(seg))
			require.NoError(t, s.Append(ctx, []byte(`{}`)))
			require.NoError(t, s.Flush(ctx))
			next, err := s.Next(ctx)
			require.NoError(t, err)
			require.Greater(t, next.ID, seg.ID)
		})
	}
}

func TestBackpressure(t *testing.T) {
	ctx := context.Background()
	// Lines are 10 bytes with the newline: three fill the spool.
	s := open(t, Options{MaxBytes: 30, SegmentBytes: 20})
	line := []byte(`{"a":123}`)
	for i := 0; i < 3; i++ {
		require.NoError(t, s.Append(ctx, line))
	}
	require.Equal(t, Stats{Ready: 1, Bytes: 30, OpenRecords: 1}, s.Stats())

	appended := make(chan error, 1)
	go func() { appended <- s.Append(ctx, line) }()
	// Blocked, not dropped: wait until the Append says it is waiting.
	require.Eventually(t, func() bool { return s.Stats().Waiting == 1 }, 10*time.Second, time.Millisecond)
	select {
	case err := <-appended:
		t.Fatalf("Append into a full spool returned %v instead of waiting", err)
	default:
	}
	require.Equal(t, 2, s.Stats().Ready, "a blocked Append seals the open segment so it can be shipped")

	seg, err := s.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Ack(seg))
	require.NoError(t, <-appended, "space freed by Ack lets the blocked Append through")
	require.Equal(t, Stats{Ready: 1, Bytes: 20, OpenRecords: 1}, s.Stats())

	// Full again after one more: a caller that gives up is told why.
	require.NoError(t, s.Append(ctx, line))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err = s.Append(cancelled, line)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "is full")
	require.Equal(t, 0, s.Stats().Waiting)

	// Close wakes a blocked Append.
	go func() { appended <- s.Append(ctx, line) }()
	require.Eventually(t, func() bool { return s.Stats().Waiting == 1 }, 10*time.Second, time.Millisecond)
	require.NoError(t, s.Close())
	require.ErrorIs(t, <-appended, ErrClosed)
}

func TestLineLargerThanTheSpoolGoesIntoAnEmptySpool(t *testing.T) {
	s := open(t, Options{MaxBytes: 5})
	require.NoError(t, s.Append(context.Background(), []byte(`{"big":"0123456789"}`)))
	require.NoError(t, s.Flush(context.Background()))
	_, got := drain(t, s)
	require.Equal(t, []string{`{"big":"0123456789"}`}, got)
}

func TestReject(t *testing.T) {
	ctx := context.Background()
	logger, logs := testLogger()
	s := open(t, Options{Logger: logger})
	require.NoError(t, s.Append(ctx, []byte(`{"email_masked":"j***@e***.com"}`)))
	require.NoError(t, s.Flush(ctx))
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	reason := `400 Bad Request: invalid_record: line 1: field "kind" is required`
	require.NoError(t, s.Reject(seg, reason))

	got, err := os.ReadFile(filepath.Join(s.o.Dir, "rejected", seg.ID+".reason"))
	require.NoError(t, err)
	require.Equal(t, reason+"\n", string(got))
	moved, err := os.ReadFile(filepath.Join(s.o.Dir, "rejected", seg.ID+".ndjson"))
	require.NoError(t, err)
	require.Equal(t, "{\"email_masked\":\"j***@e***.com\"}\n", string(moved))
	_, err = os.Stat(seg.Path)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Equal(t, Stats{}, s.Stats())

	require.Regexp(t, `level=ERROR .*segment=`+seg.ID, logs.String())
	require.NotContains(t, logs.String(), "j***", "line contents are never logged")

	// Rejected batches are not shipped again after a restart.
	require.NoError(t, s.Close())
	s2 := open(t, Options{Dir: s.o.Dir})
	require.Equal(t, 0, s2.Stats().Ready)
}

func TestAckAndRejectOfAVanishedSegment(t *testing.T) {
	ctx := context.Background()
	s := open(t, Options{SegmentRecords: 1})
	require.NoError(t, s.Append(ctx, []byte(`{"a":1}`)))
	require.NoError(t, s.Append(ctx, []byte(`{"a":2}`)))
	for _, done := range []func(*Segment) error{s.Ack, func(seg *Segment) error { return s.Reject(seg, "x") }} {
		seg, err := s.Next(ctx)
		require.NoError(t, err)
		require.NoError(t, os.Remove(seg.Path)) // someone cleaned up by hand
		require.NoError(t, done(seg), "the queue must not get stuck on it")
	}
	require.Equal(t, 0, s.Stats().Ready)
}

func TestNextWaitsAndStops(t *testing.T) {
	ctx := context.Background()
	s := open(t, Options{})

	got := make(chan *Segment, 1)
	go func() {
		seg, err := s.Next(ctx)
		if err == nil {
			got <- seg
		}
		close(got)
	}()
	require.NoError(t, s.Append(ctx, []byte(`{}`)))
	require.NoError(t, s.Flush(ctx))
	seg := <-got
	require.NotNil(t, seg)
	again, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, seg, again, "the same segment until it is acknowledged")
	require.NoError(t, s.Ack(seg))

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.Next(cancelled)
	require.ErrorIs(t, err, context.Canceled)

	errc := make(chan error, 1)
	go func() { _, err := s.Next(ctx); errc <- err }()
	require.NoError(t, s.Close())
	require.ErrorIs(t, <-errc, ErrClosed)
	require.NoError(t, s.Close(), "Close twice is fine")
}

func TestConcurrentAppendAndShip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := open(t, Options{SegmentRecords: 7, SegmentBytes: 300, MaxBytes: 2000})
	const writers, each = 8, 200

	got := make(chan []string, 1)
	go func() {
		var all []string
		for len(all) < writers*each {
			seg, err := s.Next(ctx)
			if err != nil {
				break
			}
			f, _ := seg.Open()
			b, _ := io.ReadAll(f)
			f.Close()
			all = append(all, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
			if err := s.Ack(seg); err != nil {
				break
			}
		}
		got <- all
	}()

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := s.Append(ctx, []byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, s.Flush(ctx))

	all := <-got
	require.Len(t, all, writers*each)
	seen := map[string]bool{}
	last := map[int]int{}
	re := regexp.MustCompile(`^\{"w":(\d+),"i":(\d+)\}$`)
	for _, l := range all {
		m := re.FindStringSubmatch(l)
		require.NotNil(t, m, "intact line: %q", l)
		require.False(t, seen[l], "no line twice")
		seen[l] = true
		w, _ := strconv.Atoi(m[1])
		i, _ := strconv.Atoi(m[2])
		if prev, ok := last[w]; ok {
			require.Greater(t, i, prev, "each writer's lines stay in order")
		}
		last[w] = i
	}
}

const (
	childEnv   = "SIGHTLINE_SPOOL_KILL9_DIR"
	childStart = "SIGHTLINE_SPOOL_KILL9_START"
	childPad   = 40
)

var childLine = regexp.MustCompile(`^\{"n":(\d+),"pad":"x{40}"\}$`)

// TestKill9 appends and seals in a child process, SIGKILLs it while it is
// writing, reopens, and repeats. Every line the child reported sealed must
// be there; every line on disk must be whole and appear once, with no gaps.
func TestKill9(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("running as the helper process")
	}
	dir := t.TempDir()
	next := 0 // the number the next child starts from
	sealed := 0
	for round := 0; round < 3; round++ {
		var stderr bytes.Buffer
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, childStart+"="+strconv.Itoa(next))
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// The child prints how many lines are sealed after every seal; kill
		// it while it is mid-stream, at whatever point it has reached.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, err := strconv.Atoi(sc.Text()); err == nil {
				sealed = n
				if n >= next+1500 {
					break
				}
			}
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		require.GreaterOrEqual(t, sealed, next+1500, "child stopped early: %s", stderr.String())

		// Reopen (recovering the open segment) and find where the child got to.
		s, err := Open(context.Background(), Options{Dir: dir, FlushInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
		require.NoError(t, err)
		maxN := -1
		for _, seg := range s.ready {
			for _, l := range readLines(t, seg) {
				m := childLine.FindStringSubmatch(l)
				require.NotNil(t, m, "torn line %q in %s", l, seg.ID)
				n, _ := strconv.Atoi(m[1])
				maxN = max(maxN, n)
			}
		}
		require.NoError(t, s.Close())
		next = maxN + 1
	}

	s := open(t, Options{Dir: dir})
	_, got := drain(t, s)
	for i, l := range got {
		require.Equal(t, fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", childPad)), l,
			"lines are whole, in order, each once, with no gaps")
	}
	require.GreaterOrEqual(t, len(got), sealed, "every sealed line survived")
}

// TestKill9Child is the helper process of TestKill9.
func TestKill9Child(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	start, err := strconv.Atoi(os.Getenv(childStart))
	require.NoError(t, err)
	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: dir, SegmentRecords: 37, FlushInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	pad := strings.Repeat("x", childPad)
	// Bounded, so an orphaned child cannot fill the disk.
	for i := start; i < start+1_000_000; i++ {
		require.NoError(t, s.Append(ctx, []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, pad))))
		if s.Stats().OpenRecords == 0 { // just sealed: everything up to i is durable
			fmt.Println(i + 1)
		}
	}
	require.NoError(t, errors.New("TestKill9 did not kill the helper"))
}
