package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/extract/docgen"
)

type extractor func(context.Context, io.ReaderAt, int64, Limits, func(Segment) error) error

func segments(t *testing.T, fn extractor, data []byte, lim Limits) ([]Segment, error) {
	t.Helper()
	var out []Segment
	err := fn(context.Background(), bytes.NewReader(data), int64(len(data)), lim, func(s Segment) error {
		s.Text = append([]byte(nil), s.Text...)
		out = append(out, s)
		return nil
	})
	return out, err
}

func build(t *testing.T, write func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b))
	return b.Bytes()
}

func TestRoundTrips(t *testing.T) {
	docx := build(t, func(w io.Writer) error {
		return docgen.WriteDOCX(w, []string{"Dear Jane,", "your card 4111 1111 1111 1111 & <more>"})
	})
	pptx := build(t, func(w io.Writer) error {
		s := make([][]string, 10)
		for i := range s {
			s[i] = []string{"slide text " + string(rune('a'+i))}
		}
		return docgen.WritePPTX(w, s)
	})
	xlsx := build(t, func(w io.Writer) error {
		return docgen.WriteXLSX(w, map[string][][]string{
			"People": {{"Name", " Email "}, {"Jane", "jane@example.com"}, {"", "joe@example.com"}},
			"Empty":  {},
		})
	})
	pdf := build(t, func(w io.Writer) error {
		return docgen.WritePDF(w, []string{"first (page)\nSSN 123-45-6780", "jane.doe@example.com"})
	})
	tests := []struct {
		name string
		fn   extractor
		data []byte
		want []Segment
	}{
		{"docx", DOCX, docx, []Segment{
			{Where: "paragraph 1", Text: []byte("Dear Jane,")},
			{Where: "paragraph 2", Text: []byte("your card 4111 1111 1111 1111 & <more>")}}},
		{"xlsx header is the field", XLSX, xlsx, []Segment{
			{Where: "People!A1", Text: []byte("Name")}, {Where: "People!B1", Text: []byte(" Email ")},
			{Where: "People!A2", Field: "name", Text: []byte("Jane")}, {Where: "People!B2", Field: "email", Text: []byte("jane@example.com")},
			{Where: "People!B3", Field: "email", Text: []byte("joe@example.com")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := segments(t, tc.fn, tc.data, Limits{})
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	t.Run("pptx slides in number order", func(t *testing.T) {
		got, err := segments(t, PPTX, pptx, Limits{})
		require.NoError(t, err)
		require.Len(t, got, 10)
		for i, s := range got {
			require.Equal(t, "slide "+strconv.Itoa(i+1), s.Where)
			require.Equal(t, "slide text "+string(rune('a'+i)), string(s.Text))
		}
	})
	t.Run("pdf pages", func(t *testing.T) {
		got, err := segments(t, PDF, pdf, Limits{})
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, "page 1", got[0].Where)
		require.Contains(t, string(got[0].Text), "first (page)\nSSN 123-45-6780")
		require.Equal(t, "page 2", got[1].Where)
		require.Contains(t, string(got[1].Text), "jane.doe@example.com")
	})
	t.Run("kind", func(t *testing.T) {
		for kind, data := range map[string][]byte{"docx": docx, "pptx": pptx, "xlsx": xlsx} {
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			require.NoError(t, err)
			require.Equal(t, kind, Kind(zr))
		}
	})
}

// Broken documents end with ErrFormat, never a panic, and no error message
// quotes the document.
func TestMalformed(t *testing.T) {
	secret := "jane.doe@example.com"
	docx := build(t, func(w io.Writer) error { return docgen.WriteDOCX(w, []string{"ok", secret}) })
	pdf := build(t, func(w io.Writer) error { return docgen.WritePDF(w, []string{secret}) })
	var badXML bytes.Buffer
	zw := zip.NewWriter(&badXML)
	for name, body := range map[string]string{"[Content_Types].xml": "<Types/>",
		"word/document.xml": "<w:document><w:body><w:p><w:t>" + secret + "</w:t></w:p><w:p><w:t>" + secret + "</x:oops " + secret + "&&&"} {
		fw, _ := zw.Create(name)
		_, _ = fw.Write([]byte(body))
	}
	require.NoError(t, zw.Close())
	corruptXref := bytes.Replace(pdf, []byte("xref"), []byte("xrfe"), 1)
	tests := []struct {
		name string
		fn   extractor
		data []byte
	}{
		{"truncated docx", DOCX, docx[:len(docx)/2]},
		{"docx with broken xml", DOCX, badXML.Bytes()},
		{"garbage as xlsx", XLSX, []byte("not a workbook " + secret)},
		{"truncated pdf", PDF, pdf[:len(pdf)/2]},
		{"pdf with a broken xref", PDF, corruptXref},
		{"garbage as pdf", PDF, []byte("%PDF-1.4\n" + secret)},
		{"truncated pptx", PPTX, docx[:100]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := segments(t, tc.fn, tc.data, Limits{})
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrFormat), "%v", err)
			require.NotContains(t, err.Error(), secret)
		})
	}
}

// A part that expands far beyond the limit stops at it, quickly, with what
// was read before it emitted.
func TestLimits(t *testing.T) {
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	fw, _ := zw.Create("[Content_Types].xml")
	_, _ = fw.Write([]byte("<Types/>"))
	fw, _ = zw.Create("word/document.xml")
	_, _ = fw.Write([]byte("<w:document><w:body>"))
	para := []byte(strings.Repeat("<w:p><w:r><w:t>a</w:t></w:r></w:p>", 1000))
	for i := 0; i < 1500; i++ { // ~50 MB expanded
		_, _ = fw.Write(para)
	}
	require.NoError(t, zw.Close())
	got, err := segments(t, DOCX, bomb.Bytes(), Limits{MaxBytes: 1 << 20})
	require.ErrorIs(t, err, ErrLimit)
	require.NotEmpty(t, got)
	require.Less(t, len(got), 1<<20/30)

	pdf := build(t, func(w io.Writer) error { return docgen.WritePDF(w, []string{"one", "two", "three"}) })
	got, err = segments(t, PDF, pdf, Limits{MaxParts: 2})
	require.ErrorIs(t, err, ErrLimit)
	require.Len(t, got, 2)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = PDF(ctx, bytes.NewReader(pdf), int64(len(pdf)), Limits{}, func(Segment) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
}

func fuzzExtractor(f *testing.F, fn extractor, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = fn(context.Background(), bytes.NewReader(data), int64(len(data)), Limits{MaxBytes: 1 << 20, MaxParts: 20},
			func(Segment) error { return nil })
	})
}

func FuzzDOCX(f *testing.F) {
	var b bytes.Buffer
	_ = docgen.WriteDOCX(&b, []string{"a@example.com", "x"})
	fuzzExtractor(f, DOCX, b.Bytes())
}

func FuzzXLSX(f *testing.F) {
	var b bytes.Buffer
	_ = docgen.WriteXLSX(&b, map[string][][]string{"S": {{"email"}, {"a@example.com"}}})
	fuzzExtractor(f, XLSX, b.Bytes())
}

func FuzzPDF(f *testing.F) {
	var b bytes.Buffer
	_ = docgen.WritePDF(&b, []string{"a@example.com", "page two"})
	fuzzExtractor(f, PDF, b.Bytes())
}

func FuzzODF(f *testing.F) {
	odf := func(mime, body string) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, p := range [][2]string{{"mimetype", mime}, {"content.xml", `<office:document-content xmlns:office="o" xmlns:text="t" xmlns:table="b"><office:body>` + body + `</office:body></office:document-content>`}} {
			w, _ := zw.Create(p[0])
			_, _ = w.Write([]byte(p[1]))
		}
		_ = zw.Close()
		return b.Bytes()
	}
	fuzzExtractor(f, ODF,
		odf("application/vnd.oasis.opendocument.text", `<office:text><text:p>a<text:s text:c="3"/>b@example.com<text:tab/></text:p><table:table><table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:text>`),
		odf("application/vnd.oasis.opendocument.spreadsheet", `<office:spreadsheet><table:table table:name="S"><table:table-row><table:table-cell table:number-columns-repeated="70"/><table:table-cell office:date-value="1985-12-10"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>`))
}
