package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/ledongthuc/pdf"
)

// PDF emits each page's text ("page N"). The PDF library panics on many
// malformed files; a panic ends the document (or the page) as ErrFormat
// and what was emitted stands. Encrypted documents are reported, not read.
func PDF(ctx context.Context, r io.ReaderAt, size int64, lim Limits, fn func(Segment) error) (err error) {
	lim = lim.withDefaults()
	var doc *pdf.Reader
	func() {
		defer func() {
			if recover() != nil {
				err = fmt.Errorf("pdf structure: %w", ErrFormat)
			}
		}()
		doc, err = pdf.NewReader(r, size)
	}()
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) {
			return fmt.Errorf("encrypted pdf: %w", ErrFormat)
		}
		if errors.Is(err, ErrFormat) {
			return err
		}
		return fmt.Errorf("pdf structure: %w", ErrFormat)
	}
	pages := 0
	func() {
		defer func() {
			if recover() != nil {
				err = fmt.Errorf("pdf page tree: %w", ErrFormat)
			}
		}()
		// The library walks the page tree without a guard: a tree that
		// contains itself would never end (found by FuzzPDF).
		if !pdfTreeFinite(doc.Trailer().Key("Root").Key("Pages"), 0, new(int)) {
			err = fmt.Errorf("pdf page tree is cyclic or too deep: %w", ErrFormat)
			return
		}
		pages = doc.NumPage()
	}()
	if err != nil {
		return err
	}
	left := lim.MaxBytes
	for i := 1; i <= pages; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if i > lim.MaxParts {
			return fmt.Errorf("%d pages read: %w", lim.MaxParts, ErrLimit)
		}
		text, perr := pdfPage(doc, i)
		if perr != nil {
			return perr
		}
		if text == "" {
			continue
		}
		if left -= int64(len(text)); left < 0 {
			return fmt.Errorf("page %d: %w", i, ErrLimit)
		}
		if err := fn(Segment{Where: "page " + strconv.Itoa(i), Text: []byte(text)}); err != nil {
			return err
		}
	}
	return nil
}

func pdfPage(doc *pdf.Reader, i int) (text string, err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("page %d: %w", i, ErrFormat)
		}
	}()
	p := doc.Page(i)
	if p.V.IsNull() {
		return "", nil
	}
	text, err = p.GetPlainText(nil)
	if err != nil {
		// The library's message may quote the content stream.
		return "", fmt.Errorf("page %d: unreadable content: %w", i, ErrFormat)
	}
	return text, nil
}

// pdfTreeFinite reports whether a page tree ends within a sane depth and
// size; a cycle shows as unbounded depth.
func pdfTreeFinite(node pdf.Value, depth int, nodes *int) bool {
	if depth > 64 || *nodes > 200_000 {
		return false
	}
	*nodes++
	if node.Key("Type").Name() != "Pages" {
		return true
	}
	kids := node.Key("Kids")
	for i := 0; i < kids.Len(); i++ {
		if !pdfTreeFinite(kids.Index(i), depth+1, nodes) {
			return false
		}
	}
	return true
}
