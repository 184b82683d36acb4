package fsscan

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// A read the kernel never returns — a hard-mounted NFS server gone, a
// FUSE daemon that stopped answering, a disk with failing sectors — cannot
// be interrupted from Go: MaxFileTime is checked between reads, and a
// blocked read never comes back to check it. Without a watch, one such
// file held its worker for ever, the scan waited for that worker, and the
// agent's schedule waited for the scan (fs scans have no max_duration by
// default).
//
// stalls watches the workers. A worker on one file for longer than
// MaxFileTime plus stallGrace is left behind: its file is reported as
// stalled, the scan no longer waits for it, and a new worker takes its
// place. The worker left behind holds its goroutine and its open file
// until the kernel returns the read (then it exits at once, its result
// dropped); so at most maxStalled workers are left behind per scan, and
// past that the scan stops, partial, with the reason.

// stallGrace is how long past MaxFileTime a read may take before its
// worker is left behind (MaxFileTime itself is the bound on a file that
// keeps answering, checked between reads).
const stallGrace = time.Minute

// maxStalled bounds the workers a scan leaves behind.
const maxStalled = 16

// slot is one worker's current file.
type slot struct {
	path      string
	since     time.Time // zero: between files
	abandoned bool
}

// stalls is the watch over a scan's workers; safe for concurrent use.
type stalls struct {
	after time.Duration
	now   func() time.Time

	mu      sync.Mutex
	slots   map[*slot]struct{}
	left    int      // workers left behind
	reports []string // what was left behind, for the scan record
}

func newStalls(after time.Duration, now func() time.Time) *stalls {
	return &stalls{after: after, now: now, slots: map[*slot]struct{}{}}
}

// join registers a worker.
func (s *stalls) join() *slot {
	sl := &slot{}
	s.mu.Lock()
	s.slots[sl] = struct{}{}
	s.mu.Unlock()
	return sl
}

// start marks sl as reading path.
func (s *stalls) start(sl *slot, path string) {
	s.mu.Lock()
	sl.path, sl.since = path, s.now()
	s.mu.Unlock()
}

// done marks sl's file read; false when sl was left behind meanwhile (its
// result is not wanted and its worker must exit without counting itself
// done: the watch did that when it left it).
func (s *stalls) done(sl *slot) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sl.abandoned {
		return false
	}
	sl.since = time.Time{}
	return true
}

// leave removes sl when its worker exits normally.
func (s *stalls) leave(sl *slot) {
	s.mu.Lock()
	delete(s.slots, sl)
	s.mu.Unlock()
}

// check leaves behind every worker on one file for longer than the bound
// and returns how many it left behind now, and whether the scan is past
// maxStalled (then it must stop).
func (s *stalls) check() (n int, over bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for sl := range s.slots {
		if sl.since.IsZero() || now.Sub(sl.since) <= s.after {
			continue
		}
		sl.abandoned = true
		delete(s.slots, sl)
		s.left++
		n++
		s.reports = append(s.reports, fmt.Sprintf("%s: not read: a read did not return in %s (a file system that stops answering: a hung network mount or FUSE daemon?); the scan went on without it",
			sl.path, now.Sub(sl.since).Round(time.Second)))
	}
	return n, s.left > maxStalled
}

// problems returns what the watch reported, once.
func (s *stalls) problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reports
	s.reports = nil
	return r
}

// walkWatch is the same watch over the walk: a directory listing or a
// stat the kernel never returns (the walk entering a hung mount) held the
// walk, so the scan, for ever. The walk beats at each entry it is given
// and after each hand-over; one that has not beaten for the bound while
// not waiting on the workers (a full queue is their slowness, not a
// stall) is left behind: the queue of files is closed, the files already
// queued are read, and the scan ends, partial, naming where the walk was.
// The walk left behind never hands over anything again.
type walkWatch struct {
	after time.Duration
	now   func() time.Time
	paths chan walked // closed once: by the walk's end or when left behind

	mu        sync.Mutex
	path      string
	since     time.Time
	sending   bool
	abandoned bool
	closed    bool
	report    string
}

func newWalkWatch(after time.Duration, now func() time.Time, paths chan walked) *walkWatch {
	return &walkWatch{after: after, now: now, paths: paths, since: now()}
}

// beat records the walk's progress at path; false when the walk was left
// behind (it must stop).
func (w *walkWatch) beat(path string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.path, w.since = path, w.now()
	return !w.abandoned
}

// watchedSend hands v over on ch unless the walk was left behind or ctx
// ends; it reports whether v was handed over. Waiting on ch is not a
// stall.
func watchedSend[T any](ctx context.Context, w *walkWatch, ch chan<- T, v T) bool {
	w.mu.Lock()
	if w.abandoned {
		w.mu.Unlock()
		return false
	}
	w.sending = true
	w.mu.Unlock()
	sent := false
	select {
	case ch <- v:
		sent = true
	case <-ctx.Done():
	}
	w.mu.Lock()
	w.sending, w.since = false, w.now()
	w.mu.Unlock()
	return sent
}

// check leaves the walk behind when it is past the bound; true when it
// did so now (then the caller counts the walk done for it).
func (w *walkWatch) check() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.abandoned || w.closed || w.sending || w.now().Sub(w.since) <= w.after {
		return false
	}
	w.abandoned, w.closed = true, true
	close(w.paths)
	w.report = fmt.Sprintf("%s: the walk stopped here: the file system did not answer in %s (a hung network mount or FUSE daemon?); files past it were not scanned",
		w.path, w.now().Sub(w.since).Round(time.Second))
	return true
}

// finish ends the walk: it closes the queue unless the walk was left
// behind, which it reports (then the watch has counted it done).
func (w *walkWatch) finish() (abandoned bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.abandoned {
		return true
	}
	if !w.closed {
		w.closed = true
		close(w.paths)
	}
	return false
}

// problem is what the watch reported of the walk ("" if nothing).
func (w *walkWatch) problem() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.report
}
