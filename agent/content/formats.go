package content

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/time/rate"

	"github.com/sightline-dev/sightline/internal/extract"
	"github.com/sightline-dev/sightline/internal/pii"
)

// Member is what one text stream of a file held: the file itself (Name "")
// or an archive member ("a/b.csv", nested: "inner.zip!/b.csv"). Partial
// says why it was not read to the end. Its JSON is part of the file
// scanner's incremental state.
type Member struct {
	Name    string       `json:"name,omitempty"`
	Results []pii.Result `json:"results,omitempty"`
	Partial string       `json:"partial,omitempty"`
	binary  bool
}

var errExpandLimit = errors.New("expanded-size limit reached")

// expand reads r drawing on the file's expansion budget, shared by all
// members of one archive, nested ones included, so a zip bomb stops at the
// bound.
func (f *fileScan) expand(r io.Reader) io.Reader {
	return truncated{f.budget.Reader(r, errExpandLimit)}
}

// truncated names a stream cut short inside errTruncated, not the short
// last chunk io.ReadFull reports with the same io.ErrUnexpectedEOF.
type truncated struct{ r io.Reader }

func (t truncated) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errTruncated
	}
	return n, err
}

var (
	errTruncated = errors.New("truncated")
	errTimeLimit = errors.New("time limit reached")
)

// maxBuffered bounds a nested zip or PDF, which needs random access and is
// therefore held in memory; a bigger one is reported, not opened.
const maxBuffered = 16 << 20

// fileScan is the reading of one file: its members, what was read, and the
// limits they share.
type fileScan struct {
	parent   context.Context // the scan's: cancelled means stop
	deadline time.Time       // the per-file time limit
	// top is the Scanner's reader, reused for the stream itself (depth
	// 0): a small file costs less than a new 4 KiB buffer and its garbage.
	top     *bufio.Reader
	o       Options
	limiter *rate.Limiter // o.Limiter
	budget  *extract.Budget
	path    string // the file's path: its name tells the format of a plain stream
	buf     []byte
	members []Member
	read    int64
	cut     bool // the file's member limit was reported (full)
}

// stop tells whether reading must end: a cancelled scan is an error, a
// file over its time limit only ends this file.
func (f *fileScan) stop() error {
	if err := f.parent.Err(); err != nil {
		return fmt.Errorf("scan stopped: %w", err)
	}
	if time.Now().After(f.deadline) {
		return errTimeLimit
	}
	return nil
}

// maxMembersPerFile bounds the members one file yields in all, over all
// its archives, nested ones included, as a multiple of MaxMembers (which
// bounds one archive). Each member read is kept until the file is done,
// and an empty member costs no expansion budget: a 14 MB zip of 200 zips
// of 10,000 empty files gave two million members, 730 MiB of heap and
// half a minute, and at the file size limit the agent ran out of memory
// (TestManyEmptyMembersBounded).
const maxMembersPerFile = 10

// full tells whether the file has yielded all the members it may, and
// says so once, on parent.
func (f *fileScan) full(parent string) bool {
	if len(f.members) < maxMembersPerFile*f.o.MaxMembers {
		return false
	}
	if !f.cut {
		f.cut = true
		f.members = append(f.members, Member{Name: parent, Partial: fmt.Sprintf(
			"member limit reached: %d members read from the file's archives in all", maxMembersPerFile*f.o.MaxMembers)})
	}
	return true
}

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "!/" + name
}

// content reads one stream, recognising its format from its first bytes:
// gzip, zip (Office documents, or an archive whose members are read in
// turn), tar, PDF, UTF-16 text with a BOM, or text. ra is set when the
// stream allows random access (the file itself). A stream inside more than
// MaxDepth archives is reported, not opened.
func (f *fileScan) content(name string, r io.Reader, ra io.ReaderAt, size int64, depth int) error {
	var br *bufio.Reader
	if f.top != nil {
		br, f.top = f.top, nil
		br.Reset(r)
	} else {
		br = bufio.NewReaderSize(r, 4096)
	}
	head, _ := br.Peek(512)
	kind := sniff(head)
	if kind != "text" && kind != "utf16" && depth > f.o.MaxDepth {
		f.members = append(f.members, Member{Name: name, Partial: fmt.Sprintf("nesting limit reached: %s inside %d archives not opened", kind, depth)})
		return nil
	}
	switch kind {
	case "gzip":
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.members = append(f.members, Member{Name: name, Partial: "not readable as gzip: " + errClass(err)})
			return nil
		}
		defer zr.Close()
		zr.Multistream(true)
		return f.content(name, f.expand(zr), nil, -1, depth+1)
	case "tar":
		return f.tarMembers(name, br, depth)
	case "zip", "pdf":
		if ra == nil {
			data, err := io.ReadAll(io.LimitReader(br, maxBuffered+1))
			if err != nil && !errors.Is(err, errTruncated) {
				f.members = append(f.members, Member{Name: name, Partial: "unreadable: " + errClass(err)})
				return nil
			}
			if len(data) > maxBuffered {
				f.members = append(f.members, Member{Name: name, Partial: fmt.Sprintf("nested %s larger than %d MiB not opened", kind, maxBuffered>>20)})
				return nil
			}
			ra, size = bytes.NewReader(data), int64(len(data))
		}
		if kind == "pdf" {
			return f.document(name, "pdf", ra, size)
		}
		return f.zip(name, ra, size, depth)
	case "utf16":
		dec := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		r := transform.NewReader(br, dec)
		if structuredKind(f.path, name) == "" {
			// Excel's "Unicode Text" is a tab-separated table.
			return f.textOrTable(name, r)
		}
		return f.text(name, r)
	}
	if bytes.IndexByte(head, 0) < 0 {
		if k := credentialKind(memberOr(f.path, name)); k != "" {
			return f.credentialFile(name, k, br)
		}
		if historyFile(memberOr(f.path, name)) {
			return f.history(name, br)
		}
		if k := recordKind(memberOr(f.path, name), head); k != "" {
			return f.records(name, k, br)
		}
		if mailKind(memberOr(f.path, name), head) {
			return f.mail(name, br, depth)
		}
		switch structuredKind(f.path, name) {
		case "csv":
			return f.csv(name, br, ',')
		case "tsv":
			return f.csv(name, br, '\t')
		case "json":
			return f.json(name, br, false)
		case "ndjson":
			return f.json(name, br, true)
		case "xml":
			return f.xml(name, br)
		case "html":
			return f.html(name, br)
		case "":
			if looksXML(memberOr(f.path, name), head) {
				return f.xml(name, br)
			}
			if nl := bytes.IndexByte(head, '\n'); nl > 0 && bytes.ContainsAny(head[:nl], "\t;,|") {
				return f.textOrTable(name, br)
			}
			if first := head[leadingBlank(head):]; bytes.Count(first[:max(bytes.IndexByte(first, '\n'), 0)], []byte("  ")) >= 2 {
				return f.textOrTable(name, br) // perhaps a fixed-width table
			}
		}
	}
	return f.text(name, br)
}

// mail reads an Internet message's text, then each attached file with a
// reader of its own (mimeText) as a member, "mail.eml!/table.csv".
func (f *fileScan) mail(name string, r io.Reader, depth int) error {
	mt := newMimeText(r)
	if err := f.text(name, mt); err != nil {
		return err
	}
	for _, file := range mt.tooBig {
		if f.full(name) {
			return nil
		}
		f.members = append(f.members, Member{Name: join(name, file), Partial: fmt.Sprintf("attachment larger than %d MiB not opened", maxBuffered>>20)})
	}
	if depth >= f.o.MaxDepth && len(mt.attachments) > 0 {
		f.members = append(f.members, Member{Name: name, Partial: fmt.Sprintf("nesting limit reached: %d attachments inside %d archives not opened", len(mt.attachments), depth)})
		return nil
	}
	for _, a := range mt.attachments {
		if err := f.stop(); err != nil {
			if errors.Is(err, errTimeLimit) {
				f.members = append(f.members, Member{Name: name, Partial: err.Error()})
				return nil
			}
			return err
		}
		if f.full(name) {
			return nil
		}
		br := bytes.NewReader(a.data)
		if err := f.content(join(name, a.name), br, br, int64(len(a.data)), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// textOrTable reads a text stream whose name names no format as a table
// when it is one (textTable), else as text.
func (f *fileScan) textOrTable(name string, r io.Reader) error {
	tb := bufio.NewReaderSize(r, dialectSample)
	sample, err := tb.Peek(dialectSample)
	if c, ok := textTable(sample, err != nil); ok {
		return f.csv(name, tb, c)
	}
	if starts, names, ok := fixedWidthTable(sample, err != nil); ok {
		return f.fixedWidth(name, tb, starts, names)
	}
	return f.text(name, tb)
}

// sniff names a stream's format from its first bytes.
func sniff(head []byte) string {
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return "gzip"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "zip"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "pdf"
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return "utf16"
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return "tar"
	}
	return "text"
}

func (f *fileScan) text(name string, r io.Reader) error {
	m, read, err := detectStream(f, r, layoutFor(f.path, name))
	f.read += read
	m.Name = name
	if !m.binary {
		f.members = append(f.members, m)
	} else if name == "" {
		f.members = append(f.members, m) // the caller reports the file as skipped
	}
	return err
}

func (f *fileScan) tarMembers(parent string, r io.Reader, depth int) error {
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		if err := f.stop(); err != nil {
			if errors.Is(err, errTimeLimit) {
				f.members = append(f.members, Member{Name: parent, Partial: err.Error()})
				return nil
			}
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			f.members = append(f.members, Member{Name: parent, Partial: "tar unreadable after " + strconv.Itoa(n) + " members: " + errClass(err)})
			return nil
		}
		if n >= f.o.MaxMembers {
			f.members = append(f.members, Member{Name: parent, Partial: fmt.Sprintf("member limit reached: %d members read", f.o.MaxMembers)})
			return nil
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if f.full(parent) {
			return nil
		}
		if err := f.content(join(parent, h.Name), tr, nil, h.Size, depth+1); err != nil {
			return err
		}
	}
}

// zip reads an Office document's text, or each member of an archive.
func (f *fileScan) zip(parent string, ra io.ReaderAt, size int64, depth int) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		f.members = append(f.members, Member{Name: parent, Partial: "not readable as zip: " + errClass(err)})
		return nil
	}
	if kind := extract.Kind(zr); kind != "" {
		return f.document(parent, kind, ra, size)
	}
	for i, zf := range zr.File {
		if err := f.stop(); err != nil {
			if errors.Is(err, errTimeLimit) {
				f.members = append(f.members, Member{Name: parent, Partial: err.Error()})
				return nil
			}
			return err
		}
		if i >= f.o.MaxMembers {
			f.members = append(f.members, Member{Name: parent, Partial: fmt.Sprintf("member limit reached: %d of %d members read", f.o.MaxMembers, len(zr.File))})
			return nil
		}
		if zf.FileInfo().IsDir() {
			continue
		}
		if f.full(parent) {
			return nil
		}
		if f.budget.Left <= 0 {
			f.members = append(f.members, Member{Name: parent, Partial: errExpandLimit.Error()})
			return nil
		}
		name := join(parent, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			f.members = append(f.members, Member{Name: name, Partial: "member not readable: " + errClass(err)})
			continue
		}
		err = f.content(name, f.expand(rc), nil, int64(zf.UncompressedSize64), depth+1)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// document reads an Office document or a PDF as segments (a paragraph, a
// slide, a cell, a page), each detected on its own and located by where
// it is in the document.
func (f *fileScan) document(name, kind string, ra io.ReaderAt, size int64) error {
	agg := pii.NewAggregator(f.o.Tokenizer)
	m := Member{Name: name}
	lim := extract.Limits{MaxBytes: min(f.budget.Left, f.o.MaxFileSize), MaxParts: f.o.MaxMembers}
	var text int64
	ctx, cancel := context.WithDeadline(f.parent, f.deadline)
	defer cancel()
	err := extractors[kind](ctx, ra, size, lim, func(seg extract.Segment) error {
		text += int64(len(seg.Text))
		if f.limiter != nil {
			if err := f.limiter.WaitN(ctx, min(len(seg.Text), f.limiter.Burst())); err != nil {
				return err
			}
		}
		detectSegment(f.o.Detector, seg, func(pm pii.Match, where string) { agg.AddWhere(pm, where) })
		return nil
	})
	f.budget.Left -= text
	f.read += text
	m.Results = agg.Results()
	switch {
	case err == nil:
	case f.parent.Err() != nil:
		return fmt.Errorf("scan stopped: %w", f.parent.Err())
	case ctx.Err() != nil:
		m.Partial = errTimeLimit.Error()
	case errors.Is(err, extract.ErrLimit):
		m.Partial = kind + ": " + err.Error()
	default:
		m.Partial = "unreadable " + kind + ": " + err.Error()
	}
	f.members = append(f.members, m)
	return nil
}

var extractors = map[string]func(context.Context, io.ReaderAt, int64, extract.Limits, func(extract.Segment) error) error{
	"docx": extract.DOCX, "pptx": extract.PPTX, "xlsx": extract.XLSX, "pdf": extract.PDF,
	"odt": extract.ODF, "ods": extract.ODF, "odp": extract.ODF,
}

// detectSegment detects in one document segment; a segment's field name
// (a spreadsheet column header) is context, as a CSV header is.
func detectSegment(d pii.Detector, seg extract.Segment, add func(pii.Match, string)) {
	emit := func(pm pii.Match) {
		where := seg.Where
		if pm.Line > 1 {
			where += ", line " + strconv.Itoa(pm.Line)
		}
		add(pm, where)
	}
	if fd, ok := d.(pii.FieldDetector); ok && seg.Field != "" {
		fd.DetectField([]byte(seg.Field), seg.Text, emit)
		return
	}
	d.Detect(seg.Text, emit)
}

// detectStream runs the detector over r in reads of readSize cut at line
// ends, through lay when the format has one (layouts.go); a line longer
// than chunkSize is cut. Memory stays at about one
// chunk whatever the size. Every detector but the PEM block one works
// within a line; a key block cut by a chunk end is still found once, by
// its header. A limit hit mid-stream leaves what was read so far as the
// result, marked partial.
func detectStream(f *fileScan, r io.Reader, lay layout) (Member, int64, error) {
	var m Member
	buf := f.buf[:0]
	agg := pii.NewAggregator(f.o.Tokenizer)
	line := 0 // lines before the current window
	text := func(seg []byte, before int) int {
		return pii.DetectLines(f.o.Detector, seg, func(pm pii.Match) {
			pm.Line += before
			agg.Add(pm)
		})
	}
	cell := func(column string, value []byte, before int) {
		FieldDetect(f.o.Detector, column, value, func(pm pii.Match) {
			pm.Line = before + 1
			agg.Add(pm)
		})
	}
	detect := func(window []byte) {
		if lay != nil {
			lay.window(window, line, func(seg []byte, before int) { text(seg, before) }, cell)
			line += bytes.Count(window, []byte{'\n'})
		} else {
			line += text(window, line) // the detector counts the window's lines as it goes
		}
	}
	first := true
	var read int64
	for {
		if err := f.stop(); err != nil {
			detect(buf)
			m.Results = agg.Results()
			if errors.Is(err, errTimeLimit) {
				m.Partial = err.Error()
				return m, read, nil
			}
			return m, read, err
		}
		n, err := io.ReadFull(r, buf[len(buf):len(buf)+readSize])
		buf = buf[:len(buf)+n]
		read += int64(n)
		if first {
			first = false
			if isBinary(buf[:min(len(buf), binarySniff)]) {
				m.binary = true
				return m, read, nil
			}
		}
		if f.limiter != nil && n > 0 {
			if werr := f.limiter.WaitN(f.parent, n); werr != nil {
				return m, read, fmt.Errorf("scan stopped: %w", werr)
			}
		}
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		switch {
		case read > f.o.MaxFileSize && f.o.MaxFileSize > 0:
			// The first MaxFileSize bytes, up to their last line end:
			// what lies past the limit is not read (a read overshoots it
			// by up to readSize), and a value cut by it is not half read.
			buf = buf[:len(buf)-int(read-f.o.MaxFileSize)]
			if k := bytes.LastIndexByte(buf, '\n'); k >= 0 {
				buf = buf[:k+1]
			}
			detect(buf)
			m.Results, m.Partial = agg.Results(), fmt.Sprintf("file-size limit reached: the first %d bytes read", f.o.MaxFileSize)
			return m, f.o.MaxFileSize, nil
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
		}
		// Detect what was just read while it is still in the CPU cache,
		// up to its last line end; a partial line waits for the next read.
		cut := bytes.LastIndexByte(buf[len(buf)-n:], '\n') + 1
		if cut > 0 {
			cut += len(buf) - n
		} else if len(buf) >= chunkSize {
			cut = lineCut(buf) // one huge line: cut it rather than grow without bound
		} else {
			continue
		}
		detect(buf[:cut])
		// The partial line moves to where the next read lands on a
		// readAlign boundary (content.go).
		left := len(buf) - cut
		pad := -left & (readAlign - 1)
		buf = f.buf[pad : pad+copy(f.buf[pad:pad+left], buf[cut:])]
	}
}

// lineCut is where a window of one huge line (minified JSON, a log
// without line ends) is cut: after the last byte in its second half that
// separates values (white space, or one of ,;"'<>()[]{}|) and does not
// follow a digit, so the value the cut would split (an address, a number
// in groups: 030 1234567) is read whole in the next window; the window's
// end when there is none.
func lineCut(buf []byte) int {
	for k := len(buf) - 1; k > 0 && k >= len(buf)/2; k-- {
		if valueSep[buf[k]] && !(buf[k-1] >= '0' && buf[k-1] <= '9') {
			return k + 1
		}
	}
	return len(buf)
}

var valueSep = func() (t [256]bool) {
	for _, c := range []byte(" \t\r\f\v,;\"'<>()[]{}|") {
		t[c] = true
	}
	return t
}()

// errClass names a decompression error without quoting any data.
func errClass(err error) string {
	switch {
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, zip.ErrChecksum):
		return "checksum mismatch"
	case errors.Is(err, gzip.ErrHeader):
		return "bad gzip header"
	case errors.Is(err, errTruncated), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	case errors.Is(err, errExpandLimit):
		return errExpandLimit.Error()
	default:
		return "corrupt data"
	}
}

// isBinary tells whether a stream's first bytes are a binary format: a NUL
// byte, or a type mimetype recognises that is not a kind of text (images,
// executables, media, databases). Text in any 8-bit encoding is read.
func isBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	if plainText(head) {
		// Most files a scan meets; mimetype's ~200 signatures cost more
		// than the detection of a small file. What it would call binary
		// with such a head is text too (PostScript, a playlist).
		return false
	}
	mt := mimetype.Detect(head)
	if mt.Is("application/octet-stream") {
		return false // nothing recognised: text in an 8-bit encoding, say
	}
	for ; mt != nil; mt = mt.Parent() {
		if strings.HasPrefix(mt.String(), "text/") { // also "text/plain; charset=..."
			return false
		}
	}
	return true
}

// plainText reports whether head is text beyond doubt: UTF-8 (a rune cut
// by head's end allowed) without control characters other than tab, line
// ends, form feed and escape (coloured logs). Eight bytes at a time: a
// word with no byte under 0x20 and none of 0x7f or above is printable
// ASCII, the common case.
func plainText(head []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	ascii := true
	i := 0
	for ; i+8 <= len(head); i += 8 {
		w := binary.LittleEndian.Uint64(head[i:])
		// A byte under 0x20, or 0x7f and above (w+0x01.. sets the high bit
		// of 0x7f): look at each byte of the word.
		if ((w-0x20*ones)|w|(w+ones))&highs == 0 {
			continue
		}
		for _, c := range head[i : i+8] {
			if c < 0x20 && !textControl[c] || c == 0x7f {
				return false
			}
			ascii = ascii && c < 0x80
		}
	}
	for _, c := range head[i:] {
		if c < 0x20 && !textControl[c] || c == 0x7f {
			return false
		}
		ascii = ascii && c < 0x80
	}
	if ascii {
		return true
	}
	// A rune cut at the end of the head is not an error.
	end := len(head)
	for k := 1; k < utf8.UTFMax && k <= len(head); k++ {
		if c := head[len(head)-k]; c >= 0xC0 { // the start of the last rune
			if !utf8.FullRune(head[len(head)-k:]) {
				end = len(head) - k
			}
			break
		} else if c < 0x80 {
			break
		}
	}
	return utf8.Valid(head[:end])
}

var textControl = [0x20]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, 0x1b: true}
