package content

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"

	"github.com/sightline-dev/sightline/internal/pii"
)

// structuredKind names the structured format of a plain stream from its
// name (an archive member's, else the file's), looking through .gz.
func structuredKind(file, member string) string {
	name := memberOr(file, member)
	name = strings.ToLower(strings.TrimSuffix(strings.ToLower(name), ".gz"))
	switch path.Ext(name) {
	case ".csv":
		return "csv"
	case ".tsv", ".tab":
		return "tsv"
	case ".json", ".geojson":
		return "json"
	case ".ndjson", ".jsonl":
		return "ndjson"
	case ".xml":
		return "xml"
	case ".html", ".htm", ".xhtml":
		return "html"
	}
	return ""
}

// looksXML reports whether a stream whose name names no structured format
// is an XML document: it begins (after a UTF-8 byte order mark and white
// space) with the XML declaration "<?xml", or with '<' under a name XML
// formats use (web.config, Info.plist, app.csproj, track.gpx). They are
// read as XML, so their elements and attributes name their values.
func looksXML(name string, head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if bytes.HasPrefix(head, []byte("<?xml ")) || bytes.HasPrefix(head, []byte("<?xml\t")) {
		return true
	}
	if len(head) < 2 || head[0] != '<' || !(isASCIILetter(head[1]) || head[1] == '!') {
		return false
	}
	switch path.Ext(strings.ToLower(strings.TrimSuffix(strings.ToLower(name), ".gz"))) {
	case ".config", ".plist", ".csproj", ".vbproj", ".fsproj", ".props", ".targets", ".resx", ".xaml",
		".xsd", ".wsdl", ".pom", ".xhtml", ".rss", ".atom", ".kml", ".gpx", ".xlf", ".xliff", ".nuspec", ".jnlp":
		return true
	}
	return false
}

func isASCIILetter(c byte) bool { return (c|0x20)-'a' < 26 }

// memberOr is the name a stream is known by: its member's in an
// archive, else its file's.
func memberOr(file, member string) string {
	if member == "" {
		return file
	}
	return member
}

// meteredReader counts what a structured reader consumes against the
// file-size limit and the read rate, and bounds a physical line (a CSV
// reader holds a whole line in memory).
type meteredReader struct {
	f        *fileScan
	r        io.Reader
	read     int64
	lineLen  int
	maxLine  int
	limitErr error
	// maxToken, when set, bounds what is read past tokenStart (where the
	// reader's last token ended): one XML token, which the decoder holds
	// whole (a start tag with all its attributes, a text run).
	maxToken   int
	tokenStart int64
}

var (
	errLineLimit  = errors.New("line longer than the chunk size")
	errTokenLimit = errors.New("markup token longer than the chunk size")
)

func (m *meteredReader) Read(p []byte) (int, error) {
	if m.limitErr != nil {
		return 0, m.limitErr
	}
	if err := m.f.stop(); err != nil {
		m.limitErr = err
		return 0, err
	}
	if len(p) > readSize {
		p = p[:readSize]
	}
	// No byte past the file-size limit reaches the reader: at the limit,
	// one byte is read only to tell the end of the file from more.
	over := false
	if lim := m.f.o.MaxFileSize; lim > 0 && int64(len(p)) > lim-m.read {
		p, over = p[:max(lim-m.read, 1)], m.read >= lim
	}
	n, err := m.r.Read(p)
	if over && n > 0 {
		m.limitErr = errors.New("file-size limit reached")
		return 0, m.limitErr
	}
	m.read += int64(n)
	if m.maxLine > 0 {
		for _, c := range p[:n] {
			if c == '\n' {
				m.lineLen = 0
			} else if m.lineLen++; m.lineLen > m.maxLine {
				m.limitErr = errLineLimit
				return n, m.limitErr
			}
		}
	}
	if m.maxToken > 0 && m.read-m.tokenStart > int64(m.maxToken) {
		m.limitErr = errTokenLimit
		return n, m.limitErr
	}
	if m.f.limiter != nil && n > 0 {
		if werr := m.f.limiter.WaitN(m.f.parent, n); werr != nil {
			m.limitErr = fmt.Errorf("scan stopped: %w", werr)
			return n, m.limitErr
		}
	}
	if m.f.o.MaxFileSize > 0 && m.read > m.f.o.MaxFileSize {
		m.limitErr = errors.New("file-size limit reached")
		return n, m.limitErr
	}
	return n, err
}

// finish turns a structured reader's end into the member's result: a
// cancelled scan is an error; a limit or a syntax error makes it partial.
func (f *fileScan) finish(m Member, mr *meteredReader, agg *pii.Aggregator, err error, what string) error {
	f.read += mr.read
	m.Results = agg.Results()
	if err != nil {
		if f.parent.Err() != nil {
			return fmt.Errorf("scan stopped: %w", f.parent.Err())
		}
		switch {
		case errors.Is(err, errTimeLimit), errors.Is(err, errLineLimit), errors.Is(err, errExpandLimit), errors.Is(err, errTokenLimit),
			errors.Is(err, errLinesCut):
			m.Partial = err.Error()
		case mr.limitErr != nil:
			m.Partial = mr.limitErr.Error()
		case strings.Contains(what, "syntax error"):
			m.Partial = what
		default:
			m.Partial = what + ": " + errClass(err)
		}
	}
	if len(m.Results) > 0 || m.Partial != "" {
		f.members = append(f.members, m)
	}
	return nil
}

// end is finish for the reader of format: a syntax error that no limit
// caused is reported as syntax describes it, by its position, never by its
// own text, which may quote the document.
func (f *fileScan) end(name string, mr *meteredReader, agg *pii.Aggregator, err error, format string, syntax func(error) string) error {
	what := format
	if err != nil && mr.limitErr == nil {
		if s := syntax(err); s != "" {
			what = s
		}
	}
	return f.finish(Member{Name: name}, mr, agg, err, what)
}

// safeName returns a column header or JSON key for use in a location, or
// "" when it itself holds personal data (a header row that is really a
// data row, a map keyed by email address): locations never carry values.
func safeName(d pii.Detector, name string) string {
	if len(name) > 64 {
		return ""
	}
	found := false
	d.Detect([]byte(name), func(pii.Match) { found = true })
	if found {
		return ""
	}
	return name
}

// FieldDetect detects in one value with the name of its field (a column
// header, a JSON key, a database column) as context, when d can use it.
func FieldDetect(d pii.Detector, field string, value []byte, emit func(pii.Match)) {
	if fd, ok := d.(pii.FieldDetector); ok && field != "" {
		fd.DetectField([]byte(field), value, emit)
		return
	}
	d.Detect(value, emit)
}

// csv reads a CSV or TSV stream record by record: each cell is detected
// with its column header as context and located as "row N, column H".
// The separator is sniffed first (dialect.go); comma is the name's.
func (f *fileScan) csv(name string, r io.Reader, comma rune) error {
	mr := &meteredReader{f: f, r: r, maxLine: chunkSize}
	br := bufio.NewReaderSize(mr, dialectSample)
	sample, perr := br.Peek(dialectSample)
	d := sniffDialect(sample, perr != nil, comma)
	if bytes.HasPrefix(sample, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	if d.sepLine {
		_, _ = br.ReadSlice('\n') // Excel's "sep=;" or PowerShell's "#TYPE" line, not a header
	}
	var in io.Reader = br
	if !validUTF8Sample(sample, perr != nil) {
		// Excel's "CSV (séparateur : point-virgule)" and most exports
		// of Windows programs are Windows-1252: "Prénom" is one byte é.
		in = transform.NewReader(br, charmap.Windows1252.NewDecoder())
	}
	cr := csv.NewReader(in)
	cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = d.comma, -1, true, true
	agg := pii.NewAggregator(f.o.Tokenizer)
	var header, columns []string
	var err error
	row := 0
	for rec := range tokens(cr.Read, &err) {
		row++
		for c, v := range rec {
			if v == "" {
				continue
			}
			field := ""
			if header != nil && c < len(header) {
				field = header[c]
			}
			FieldDetect(f.o.Detector, field, []byte(v), func(pm pii.Match) {
				if !agg.WantsWhere(pm.Type) {
					agg.AddWhere(pm, "")
					return
				}
				col := strconv.Itoa(c + 1)
				if c < len(columns) && columns[c] != "" {
					col = columns[c]
				}
				agg.AddWhere(pm, "row "+strconv.Itoa(row)+", column "+col)
			})
		}
		if header == nil {
			header = make([]string, len(rec))
			columns = make([]string, len(rec))
			for c, v := range rec {
				if headerSpeaksFor(v, d.comma) {
					header[c] = strings.ToLower(strings.TrimSpace(v))
				}
				columns[c] = safeName(f.o.Detector, strings.TrimSpace(v))
			}
		}
	}
	return f.end(name, mr, agg, err, "csv", func(err error) string {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return ""
		}
		// The parse error's own text names the problem, not data.
		return fmt.Sprintf("csv syntax error at line %d: %v", pe.Line, pe.Err)
	})
}

// validUTF8Sample reports whether a stream's first bytes are UTF-8; a
// sample cut mid-stream may end inside a character.
func validUTF8Sample(sample []byte, complete bool) bool {
	if !complete {
		for k := len(sample) - 1; k >= 0 && k >= len(sample)-3; k-- {
			if utf8.RuneStart(sample[k]) {
				if !utf8.FullRune(sample[k:]) {
					sample = sample[:k]
				}
				break
			}
		}
	}
	return utf8.Valid(sample)
}

// newJSONDecoder is the decoder jsonInto reads with. jsontext, not
// encoding/json's Decoder.Token: the latter built an error message after
// every value it read (and dropped it), half the time of a JSON export.
// Names may repeat and strings may hold invalid UTF-8, as encoding/json
// allowed: a file is read, not judged.
func newJSONDecoder(r io.Reader) *jsontext.Decoder {
	return jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// validJSON reports whether b holds JSON values and nothing else, read as
// jsonInto reads them.
func validJSON(b []byte) bool {
	dec := newJSONDecoder(bytes.NewReader(b))
	for {
		if err := dec.SkipValue(); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

// jsonFrame is one open object or array on the way to a value.
type jsonFrame struct {
	array bool
	key   string // the current key (objects)
	index int    // the current index (arrays)
	// icd: the object's "system" names an ICD code system (FHIR's
	// Coding: {"system": "http://hl7.org/fhir/sid/icd-10", "code": …}).
	icd bool
	// label: the object's "key" or "name" when it is a name/value pair
	// ({"key": "password", "value": …}: Postman, AWS tags, HAR headers).
	label string
	// columns: the column names of a table held as arrays of rows — an
	// object's "columns" array (pandas' orient="split": {"columns": […],
	// "data": [[…], …]}) or an array of arrays' first row of names (the
	// Google Sheets API's "values", CSV-like JSON exports).
	columns []string
	// cells: an array's strings while it may be such a row of names;
	// notNames once it cannot be (a number, an object, a long string).
	cells    []string
	notNames bool
}

// jsonColumnKeys are the keys under which an object names its table's
// columns.
var jsonColumnKeys = map[string]bool{"columns": true, "cols": true, "fields": true, "header": true, "headers": true}

// maxJSONColumns bounds a row of column names.
const maxJSONColumns = 256

// columnName reports whether a string reads as a column's name: 1–64
// bytes starting with a letter, no '@', at most four words.
func columnName(t string) bool {
	t = strings.TrimSpace(t)
	if t == "" || len(t) > 64 || strings.ContainsAny(t, "@") || len(strings.Fields(t)) > 4 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	return unicode.IsLetter(r)
}

// headerCandidate reports whether the array on top of stack may be a row
// of column names: an object's "columns" array, or the first array of an
// array of arrays.
func headerCandidate(stack []jsonFrame) bool {
	n := len(stack)
	if n < 2 || !stack[n-1].array {
		return false
	}
	p := &stack[n-2]
	if p.array {
		return p.index == 0
	}
	return jsonColumnKeys[strings.ToLower(p.key)]
}

// tableColumns returns the column names an element of the array on top of
// stack sits under: the array is a row of a table whose names the array
// holding it, or the object above that, carries.
func tableColumns(stack []jsonFrame) []string {
	n := len(stack)
	if n < 2 || !stack[n-1].array || !stack[n-2].array {
		return nil
	}
	if c := stack[n-2].columns; c != nil {
		return c
	}
	if n >= 3 && !stack[n-3].array {
		return stack[n-3].columns
	}
	return nil
}

// endArray closes the array on top of stack: a row of names becomes the
// columns of what holds it.
func endArray(stack []jsonFrame) {
	n := len(stack)
	top := &stack[n-1]
	if !top.array || top.notNames || len(top.cells) < 2 || n < 2 {
		return
	}
	stack[n-2].columns = top.cells
}

// json reads JSON (or NDJSON, one value per line) token by token: each
// string and number is detected with its key as context and located by its
// path, "$.users[3].email" ("record 12 $.email" for NDJSON).
func (f *fileScan) json(name string, r io.Reader, lines bool) error {
	mr := &meteredReader{f: f, r: r}
	agg := pii.NewAggregator(f.o.Tokenizer)
	err := f.jsonInto(agg, mr, lines)
	return f.end(name, mr, agg, err, "json", func(err error) string {
		var se *jsontext.SyntacticError
		if !errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
			return "" // a truncated file is said so, not a syntax error
		}
		return fmt.Sprintf("json syntax error at byte %d", se.ByteOffset)
	})
}

// jsonInto reads JSON values from r into agg, each under its key path
// (json's reader, and an HTML page's JSON-LD); lines: a stream of
// records, located by record number.
func (f *fileScan) jsonInto(agg *pii.Aggregator, r io.Reader, lines bool) error {
	dec := newJSONDecoder(r)
	var stack []jsonFrame
	expectKey := false
	record := 0
	where := func() string {
		var b strings.Builder
		if lines {
			b.WriteString("record " + strconv.Itoa(record) + " ")
		}
		b.WriteString("$")
		for _, fr := range stack {
			if fr.array {
				b.WriteString("[" + strconv.Itoa(fr.index) + "]")
			} else if k := safeName(f.o.Detector, fr.key); k != "" {
				b.WriteString("." + k)
			} else {
				b.WriteString(".*")
			}
		}
		return b.String()
	}
	// after a value: the next token in an object is a key, in an array the
	// next element.
	next := func() {
		if len(stack) == 0 {
			return
		}
		if top := &stack[len(stack)-1]; top.array {
			top.index++
		} else {
			expectKey = true
		}
	}
	var err error
	for tok := range tokens(dec.ReadToken, &err) {
		if len(stack) == 0 {
			record++
		}
		switch tok.Kind() {
		case '{':
			if top := topFrame(stack); top != nil {
				top.notNames = true
			}
			stack = append(stack, jsonFrame{})
			expectKey = true
			continue
		case '[':
			if top := topFrame(stack); top != nil {
				top.notNames = true
			}
			stack = append(stack, jsonFrame{array: true})
			expectKey = false
			continue
		case '}', ']':
			if tok.Kind() == ']' {
				endArray(stack)
			}
			stack = stack[:len(stack)-1]
			expectKey = false
		case '"':
			t := tok.String()
			if expectKey {
				stack[len(stack)-1].key = t
				expectKey = false
				continue
			}
			if top := topFrame(stack); top != nil && !top.array {
				switch strings.ToLower(top.key) {
				case "system":
					top.icd = top.icd || strings.Contains(strings.ToLower(t), "icd")
				case "key", "name":
					if len(t) <= 64 {
						top.label = t
					}
				}
			}
			if top := topFrame(stack); top != nil && top.array && !top.notNames {
				if headerCandidate(stack) && columnName(t) && len(top.cells) < maxJSONColumns {
					top.cells = append(top.cells, strings.ToLower(strings.TrimSpace(t)))
				} else {
					top.notNames = true
				}
			}
			f.jsonValue(agg, stack, []byte(t), where)
		case '0':
			if top := topFrame(stack); top != nil {
				top.notNames = true
			}
			f.jsonValue(agg, stack, []byte(tok.String()), where)
		}
		next()
	}
	return err
}

func (f *fileScan) jsonValue(agg *pii.Aggregator, stack []jsonFrame, v []byte, where func() string) {
	// The value's key (an array's elements take the array's) and the key
	// of the object holding it: "phoneNumbers.number", "birth.date".
	field := ""
	for i := len(stack) - 1; i >= 0; i-- {
		if stack[i].array {
			continue
		}
		if field == "" {
			field = stack[i].key
			continue
		}
		field = stack[i].key + "." + field
		break
	}
	if c := tableColumns(stack); c != nil {
		field = ""
		if i := stack[len(stack)-1].index; i < len(c) {
			field = c[i] // a row's cell: its column's name
		}
	}
	if top := topFrame(stack); top != nil && top.icd && top.key == "code" {
		field = "diagnosis_code" // the Coding's system says what the code is
	} else if top != nil && top.label != "" && strings.EqualFold(top.key, "value") {
		field = top.label // the pair's name says what its value is
	}
	FieldDetect(f.o.Detector, field, v, func(pm pii.Match) {
		w := ""
		if agg.WantsWhere(pm.Type) {
			w = where()
		}
		agg.AddWhere(pm, w)
	})
}

// xml reads an XML stream token by token: the text of each element and
// each attribute value is detected with the element's (or attribute's)
// name as context and located by its path, "/people/person[2]/ssn".
// HTML is read as text: its markup names no data.
func (f *fileScan) xml(name string, r io.Reader) error {
	mr := &meteredReader{f: f, r: r, maxToken: chunkSize}
	dec := xml.NewDecoder(mr)
	dec.Strict = false
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	agg := pii.NewAggregator(f.o.Tokenizer)
	var stack []xmlElem
	where := func(attr string) string {
		var b strings.Builder
		for _, e := range stack {
			n := safeName(f.o.Detector, e.name)
			if n == "" {
				n = "*"
			}
			b.WriteString("/" + n)
			if e.index > 1 {
				b.WriteString("[" + strconv.Itoa(e.index) + "]")
			}
		}
		if attr != "" {
			if n := safeName(f.o.Detector, attr); n != "" {
				b.WriteString("/@" + n)
			}
		}
		return b.String()
	}
	// A value's field is its element's (or attribute's) name after its
	// parent element's: "phone.number", "person.@birthDate".
	detect := func(field, attr string, v []byte) {
		if n := len(stack) - 1; attr != "" && n >= 0 {
			field = stack[n].name + "." + field
		} else if attr == "" && n >= 1 {
			field = stack[n-1].name + "." + field
		}
		FieldDetect(f.o.Detector, field, v, func(pm pii.Match) {
			w := ""
			if agg.WantsWhere(pm.Type) {
				w = where(attr)
			}
			agg.AddWhere(pm, w)
		})
	}
	var err error
	for tok := range tokens(dec.RawToken, &err) {
		mr.tokenStart = mr.read
		switch t := tok.(type) {
		case xml.StartElement:
			label := attrLabel(t.Attr)
			idx := 1
			if len(stack) > 0 {
				top := &stack[len(stack)-1]
				if top.children == nil {
					top.children = map[string]int{}
				}
				// An element of more than maxXMLChildNames names of
				// children counts only the first ones': the others'
				// are located without an index.
				if _, ok := top.children[t.Name.Local]; ok || len(top.children) < maxXMLChildNames {
					top.children[t.Name.Local]++
				}
				idx = top.children[t.Name.Local]
			}
			if label == "" && len(stack) > 0 && (pairValue(t.Name.Local) || stack[len(stack)-1].name == "dict" && plistValue(t.Name.Local)) {
				// <Key>Password</Key><Value>…</Value>; a property list's
				// <key>Password</key><string>…</string>.
				label = stack[len(stack)-1].pairKey
			}
			col := 0
			if len(stack) > 0 && t.Name.Local == "Cell" && stack[len(stack)-1].name == "Row" {
				row := &stack[len(stack)-1]
				row.col++
				for _, a := range t.Attr {
					if n, err := strconv.Atoi(a.Value); a.Name.Local == "Index" && err == nil && n > row.col && n <= maxXMLColumns {
						row.col = n // ss:Index skips empty cells
					}
				}
				col = row.col
			}
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1].name
			}
			stack = append(stack, xmlElem{name: t.Name.Local, index: idx, label: label, col: col})
			if isoAddress(t.Name.Local) {
				stack[len(stack)-1].addr = []byte{}
			}
			coded := codeLabel(t.Name.Local, parent, t.Attr)
			for _, a := range t.Attr {
				field := a.Name.Local
				if coded != "" && (a.Name.Local == "code" || a.Name.Local == "extension") {
					field = coded // HL7 v3 / CDA: the code system or the id's root says what the value is
				}
				// <add key="DbPassword" value="…"/>: the value is the
				// named setting's, so the key's name is its field.
				if label != "" && isValueAttr(a.Name.Local) {
					field = label
				}
				if a.Name.Local == "pass" && unattendPasses[a.Value] {
					field = "" // unattend.xml's <settings pass="oobeSystem">: a setup phase
				}
				detect(field, a.Name.Local, []byte(a.Value))
			}
		case xml.EndElement:
			if n := len(stack); n > 0 {
				if stack[n-1].addr != nil {
					detect("address", "", stack[n-1].addr)
				}
				if n >= 2 && stack[n-1].name == "Row" && stack[n-1].col > 0 {
					tbl := &stack[n-2]
					switch {
					case tbl.rows == 0:
						tbl.title = nonEmpty(tbl.header) == 1
					case tbl.rows == 1 && tbl.title && nonEmpty(tbl.next) >= 2:
						tbl.header, tbl.rows, tbl.title, tbl.next = tbl.next, 0, false, nil // the first row was a title: this one names the columns
					}
					tbl.rows++
				}
				stack = stack[:n-1]
			}
		case xml.CharData:
			if n := len(stack); n >= 2 && pairKeyName(stack[n-1].name) {
				if k := strings.TrimSpace(string(t)); k != "" && len(k) <= 64 {
					stack[n-2].pairKey = k
				}
			}
			if n := len(stack); n >= 2 && stack[n-2].addr != nil && len(stack[n-2].addr) < 512 {
				if v := bytes.TrimSpace(t); len(v) > 0 && !strings.EqualFold(stack[n-1].name, "Ctry") {
					stack[n-2].addr = append(append(stack[n-2].addr, v...), ' ')
				}
			}
			if len(stack) > 0 && len(strings.TrimSpace(string(t))) > 0 {
				top := stack[len(stack)-1]
				field := top.name
				if top.label != "" { // <entry key="password">…</entry>
					field += "." + top.label
				}
				if tbl, c, ok := xmlTableCell(stack); ok {
					// A spreadsheet's cell: the first row names the
					// columns, the others are read under their names.
					if tbl.rows == 0 && c <= maxXMLColumns {
						tbl.header = setColumn(tbl.header, c, t)
					}
					if tbl.rows == 1 && tbl.title && c <= maxXMLColumns {
						tbl.next = setColumn(tbl.next, c, t)
					}
					field = ""
					if tbl.rows > 0 && c <= len(tbl.header) {
						field = tbl.header[c-1]
					}
					FieldDetect(f.o.Detector, field, t, func(pm pii.Match) {
						w := ""
						if agg.WantsWhere(pm.Type) {
							w = where("")
						}
						agg.AddWhere(pm, w)
					})
					continue
				}
				detect(field, "", t)
			}
		}
		if len(stack) > 256 {
			err = errors.New("xml nesting deeper than 256")
			return f.finish(Member{Name: name}, mr, agg, err, "xml syntax error: nesting deeper than 256")
		}
	}
	return f.end(name, mr, agg, err, "xml", func(err error) string {
		var se *xml.SyntaxError
		if !errors.As(err, &se) {
			return ""
		}
		return fmt.Sprintf("xml syntax error at line %d", se.Line)
	})
}

// xmlElem is an open element of the XML reader.
type xmlElem struct {
	name     string
	index    int            // 1-based among same-named siblings
	children map[string]int // how many of each name seen
	label    string         // the setting it holds, named by an attribute (attrLabel)
	pairKey  string         // the text of its last <Key> or <name> child (KeePass, Hadoop)
	addr     []byte         // an ISO 20022 postal address's parts (isoAddress)
	// A spreadsheet table written as XML (Excel 2003 SpreadsheetML:
	// <Table><Row><Cell><Data>…): a table's rows read and its first
	// row's names, a row's current column (1-based), a cell's column.
	rows   int
	header []string
	col    int
	// title: the first row had one cell, perhaps the sheet's title;
	// next: the second row's names then, its header if it has more.
	title bool
	next  []string
}

// maxXMLColumns bounds the columns of an XML spreadsheet table a header
// names.
const maxXMLColumns = 256

// setColumn sets column c (1-based) of a row of names to name.
func setColumn(names []string, c int, name []byte) []string {
	for len(names) < c {
		names = append(names, "")
	}
	names[c-1] = strings.ToLower(strings.TrimSpace(string(name)))
	return names
}

// nonEmpty counts the names that are not empty.
func nonEmpty(names []string) int {
	n := 0
	for _, v := range names {
		if v != "" {
			n++
		}
	}
	return n
}

// xmlTableCell finds the spreadsheet cell whose text is being read
// (<Row><Cell><Data>text or <Row><Cell>text, the Row inside a Table) and
// returns its table and its 1-based column.
func xmlTableCell(stack []xmlElem) (*xmlElem, int, bool) {
	n := len(stack)
	cell := n - 1
	if n >= 1 && stack[cell].name == "Data" {
		cell--
	}
	if cell < 2 || stack[cell].name != "Cell" || stack[cell-1].name != "Row" || stack[cell-2].name != "Table" || stack[cell].col < 1 {
		return nil, 0, false
	}
	return &stack[cell-2], stack[cell].col, true
}

// maxXMLChildNames bounds the names of children the XML reader counts
// for one element, to index same-named siblings.
const maxXMLChildNames = 1024

// attrLabel returns the name of the setting an element holds when an
// attribute names it, as configuration formats do: .NET's <add
// key="DbPassword" value="…"/>, Java's <entry key="password">…</entry>,
// Maven's and Spring's <property name="password" value="…"/>. Only a
// label with no personal value in it is used (a name is not shown, but it
// becomes part of the field a value is judged by).
func attrLabel(attrs []xml.Attr) string {
	for _, a := range attrs {
		switch strings.ToLower(a.Name.Local) {
		case "key", "name", "property":
			if v := strings.TrimSpace(a.Value); v != "" && len(v) <= 64 {
				return v
			}
		}
	}
	return ""
}

// isoAddress names the postal address element of ISO 20022 messages
// (SEPA pain.001, camt.053, pacs.008): its parts (StrtNm, BldgNb, PstCd,
// TwnNm, AdrLine) are one address, read joined when it ends.
func isoAddress(name string) bool { return name == "PstlAdr" }

// pairKeyName and pairValue name the elements of a setting written as a
// key element and a value element side by side: KeePass's <String><Key>
// Password</Key><Value>…</Value></String>, Hadoop's and Hive's
// <property><name>…password</name><value>…</value></property>.
func pairKeyName(name string) bool {
	return strings.EqualFold(name, "key") || strings.EqualFold(name, "name")
}

func pairValue(name string) bool { return strings.EqualFold(name, "value") }

// plistValue names the value elements of an Apple property list's
// <dict>, each after the <key> that names it.
func plistValue(name string) bool {
	switch name {
	case "string", "date", "integer", "real", "data":
		return true
	}
	return false
}

// icd10Systems are the HL7 v3 code systems (OIDs) and FHIR system URIs of
// ICD-10 diagnoses: WHO's ICD-10, ICD-10-CM, ICD-10-GM, ICD-10-CA.
var icd10Systems = []string{"2.16.840.1.113883.6.3", "2.16.840.1.113883.6.90", "1.2.276.0.76.5.", "2.16.840.1.113883.11.19436",
	"icd-10", "icd10"}

// codeLabel is the field of an HL7 v3 (CDA) element's code or extension
// attribute when the element says what it holds: a code in an ICD-10
// code system is a diagnosis ("icd10"); a patient's id (<patientRole><id
// root=… extension=…>) is a medical record number, or a social security
// number under the SSA's root.
func codeLabel(elem, parent string, attrs []xml.Attr) string {
	for _, a := range attrs {
		switch {
		case a.Name.Local == "codeSystem" || a.Name.Local == "system":
			v := strings.ToLower(a.Value)
			for _, s := range icd10Systems {
				if strings.HasPrefix(v, s) || strings.Contains(v, "/"+s) {
					return "icd10"
				}
			}
		case a.Name.Local == "root" && elem == "id" && (parent == "patientRole" || parent == "patient"):
			if a.Value == "2.16.840.1.113883.4.1" {
				return "ssn"
			}
			return "patientid"
		}
	}
	return ""
}

// isValueAttr reports whether an attribute holds the value of the setting
// its element's label names.
func isValueAttr(name string) bool {
	switch strings.ToLower(name) {
	case "value", "val", "content", "default":
		return true
	}
	return false
}

// tokens yields a decoder's tokens from next until it fails; the end of
// the input (io.EOF) leaves *err nil, any other failure is stored there.
func tokens[T any](next func() (T, error), err *error) iter.Seq[T] {
	return func(yield func(T) bool) {
		for {
			tok, e := next()
			if e != nil {
				if !errors.Is(e, io.EOF) {
					*err = e
				}
				return
			}
			if !yield(tok) {
				return
			}
		}
	}
}

// topFrame is the innermost open object or array, nil at the top level.
func topFrame(stack []jsonFrame) *jsonFrame {
	if len(stack) == 0 {
		return nil
	}
	return &stack[len(stack)-1]
}

// unattendPasses are the configuration passes of Windows' unattend.xml.
var unattendPasses = map[string]bool{"windowsPE": true, "offlineServicing": true, "generalize": true, "specialize": true,
	"auditSystem": true, "auditUser": true, "oobeSystem": true}
