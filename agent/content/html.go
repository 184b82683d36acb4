package content

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"golang.org/x/net/html"

	"github.com/sightline-dev/sightline/internal/pii"
)

// html reads an HTML page as its text with entities decoded (&#64;,
// &nbsp;) and without markup, scripts or styles, plus the attribute
// values that carry data (mailto: and tel: links, titles, values, data-*
// attributes). A table's cells are detected under their column's header
// (a row of th cells), or under the row's own th in a table of one th and
// one td a row, as a spreadsheet's are; a definition list's dd under its
// dt (<dt>Telefon</dt><dd>030 1234567</dd>), the label speaking for its
// own values only, as a column header does; so does microdata's itemprop
// for its element's text or content, and a form field's name for its
// value. A JSON-LD script is read as JSON.
func (f *fileScan) html(name string, r io.Reader) error {
	// No line bound: a minified page is one line, and the tokenizer
	// holds one token at a time, of at most chunkSize.
	mr := &meteredReader{f: f, r: r}
	z := html.NewTokenizer(mr)
	z.SetMaxBuf(chunkSize)
	agg := pii.NewAggregator(f.o.Tokenizer)
	var text bytes.Buffer
	flush := func() {
		if text.Len() > 0 {
			f.o.Detector.Detect(text.Bytes(), func(pm pii.Match) { agg.AddWhere(pm, "") })
			text.Reset()
		}
	}
	type htmlCell struct {
		th   bool
		text []byte
		// words: the cell has text; plain: some of it outside b or
		// strong. A cell of bold words only labels, as a th does.
		words, plain bool
	}
	type table struct {
		header []string
		row    []htmlCell
		cell   *htmlCell
		thead  bool // a row in <thead> is a header, th or td
		cells  int  // cells of the current row, held or not
		rows   int  // rows ended
	}
	var tables []table
	// The innermost open definition list: its last dt's text (the label)
	// and the open dd's, and how many tables were open when it opened (a
	// table inside a dd holds its own cells; a list inside a cell is read
	// as a list). Nested lists share it; a dt or dd of an inner list ends
	// the outer one's.
	var dl struct {
		depth, tables int
		label, val    []byte
		inDT, inDD    bool
		labelString   string
	}
	held := 0 // bytes of text held in rows, of all open tables
	skip := 0 // inside script or style
	bold := 0 // inside b or strong
	// A JSON-LD script (schema.org's Person, Organization, LocalBusiness:
	// telephone, email, address) is read as JSON, each value under its
	// key; other scripts are code, not text.
	var ldJSON []byte
	inLD := false
	// An element labelled by microdata (<span itemprop="telephone">): its
	// text is detected under the label, as a cell under its header. One
	// at a time; depth counts the element's own tag nested in it.
	var item struct {
		tag, label string
		depth      int
		val        []byte
	}
	field := func(column string, v []byte) {
		FieldDetect(f.o.Detector, column, v, func(pm pii.Match) { agg.AddWhere(pm, "") })
	}
	write := func(b []byte) {
		if item.depth > 0 {
			if len(item.val)+len(b) <= maxHTMLItem {
				item.val = append(item.val, b...)
				return
			}
			// More than a value: an element left open (or prose) is
			// no labelled value; what it held so far is.
			field(item.label, item.val)
			item.val, item.depth = item.val[:0], 0
		}
		if (dl.inDT || dl.inDD) && len(tables) == dl.tables {
			switch {
			case dl.inDT && len(dl.label)+len(b) <= maxHTMLLabel:
				dl.label = append(dl.label, b...)
				return
			case dl.inDD && len(dl.val)+len(b) <= maxHTMLDef:
				dl.val = append(dl.val, b...)
				return
			case dl.inDD:
				// A long description, or a list left open: the label
				// speaks for what the dd held so far, the rest is text.
				field(dl.labelString, dl.val)
				dl.val, dl.inDD = dl.val[:0], false
			}
		}
		if n := len(tables); n > 0 && tables[n-1].cell != nil {
			// A cell's text past maxHTMLCell is read as text, not held.
			if c := tables[n-1].cell; len(c.text)+len(b) <= maxHTMLCell {
				c.text = append(c.text, b...)
				if len(bytes.TrimSpace(b)) > 0 {
					c.words = true
					c.plain = c.plain || bold == 0
				}
				return
			}
		}
		text.Write(b)
		if text.Len() >= readSize {
			flush()
		}
	}
	// closeCell ends t's open cell: held in its row, or, past what a
	// walk keeps (maxHTMLRowCells cells, maxHTMLHeld bytes), detected now
	// under its column's header.
	closeCell := func(t *table) {
		c := t.cell
		t.cell = nil
		k := t.cells
		t.cells++
		if len(t.row) < maxHTMLRowCells && held+len(c.text) <= maxHTMLHeld {
			t.row = append(t.row, *c)
			held += len(c.text)
			return
		}
		column := ""
		if k < len(t.header) && !c.th {
			column = t.header[k]
		}
		field(column, c.text)
	}
	endRow := func(t *table) {
		row := t.row
		t.row, t.cells = nil, 0
		for _, c := range row {
			held -= len(c.text)
		}
		first := t.rows == 0
		t.rows++
		allTH := len(row) > 0
		for _, c := range row {
			// A first row of bold names (<td><b>Phone</b></td>) is a
			// header as a row of th is.
			allTH = allTH && (c.th || t.thead || first && c.words && !c.plain && columnName(string(c.text)))
		}
		// A label cell: a th, bold words, or words ending in a colon
		// (<td>Telefon:</td>); it labels the cell after it.
		label := func(c htmlCell) bool {
			if c.th || c.words && !c.plain && columnName(string(c.text)) {
				return true // a bold number is a value set off, not a label
			}
			l := bytes.TrimSpace(c.text)
			return len(l) > 1 && len(l) <= maxHTMLLabel && l[len(l)-1] == ':' && columnName(string(l))
		}
		pairs := len(row) >= 2 && len(row)%2 == 0
		for k := 0; pairs && k < len(row); k += 2 {
			pairs = label(row[k]) && !row[k+1].th && !label(row[k+1])
		}
		switch {
		case allTH:
			t.header = t.header[:0]
			for _, c := range row {
				t.header = append(t.header, strings.ToLower(strings.TrimSpace(string(c.text))))
			}
		case pairs && (len(t.header) == 0 || row[0].th):
			// Label and value, perhaps several to a row (th td th td):
			// each label speaks for the cell after it only.
			for k := 0; k < len(row); k += 2 {
				if !row[k].th {
					field("", row[k].text)
				}
				l := strings.ToLower(strings.TrimSpace(string(row[k].text)))
				field(strings.TrimSpace(strings.TrimSuffix(l, ":")), row[k+1].text)
			}
		default:
			for k, c := range row {
				column := ""
				if k < len(t.header) && !c.th {
					column = t.header[k]
				}
				field(column, c.text)
			}
		}
	}
	// endDef ends the open dt (its text is detected as text too: a
	// glossary's term may be an address) or dd (detected under its label).
	endDef := func() {
		switch {
		case dl.inDT:
			dl.inDT = false
			dl.labelString = strings.ToLower(strings.TrimSpace(string(dl.label)))
			field("", dl.label)
		case dl.inDD:
			dl.inDD = false
			field(dl.labelString, dl.val)
		}
		dl.val = dl.val[:0]
	}
	var err error
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err = f.stop(); err != nil {
				break
			}
		}
		tt := z.Next()
		if tt == html.ErrorToken {
			if e := z.Err(); errors.Is(e, html.ErrBufferExceeded) {
				err = errTokenLimit
			} else if !errors.Is(e, io.EOF) {
				err = e
			}
			break
		}
		switch tt {
		case html.TextToken:
			if skip == 0 {
				write(z.Text())
			} else if inLD && len(ldJSON) < chunkSize {
				ldJSON = append(ldJSON, z.Text()...)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tn, hasAttr := z.TagName()
			tag := string(tn)
			end := tt == html.EndTagToken
			if item.depth > 0 && tag == item.tag && tt != html.SelfClosingTagToken {
				if end {
					item.depth--
				} else {
					item.depth++
				}
				if item.depth == 0 {
					field(item.label, item.val)
					item.val = item.val[:0]
				}
			}
			switch {
			case tag == "script" || tag == "style":
				if tt == html.StartTagToken {
					if tag == "script" && skip == 0 {
						for hasAttr {
							var k, v []byte
							k, v, hasAttr = z.TagAttr()
							inLD = inLD || string(k) == "type" && hasFoldPrefix(bytes.TrimSpace(v), "application/ld+json")
						}
					}
					skip++
				} else if end && skip > 0 {
					skip--
					if skip == 0 && inLD {
						// A script that is not JSON (a template's
						// placeholder, a stray comma) is read as the
						// page's text: the values after its error count
						// too, and none twice. A page's broken JSON-LD is
						// no reason to call the page partial.
						if validJSON(ldJSON) {
							_ = f.jsonInto(agg, bytes.NewReader(ldJSON), false)
						} else {
							text.Write(ldJSON)
							text.WriteByte('\n')
						}
						ldJSON, inLD = ldJSON[:0], false
					}
				}
			case tag == "table" && !end:
				if len(tables) < 64 {
					tables = append(tables, table{})
				}
			case tag == "table" && end:
				if n := len(tables); n > 0 {
					if t := &tables[n-1]; t.cell != nil || t.row != nil {
						if t.cell != nil {
							closeCell(t)
						}
						endRow(t)
					}
					tables = tables[:n-1]
				}
			case (tag == "td" || tag == "th") && len(tables) > 0:
				t := &tables[len(tables)-1]
				if t.cell != nil {
					closeCell(t)
				}
				if !end {
					t.cell = &htmlCell{th: tag == "th"}
				}
			case tag == "dl":
				endDef()
				if !end {
					dl.depth++
					dl.tables = len(tables)
				} else if dl.depth > 0 {
					dl.depth--
				}
				if dl.depth == 0 {
					dl.labelString = ""
				}
			case (tag == "dt" || tag == "dd") && dl.depth > 0 && len(tables) == dl.tables:
				endDef()
				if !end && tag == "dt" {
					dl.inDT, dl.label = true, dl.label[:0]
				} else if !end {
					dl.inDD = true
				}
			case tag == "b" || tag == "strong":
				if !end {
					bold++
				} else if bold > 0 {
					bold--
				}
			case tag == "thead" && len(tables) > 0:
				tables[len(tables)-1].thead = !end
			case tag == "tr" && len(tables) > 0:
				t := &tables[len(tables)-1]
				if t.cell != nil {
					closeCell(t)
				}
				if t.row != nil {
					endRow(t)
				}
			}
			if blockTag[tag] {
				write([]byte{'\n'})
			}
			// A value or content attribute is detected under the element's
			// label when it has one: microdata's itemprop, a form field's
			// name (<input name="telefon" value="…">).
			var label string
			var vals [][]byte
			scope := false
			for hasAttr && skip == 0 {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch ks := string(k); {
				case ks == "itemprop" && len(v) <= maxHTMLLabel:
					label = strings.TrimSpace(string(v))
				case ks == "name" && label == "" && formTag[tag] && len(v) <= maxHTMLLabel:
					label = strings.TrimSpace(string(v))
				case ks == "itemscope":
					scope = true
				case (ks == "value" || ks == "content") && dataAttr(ks, v):
					vals = append(vals, v)
				case dataAttr(ks, v):
					write(append(append([]byte{' '}, v...), ' '))
				}
			}
			for _, v := range vals {
				if label != "" {
					field(label, v)
				} else {
					write(append(append([]byte{' '}, v...), ' '))
				}
			}
			if label != "" && len(vals) == 0 && !scope && tt == html.StartTagToken && item.depth == 0 && skip == 0 && itemTag[tag] {
				item.tag, item.label, item.depth = tag, label, 1
			}
		}
	}
	if item.depth > 0 {
		field(item.label, item.val)
	}
	endDef()
	for n := len(tables) - 1; n >= 0; n-- {
		if t := &tables[n]; t.cell != nil || t.row != nil {
			if t.cell != nil {
				closeCell(t)
			}
			endRow(t)
		}
	}
	flush()
	return f.end(name, mr, agg, err, "html", func(error) string { return "" })
}

// What the HTML reader holds of tables: a cell's text (past it, the text
// is read as text), the cells of a row, and the text of the rows of all
// open tables; a row's cells past these are detected as they end, under
// their column's header.
const (
	maxHTMLCell     = 64 << 10
	maxHTMLLabel    = 256     // a dt's text: longer is prose, read as text
	maxHTMLItem     = 512     // an itemprop element's text: longer is no value
	maxHTMLDef      = 4 << 10 // a dd's text under its label; past it, text
	maxHTMLRowCells = 1024
	maxHTMLHeld     = chunkSize
)

// blockTag are the elements that end a line of text.
var blockTag = map[string]bool{"p": true, "div": true, "br": true, "li": true, "tr": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "table": true, "section": true, "article": true, "header": true,
	"footer": true, "ul": true, "ol": true, "dt": true, "dd": true, "address": true, "pre": true, "blockquote": true,
	"form": true, "label": true, "option": true, "title": true}

// formTag are the elements whose name attribute labels their value.
var formTag = map[string]bool{"input": true, "textarea": true, "select": true, "meta": true, "param": true}

// itemTag are the elements whose text an itemprop labels: inline ones and
// div, whose end tags are not optional (a p or li left open would hand
// the label the rest of the page); a td or dd is read as its cell.
var itemTag = map[string]bool{"span": true, "a": true, "div": true, "time": true, "data": true, "strong": true, "b": true,
	"em": true, "i": true, "small": true, "address": true, "label": true, "h1": true, "h2": true, "h3": true, "h4": true,
	"h5": true, "h6": true, "bdi": true, "abbr": true, "cite": true}

// dataAttr says whether an attribute's value is data to detect: links to
// an address or a number, and the attributes that hold text or values.
func dataAttr(k string, v []byte) bool {
	switch {
	case k == "href":
		return hasFoldPrefix(v, "mailto:") || hasFoldPrefix(v, "tel:") || hasFoldPrefix(v, "sms:") || hasFoldPrefix(v, "callto:") ||
			hasFoldPrefix(v, "skype:") || hasFoldPrefix(v, "facetime:") || hasFoldPrefix(v, "whatsapp:") ||
			bytes.Contains(v, []byte("wa.me/")) || bytes.Contains(v, []byte("t.me/+")) || bytes.Contains(v, []byte("signal.me/")) ||
			bytes.IndexByte(v, '@') >= 0 || bytes.IndexByte(v, '?') >= 0
	case k == "title", k == "alt", k == "value", k == "content", k == "label", strings.HasPrefix(k, "data-"):
		return true
	}
	return false
}
