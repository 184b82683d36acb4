// Package csvsafe writes CSV that a spreadsheet opens as data, never as
// formulas (CSV injection, OWASP "CSV Injection"): a cell that a
// spreadsheet would evaluate — one beginning with =, +, -, @, a tab or a
// carriage return, also after leading spaces — is prefixed with a single
// quote, which spreadsheets show as text and do not display.
//
// The one exception is a plain decimal number ("-12", "+3.5"): it cannot
// call anything, and quoting it would turn a negative count into text. The
// rule is by value, not by column, so it needs no schema: a cell is left
// as is only if it is entirely an optional sign, digits, and an optional
// fraction.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// Cell returns s neutralised for a spreadsheet.
func Cell(s string) string {
	t := strings.TrimLeft(s, " ")
	if t == "" {
		return s
	}
	switch t[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isPlainNumber(t) {
			return s
		}
		return "'" + s
	}
	return s
}

// isPlainNumber reports whether s is [+-]digits[.digits].
func isPlainNumber(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) {
		return false
	}
	return !hasDot || allDigits(frac)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Writer is a csv.Writer whose every cell goes through Cell.
type Writer struct {
	w   *csv.Writer
	row []string
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one row, each cell neutralised.
func (w *Writer) Write(record []string) error {
	w.row = w.row[:0]
	for _, c := range record {
		w.row = append(w.row, Cell(c))
	}
	return w.w.Write(w.row)
}

// Flush writes any buffered data and returns the first error met.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}
