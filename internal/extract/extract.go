// Package extract turns documents that are not plain text (Office Open XML,
// PDF) into text segments for the detectors, each with where it came from
// and, for structured documents, the name of the field it sits under. It
// never logs or returns document text in an error.
package extract

import (
	"errors"
	"io"

	"github.com/sightline-dev/sightline/internal/defaults"
)

// Segment is one piece of a document's text.
type Segment struct {
	// Where locates the text inside the document for a person: "Sheet1!B7",
	// "page 3", "slide 2", "paragraph 14".
	Where string
	// Field names the structured field the text sits under (a spreadsheet
	// column's header cell), lower-cased; "" when there is none.
	Field string
	// Text is only valid during the callback.
	Text []byte
}

// Limits bound what one document may cost.
type Limits struct {
	// MaxBytes bounds the text produced plus the XML read (0: 256 MiB).
	MaxBytes int64
	// MaxParts bounds sheets, slides or pages read (0: 10000).
	MaxParts int
}

func (l Limits) withDefaults() Limits {
	l.MaxBytes = defaults.Positive(l.MaxBytes, 256<<20)
	l.MaxParts = defaults.Positive(l.MaxParts, 10000)
	return l
}

// ErrLimit reports that a document was cut at a limit; what was emitted
// before it stands, and the caller reports the document partial.
var ErrLimit = errors.New("extraction limit reached")

// ErrFormat reports a document that is not readable as its format. Its
// message names the part, never content.
var ErrFormat = errors.New("unreadable document")

// Budget is what a document, or an archive with everything inside it, may
// still cost in bytes. Every reader made by Reader draws on it, so nested
// members stop together at the bound: a zip member that claims a small
// size and expands without end (a zip bomb) costs no more than the budget.
// A Budget is for one goroutine.
type Budget struct{ Left int64 }

// Take spends n bytes; ErrLimit once the budget is overdrawn.
func (b *Budget) Take(n int) error {
	b.Left -= int64(n)
	if b.Left < 0 {
		return ErrLimit
	}
	return nil
}

// Reader returns r with every byte it gives drawn from b; once b is spent,
// reads fail with spent (ErrLimit, or the caller's own limit error).
func (b *Budget) Reader(r io.Reader, spent error) io.Reader {
	return budgetReader{r: r, b: b, spent: spent}
}

type budgetReader struct {
	r     io.Reader
	b     *Budget
	spent error
}

func (br budgetReader) Read(p []byte) (int, error) {
	if br.b.Left <= 0 {
		return 0, br.spent
	}
	if int64(len(p)) > br.b.Left {
		p = p[:br.b.Left]
	}
	n, err := br.r.Read(p)
	br.b.Left -= int64(n)
	return n, err
}
