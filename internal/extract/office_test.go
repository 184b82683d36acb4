package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/extract/docgen"
)

// These tests pin down the Office extractors' contract beyond the round
// trips in extract_test.go: part order and naming, the header-as-field
// mapping, cancellation, callback errors and the limits.

const oxSecret = "jane.doe@example.com"

type oxExtractor = func(context.Context, io.ReaderAt, int64, Limits, func(Segment) error) error

func oxCollect(ctx context.Context, fn oxExtractor, data []byte, lim Limits) ([]Segment, error) {
	var out []Segment
	err := fn(ctx, bytes.NewReader(data), int64(len(data)), lim, func(s Segment) error {
		// Text is only valid during the callback.
		s.Text = bytes.Clone(s.Text)
		out = append(out, s)
		return nil
	})
	return out, err
}

// oxZip writes members in the given order, so a test controls whether
// archive order and number order differ.
func oxZip(t testing.TB, members ...[2]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range members {
		fw, err := zw.Create(m[0])
		require.NoError(t, err)
		_, err = io.WriteString(fw, m[1])
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func oxWrite(t testing.TB, write func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b))
	return b.Bytes()
}

const (
	oxW = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"`
	oxA = `xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"`
)

func oxSlide(paras ...string) string {
	var b strings.Builder
	for _, p := range paras {
		fmt.Fprintf(&b, `<a:p><a:r><a:t>%s</a:t></a:r></a:p>`, p)
	}
	return `<p:sld ` + oxA + `><p:cSld><p:spTree><p:sp><p:txBody>` + b.String() + `</p:txBody></p:sp></p:spTree></p:cSld></p:sld>`
}

func TestOfficeSegments(t *testing.T) {
	docxParts := oxZip(t,
		[2]string{"[Content_Types].xml", "<Types/>"},
		[2]string{"word/footer1.xml", `<w:ftr ` + oxW + `><w:p><w:r><w:t>page footer</w:t></w:r></w:p></w:ftr>`},
		[2]string{"word/document.xml", `<w:document ` + oxW + `><w:body>` +
			`<w:p><w:r><w:t>Name:</w:t><w:tab/><w:t xml:space="preserve">Jane </w:t></w:r><w:r><w:t>Doe</w:t><w:br/><w:t>line two</w:t></w:r></w:p>` +
			`<w:p/>` +
			`<w:p><w:r><w:t>a &amp; b</w:t></w:r></w:p>` +
			`</w:body></w:document>`},
		[2]string{"word/header1.xml", `<w:hdr ` + oxW + `><w:p><w:r><w:t>Confidential</w:t></w:r></w:p></w:hdr>`},
		[2]string{"word/comments.xml", `<w:comments ` + oxW + `><w:comment><w:p><w:r><w:t>call ` + oxSecret + `</w:t></w:r></w:p></w:comment></w:comments>`},
	)
	// Archive order is lexical (10 before 2); slides must come in number
	// order, then the notes.
	pptx := oxZip(t,
		[2]string{"[Content_Types].xml", "<Types/>"},
		[2]string{"ppt/presentation.xml", `<p:presentation ` + oxA + `/>`},
		[2]string{"ppt/slides/slide1.xml", oxSlide("one")},
		[2]string{"ppt/slides/slide10.xml", oxSlide("ten", "ten b")},
		[2]string{"ppt/slides/slide2.xml", oxSlide("two")},
		[2]string{"ppt/notesSlides/notesSlide1.xml", oxSlide("speaker note")},
		[2]string{"ppt/slides/_rels/slide1.xml.rels", "<Relationships/>"},
	)
	xlsx := oxWrite(t, func(w io.Writer) error {
		return docgen.WriteXLSX(w, map[string][][]string{
			// The header is the first non-empty row, not row 1, and a
			// column without a header has no field.
			"B": {{}, {"", ""}, {" E-Mail ", "", "Phone"}, {oxSecret, "x", "555-0100", "extra"}},
			"A": {{"id"}, {"1"}},
		})
	})
	tests := []struct {
		name string
		fn   oxExtractor
		data []byte
		want []Segment
	}{
		{"docx runs, tab, br, entities, headers, footers, comments", DOCX, docxParts, []Segment{
			{Where: "paragraph 1", Text: []byte("Name:\tJane Doe\nline two")},
			{Where: "paragraph 2", Text: []byte("a & b")},
			{Where: "word/comments.xml paragraph 1", Text: []byte("call " + oxSecret)},
			{Where: "word/footer1.xml paragraph 1", Text: []byte("page footer")},
			{Where: "word/header1.xml paragraph 1", Text: []byte("Confidential")},
		}},
		{"docgen docx", DOCX, oxWrite(t, func(w io.Writer) error {
			return docgen.WriteDOCX(w, []string{"first <tag> & \"q\"", "two\nlines", "", "  "})
		}), []Segment{
			{Where: "paragraph 1", Text: []byte("first <tag> & \"q\"")},
			{Where: "paragraph 2", Text: []byte("two\nlines")},
		}},
		{"pptx slides 1, 2, 10 then notes", PPTX, pptx, []Segment{
			{Where: "slide 1", Text: []byte("one")},
			{Where: "slide 2", Text: []byte("two")},
			{Where: "slide 10", Text: []byte("ten")},
			{Where: "slide 10", Text: []byte("ten b")},
			{Where: "notes 1", Text: []byte("speaker note")},
		}},
		{"docgen pptx", PPTX, oxWrite(t, func(w io.Writer) error {
			return docgen.WritePPTX(w, [][]string{{"title", "a & <b>"}, {}, {"last\nline"}})
		}), []Segment{
			{Where: "slide 1", Text: []byte("title")},
			{Where: "slide 1", Text: []byte("a & <b>")},
			{Where: "slide 3", Text: []byte("last\nline")},
		}},
		{"xlsx sheets in name order, header row found", XLSX, xlsx, []Segment{
			{Where: "A!A1", Text: []byte("id")},
			{Where: "A!A2", Field: "id", Text: []byte("1")},
			{Where: "B!A3", Text: []byte(" E-Mail ")},
			{Where: "B!C3", Text: []byte("Phone")},
			{Where: "B!A4", Field: "e-mail", Text: []byte(oxSecret)},
			{Where: "B!B4", Text: []byte("x")},
			{Where: "B!C4", Field: "phone", Text: []byte("555-0100")},
			{Where: "B!D4", Text: []byte("extra")},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := oxCollect(context.Background(), tc.fn, tc.data, Limits{})
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestOfficeKind(t *testing.T) {
	plain := oxZip(t, [2]string{"word/document.xml", "<x/>"})
	other := oxZip(t, [2]string{"[Content_Types].xml", "<Types/>"}, [2]string{"readme.txt", "hi"})
	for _, zipped := range [][]byte{plain, other} {
		zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
		require.NoError(t, err)
		require.Equal(t, "", Kind(zr))
	}
}

// The corpus generator relies on identical bytes for identical input.
func TestOfficeDocgenDeterministic(t *testing.T) {
	writers := map[string]func(io.Writer) error{
		"docx": func(w io.Writer) error { return docgen.WriteDOCX(w, []string{"a", oxSecret}) },
		"pptx": func(w io.Writer) error { return docgen.WritePPTX(w, [][]string{{"a"}, {oxSecret}}) },
		"xlsx": func(w io.Writer) error {
			return docgen.WriteXLSX(w, map[string][][]string{"z": {{"email"}, {oxSecret}}, "a": {{"x"}}})
		},
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			first := oxWrite(t, write)
			require.Equal(t, first, oxWrite(t, write))
		})
	}
}

// Broken parts are named in the error, which never carries their text.
func TestOfficeMalformed(t *testing.T) {
	badSlide := oxZip(t,
		[2]string{"[Content_Types].xml", "<Types/>"},
		[2]string{"ppt/presentation.xml", "<p:presentation/>"},
		[2]string{"ppt/slides/slide1.xml", oxSlide("fine")},
		[2]string{"ppt/slides/slide2.xml", "<p:sld>\n<a:p><a:t>" + oxSecret + "</a:t></a:p>\n<a:p " + oxSecret + "=<" + oxSecret},
	)
	noBody := oxZip(t, [2]string{"[Content_Types].xml", "<Types/>"}, [2]string{"word/header1.xml", "<w:hdr/>"})
	docx := oxWrite(t, func(w io.Writer) error { return docgen.WriteDOCX(w, []string{oxSecret}) })
	xlsx := oxWrite(t, func(w io.Writer) error {
		return docgen.WriteXLSX(w, map[string][][]string{"S": {{"email"}, {oxSecret}}})
	})
	tests := []struct {
		name    string
		fn      oxExtractor
		data    []byte
		part    string
		emitted int
	}{
		{"pptx slide with broken xml", PPTX, badSlide, "ppt/slides/slide2.xml: malformed XML at line 3", 2},
		{"docx without a body", DOCX, noBody, "word/document.xml", 0},
		{"docx cut short", DOCX, docx[:len(docx)-40], "", 0},
		{"xlsx cut short", XLSX, xlsx[:len(xlsx)-40], "", 0},
		{"not a zip", PPTX, []byte(oxSecret), "", 0},
		{"empty", DOCX, nil, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := oxCollect(context.Background(), tc.fn, tc.data, Limits{})
			require.ErrorIs(t, err, ErrFormat)
			require.NotContains(t, err.Error(), oxSecret)
			require.Contains(t, err.Error(), tc.part)
			require.Len(t, got, tc.emitted)
		})
	}
}

// A deflated member that expands to 50 MB stops at the budget: quickly,
// with less text emitted than the budget.
func TestOfficeZipBomb(t *testing.T) {
	var bomb bytes.Buffer
	zw := zip.NewWriter(&bomb)
	fw, err := zw.Create("[Content_Types].xml")
	require.NoError(t, err)
	_, _ = io.WriteString(fw, "<Types/>")
	fw, err = zw.Create("word/document.xml")
	require.NoError(t, err)
	_, _ = io.WriteString(fw, "<w:document "+oxW+"><w:body>")
	para := []byte(strings.Repeat("<w:p><w:r><w:t>a</w:t></w:r></w:p>", 1000))
	for written := 0; written < 50<<20; written += len(para) {
		_, _ = fw.Write(para)
	}
	require.NoError(t, zw.Close())
	require.Less(t, bomb.Len(), 1<<20, "the bomb must be small compressed")

	var text int
	var segs int
	err = DOCX(context.Background(), bytes.NewReader(bomb.Bytes()), int64(bomb.Len()), Limits{MaxBytes: 1 << 20}, func(s Segment) error {
		text += len(s.Text)
		segs++
		return nil
	})
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "word/document.xml")
	require.Positive(t, segs)
	require.Less(t, text, 1<<20)
}

func TestOfficeLimitsParts(t *testing.T) {
	pptx := oxWrite(t, func(w io.Writer) error { return docgen.WritePPTX(w, [][]string{{"1"}, {"2"}, {"3"}}) })
	got, err := oxCollect(context.Background(), PPTX, pptx, Limits{MaxParts: 2})
	require.ErrorIs(t, err, ErrLimit)
	require.Len(t, got, 2)

	xlsx := oxWrite(t, func(w io.Writer) error {
		return docgen.WriteXLSX(w, map[string][][]string{"a": {{"1"}}, "b": {{"2"}}, "c": {{"3"}}})
	})
	got, err = oxCollect(context.Background(), XLSX, xlsx, Limits{MaxParts: 2})
	require.ErrorIs(t, err, ErrLimit)
	require.Len(t, got, 2)
}

func TestOfficeCallbackAndCancel(t *testing.T) {
	paras := make([]string, 5000)
	for i := range paras {
		paras[i] = fmt.Sprint("paragraph ", i)
	}
	rows := make([][]string, 5000)
	for i := range rows {
		rows[i] = []string{fmt.Sprint(i)}
	}
	docs := map[string]struct {
		fn   oxExtractor
		data []byte
	}{
		"docx": {DOCX, oxWrite(t, func(w io.Writer) error { return docgen.WriteDOCX(w, paras) })},
		"pptx": {PPTX, oxWrite(t, func(w io.Writer) error { return docgen.WritePPTX(w, [][]string{paras}) })},
		"xlsx": {XLSX, oxWrite(t, func(w io.Writer) error { return docgen.WriteXLSX(w, map[string][][]string{"S": rows}) })},
	}
	for name, d := range docs {
		t.Run(name+" callback error stops", func(t *testing.T) {
			stop := errors.New("stop")
			n := 0
			err := d.fn(context.Background(), bytes.NewReader(d.data), int64(len(d.data)), Limits{}, func(Segment) error {
				n++
				if n == 3 {
					return stop
				}
				return nil
			})
			require.ErrorIs(t, err, stop)
			require.Equal(t, 3, n)
		})
		t.Run(name+" cancelled mid-document", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			err := d.fn(ctx, bytes.NewReader(d.data), int64(len(d.data)), Limits{}, func(Segment) error {
				n++
				if n == 10 {
					cancel()
				}
				return nil
			})
			require.ErrorIs(t, err, context.Canceled)
			require.Less(t, n, 2500)
		})
		t.Run(name+" cancelled before", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			got, err := oxCollect(ctx, d.fn, d.data, Limits{})
			require.ErrorIs(t, err, context.Canceled)
			require.Empty(t, got)
		})
	}
}

// A workbook whose parts declare more than the budget is cut at the
// limit, not reported unreadable.
func TestOfficeXLSXOverBudget(t *testing.T) {
	rows := make([][]string, 2000)
	for i := range rows {
		rows[i] = []string{strings.Repeat("x", 100), fmt.Sprint(i)}
	}
	xlsx := oxWrite(t, func(w io.Writer) error { return docgen.WriteXLSX(w, map[string][][]string{"S": rows}) })
	_, err := oxCollect(context.Background(), XLSX, xlsx, Limits{MaxBytes: 64 << 10})
	require.ErrorIs(t, err, ErrLimit)
}

// FuzzDOCX covers the XML reader PPTX shares; this covers the slide
// discovery and ordering around it.
func FuzzPPTX(f *testing.F) {
	var b bytes.Buffer
	_ = docgen.WritePPTX(&b, [][]string{{"a@example.com"}, {"x", "y"}})
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:b.Len()/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = PPTX(context.Background(), bytes.NewReader(data), int64(len(data)), Limits{MaxBytes: 1 << 20, MaxParts: 20},
			func(Segment) error { return nil })
	})
}
