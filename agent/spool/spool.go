// Package spool is the agent's durable queue between scanners and the
// shipper: NDJSON lines appended to an open segment file, sealed into
// numbered, fsync'd batches that survive restarts and kill -9. A segment is
// the unit the shipper sends and deletes (after a 2xx) — never a line less.
package spool

import (
	"bufio"
	"bytes"
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
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Spool.
type Options struct {
	Dir            string
	MaxBytes       int64
	SegmentBytes   int64
	SegmentRecords int
	FlushInterval  time.Duration
	Logger         *slog.Logger
	Now            func() time.Time
}

// Segment is one sealed batch on disk. ID is unique and stable across
// restarts (it is the HTTP Idempotency-Key).
type Segment struct {
	ID      string
	Path    string
	Records int
	Bytes   int64
}

// Open returns the segment's NDJSON bytes.
func (s *Segment) Open() (io.ReadCloser, error) { return os.Open(s.Path) }

// Stats describe the spool.
type Stats struct {
	Ready       int
	Bytes       int64
	OpenRecords int
}

// ErrClosed is returned by operations on a closed spool.
var ErrClosed = errors.New("spool is closed")

const (
	openExt  = ".open"
	readyExt = ".ready"
)

// Spool is safe for concurrent use.
type Spool struct {
	o Options

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	closed   bool
	seq      uint64
	ready    []*Segment
	bytes    int64 // all segments on disk, open one included
	open     *os.File
	openID   string
	openRecs int
	openSize int64
	openedAt time.Time

	stop chan struct{}
	done chan struct{}
}

// Open opens (creating) the spool in o.Dir and recovers what a crash left:
// an open segment is cut back to its last complete line and sealed.
func Open(ctx context.Context, o Options) (*Spool, error) {
	if o.Dir == "" {
		return nil, errors.New("spool: Dir is required")
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 20
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 1 << 20
	}
	if o.SegmentRecords <= 0 {
		o.SegmentRecords = 5000
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "rejected"), 0o700); err != nil {
		return nil, fmt.Errorf("creating spool directory: %w", err)
	}
	s := &Spool{o: o, changed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.recover(); err != nil {
		return nil, err
	}
	go s.timer()
	return s, nil
}

// recover loads sealed segments and seals any open one. File names are
// "<20-digit seq>-<hex>.<ext>", so lexical order is sequence order.
func (s *Spool) recover() error {
	entries, err := os.ReadDir(s.o.Dir)
	if err != nil {
		return fmt.Errorf("reading spool directory: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		id, ext := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
		seq, ok := parseSeq(id)
		if !ok || (ext != openExt && ext != readyExt) {
			if strings.HasSuffix(name, ".tmp") {
				_ = os.Remove(filepath.Join(s.o.Dir, name))
			}
			continue
		}
		s.seq = max(s.seq, seq)
		path := filepath.Join(s.o.Dir, name)
		if ext == openExt {
			kept, recs, err := truncateToLastLine(path)
			if err != nil {
				return fmt.Errorf("recovering spool segment %s: %w", name, err)
			}
			if recs == 0 {
				_ = os.Remove(path)
				continue
			}
			ready := filepath.Join(s.o.Dir, id+readyExt)
			if err := os.Rename(path, ready); err != nil {
				return fmt.Errorf("recovering spool segment %s: %w", name, err)
			}
			s.o.Logger.Warn("recovered an unsealed spool segment after an unclean stop", "segment", id, "records", recs, "bytes", kept)
			path = ready
		}
		seg, err := statSegment(id, path)
		if err != nil {
			return err
		}
		s.ready = append(s.ready, seg)
		s.bytes += seg.Bytes
	}
	return syncDir(s.o.Dir)
}

func parseSeq(id string) (uint64, bool) {
	if len(id) < 21 || id[20] != '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(id[:20], 10, 64)
	return n, err == nil
}

// truncateToLastLine drops a torn final line (written when the process
// died mid-write) and fsyncs; it returns the bytes and lines kept.
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
	if err := f.Truncate(int64(keep)); err != nil {
		return 0, 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, 0, err
	}
	return int64(keep), bytes.Count(data[:keep], []byte{'\n'}), nil
}

func statSegment(id, path string) (*Segment, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading spool segment: %w", err)
	}
	defer f.Close()
	n, size := 0, int64(0)
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		size += int64(len(line))
		if len(line) > 0 && line[len(line)-1] == '\n' {
			n++
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			break
		}
	}
	return &Segment{ID: id, Path: path, Records: n, Bytes: size}, nil
}

// notify wakes everyone waiting on a state change. Called with mu held.
func (s *Spool) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Append adds one line. When the spool is at MaxBytes it waits for the
// shipper to free space (backpressure) rather than drop anything. A line
// is durable once its segment is sealed (by size, count, Flush, the
// interval or Close).
func (s *Spool) Append(ctx context.Context, line []byte) error {
	if len(line) == 0 || line[len(line)-1] != '\n' {
		line = append(line[:len(line):len(line)], '\n')
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed {
			return ErrClosed
		}
		// A line larger than the whole spool still goes in when the spool is
		// empty; otherwise it could never be written.
		if s.bytes+int64(len(line)) <= s.o.MaxBytes || s.bytes == 0 {
			break
		}
		if s.openRecs > 0 { // sealing lets the shipper take it
			if err := s.sealLocked(); err != nil {
				return err
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
			s.mu.Lock()
		case <-ctx.Done():
			s.mu.Lock()
			return fmt.Errorf("spool full (%d bytes in %s): %w", s.bytes, s.o.Dir, ctx.Err())
		}
	}
	if s.open == nil {
		s.seq++
		id := fmt.Sprintf("%020d-%s", s.seq, randHex(6))
		f, err := os.OpenFile(filepath.Join(s.o.Dir, id+openExt), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("creating spool segment: %w", err)
		}
		s.open, s.openID, s.openRecs, s.openSize, s.openedAt = f, id, 0, 0, s.o.Now()
	}
	// One write call per line: a crash tears at most the last line.
	if _, err := s.open.Write(line); err != nil {
		return fmt.Errorf("writing spool segment %s: %w (is the disk full?)", s.openID, err)
	}
	s.openRecs++
	s.openSize += int64(len(line))
	s.bytes += int64(len(line))
	if s.openSize >= s.o.SegmentBytes || s.openRecs >= s.o.SegmentRecords {
		return s.sealLocked()
	}
	return nil
}

// sealLocked fsyncs the open segment, renames it ready and fsyncs the
// directory so the rename survives a power cut. Called with mu held.
func (s *Spool) sealLocked() error {
	if s.open == nil {
		return nil
	}
	f, id := s.open, s.openID
	s.open = nil
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing spool segment %s: %w", id, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing spool segment %s: %w", id, err)
	}
	ready := filepath.Join(s.o.Dir, id+readyExt)
	if err := os.Rename(filepath.Join(s.o.Dir, id+openExt), ready); err != nil {
		return fmt.Errorf("sealing spool segment %s: %w", id, err)
	}
	if err := syncDir(s.o.Dir); err != nil {
		return err
	}
	s.ready = append(s.ready, &Segment{ID: id, Path: ready, Records: s.openRecs, Bytes: s.openSize})
	s.openRecs, s.openSize = 0, 0
	s.notify()
	return nil
}

// Flush seals the open segment now if it holds anything.
func (s *Spool) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.sealLocked()
}

// timer seals a segment that has been open for FlushInterval, so records
// ship even when scanners go quiet.
func (s *Spool) timer() {
	defer close(s.done)
	t := time.NewTicker(max(s.o.FlushInterval/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if !s.closed && s.open != nil && s.o.Now().Sub(s.openedAt) >= s.o.FlushInterval {
				if err := s.sealLocked(); err != nil {
					s.o.Logger.Error("sealing spool segment failed", "err", err)
				}
			}
			s.mu.Unlock()
		}
	}
}

// Next returns the oldest sealed segment, waiting for one if needed. It
// returns the same segment until it is acknowledged or rejected.
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
		return fmt.Errorf("deleting shipped segment %s: %w", seg.ID, err)
	}
	s.forget(seg)
	return nil
}

// Reject moves a segment the collector will never accept to rejected/,
// with the reason beside it, so the queue moves on and nothing is lost.
func (s *Spool) Reject(seg *Segment, reason string) error {
	dst := filepath.Join(s.o.Dir, "rejected", seg.ID+".ndjson")
	if err := os.Rename(seg.Path, dst); err != nil {
		return fmt.Errorf("moving rejected segment %s: %w", seg.ID, err)
	}
	_ = os.WriteFile(filepath.Join(s.o.Dir, "rejected", seg.ID+".reason"), []byte(reason+"\n"), 0o600)
	s.o.Logger.Error("collector rejected a batch; kept for inspection", "segment", seg.ID, "records", seg.Records,
		"path", dst, "reason", reason)
	s.forget(seg)
	return nil
}

func (s *Spool) forget(seg *Segment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.ready {
		if r.ID == seg.ID {
			s.ready = append(s.ready[:i], s.ready[i+1:]...)
			s.bytes -= r.Bytes
			s.notify()
			return
		}
	}
}

// Stats reports the spool's size.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Ready: len(s.ready), Bytes: s.bytes, OpenRecords: s.openRecs}
}

// Close seals the open segment and stops the timer.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	err := s.sealLocked()
	s.closed = true
	s.notify()
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	return err
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" { // directories cannot be fsync'd there; renames are journaled by NTFS
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
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
