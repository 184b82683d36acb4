package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

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
	return pdfPageText(p), nil
}

// pdfPageText is a page's text in content order, as the library's
// GetPlainText gives it, but laid out by where it is drawn: text drawn on
// the baseline of the text before it continues that line (a form's label
// and its value are often separate text objects: "Nom :" then "MARTIN"),
// text drawn elsewhere starts a new line, and a TJ array's wide kerning
// (more than a fifth of an em, how many generators draw a space) is a
// space. It panics on malformed content, as the library does (pdfPage
// recovers).
func pdfPageText(p pdf.Page) string {
	strm := p.V.Key("Contents")
	if strm.Kind() == pdf.Null {
		return ""
	}
	fonts := map[string]*pdf.Font{}
	for _, name := range p.Fonts() {
		f := p.Font(name)
		fonts[name] = &f
	}
	var enc pdf.TextEncoding
	var b strings.Builder
	var y, lineY, leading, lastY float64
	shown, moved := false, false
	show := func(raw string) {
		s := raw
		if enc != nil {
			s = enc.Decode(raw)
		}
		if s == "" {
			return
		}
		if shown {
			switch {
			case math.Abs(y-lastY) > 1:
				b.WriteByte('\n')
			case moved && !strings.HasSuffix(b.String(), " ") && !strings.HasPrefix(s, " "):
				b.WriteByte(' ')
			}
		}
		b.WriteString(s)
		shown, moved, lastY = true, false, y
	}
	nextLine := func() {
		lineY -= leading
		y, moved = lineY, true
	}
	pdf.Interpret(strm, func(stk *pdf.Stack, op string) {
		n := stk.Len()
		args := make([]pdf.Value, n)
		for i := n - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		switch op {
		case "BT":
			y, lineY, moved = 0, 0, true
		case "Tf":
			if len(args) == 2 {
				enc = nil
				if f, ok := fonts[args[0].Name()]; ok {
					enc = f.Encoder()
				}
			}
		case "TL":
			if len(args) == 1 {
				leading = args[0].Float64()
			}
		case "Td", "TD":
			if len(args) == 2 {
				lineY += args[1].Float64()
				if op == "TD" {
					leading = -args[1].Float64()
				}
				y, moved = lineY, true
			}
		case "Tm":
			if len(args) == 6 {
				lineY = args[5].Float64()
				y, moved = lineY, true
			}
		case "T*":
			nextLine()
		case "'", "\"":
			if len(args) >= 1 {
				nextLine()
				show(args[len(args)-1].RawString())
			}
		case "Tj":
			if len(args) == 1 {
				show(args[0].RawString())
			}
		case "TJ":
			if len(args) != 1 {
				return
			}
			v := args[0]
			for i := 0; i < v.Len(); i++ {
				switch x := v.Index(i); x.Kind() {
				case pdf.String:
					show(x.RawString())
				case pdf.Integer, pdf.Real:
					if x.Float64() < -200 && shown && !strings.HasSuffix(b.String(), " ") {
						b.WriteByte(' ')
					}
				}
			}
		}
	})
	return b.String()
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
