// Package docgen writes small, valid Office and PDF documents with given
// text, deterministically: fixtures for the extractors' tests and the
// evaluation corpus in every format.
package docgen

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// fixed zip times make output byte-identical across runs.
var zipTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func writeZip(w io.Writer, files [][2]string) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f[0], Method: zip.Deflate, Modified: zipTime})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, f[1]); err != nil {
			return err
		}
	}
	return zw.Close()
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

const rels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s"/></Relationships>`

// WriteDOCX writes a Word document with one paragraph per element.
func WriteDOCX(w io.Writer, paragraphs []string) error {
	var body strings.Builder
	for _, p := range paragraphs {
		// A line break inside a paragraph is a w:br between runs.
		lines := strings.Split(p, "\n")
		for i, l := range lines {
			lines[i] = esc(l)
		}
		fmt.Fprintf(&body, `<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>`,
			strings.Join(lines, `</w:t><w:br/><w:t xml:space="preserve">`))
	}
	return writeZip(w, [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", fmt.Sprintf(rels, "word/document.xml")},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`},
	})
}

// WritePPTX writes a presentation with one slide per element, each holding
// its paragraphs.
func WritePPTX(w io.Writer, slides [][]string) error {
	files := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>`},
		{"_rels/.rels", fmt.Sprintf(rels, "ppt/presentation.xml")},
		{"ppt/presentation.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>`},
	}
	for i, paras := range slides {
		var b strings.Builder
		for _, p := range paras {
			lines := strings.Split(p, "\n")
			for i, l := range lines {
				lines[i] = esc(l)
			}
			fmt.Fprintf(&b, `<a:p><a:r><a:t>%s</a:t></a:r></a:p>`, strings.Join(lines, `</a:t></a:r><a:br/><a:r><a:t>`))
		}
		files = append(files, [2]string{fmt.Sprintf("ppt/slides/slide%d.xml", i+1), `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>` + b.String() + `</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`})
	}
	return writeZip(w, files)
}

// WriteXLSX writes a workbook with the given sheets (in name order), each
// a list of rows.
func WriteXLSX(w io.Writer, sheets map[string][][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	names := make([]string, 0, len(sheets))
	for n := range sheets {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, name := range names {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		for r, row := range sheets[name] {
			cells := make([]any, len(row))
			for c, v := range row {
				cells[c] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &cells); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// WritePDF writes a PDF 1.4 document with one page per element; each line
// of a page is drawn in Helvetica and read back as its own line.
func WritePDF(w io.Writer, pages []string) error {
	// 1 catalog, 2 pages, 3 font, then page and content pairs.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	for i, p := range pages {
		var c strings.Builder
		c.WriteString("BT /F1 10 Tf 12 TL 40 800 Td\n")
		for _, line := range strings.Split(p, "\n") {
			r := strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`)
			fmt.Fprintf(&c, "(%s) Tj T*\n", WinAnsi(r.Replace(line)))
		}
		c.WriteString("ET")
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", c.Len(), c.String()))
	}
	_, err := w.Write(PDFFile("%PDF-1.4\n", objs))
	return err
}

// PDFFile is a PDF of objects numbered from 1 (the first the catalog)
// after header, with its cross-reference table and trailer.
func PDFFile(header string, objects []string) []byte {
	var out bytes.Buffer
	out.WriteString(header)
	offsets := make([]int, len(objects))
	for i, body := range objects {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return out.Bytes()
}

// WinAnsi encodes s for a WinAnsiEncoding font: Latin-1 runes as single
// bytes, others as '?'.
func WinAnsi(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 256 {
			b = append(b, byte(r))
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}
