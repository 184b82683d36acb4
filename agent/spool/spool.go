// Package spool is the agent's durable queue between scanners and the
// shipper: NDJSON lines appended to an open segment file, sealed into
// numbered, fsync'd batches that survive restarts and kill -9. A segment is
// the unit the shipper sends and deletes (after a 2xx), never a single line.
//
// Durability contract: Append returns once the line has been written to the
// open segment (one write call). The line is durable (survives a power cut)
// only after its segment is sealed, by size, record count, FlushInterval,
// Flush or Close. After a process crash (kill -9), the open segment is cut back
// to its last complete line and sealed on the next Open, so a torn final
// line is dropped and every complete line is kept, once.
//
// Back-pressure contract: Append never drops a line. When the spool holds
// MaxBytes, or the disk fills before that (ENOSPC, EDQUOT), it seals what
// is open and waits until the shipper frees space (or, for a full disk,
// space comes back), so scanning pauses and resumes by itself.
//
// Files in Dir:
//
//	<id>.open          the one segment being appended to
//	<id>.ready         sealed segments, shipped oldest first
//	rejected/<id>.ndjson, rejected/<id>.reason
//	                   batches the collector refused for good, kept for people
//
// where <id> is "<20-digit sequence>-<16 hex random>". Lexical order of the
// names is sequence order, which is the order segments are shipped in.
package spool

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sightline-dev/sightline/internal/defaults"
)

// Options configures a Spool. Zero values take the defaults.
type Options struct {
	Dir            string        // spool directory, created 0700
	MaxBytes       int64         // bound on all segments on disk (default 256 MiB)
	SegmentBytes   int64         // seal the open segment at this size (default 1 MiB)
	SegmentRecords int           // ... or at this many lines (default 5000)
	FlushInterval  time.Duration // ... or once it has been open this long (default 2s)
	Logger         *slog.Logger
	Now            func() time.Time // clock (default time.Now)
}

// Segment is one sealed batch on disk. ID is unique and stable across
// restarts: it is the HTTP Idempotency-Key the collector deduplicates on.
type Segment struct {
	ID      string
	Path    string
	Records int
	Bytes   int64
}

// Open returns the segment's NDJSON bytes.
func (seg *Segment) Open() (io.ReadCloser, error) {
	f, err := os.Open(seg.Path)
	if err != nil {
		return nil, fmt.Errorf("reading spool segment %s: %w", seg.ID, err)
	}
	return f, nil
}

// Stats describe the spool at one moment.
type Stats struct {
	Ready       int   // sealed segments waiting to be shipped
	Bytes       int64 // all segments on disk, the open one included (rejected/ not counted)
	OpenRecords int   // lines in the open segment
	Waiting     int   // Append calls blocked because the spool is full
}

// ErrClosed is returned by operations on a closed spool.
var ErrClosed = errors.New("spool is closed")

const (
	openExt     = ".open"
	readyExt    = ".ready"
	rejectedDir = "rejected"
	seqDigits   = 20
)

// Spool is safe for concurrent use: any number of goroutines may Append,
// and one shipper calls Next and then Ack or Reject.
type Spool struct {
	o   Options
	log *slog.Logger

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change, to wake waiters
	// diskFullSince is when an Append first met a full disk (zero: not now).
	diskFullSince time.Time
	closed        bool
	seq           uint64
	ready         []*Segment
	bytes         int64 // every segment on disk, the open one included
	waiting       int

	open     *os.File // nil when no segment is open
	openID   string
	openRecs int
	openSize int64
	openedAt time.Time

	kick chan struct{} // tells the flusher a segment was opened
	stop chan struct{}
	done chan struct{}
}

// Open opens the spool in o.Dir, creating it, and recovers what a crash
// left behind: an open segment is cut back to its last complete line and
// sealed, behind the segments that were already sealed.
func Open(ctx context.Context, o Options) (*Spool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.Dir == "" {
		return nil, errors.New("spool: no directory given; set the agent's data_dir")
	}
	o.MaxBytes = defaults.Positive(o.MaxBytes, 256<<20)
	o.SegmentBytes = defaults.Positive(o.SegmentBytes, 1<<20)
	o.SegmentRecords = defaults.Positive(o.SegmentRecords, 5000)
	o.FlushInterval = defaults.Positive(o.FlushInterval, 2*time.Second)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, rejectedDir), 0o700); err != nil {
		return nil, fmt.Errorf("creating spool directory (check that the agent may write to %s): %w", o.Dir, err)
	}
	s := &Spool{
		o:       o,
		log:     o.Logger.With("spool", o.Dir),
		changed: make(chan struct{}),
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if err := s.recover(); err != nil {
		return nil, err
	}
	// Seeding the sequence from the clock keeps IDs increasing across
	// restarts even after the spool drained and no file remembers the last
	// number, so an Idempotency-Key is never reused. The random suffix
	// covers a clock that went backwards.
	if now := o.Now().UnixNano(); now > 0 && uint64(now) > s.seq {
		s.seq = uint64(now)
	}
	go s.flusher()
	return s, nil
}

// recover loads sealed segments and seals a segment a crash left open.
func (s *Spool) recover() error {
	entries, err := os.ReadDir(s.o.Dir)
	if err != nil {
		return fmt.Errorf("reading spool directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, name := range names {
		ext := filepath.Ext(name)
		id := strings.TrimSuffix(name, ext)
		seq, ok := parseSeq(id)
		if !ok || (ext != openExt && ext != readyExt) {
			continue // not ours; leave it alone
		}
		s.seq = max(s.seq, seq)
		path := filepath.Join(s.o.Dir, name)
		if ext == openExt {
			kept, recs, err := truncateToLastLine(path)
			if err != nil {
				return fmt.Errorf("recovering spool segment %s: %w", id, err)
			}
			if recs == 0 {
				if err := os.Remove(path); err != nil {
					return fmt.Errorf("removing empty spool segment %s: %w", id, err)
				}
				continue
			}
			ready := filepath.Join(s.o.Dir, id+readyExt)
			if err := os.Rename(path, ready); err != nil {
				return fmt.Errorf("recovering spool segment %s: %w", id, err)
			}
			s.log.Warn("sealed a spool segment left open by an unclean stop", "segment", id, "records", recs, "bytes", kept)
			path = ready
		}
		seg, err := statSegment(id, path)
		if err != nil {
			return err
		}
		if seg.Records == 0 {
			_ = os.Remove(path) // an empty batch is nothing to ship
			continue
		}
		s.ready = append(s.ready, seg)
		s.bytes += seg.Bytes
	}
	if len(s.ready) > 0 {
		s.log.Info("spool has batches from an earlier run to ship", "segments", len(s.ready), "bytes", s.bytes)
	}
	return syncDir(s.o.Dir)
}

// parseSeq reads the sequence number of an id "<20 digits>-<hex>".
func parseSeq(id string) (uint64, bool) {
	if len(id) < seqDigits+2 || id[seqDigits] != '-' {
		return 0, false
	}
	if _, err := hex.DecodeString(id[seqDigits+1:]); err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(id[:seqDigits], 10, 64)
	return n, err == nil
}

// truncateToLastLine drops a final line torn by a crash mid-write and
// fsyncs; it returns the bytes and lines kept.
func truncateToLastLine(path string) (int64, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	keep := bytes.LastIndexByte(data, '\n') + 1
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	if keep < len(data) {
		if err := f.Truncate(int64(keep)); err != nil {
			return 0, 0, err
		}
	}
	if err := f.Sync(); err != nil {
		return 0, 0, err
	}
	return int64(keep), bytes.Count(data[:keep], []byte{'\n'}), nil
}

// statSegment counts a sealed segment's lines. It reads the file because
// the count is not in the name; segments are small and this only runs at
// Open.
func statSegment(id, path string) (*Segment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading spool segment %s: %w", id, err)
	}
	defer f.Close()
	seg := &Segment{ID: id, Path: path}
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		seg.Records += bytes.Count(buf[:n], []byte{'\n'})
		seg.Bytes += int64(n)
		if errors.Is(err, io.EOF) {
			return seg, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading spool segment %s: %w", id, err)
		}
	}
}

// notify wakes everyone waiting for a state change. Called with mu held.
func (s *Spool) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Append adds one NDJSON line (the trailing newline is optional). When the
// spool holds MaxBytes it waits for the shipper to free space rather than
// drop anything, until ctx is done. See the package comment for when the
// line becomes durable.
func (s *Spool) Append(ctx context.Context, line []byte) error {
	if i := bytes.IndexByte(line, '\n'); i >= 0 && i != len(line)-1 {
		return fmt.Errorf("spool: a record must be a single line, but it has a newline at byte %d", i)
	}
	if len(line) == 0 || line[len(line)-1] != '\n' {
		line = append(line[:len(line):len(line)], '\n')
	}
	if len(line) == 1 {
		return errors.New("spool: empty record")
	}
	size := int64(len(line))

	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed {
			return ErrClosed
		}
		// A line larger than the whole spool still goes into an empty spool;
		// otherwise it could never be written.
		if s.bytes+size <= s.o.MaxBytes || s.bytes == 0 {
			break
		}
		// Seal what is open so the shipper can take it and free space.
		if err := s.sealLocked(); err != nil {
			return err
		}
		ch := s.changed
		s.waiting++
		s.mu.Unlock()
		select {
		case <-ch:
			s.mu.Lock()
			s.waiting--
		case <-ctx.Done():
			s.mu.Lock()
			s.waiting--
			return fmt.Errorf("spool %s is full (%d of %d bytes): the collector is not taking batches; check the agent's log for shipping errors: %w",
				s.o.Dir, s.bytes, s.o.MaxBytes, ctx.Err())
		}
	}

	for {
		err := s.writeLocked(line)
		if err == nil {
			break
		}
		if !diskFull(err) {
			return err
		}
		// The disk is full before MaxBytes is: behave as a full spool.
		// Nothing is dropped; the scan waits until a shipped batch frees
		// space, or space comes back some other way (checked every
		// diskFullRetry), or ctx ends.
		if err := s.waitForSpaceLocked(ctx, err); err != nil {
			return err
		}
	}
	if s.diskFullSince != (time.Time{}) {
		s.log.Info("spool writable again; scanning resumes", "dir", s.o.Dir, "paused", s.o.Now().Sub(s.diskFullSince).Round(time.Second))
		s.diskFullSince = time.Time{}
	}
	s.openRecs++
	s.openSize += size
	s.bytes += size
	if s.openSize >= s.o.SegmentBytes || s.openRecs >= s.o.SegmentRecords {
		// The line is written; failing the Append now would make the caller
		// append it again. A failed seal is retried by the next Append, the
		// flusher, Flush or Close, which report it.
		if err := s.sealLocked(); err != nil {
			s.log.Error("sealing spool segment failed; will retry", "segment", s.openID, "err", err)
		}
	}
	return nil
}

// writeLocked writes one line to the open segment, creating it if needed.
// One write per line: a crash tears at most the last line, which recovery
// drops. Called with mu held.
func (s *Spool) writeLocked(line []byte) error {
	if s.open == nil {
		if err := s.createLocked(); err != nil {
			return err
		}
	}
	if n, err := s.open.Write(line); err != nil {
		// Cut a partial write back off, so the next line does not start in
		// the middle of this one.
		if n > 0 {
			if terr := s.open.Truncate(s.openSize); terr != nil {
				s.abandonLocked(terr)
			}
		}
		return fmt.Errorf("writing spool segment %s (is the disk full?): %w", s.openID, err)
	}
	return nil
}

// diskFullRetry is how often a spool on a full disk tries again when no
// shipped batch has freed space meanwhile.
const diskFullRetry = time.Second

// waitForSpaceLocked seals what is open (so the shipper can send it and
// free its space) and waits for a change or diskFullRetry. Called with mu
// held; returns with it held.
func (s *Spool) waitForSpaceLocked(ctx context.Context, cause error) error {
	if s.diskFullSince == (time.Time{}) {
		s.diskFullSince = s.o.Now()
		s.log.Warn("disk full: scanning pauses until shipped batches or the host free space; nothing is dropped",
			"dir", s.o.Dir, "spooled_bytes", s.bytes, "err", cause)
	}
	if err := s.sealLocked(); err != nil && !diskFull(err) {
		return err
	}
	ch := s.changed
	s.waiting++
	s.mu.Unlock()
	t := time.NewTimer(diskFullRetry)
	defer t.Stop()
	var err error
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
		err = fmt.Errorf("spool %s: the disk is full and the collector has not taken batches to free it: %w (first: %v)", s.o.Dir, ctx.Err(), cause)
	}
	s.mu.Lock()
	s.waiting--
	if err == nil && s.closed {
		err = ErrClosed
	}
	return err
}

// diskFull reports whether err means the file system (or the user's quota)
// has no room left.
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// createLocked opens a new segment. Called with mu held.
func (s *Spool) createLocked() error {
	s.seq++
	id := fmt.Sprintf("%0*d-%s", seqDigits, s.seq, randHex(8))
	f, err := os.OpenFile(filepath.Join(s.o.Dir, id+openExt), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("creating spool segment in %s (check permissions and free space): %w", s.o.Dir, err)
	}
	s.open, s.openID, s.openRecs, s.openSize, s.openedAt = f, id, 0, 0, s.o.Now()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return nil
}

// abandonLocked gives up on an open segment whose file can no longer be
// kept consistent. It stays on disk as .open, and the next Open recovers its
// complete lines. Called with mu held.
func (s *Spool) abandonLocked(cause error) {
	s.log.Error("abandoning spool segment; its complete lines are recovered when the agent restarts",
		"segment", s.openID, "records", s.openRecs, "err", cause)
	_ = s.open.Close()
	s.open, s.openRecs, s.openSize = nil, 0, 0
}

// sealLocked fsyncs the open segment, renames it ready and fsyncs the
// directory so the rename survives a power cut. On failure the segment
// stays open and a later seal retries. Called with mu held.
func (s *Spool) sealLocked() error {
	if s.open == nil || s.openRecs == 0 {
		return nil
	}
	id := s.openID
	if err := s.open.Sync(); err != nil {
		return fmt.Errorf("syncing spool segment %s: %w", id, err)
	}
	// The data is on disk: an error from Close cannot lose it.
	_ = s.open.Close()
	s.open = nil
	openPath, ready := filepath.Join(s.o.Dir, id+openExt), filepath.Join(s.o.Dir, id+readyExt)
	if err := os.Rename(openPath, ready); err != nil {
		// Keep appending to the same file so counts stay true.
		f, rerr := os.OpenFile(openPath, os.O_WRONLY|os.O_APPEND, 0)
		if rerr != nil {
			s.open = nil
			s.openRecs, s.openSize = 0, 0
			s.log.Error("abandoning spool segment; its lines are recovered when the agent restarts", "segment", id, "err", rerr)
		} else {
			s.open = f
		}
		return fmt.Errorf("sealing spool segment %s: %w", id, err)
	}
	s.ready = append(s.ready, &Segment{ID: id, Path: ready, Records: s.openRecs, Bytes: s.openSize})
	s.openRecs, s.openSize = 0, 0
	s.notify()
	// If this fails, a power cut may undo the rename; recovery then seals
	// the .open file again, so nothing is lost, but say so.
	return syncDir(s.o.Dir)
}

// Flush seals the open segment now if it holds anything.
func (s *Spool) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.sealLocked()
}

// sealIfDue seals the open segment once it has been open FlushInterval.
// It returns how long until it is due (0 when nothing is open).
func (s *Spool) sealIfDue() (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.open == nil || s.openRecs == 0 {
		return 0, nil
	}
	if left := s.o.FlushInterval - s.o.Now().Sub(s.openedAt); left > 0 {
		return left, nil
	}
	return 0, s.sealLocked()
}

// flusher seals segments that have been open FlushInterval, so records ship
// even when scanners go quiet. It sleeps while no segment is open. The wait
// is measured on the real clock and the decision on o.Now, so an injected
// clock decides when a segment is due.
func (s *Spool) flusher() {
	defer close(s.done)
	const minWait = 5 * time.Millisecond // never spin, whatever the clock says
	for {
		left, err := s.sealIfDue()
		if err != nil {
			s.log.Error("sealing spool segment failed; will retry", "err", err)
			left = s.o.FlushInterval
		}
		var (
			t    *time.Timer
			tick <-chan time.Time
		)
		if left > 0 {
			t = time.NewTimer(max(left, minWait))
			tick = t.C
		}
		select {
		case <-s.stop:
			return
		case <-s.kick:
		case <-tick:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// Next returns the oldest sealed segment, waiting for one until ctx is
// done. It returns the same segment until it is acknowledged or rejected.
func (s *Spool) Next(ctx context.Context) (*Segment, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		if len(s.ready) > 0 {
			seg := s.ready[0]
			s.mu.Unlock()
			return seg, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Ack deletes a segment the collector has stored.
func (s *Spool) Ack(seg *Segment) error {
	if err := os.Remove(seg.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("deleting shipped spool segment %s (check permissions of %s): %w", seg.ID, s.o.Dir, err)
	}
	s.forget(seg)
	return nil
}

// Reject moves a segment the collector will never accept to rejected/,
// with the reason beside it, so the queue moves on and a person can still
// look at the batch.
func (s *Spool) Reject(seg *Segment, reason string) error {
	dir := filepath.Join(s.o.Dir, rejectedDir)
	dst := filepath.Join(dir, seg.ID+".ndjson")
	// The reason goes first: a crash between the two steps leaves the
	// segment in the queue to be sent and rejected again, never a batch in
	// rejected/ without its reason.
	if err := os.WriteFile(filepath.Join(dir, seg.ID+".reason"), []byte(reason+"\n"), 0o600); err != nil {
		s.log.Warn("could not write why a batch was rejected", "segment", seg.ID, "err", err)
	}
	if err := os.Rename(seg.Path, dst); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			s.log.Warn("rejected spool segment was already gone", "segment", seg.ID)
			s.forget(seg)
			return nil
		}
		return fmt.Errorf("moving rejected batch %s to %s (check permissions): %w", seg.ID, dir, err)
	}
	s.log.Error("collector rejected a batch for good; it is kept for inspection and not sent again",
		"segment", seg.ID, "records", seg.Records, "bytes", seg.Bytes, "path", dst, "reason", reason)
	s.forget(seg)
	return nil
}

func (s *Spool) forget(seg *Segment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.ready {
		if r.ID == seg.ID {
			s.ready = slices.Delete(s.ready, i, i+1)
			s.bytes -= r.Bytes
			s.notify()
			return
		}
	}
}

// Stats reports the spool's state.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Ready: len(s.ready), Bytes: s.bytes, OpenRecords: s.openRecs, Waiting: s.waiting}
}

// Close seals the open segment, stops the flusher and wakes blocked Append
// and Next calls with ErrClosed. Sealed segments stay on disk for the next
// Open.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	err := s.sealLocked()
	if s.open != nil { // sealing failed: leave it for recovery
		_ = s.open.Close()
		s.open = nil
	}
	s.closed = true
	s.notify()
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	return err
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" { // directories cannot be fsync'd there; NTFS journals renames
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing spool directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing spool directory: %w", err)
	}
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}
