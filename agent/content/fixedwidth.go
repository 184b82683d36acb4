package content

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sightline-dev/sightline/internal/pii"
)

// A fixed-width table (a mainframe or report export, a database client's
// aligned output) names its columns in a header line, each name set apart
// from the next by two spaces or more, and writes each record's values
// where the names start.

// maxFixedColumns bounds the columns of a fixed-width header.
const maxFixedColumns = 64

// fixedColumns reads a line as a fixed-width header: three or more names
// (each starting with a letter, at most 40 bytes and three words joined
// by single spaces) set apart by two spaces or more. It returns where
// each name starts and the names, or nil.
func fixedColumns(line []byte) ([]int, []string) {
	line = bytes.TrimRight(line, "\r")
	var starts []int
	var names []string
	for k := 0; k < len(line); {
		if line[k] == ' ' {
			k++
			continue
		}
		if k > 0 && (k < 2 || line[k-2] != ' ') {
			return nil, nil // a single space inside a name is read with it below
		}
		e := k
		for e < len(line) && !(line[e] == ' ' && (e+1 >= len(line) || line[e+1] == ' ')) {
			if line[e] == '\t' {
				return nil, nil
			}
			e++
		}
		name := string(line[k:e])
		r, _ := utf8.DecodeRuneInString(name)
		if !unicode.IsLetter(r) || len(name) > 40 || len(strings.Fields(name)) > 3 || strings.ContainsAny(name, ".!?:;,|") {
			return nil, nil
		}
		starts, names = append(starts, k), append(names, name)
		if len(starts) > maxFixedColumns {
			return nil, nil
		}
		k = e
	}
	if len(starts) < 3 {
		return nil, nil
	}
	return starts, names
}

// fixedFits reports whether a record line is written in the columns
// starting at starts: it reaches the second column, and the byte before
// every column start it reaches is a space.
func fixedFits(line []byte, starts []int) bool {
	line = bytes.TrimRight(line, "\r")
	if len(line) <= starts[1] {
		return false
	}
	for _, p := range starts[1:] {
		if p < len(line) && line[p-1] != ' ' {
			return false
		}
	}
	return true
}

// fixedWidthTable reads sample as a fixed-width table: a header line
// (fixedColumns) over records nine in ten of which, at least two, fit its
// columns (a last line that does not is a trailer, not counted).
func fixedWidthTable(sample []byte, complete bool) ([]int, []string, bool) {
	sample = bytes.TrimPrefix(sample, utf8BOM)
	if !complete {
		if nl := bytes.LastIndexByte(sample, '\n'); nl >= 0 {
			sample = sample[:nl+1]
		}
	}
	sample = sample[leadingBlank(sample):] // a report may start with blank lines (SQL*Plus)
	nl := bytes.IndexByte(sample, '\n')
	if nl < 0 {
		return nil, nil, false
	}
	starts, names := fixedColumns(sample[:nl])
	if starts == nil {
		return nil, nil, false
	}
	// A report's last line may be its trailer (RECORDS: 3, a total).
	fit, n, lastFits := 0, 0, false
	for _, l := range bytes.Split(sample[nl+1:], []byte("\n")) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		n++
		lastFits = fixedFits(l, starts)
		if lastFits {
			fit++
		}
		if n >= dialectRecords {
			break
		}
	}
	if n > 0 && !lastFits && n < dialectRecords {
		n--
	}
	return starts, names, fit >= 2 && fit*10 >= n*9
}

// leadingBlank is the length of b's leading blank lines.
func leadingBlank(b []byte) int {
	k := 0
	for {
		nl := bytes.IndexByte(b[k:], '\n')
		if nl < 0 || len(bytes.TrimSpace(b[k:k+nl])) > 0 {
			return k
		}
		k += nl + 1
	}
}

// fixedWidth reads a fixed-width table line by line: each value is
// detected with its column's name as context and located as "row N,
// column H"; a line that does not fit the columns (a report's trailer) is
// read as text.
func (f *fileScan) fixedWidth(name string, r io.Reader, starts []int, names []string) error {
	mr := &meteredReader{f: f, r: r, maxLine: chunkSize}
	br := bufio.NewReaderSize(mr, 64<<10)
	agg := pii.NewAggregator(f.o.Tokenizer)
	header := make([]string, len(names))
	columns := make([]string, len(names))
	for c, n := range names {
		header[c] = strings.ToLower(n)
		columns[c] = safeName(f.o.Detector, n)
	}
	var err error
	header1 := false // the header line is read
	for row := 1; ; row++ {
		line, rerr := br.ReadSlice('\n')
		if errors.Is(rerr, bufio.ErrBufferFull) {
			rerr = nil // a long line is read in pieces, as text
		}
		line = bytes.TrimRight(line, "\r\n")
		at := func(col string) func(pii.Match) {
			return func(pm pii.Match) {
				if !agg.WantsWhere(pm.Type) {
					agg.AddWhere(pm, "")
					return
				}
				w := "row " + strconv.Itoa(row)
				if col != "" {
					w += ", column " + col
				}
				agg.AddWhere(pm, w)
			}
		}
		switch {
		case !header1:
			header1 = len(bytes.TrimSpace(line)) > 0
		case fixedFits(line, starts):
			for c, p := range starts {
				if p >= len(line) {
					break
				}
				e := len(line)
				if c+1 < len(starts) && starts[c+1] < e {
					e = starts[c+1]
				}
				if v := bytes.TrimSpace(line[p:e]); len(v) > 0 {
					FieldDetect(f.o.Detector, header[c], v, at(columns[c]))
				}
			}
		case len(line) > 0:
			f.o.Detector.Detect(line, at(""))
		}
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				err = rerr
			}
			break
		}
	}
	return f.end(name, mr, agg, err, "fixed-width table", func(error) string { return "" })
}
