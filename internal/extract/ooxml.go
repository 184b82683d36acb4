package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Kind tells which Office document a zip archive is: "docx", "pptx",
// "xlsx" (Office Open XML), "odt", "ods", "odp" (OpenDocument), or "" for
// any other archive.
func Kind(zr *zip.Reader) string {
	if k := odfKind(zr); k != "" {
		return k
	}
	var types bool
	kind := ""
	for _, f := range zr.File {
		switch f.Name {
		case "[Content_Types].xml":
			types = true
		case "word/document.xml":
			kind = "docx"
		case "ppt/presentation.xml":
			kind = "pptx"
		case "xl/workbook.xml":
			kind = "xlsx"
		}
	}
	if !types {
		return ""
	}
	return kind
}

// maxSegment bounds one paragraph's text; a longer one is emitted in parts.
const maxSegment = 1 << 20

// xmlParagraphs streams one XML part and calls emit with the text of each
// paragraph element (local name para), from text elements (local name
// text); tab and br elements become '\t' and '\n'. A table's cells (tbl,
// tr, tc: Word's and PowerPoint's) are emitted as a row ends, each with
// the field it sits under (tableRow).
func xmlParagraphs(ctx context.Context, f *zip.File, b *Budget, para, text string, emit func(text []byte, field string) error) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, ErrFormat)
	}
	defer rc.Close()
	dec := xml.NewDecoder(b.Reader(rc, ErrLimit))
	dec.Strict = false
	var buf []byte
	inText := false
	var tbl table
	flush := func() error {
		if tbl.inCell() {
			// A cell's paragraphs are its lines, emitted with its row.
			tbl.addLine(buf)
			buf = buf[:0]
			return nil
		}
		if len(bytes.TrimSpace(buf)) > 0 {
			if err := emit(buf, ""); err != nil {
				return err
			}
		}
		buf = buf[:0]
		return nil
	}
	for n := 0; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		tok, err := dec.RawToken()
		if err != nil {
			return partEnd(f.Name, err, flush)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case text:
				inText = true
			case "tab":
				buf = append(buf, '\t')
			case "br":
				buf = append(buf, '\n')
			case "tbl", "tr", "tc":
				if err := flush(); err != nil {
					return err
				}
				tbl.start(t.Name.Local)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case text:
				inText = false
			case para:
				if err := flush(); err != nil {
					return err
				}
			case "tbl", "tr", "tc":
				if err := flush(); err != nil {
					return err
				}
				if err := tbl.end(t.Name.Local, emit); err != nil {
					return err
				}
			}
		case xml.CharData:
			if inText {
				buf = append(buf, t...)
				if len(buf) >= maxSegment {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
	}
}

// partEnd ends the reading of an XML part at a token error: what is
// buffered is flushed, and the error is the part's end (EOF), its limit,
// or its malformation — by line only: the syntax error's message may
// quote the document.
func partEnd(part string, err error, flush func() error) error {
	if errors.Is(err, io.EOF) {
		return flush()
	}
	_ = flush()
	if errors.Is(err, ErrLimit) {
		return fmt.Errorf("%s: %w", part, ErrLimit)
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%s: malformed XML at line %d: %w", part, se.Line, ErrFormat)
	}
	return fmt.Errorf("%s: %w", part, ErrFormat)
}

// maxTableColumns bounds the cells of a row held until the row ends; the
// cells past it are emitted alone.
const maxTableColumns = 64

// table follows the tables of an Office part (nested ones read as cells of
// the outer table): a row's cells are held until the row ends, then
// emitted with their field. The first row of a table is its header, unless
// it reads as a label and a value ("Date of birth | 21-11-1979"): then the
// table is a form, each row's first cell naming the cells after it.
type table struct {
	depth     int
	row       [][]byte
	cell      []byte
	inCellAt  int // depth of the open cell, 0 when none
	rows      int
	header    []string
	labelRows bool
	pending   [][][]byte
	title     bool // the first row has one cell: a title, if the next has more
}

// nonBlank counts a row's cells that hold text.
func nonBlank(row [][]byte) int {
	n := 0
	for _, v := range row {
		if len(bytes.TrimSpace(v)) > 0 {
			n++
		}
	}
	return n
}

func (t *table) inCell() bool { return t.inCellAt > 0 }

func (t *table) start(name string) {
	switch name {
	case "tbl":
		t.depth++
		if t.depth == 1 {
			t.rows, t.header, t.labelRows, t.pending, t.title = 0, nil, false, nil, false
		}
	case "tr":
		if t.depth == 1 {
			t.row = t.row[:0]
		}
	case "tc":
		if t.depth == 1 {
			t.inCellAt, t.cell = 1, t.cell[:0]
		}
	}
}

func (t *table) addLine(line []byte) {
	if len(bytes.TrimSpace(line)) == 0 || len(t.cell) >= maxSegment {
		return
	}
	if len(t.cell) > 0 {
		t.cell = append(t.cell, '\n')
	}
	t.cell = append(t.cell, line...)
}

func (t *table) end(name string, emit func([]byte, string) error) error {
	switch name {
	case "tbl":
		t.depth = max(t.depth-1, 0)
		if t.depth == 0 && len(t.pending) > 0 {
			return t.decide(emit)
		}
	case "tc":
		if t.depth != 1 || !t.inCell() {
			return nil
		}
		t.inCellAt = 0
		if len(t.row) >= maxTableColumns {
			if len(bytes.TrimSpace(t.cell)) > 0 {
				return emit(t.cell, "")
			}
			return nil
		}
		t.row = append(t.row, append([]byte(nil), t.cell...))
	case "tr":
		if t.depth != 1 {
			return nil
		}
		blank := true
		for _, v := range t.row {
			blank = blank && len(bytes.TrimSpace(v)) == 0
		}
		if blank {
			return nil // a blank row is no header and emits nothing
		}
		defer func() { t.rows++ }()
		return t.emitRow(emit)
	}
	return nil
}

// maxPendingRows bounds the rows held while a two-column table's kind is
// undecided.
const maxPendingRows = 16

// emitRow emits a finished row's cells with their fields. A two-column
// table whose first row is two labels ("Nachname | Schulte", or a header
// "Name | City") is held until its later rows tell (decide).
func (t *table) emitRow(emit func([]byte, string) error) error {
	if t.rows == 1 && t.title && nonBlank(t.row) >= 2 && len(t.pending) == 0 {
		// The first row was the table's title ("Mitgliederliste 2026"):
		// this one names the columns.
		t.rows, t.title = 0, false
	}
	if t.rows == 0 {
		t.title = nonBlank(t.row) == 1
		t.labelRows = len(t.row) == 2 && isLabel(t.row[0]) && !isLabel(t.row[1])
		if !t.labelRows && len(t.row) == 2 && isLabel(t.row[1]) {
			t.pending = append(t.pending[:0], append([][]byte(nil), t.row...))
			return nil
		}
		if !t.labelRows {
			t.setHeader(t.row)
		}
	}
	if len(t.pending) > 0 {
		t.pending = append(t.pending, append([][]byte(nil), t.row...))
		if len(t.row) != 2 || len(t.pending) >= maxPendingRows {
			return t.decide(emit)
		}
		return nil
	}
	return t.emitCells(t.row, t.rows, emit)
}

func (t *table) setHeader(row [][]byte) {
	t.header = make([]string, len(row))
	for c, v := range row {
		t.header[c] = strings.ToLower(strings.TrimSpace(string(v)))
	}
}

// decide reads the held rows of a two-column table as a form (a label
// column: every first cell a label, the second cells both labels and
// values — "Nachname | Schulte", "Geburtsdatum | 23.06.1991") or as a
// table under a header row (the second column alike below its header:
// "Name | Telefon" over numbers, "Name | City" over names), and emits them.
func (t *table) decide(emit func([]byte, string) error) error {
	rows := t.pending
	t.pending = nil
	labels, values, firstLabels := 0, 0, true
	for _, r := range rows[1:] {
		if len(r) != 2 {
			firstLabels = false
			break
		}
		firstLabels = firstLabels && isLabel(r[0])
		if isLabel(r[1]) {
			labels++
		} else if len(bytes.TrimSpace(r[1])) > 0 {
			values++
		}
	}
	t.labelRows = firstLabels && labels > 0 && values > 0
	if !t.labelRows {
		t.setHeader(rows[0])
	}
	for k, r := range rows {
		if err := t.emitCells(r, k, emit); err != nil {
			return err
		}
	}
	return nil
}

// emitCells emits row number n's cells with their fields.
func (t *table) emitCells(row [][]byte, n int, emit func([]byte, string) error) error {
	for c, v := range row {
		if len(bytes.TrimSpace(v)) == 0 {
			continue
		}
		field := ""
		switch {
		case t.labelRows && c > 0:
			field = strings.ToLower(strings.TrimSpace(string(row[0])))
		case !t.labelRows && n > 0 && c < len(t.header):
			field = t.header[c]
		}
		if len(field) > 64 {
			field = ""
		}
		if err := emit(v, field); err != nil {
			return err
		}
	}
	return nil
}

// isLabel reports whether a cell reads as a form's label: a few words of
// letters, no digits, no '@', at most 48 bytes.
func isLabel(v []byte) bool {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(v) > 48 || bytes.ContainsAny(v, "0123456789@") {
		return false
	}
	return true
}

// nonBlankStrings counts the cells of a row that hold text.
func nonBlankStrings(cols []string) int {
	n := 0
	for _, v := range cols {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	return n
}

// partNumber reads N from prefixN.xml, for ordering slides numerically.
func partNumber(name, prefix string) (int, bool) {
	if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".xml") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".xml"))
	return n, err == nil
}

func openZip(r io.ReaderAt, size int64) (*zip.Reader, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a readable zip archive: %w", ErrFormat)
	}
	return zr, nil
}

// DOCX emits a Word document's paragraphs: the body ("paragraph N"), then
// headers, footers, footnotes and comments ("word/header1.xml paragraph N").
func DOCX(ctx context.Context, r io.ReaderAt, size int64, lim Limits, fn func(Segment) error) error {
	lim = lim.withDefaults()
	zr, err := openZip(r, size)
	if err != nil {
		return err
	}
	b := &Budget{Left: lim.MaxBytes}
	var parts []*zip.File
	var body *zip.File
	for _, f := range zr.File {
		switch {
		case f.Name == "word/document.xml":
			body = f
		case strings.HasPrefix(f.Name, "word/header") || strings.HasPrefix(f.Name, "word/footer") ||
			f.Name == "word/footnotes.xml" || f.Name == "word/endnotes.xml" || f.Name == "word/comments.xml":
			parts = append(parts, f)
		}
	}
	if body == nil {
		return fmt.Errorf("word/document.xml missing: %w", ErrFormat)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].Name < parts[j].Name })
	parts = append([]*zip.File{body}, parts...)
	for i, f := range parts {
		if i >= lim.MaxParts {
			return fmt.Errorf("%d parts read: %w", lim.MaxParts, ErrLimit)
		}
		prefix := "paragraph "
		if f != body {
			prefix = f.Name + " paragraph "
		}
		n := 0
		err := xmlParagraphs(ctx, f, b, "p", "t", func(text []byte, field string) error {
			n++
			return fn(Segment{Where: prefix + strconv.Itoa(n), Field: field, Text: text})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// PPTX emits each slide's paragraphs ("slide N"), slides in number order,
// then speaker notes ("notes N").
func PPTX(ctx context.Context, r io.ReaderAt, size int64, lim Limits, fn func(Segment) error) error {
	lim = lim.withDefaults()
	zr, err := openZip(r, size)
	if err != nil {
		return err
	}
	type part struct {
		f     *zip.File
		where string
		order int
	}
	var parts []part
	for _, f := range zr.File {
		if n, ok := partNumber(f.Name, "ppt/slides/slide"); ok {
			parts = append(parts, part{f, "slide " + strconv.Itoa(n), n})
		} else if n, ok := partNumber(f.Name, "ppt/notesSlides/notesSlide"); ok {
			parts = append(parts, part{f, "notes " + strconv.Itoa(n), 1<<30 + n})
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].order < parts[j].order })
	b := &Budget{Left: lim.MaxBytes}
	for i, p := range parts {
		if i >= lim.MaxParts {
			return fmt.Errorf("%d slides read: %w", lim.MaxParts, ErrLimit)
		}
		err := xmlParagraphs(ctx, p.f, b, "p", "t", func(text []byte, field string) error {
			return fn(Segment{Where: p.where, Field: field, Text: text})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// XLSX emits each non-empty cell ("Sheet1!B7") with the header of its
// column (the sheet's first non-empty row) as Field. Rows are streamed;
// shared strings are held in memory, bounded by MaxBytes.
func XLSX(ctx context.Context, r io.ReaderAt, size int64, lim Limits, fn func(Segment) error) (err error) {
	lim = lim.withDefaults()
	if err := ctx.Err(); err != nil {
		return err
	}
	zr, err := openZip(r, size)
	if err != nil {
		return err
	}
	// archive/zip stops a member at its declared size, so the declared
	// sizes bound what excelize will unpack; checking them here reports
	// an oversized workbook as cut, not unreadable (excelize's own size
	// error has no sentinel to test for).
	var declared uint64
	for _, zf := range zr.File {
		declared += zf.UncompressedSize64
	}
	if declared > uint64(lim.MaxBytes) {
		return fmt.Errorf("workbook expands to %d bytes: %w", declared, ErrLimit)
	}
	limit := min(lim.MaxBytes, 1<<30)
	// excelize unpacks worksheets over UnzipXMLSizeLimit to temporary
	// files; the limit is the whole budget so decompressed personal data
	// never lands on disk (memory is bounded by the budget instead).
	f, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{UnzipSizeLimit: limit, UnzipXMLSizeLimit: limit})
	if err != nil {
		return fmt.Errorf("workbook: %w", ErrFormat)
	}
	defer f.Close()
	b := &Budget{Left: lim.MaxBytes}
	for si, sheet := range f.GetSheetList() {
		if si >= lim.MaxParts {
			return fmt.Errorf("%d sheets read: %w", lim.MaxParts, ErrLimit)
		}
		if err := xlsxSheet(ctx, f, si+1, sheet, b, fn); err != nil {
			return err
		}
	}
	return nil
}

func xlsxSheet(ctx context.Context, f *excelize.File, num int, sheet string, b *Budget, fn func(Segment) error) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("sheet %d: %w", num, ErrFormat)
	}
	defer rows.Close()
	var header []string
	titleRow, hadTitle := false, false
	for row := 1; rows.Next(); row++ {
		if row%256 == 1 && ctx.Err() != nil {
			return ctx.Err()
		}
		cols, err := rows.Columns()
		if err != nil {
			return fmt.Errorf("sheet %d row %d: %w", num, row, ErrFormat)
		}
		if titleRow && nonBlankStrings(cols) >= 2 {
			header = nil // the first row was the sheet's title: this one names the columns
		}
		titleRow = titleRow && nonBlankStrings(cols) == 0 // only blank rows between
		isHeader := header == nil && len(cols) > 0
		for c, v := range cols {
			if v == "" {
				continue
			}
			if err := b.Take(len(v)); err != nil {
				return fmt.Errorf("sheet %d row %d: %w", num, row, ErrLimit)
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, row)
			seg := Segment{Where: sheet + "!" + cell, Text: []byte(v)}
			if !isHeader && c < len(header) {
				seg.Field = header[c]
			}
			if err := fn(seg); err != nil {
				return err
			}
		}
		if isHeader {
			titleRow = nonBlankStrings(cols) == 1 && !hadTitle
			hadTitle = hadTitle || titleRow
			header = make([]string, len(cols))
			for c, v := range cols {
				header[c] = strings.ToLower(strings.TrimSpace(v))
			}
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("sheet %d: %w", num, ErrFormat)
	}
	return nil
}
