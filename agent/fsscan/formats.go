package fsscan

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/time/rate"

	"github.com/sightline-dev/sightline/internal/pii"
)

// member is what one text stream of a file held: the file itself (Name "")
// or an archive member. Partial says why it was not read to the end.
type member struct {
	Name    string       `json:"name,omitempty"`
	Results []pii.Result `json:"results,omitempty"`
	Partial string       `json:"partial,omitempty"`
	binary  bool
}

// expandBudget is what a compressed file may still expand to; it is shared
// by all members of one archive, so a zip bomb stops at the bound.
type expandBudget struct{ left int64 }

var errExpandLimit = errors.New("expanded-size limit reached")

type budgetReader struct {
	r io.Reader
	b *expandBudget
}

func (br budgetReader) Read(p []byte) (int, error) {
	if br.b.left <= 0 {
		return 0, errExpandLimit
	}
	if int64(len(p)) > br.b.left {
		p = p[:br.b.left]
	}
	n, err := br.r.Read(p)
	br.b.left -= int64(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// A truncated stream, not the short last chunk io.ReadFull reports
		// with the same error.
		err = errTruncated
	}
	return n, err
}

var errTruncated = errors.New("truncated")

// detectStream runs the detector over r in reads of readSize cut at line
// ends; a line longer than chunkSize is cut. Memory stays at about one
// chunk whatever the size. Every detector but
// the PEM block one works within a line; a key block cut by a chunk end is
// still found once, by its header. A limit hit mid-stream leaves what was
// read so far as the result, marked partial.
func detectStream(ctx context.Context, r io.Reader, o Options, limiter *rate.Limiter, buf []byte) (member, int64, error) {
	var m member
	buf = buf[:0]
	agg := pii.NewAggregator(o.Tokenizer)
	line := 0 // lines before the current window
	detect := func(window []byte) {
		o.Detector.Detect(window, func(pm pii.Match) {
			pm.Line += line
			agg.Add(pm)
		})
		line += bytes.Count(window, []byte{'\n'})
	}
	first := true
	var read int64
	for {
		n, err := io.ReadFull(r, buf[len(buf):len(buf)+readSize])
		buf = buf[:len(buf)+n]
		read += int64(n)
		if first {
			first = false
			if bytes.IndexByte(buf[:min(len(buf), binarySniff)], 0) >= 0 {
				m.binary = true
				return m, read, nil
			}
		}
		if limiter != nil && n > 0 {
			if werr := limiter.WaitN(ctx, n); werr != nil {
				return m, read, fmt.Errorf("scan stopped: %w", werr)
			}
		}
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		switch {
		case eof:
			detect(buf)
			m.Results = agg.Results()
			return m, read, nil
		case errors.Is(err, errExpandLimit):
			detect(buf)
			m.Results, m.Partial = agg.Results(), err.Error()
			return m, read, nil
		case err != nil:
			// Corrupt compressed data: keep what was read.
			detect(buf)
			m.Results, m.Partial = agg.Results(), "unreadable after "+fmt.Sprint(read)+" bytes: "+errClass(err)
			return m, read, nil
		case read > o.MaxFileSize && o.MaxFileSize > 0:
			detect(buf)
			m.Results, m.Partial = agg.Results(), "file-size limit reached"
			return m, read, nil
		}
		// Detect what was just read while it is still in the CPU cache,
		// up to its last line end; a partial line waits for the next read.
		cut := bytes.LastIndexByte(buf[len(buf)-n:], '\n') + 1
		if cut > 0 {
			cut += len(buf) - n
		} else if len(buf) >= chunkSize {
			cut = len(buf) // one huge line: cut it rather than grow without bound
		} else {
			continue
		}
		detect(buf[:cut])
		buf = buf[:copy(buf, buf[cut:])]
	}
}

// errClass names a decompression error without quoting any data.
func errClass(err error) string {
	switch {
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, zip.ErrChecksum):
		return "checksum mismatch"
	case errors.Is(err, gzip.ErrHeader):
		return "bad gzip header"
	case errors.Is(err, errTruncated):
		return "truncated"
	default:
		return "corrupt data"
	}
}

func scanGzip(ctx context.Context, r io.Reader, o Options, limiter *rate.Limiter, b *expandBudget, buf []byte) (member, int64, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return member{Partial: "not readable as gzip: " + errClass(err)}, 0, nil
	}
	defer zr.Close()
	return detectStream(ctx, budgetReader{zr, b}, o, limiter, buf)
}

// scanZip reads each member of a zip archive as its own text stream.
// Nested archives are not opened (a later format layer does that).
func scanZip(ctx context.Context, ra io.ReaderAt, size int64, o Options, limiter *rate.Limiter, b *expandBudget, buf []byte) ([]member, int64, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return []member{{Partial: "not readable as zip: " + errClass(err)}}, 0, nil
	}
	var out []member
	var total int64
	for i, zf := range zr.File {
		if ctx.Err() != nil {
			return out, total, ctx.Err()
		}
		if i >= o.MaxMembers {
			out = append(out, member{Partial: fmt.Sprintf("member limit reached: %d of %d members read", o.MaxMembers, len(zr.File))})
			break
		}
		if zf.FileInfo().IsDir() {
			continue
		}
		if b.left <= 0 {
			out = append(out, member{Partial: errExpandLimit.Error()})
			break
		}
		rc, err := zf.Open()
		if err != nil {
			out = append(out, member{Name: zf.Name, Partial: "member not readable: " + errClass(err)})
			continue
		}
		m, read, err := detectStream(ctx, budgetReader{rc, b}, o, limiter, buf)
		rc.Close()
		total += read
		if err != nil {
			return out, total, err
		}
		m.Name = zf.Name
		if !m.binary {
			out = append(out, m)
		}
	}
	return out, total, nil
}
