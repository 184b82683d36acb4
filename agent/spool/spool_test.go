package spool

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func open(t *testing.T, o Options) *Spool {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = time.Hour
	}
	s, err := Open(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func lines(t *testing.T, seg *Segment) []string {
	t.Helper()
	f, err := seg.Open()
	require.NoError(t, err)
	defer f.Close()
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestSealBySizeCountAndFlush(t *testing.T) {
	ctx := context.Background()
	s := open(t, Options{SegmentRecords: 3, SegmentBytes: 1 << 20})
	for i := 0; i < 7; i++ {
		require.NoError(t, s.Append(ctx, []byte(fmt.Sprintf(`{"n":%d}`, i))))
	}
	require.Equal(t, Stats{Ready: 2, Bytes: 7 * 8, OpenRecords: 1}, s.Stats())
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{`{"n":0}`, `{"n":1}`, `{"n":2}`}, lines(t, seg))
	require.Equal(t, 3, seg.Records)
	require.NoError(t, s.Ack(seg))
	_, err = os.Stat(seg.Path)
	require.True(t, os.IsNotExist(err), "acked segments are deleted")

	seg2, _ := s.Next(ctx)
	require.NotEqual(t, seg.ID, seg2.ID)
	require.NoError(t, s.Ack(seg2))
	require.NoError(t, s.Flush(ctx))
	seg3, _ := s.Next(ctx)
	require.Equal(t, []string{`{"n":6}`}, lines(t, seg3))

	bySize := open(t, Options{SegmentRecords: 1000, SegmentBytes: 20})
	for i := 0; i < 3; i++ {
		require.NoError(t, bySize.Append(ctx, []byte(`{"abcdefgh":1}`)))
	}
	require.Equal(t, 1, bySize.Stats().Ready, "sealed once past 20 bytes")
}

func TestFlushInterval(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(0, 0)
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	clock := func() time.Time { <-mu; defer func() { mu <- struct{}{} }(); return now }
	s := open(t, Options{FlushInterval: 40 * time.Millisecond, Now: clock})
	require.NoError(t, s.Append(ctx, []byte(`{}`)))
	<-mu
	now = now.Add(time.Second)
	mu <- struct{}{}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	seg, err := s.Next(wctx) // the timer seals it without another Append
	require.NoError(t, err)
	require.Equal(t, 1, seg.Records)
}

func TestReopenKeepsOrderAndRecoversTornSegment(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir, SegmentRecords: 2, FlushInterval: time.Hour})
	require.NoError(t, err)
	for i := 0; i < 4; i++ {
		require.NoError(t, s.Append(ctx, []byte(fmt.Sprintf(`{"n":%d}`, i))))
	}
	require.NoError(t, s.Close())

	// What a crash mid-write leaves: an open segment with a torn last line.
	torn := filepath.Join(dir, fmt.Sprintf("%020d-abcdef.open", 99))
	require.NoError(t, os.WriteFile(torn, []byte("{\"n\":4}\n{\"n\":5}\n{\"n\":"), 0o600))

	s2 := open(t, Options{Dir: dir, SegmentRecords: 2})
	var got []string
	for i := 0; i < 3; i++ {
		seg, err := s2.Next(ctx)
		require.NoError(t, err)
		got = append(got, lines(t, seg)...)
		require.NoError(t, s2.Ack(seg))
	}
	require.Equal(t, []string{`{"n":0}`, `{"n":1}`, `{"n":2}`, `{"n":3}`, `{"n":4}`, `{"n":5}`}, got)
	// New segments continue the sequence after the recovered ones.
	require.NoError(t, s2.Append(ctx, []byte(`{"n":6}`)))
	require.NoError(t, s2.Flush(ctx))
	seg, _ := s2.Next(ctx)
	seq, ok := parseSeq(seg.ID)
	require.True(t, ok)
	require.Greater(t, seq, uint64(99))
}

func TestBackpressureInsteadOfDropping(t *testing.T) {
	ctx := context.Background()
	s := open(t, Options{MaxBytes: 30, SegmentBytes: 10, SegmentRecords: 100})
	line := []byte(`{"a":123}`) // 10 bytes with newline
	for i := 0; i < 3; i++ {
		require.NoError(t, s.Append(ctx, line))
	}
	appended := make(chan error, 1)
	go func() { appended <- s.Append(ctx, line) }()
	select {
	case err := <-appended:
		t.Fatalf("Append past MaxBytes returned (%v) instead of waiting", err)
	case <-time.After(100 * time.Millisecond):
	}
	seg, err := s.Next(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Ack(seg))
	require.NoError(t, <-appended, "space freed by Ack lets the blocked Append through")

	// Full again (30 of 30 bytes): a caller that gives up is told why.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	require.ErrorContains(t, s.Append(short, line), "spool full")
}

func TestReject(t *testing.T) {
	ctx := context.Background()
	s := open(t, Options{})
	require.NoError(t, s.Append(ctx, []byte(`{}`)))
	require.NoError(t, s.Flush(ctx))
	seg, _ := s.Next(ctx)
	require.NoError(t, s.Reject(seg, "400: line 1: bad"))
	reason, err := os.ReadFile(filepath.Join(s.o.Dir, "rejected", seg.ID+".reason"))
	require.NoError(t, err)
	require.Contains(t, string(reason), "line 1")
	_, err = os.Stat(filepath.Join(s.o.Dir, "rejected", seg.ID+".ndjson"))
	require.NoError(t, err)
	require.Equal(t, 0, s.Stats().Ready)
}

// TestKill9 appends and seals in a child process, SIGKILLs it at a random
// moment, and checks that every line on disk is whole and none repeats.
func TestKill9(t *testing.T) {
	if os.Getenv("SPOOL_CHILD") != "" {
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$")
	cmd.Env = append(os.Environ(), "SPOOL_CHILD="+dir)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	// Wait until the child reports some sealed lines, then kill it.
	sc := bufio.NewScanner(stdout)
	sealed := 0
	for sc.Scan() {
		if n, err := strconv.Atoi(sc.Text()); err == nil {
			sealed = n
			if n >= 2000 {
				break
			}
		}
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	s := open(t, Options{Dir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen := map[string]bool{}
	for s.Stats().Ready > 0 {
		seg, err := s.Next(ctx)
		require.NoError(t, err)
		for _, l := range lines(t, seg) {
			require.Regexp(t, `^\{"n":\d+,"pad":"x+"\}$`, l, "no torn lines")
			require.False(t, seen[l], "no line twice")
			seen[l] = true
		}
		require.NoError(t, s.Ack(seg))
	}
	for i := 0; i < sealed; i++ {
		require.True(t, seen[fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 40))], "sealed line %d lost", i)
	}
}

func TestKill9Child(t *testing.T) {
	dir := os.Getenv("SPOOL_CHILD")
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: dir, SegmentRecords: 37, FlushInterval: time.Hour})
	if err != nil {
		panic(err)
	}
	for i := 0; ; i++ {
		if err := s.Append(ctx, []byte(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", 40)))); err != nil {
			panic(err)
		}
		if (i+1)%37 == 0 { // just sealed: everything up to i is durable
			fmt.Println(i + 1)
		}
	}
}
