package extract

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// odfKind tells which OpenDocument file a zip archive is from its
// "mimetype" member: "odt", "ods", "odp", or "".
func odfKind(zr *zip.Reader) string {
	var mt, content bool
	var mf *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case "mimetype":
			mt, mf = true, f
		case "content.xml":
			content = true
		}
	}
	if !mt || !content || mf.UncompressedSize64 > 128 {
		return ""
	}
	rc, err := mf.Open()
	if err != nil {
		return ""
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 128))
	switch strings.TrimSpace(string(b)) {
	case "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.text-template":
		return "odt"
	case "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.spreadsheet-template":
		return "ods"
	case "application/vnd.oasis.opendocument.presentation", "application/vnd.oasis.opendocument.presentation-template":
		return "odp"
	}
	return ""
}

// maxRepeat bounds how many cells one ODF cell element stands for
// (number-columns-repeated): a sheet's trailing empty cells repeat 16384
// times.
const maxRepeat = maxTableColumns

// ODF emits an OpenDocument text, spreadsheet or presentation's content
// (content.xml): paragraphs and headings ("paragraph N") and table cells,
// a table's rows emitted as in Word (the first non-empty row names the
// columns, or a label column names the values: table). A date cell gives
// its ISO date (office:date-value), not the text shown for it (10/12/85);
// an empty cell repeated keeps the columns after it in place.
func ODF(ctx context.Context, r io.ReaderAt, size int64, lim Limits, fn func(Segment) error) error {
	lim = lim.withDefaults()
	zr, err := openZip(r, size)
	if err != nil {
		return err
	}
	var content *zip.File
	for _, f := range zr.File {
		if f.Name == "content.xml" {
			content = f
		}
	}
	if content == nil {
		return fmt.Errorf("content.xml missing: %w", ErrFormat)
	}
	rc, err := content.Open()
	if err != nil {
		return fmt.Errorf("content.xml: %w", ErrFormat)
	}
	defer rc.Close()
	b := &Budget{Left: lim.MaxBytes}
	dec := xml.NewDecoder(b.Reader(rc, ErrLimit))
	dec.Strict = false
	var (
		buf       []byte
		inPara    int
		tbl       table
		tableName string
		dateValue string
		repeat    int
		n         int
	)
	emit := func(text []byte, field string) error {
		n++
		where := "paragraph " + strconv.Itoa(n)
		if tableName != "" && tbl.depth > 0 {
			where = tableName + " cell " + strconv.Itoa(n)
		}
		return fn(Segment{Where: where, Field: field, Text: text})
	}
	flush := func() error {
		if tbl.inCell() {
			tbl.addLine(buf)
			buf = buf[:0]
			return nil
		}
		var err error
		if len(strings.TrimSpace(string(buf))) > 0 {
			err = emit(buf, "")
		}
		buf = buf[:0]
		return err
	}
	attr := func(t xml.StartElement, local string) string {
		for _, a := range t.Attr {
			if a.Name.Local == local {
				return a.Value
			}
		}
		return ""
	}
	for k := 0; ; k++ {
		if k%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		tok, err := dec.RawToken()
		if err != nil {
			return partEnd("content.xml", err, flush)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p", "h":
				inPara++
			case "s":
				c, _ := strconv.Atoi(attr(t, "c"))
				buf = append(buf, strings.Repeat(" ", min(max(c, 1), 8))...)
			case "tab":
				buf = append(buf, '\t')
			case "line-break":
				buf = append(buf, '\n')
			case "table", "table-row", "table-cell", "covered-table-cell":
				if err := flush(); err != nil {
					return err
				}
				name := map[string]string{"table": "tbl", "table-row": "tr", "table-cell": "tc", "covered-table-cell": "tc"}[t.Name.Local]
				if name == "tbl" && tbl.depth == 0 {
					tableName = attr(t, "name")
				}
				if name == "tc" {
					dateValue = attr(t, "date-value")
					repeat, _ = strconv.Atoi(attr(t, "number-columns-repeated"))
				}
				tbl.start(name)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "p", "h":
				inPara = max(inPara-1, 0)
				if err := flush(); err != nil {
					return err
				}
			case "table", "table-row", "table-cell", "covered-table-cell":
				if err := flush(); err != nil {
					return err
				}
				name := map[string]string{"table": "tbl", "table-row": "tr", "table-cell": "tc", "covered-table-cell": "tc"}[t.Name.Local]
				if name == "tc" && tbl.inCell() && len(dateValue) >= 10 && len(strings.TrimSpace(string(tbl.cell))) > 0 {
					tbl.cell = append(tbl.cell[:0], dateValue[:10]...)
				}
				if err := tbl.end(name, emit); err != nil {
					return err
				}
				// The cells an element repeats, as empty ones: columns
				// after them keep their place, a value is read once.
				for ; name == "tc" && repeat > 1 && len(tbl.row) < maxRepeat; repeat-- {
					tbl.start("tc")
					if err := tbl.end("tc", emit); err != nil {
						return err
					}
				}
				repeat = 0
			}
		case xml.CharData:
			if inPara > 0 {
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
