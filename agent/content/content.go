// Package content reads what a file or an object holds and runs the
// detectors over it: it recognises the format from the first bytes (gzip,
// zip, tar, Office documents, PDF, UTF-16) and, for plain streams, from the
// name (CSV/TSV, JSON/NDJSON, XML), opens archives member by member, and
// reports per stream what was found, with masked samples and keyed tokens
// only. Every read is bounded: bytes per file, expansion of compressed data
// (a zip bomb stops at the bound), members, nesting, time per file and the
// read rate. The file scanner and the S3 scanner both read through it, so
// a document yields the same findings on a disk and in a bucket.
package content

import (
	"bufio"
	"context"
	"errors"
	"io"
	"time"

	"golang.org/x/time/rate"

	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/extract"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options bound the reading of one stream. Zero limits take defaults.
type Options struct {
	Detector  pii.Detector
	Tokenizer *pii.Tokenizer
	// MaxFileSize bounds the bytes read from one stream (default 100 MiB);
	// past it the stream is reported partial.
	MaxFileSize int64
	// MaxExpandedBytes bounds what one compressed file or archive may
	// expand to (default 1 GiB); past it the file is reported partial.
	MaxExpandedBytes int64
	// MaxMembers bounds the members read from one archive (default 10000).
	MaxMembers int
	// MaxDepth bounds archives inside archives (default 3: a zip inside a
	// tar.gz is read, a fourth layer is reported and not opened).
	MaxDepth int
	// MaxFileTime bounds the time spent on one stream (default 5 minutes);
	// past it the stream is reported partial.
	MaxFileTime time.Duration
	// Limiter, when set, caps the read rate; share one across workers.
	Limiter *rate.Limiter
}

// WithDefaults fills the limits left at zero.
func (o Options) WithDefaults() Options {
	o.MaxFileSize = defaults.Positive(o.MaxFileSize, 100<<20)
	o.MaxExpandedBytes = defaults.Positive(o.MaxExpandedBytes, 1<<30)
	o.MaxMembers = defaults.Positive(o.MaxMembers, 10000)
	o.MaxDepth = defaults.Positive(o.MaxDepth, 3)
	o.MaxFileTime = defaults.Positive(o.MaxFileTime, 5*time.Minute)
	return o
}

// NewLimiter returns a limiter for bytesPerSec (nil for 0: no cap) whose
// burst admits one detector window.
func NewLimiter(bytesPerSec int64) *rate.Limiter {
	if bytesPerSec <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(bytesPerSec), max(int(bytesPerSec), chunkSize))
}

// binarySniff is how much of a stream is checked for a NUL byte.
const binarySniff = 8 << 10

// readSize is how much of a stream is read at a time, as ripgrep does; the
// detectors run over each read while it is still in the CPU cache. (Whole
// 1 MiB reads measured the same total time on the bench, with the kernel's
// copy a quarter of the profile.)
const readSize = 64 << 10

// readAlign is the alignment detectStream keeps each read's destination
// at. The kernel copies a read from page-aligned file offsets; into a
// destination 1 to 24 bytes past a 64-byte boundary (the partial line
// moved before it) the copy ran at a third of its speed on this
// machine's CPUs (stores and loads 4 KiB apart look dependent), and a
// quarter of reads of 100-byte lines landed there: the agent's read time
// was three times ripgrep's. bench_test.go's BenchmarkReadAlign measures
// it.
const readAlign = 64

// chunkSize bounds one detector window: a line longer than this is cut.
const chunkSize = 1 << 20

// Binary tells whether the stream was a binary format, not read.
func (m Member) Binary() bool { return m.binary }

// Scanner reads streams one after another with one reusable buffer; use
// one per goroutine.
type Scanner struct {
	o   Options
	buf []byte
	br  *bufio.Reader // the stream's own reader, reset for each
}

// NewScanner returns a Scanner with o's limits (defaults filled in).
func NewScanner(o Options) *Scanner { return &Scanner{o: o.WithDefaults()} }

// Read reads one stream named name (a path or an object key: its
// extension picks the structured readers) within the limits; ra, when not
// nil, reads the same size bytes at random, so a zip or PDF need not be
// buffered. It returns what each text stream held (the stream itself and
// archive members) and the bytes read. Its error means the scan must stop
// (ctx done); a stream cut at a limit or corrupt is a member marked
// partial instead.
func (s *Scanner) Read(ctx context.Context, name string, r io.Reader, ra io.ReaderAt, size int64) ([]Member, int64, error) {
	if s.o.Detector == nil || s.o.Tokenizer == nil {
		return nil, 0, errors.New("content: Detector and Tokenizer are required")
	}
	if cap(s.buf) < chunkSize+readSize+readAlign {
		s.buf = make([]byte, 0, chunkSize+readSize+readAlign)
	}
	if s.br == nil {
		s.br = bufio.NewReaderSize(nil, 4096)
	}
	defer s.br.Reset(nil) // holds no stream between calls
	f := &fileScan{parent: ctx, deadline: time.Now().Add(s.o.MaxFileTime), top: s.br, o: s.o, limiter: s.o.Limiter,
		budget: &extract.Budget{Left: s.o.MaxExpandedBytes}, path: name, buf: s.buf}
	err := f.content("", r, ra, size, 0)
	return f.members, f.read, err
}

// StreamResult is what one stream, or one member of it when it is an
// archive, held. Its JSON (the field names as they are) is part of the S3
// scanner's incremental state.
type StreamResult struct {
	Member  string // "" for the stream itself; nested members joined by "!/"
	Results []pii.Result
	Partial string // why it was not read to the end
}

// ScanStream reads one stream that is not a local file (an object's body)
// through the same format readers as files. Zip archives and PDFs are
// buffered up to 16 MiB. It returns what was found and how many bytes were
// read; binary content gives no results.
func ScanStream(ctx context.Context, name string, r io.Reader, o Options) ([]StreamResult, int64, error) {
	members, read, err := NewScanner(o).Read(ctx, name, r, nil, -1)
	var out []StreamResult
	for _, m := range members {
		if m.binary {
			continue
		}
		out = append(out, StreamResult{Member: m.Name, Results: m.Results, Partial: m.Partial})
	}
	return out, read, err
}

// EmitFindings emits one pii record per result, for the asset assetID at
// loc, each on the envelope env gives (the scan's).
func EmitFindings(env func(kind string) wire.Record, assetID, loc string, results []pii.Result, emit func(*wire.Record) error) error {
	for _, res := range results {
		rec := env(wire.KindPII)
		rec.AssetID, rec.Location = assetID, loc
		rec.Type, rec.Category, rec.Confidence = res.Type, res.Category, res.Confidence
		rec.Count, rec.Distinct = res.Count, res.Distinct
		rec.Samples, rec.Tokens, rec.Where = res.Samples, res.Tokens, res.Where
		if err := emit(&rec); err != nil {
			return err
		}
	}
	return nil
}
