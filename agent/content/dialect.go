package content

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A table's dialect is sniffed before its header is trusted: Excel in the
// German, French, Spanish, Italian and Dutch locales saves ".csv" with ';'
// between fields, and read with ',' such a file is one column whose
// header, "name;email;phone;…", would lend phone context to every digit
// run in every row.

// dialectSample is how much of a table the sniffer reads ahead.
const dialectSample = 64 << 10

// dialectRecords bounds the records the sniffer parses per candidate.
const dialectRecords = 100

// dialectCandidates are the separators people save tables with.
var dialectCandidates = []rune{',', ';', '\t', '|'}

// dialect is how a table is written: its separator, and whether its first
// line is Excel's "sep=X" hint or PowerShell's "#TYPE …" line (Export-Csv
// without -NoTypeInformation, the default of Windows PowerShell 5.1),
// which are not headers.
type dialect struct {
	comma   rune
	sepLine bool
}

// typeLine reports whether sample starts with PowerShell's "#TYPE" line.
func typeLine(sample []byte) bool {
	return bytes.HasPrefix(sample, []byte("#TYPE ")) && bytes.IndexByte(sample, '\n') > 0
}

// sniffDialect chooses the separator of the table whose first bytes are
// sample (complete when sample is the whole stream). An Excel "sep=X"
// first line decides. Otherwise each candidate parses the sample (double
// quotes quote, as RFC 4180 and every spreadsheet write them, so a quoted
// separator is data) and scores the share of records with as many fields
// as the header; a candidate must give the header two fields or more. The
// best share wins, ties going to more columns and then to preferred (the
// name's: ',' for .csv, tab for .tsv). A table no candidate splits
// consistently (half the records or fewer) keeps preferred.
func sniffDialect(sample []byte, complete bool, preferred rune) dialect {
	sample = bytes.TrimPrefix(sample, utf8BOM)
	if c, ok := sepLine(sample); ok {
		return dialect{comma: c, sepLine: true}
	}
	if typeLine(sample) {
		d := sniffDialect(sample[bytes.IndexByte(sample, '\n')+1:], complete, preferred)
		d.sepLine = true
		return d
	}
	if !complete { // the last line may be cut
		if nl := bytes.LastIndexByte(sample, '\n'); nl >= 0 {
			sample = sample[:nl+1]
		}
	}
	best, bestShare, bestCols := preferred, 0.0, 0
	try := func(c rune) {
		share, cols := splitShare(sample, c)
		if cols < 2 || share <= 0.5 {
			return
		}
		if share > bestShare || (share == bestShare && cols > bestCols) {
			best, bestShare, bestCols = c, share, cols
		}
	}
	try(preferred)
	for _, c := range dialectCandidates {
		if c != preferred {
			try(c)
		}
	}
	return dialect{comma: best}
}

// splitShare parses sample with separator c and returns the share of
// records with the header's number of fields, and that number.
func splitShare(sample []byte, c rune) (float64, int) {
	cr := csv.NewReader(bytes.NewReader(sample))
	cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = c, -1, true, true
	header, n, same := 0, 0, 0
	for n < dialectRecords {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, 0
		}
		if n == 0 {
			header = len(rec)
		}
		n++
		if len(rec) == header {
			same++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return float64(same) / float64(n), header
}

var utf8BOM = []byte("\ufeff")

// sepLine reads Excel's "sep=;" first line.
func sepLine(sample []byte) (rune, bool) {
	line := sample
	if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
		line = line[:nl]
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) != 5 || !bytes.EqualFold(line[:4], []byte("sep=")) {
		return 0, false
	}
	c := rune(line[4])
	return c, validSep(c)
}

// validSep says whether c may separate fields: a tab or ASCII
// punctuation other than the quote (a letter, digit or space in "sep=" is
// more likely text than a hint).
func validSep(c rune) bool {
	return c == '\t' || (c > ' ' && c < 0x7f && c != '"' && !unicode.IsLetter(c) && !unicode.IsDigit(c))
}

// headerSpeaksFor says whether a header cell may lend context to its
// column: a cell that itself names several columns ("name;email;phone",
// left whole when no separator split the table) speaks for none of them.
func headerSpeaksFor(cell string, comma rune) bool {
	for _, c := range dialectCandidates {
		if c != comma && c != ',' && bytes.ContainsRune([]byte(cell), c) {
			return false
		}
	}
	return true
}

// textTable says whether a stream whose name names no format (export.txt,
// Excel's "Text (Tab delimited)" and "Unicode Text") is a table, and its
// separator: an Excel "sep=" line, or a tab, ';', ',' or '|' that splits nine
// records in ten or more, at least three, into the same three or more
// fields under a header row of names (each starting with a letter, none
// longer than 40 bytes or four words, none ending a sentence). Prose and
// logs are not: their first line is no row of names, or their lines do
// not split alike.
func textTable(sample []byte, complete bool) (rune, bool) {
	sample = bytes.TrimPrefix(sample, utf8BOM)
	if c, ok := sepLine(sample); ok {
		return c, true
	}
	if typeLine(sample) {
		sample = sample[bytes.IndexByte(sample, '\n')+1:]
	}
	if !complete {
		if nl := bytes.LastIndexByte(sample, '\n'); nl >= 0 {
			sample = sample[:nl+1]
		}
	}
	for _, c := range []rune{'\t', ';', ',', '|'} {
		share, cols := splitShare(sample, c)
		if cols < 3 || share < 0.9 || bytes.Count(sample, []byte{'\n'}) < 3 {
			continue
		}
		cr := csv.NewReader(bytes.NewReader(sample))
		cr.Comma, cr.LazyQuotes = c, true
		header, err := cr.Read()
		if err != nil {
			continue
		}
		names := true
		for _, h := range header {
			h = strings.TrimSpace(h)
			r, _ := utf8.DecodeRuneInString(h)
			names = names && h != "" && len(h) <= 40 && unicode.IsLetter(r) && len(strings.Fields(h)) <= 4 &&
				!strings.ContainsAny(h[len(h)-1:], ".!?")
		}
		if names {
			return c, true
		}
	}
	return 0, false
}
