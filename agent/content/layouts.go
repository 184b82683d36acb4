package content

import (
	"bytes"
	"path"
	"strings"
)

// A layout reads a text format whose tables name their columns in a
// header the detector cannot see from a cell's line: Markdown tables and
// SQL dumps (INSERT … VALUES, COPY … FROM stdin). It splits each window
// of whole lines detectStream reads into text, detected as text, and
// cells, detected with their column's name, as a CSV's are. Its state
// (a table's header, an INSERT's columns) carries over windows.
type layout interface {
	// window reads w, whose first line is line firstLine (0-based), and
	// calls text for runs of text and cell for cells, with their lines.
	window(w []byte, firstLine int, text func(seg []byte, line int), cell func(column string, value []byte, line int))
}

// layoutFor names the layout of a plain stream from its name (an archive
// member's, else the file's), looking through .gz; nil for plain text.
func layoutFor(file, member string) layout {
	name := member
	if name == "" {
		name = file
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch path.Ext(name) {
	case ".md", ".markdown":
		return &markdownTables{}
	case ".sql":
		return &sqlDump{tables: map[string][]string{}}
	case ".php", ".inc":
		return phpDefines{}
	case ".conf":
		return directives{}
	case ".tex", ".cls", ".sty":
		return latexMacros{}
	}
	switch b := path.Base(name); {
	case b == "sshd_config" || b == "ssh_config":
		return directives{}
	case strings.Contains(b, "confg") || strings.Contains(b, "running-config") || strings.Contains(b, "startup-config"):
		return iosConfig{} // IOS's own names: router-confg, running-config
	}
	return nil
}

// eachLine calls f with each line of w (without its line end), its
// offset and its index, stopping when f returns false.
func eachLine(w []byte, f func(line []byte, off, n int) bool) {
	for off, n := 0, 0; off < len(w); n++ {
		line, next := lineAt(w, off)
		if !f(line, off, n) {
			return
		}
		off = next
	}
}

// lineAt returns the line of w at off without its line end, and where
// the next one starts.
func lineAt(w []byte, off int) ([]byte, int) {
	e := bytes.IndexByte(w[off:], '\n')
	if e < 0 {
		return bytes.TrimSuffix(w[off:], []byte("\r")), len(w)
	}
	return bytes.TrimSuffix(w[off:off+e], []byte("\r")), off + e + 1
}

// ---- Markdown ----

// markdownTables reads Markdown's pipe tables: a row of names over a
// delimiter row (| --- | :---: |) is a header; the rows below are cells
// under its names. A table of two columns headed like "Field | Value"
// holds one field a row, named by its first cell.
type markdownTables struct {
	candidate []string // the last row, a header if a delimiter row follows
	header    []string
	keyed     bool
}

// genericHeads are the headers of a key/value table (en, de, fr, es, it,
// nl), compared lower-cased.
var genericHeads = map[string]bool{"field": true, "value": true, "key": true, "attribute": true, "property": true,
	"item": true, "detail": true, "details": true, "feld": true, "wert": true, "angabe": true, "angaben": true,
	"eigenschaft": true, "champ": true, "valeur": true, "campo": true, "valor": true, "valore": true, "dato": true,
	"datos": true, "dati": true, "veld": true, "waarde": true, "gegeven": true, "gegevens": true, "": true}

func (m *markdownTables) window(w []byte, firstLine int, text func([]byte, int), cell func(string, []byte, int)) {
	textStart, textLine := 0, firstLine
	flush := func(end int) {
		if end > textStart {
			text(w[textStart:end], textLine)
		}
	}
	eachLine(w, func(line []byte, off, n int) bool {
		t := bytes.TrimSpace(line)
		// A row starts with a pipe, or (GitHub's tables) holds one
		// where a table may be: a header, or a row under one.
		if len(t) == 0 || t[0] != '|' && (bytes.IndexByte(t, '|') < 0 || bytes.HasPrefix(t, []byte("    "))) {
			m.candidate, m.header = nil, nil
			return true // text: stays in the run
		}
		flush(off)
		textStart, textLine = off+len(line)+1, firstLine+n+1
		cells := pipeCells(t)
		switch {
		case m.candidate != nil && delimiterRow(cells):
			m.header, m.candidate = m.candidate, nil
			m.keyed = len(m.header) == 2 && (genericHeads[m.header[0]] || genericHeads[m.header[1]])
		case m.header != nil && m.keyed:
			if len(cells) >= 2 {
				cell(cells[0], []byte(strings.Join(cells[1:], " ")), firstLine+n)
			}
		case m.header != nil:
			for c, v := range cells {
				name := ""
				if c < len(m.header) {
					name = m.header[c]
				}
				cell(name, []byte(v), firstLine+n)
			}
		default:
			// A row with no header yet: text, and the header if a
			// delimiter row follows.
			text(line, firstLine+n)
			m.candidate = make([]string, len(cells))
			for c, v := range cells {
				m.candidate[c] = strings.ToLower(v)
			}
		}
		return true
	})
	flush(len(w))
}

// maxLayoutColumns bounds the columns a layout names (a Markdown row's
// cells, an INSERT's or a CREATE TABLE's columns): a Markdown row's cells
// past it are one last cell, an INSERT's values past it go unnamed.
const maxLayoutColumns = 1024

// pipeCells splits a table row at its unescaped pipes, trimmed, into at
// most maxLayoutColumns cells.
func pipeCells(row []byte) []string {
	row = bytes.TrimPrefix(row, []byte("|"))
	if len(row) > 0 && row[len(row)-1] == '|' && (len(row) < 2 || row[len(row)-2] != '\\') {
		row = row[:len(row)-1]
	}
	var out []string
	st := 0
	for k := 0; k < len(row); k++ {
		switch row[k] {
		case '\\':
			k++
		case '|':
			if len(out) == maxLayoutColumns-1 {
				return append(out, string(bytes.TrimSpace(row[st:])))
			}
			out = append(out, string(bytes.TrimSpace(row[st:k])))
			st = k + 1
		}
	}
	return append(out, string(bytes.TrimSpace(row[min(st, len(row)):])))
}

// delimiterRow reports whether cells are a header's delimiter row.
func delimiterRow(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":") == "" || strings.Trim(c, "-:") != "" {
			return false
		}
	}
	return len(cells) > 0
}

// ---- SQL dumps ----

// sqlDump reads the data of a SQL dump: INSERT and REPLACE statements'
// rows (their columns named in the statement, or by the CREATE TABLE
// before it, as mysqldump writes them) and pg_dump's COPY … FROM stdin
// rows. Everything else (comments, DDL) is text.
type sqlDump struct {
	state    int
	table    string              // the table of the current CREATE TABLE
	tables   map[string][]string // columns by table, from CREATE TABLE
	columns  []string            // the current INSERT's or COPY's
	col      int                 // the current value's column
	depth    int                 // parentheses open in VALUES
	quote    byte                // the open quote in a value
	escaped  bool
	afterRow bool   // a row of VALUES just closed
	val      []byte // the value being read
	valLine  int
	held     int  // bytes of column names in tables, 16 more a name
	full     bool // the current CREATE TABLE's columns are no longer kept
}

const (
	sqlText = iota
	sqlCreate
	sqlValues
	sqlCopy
)

// maxSQLTables, maxSQLValue and maxSQLHeld (the column names of all
// tables) bound what the reader keeps; a column past them goes unnamed.
const (
	maxSQLTables = 4096
	maxSQLValue  = 4096
	maxSQLHeld   = 1 << 20
)

func (d *sqlDump) window(w []byte, firstLine int, text func([]byte, int), cell func(string, []byte, int)) {
	textStart, textLine := 0, firstLine
	flushTo := func(end, nextStart, nextLine int) {
		if end > textStart {
			text(w[textStart:end], textLine)
		}
		textStart, textLine = nextStart, nextLine
	}
	pos, line := 0, firstLine
	for pos < len(w) {
		if d.state == sqlValues {
			st := pos
			pos, line = d.values(w, pos, line, cell)
			textStart, textLine = pos, line
			if pos == st {
				pos++
			}
			continue
		}
		l, next := lineAt(w, pos)
		t := bytes.TrimLeft(l, " \t")
		switch d.state {
		case sqlCopy:
			flushTo(pos, next, line+1)
			if string(t) == `\.` {
				d.state = sqlText
				break
			}
			for c, v := range bytes.Split(l, []byte("\t")) {
				if string(v) != `\N` && len(v) > 0 && c < len(d.columns) {
					cell(d.columns[c], v, line)
				}
			}
		case sqlCreate:
			if len(t) > 0 && t[0] == ')' {
				d.state = sqlText
			} else if name := sqlIdent(t); name != "" && !sqlKeyword(name) {
				// Past the bounds, the table's later columns go unnamed.
				if cols := d.tables[d.table]; !d.full && len(cols) < maxLayoutColumns && d.held+len(name)+16 <= maxSQLHeld {
					d.tables[d.table] = append(cols, strings.ToLower(name))
					d.held += len(name) + 16
				} else {
					d.full = true
				}
			}
		default:
			switch {
			case hasFoldPrefix(t, "insert ") || hasFoldPrefix(t, "replace into "):
				k := indexFold(l, " values")
				if k < 0 {
					break
				}
				flushTo(pos, pos, line)
				d.columns = d.insertColumns(l[:k])
				d.state, d.depth, d.col, d.quote, d.val = sqlValues, 0, 0, 0, d.val[:0]
				pos += k + len(" values")
				continue
			case hasFoldPrefix(t, "create table "):
				rest := t[len("create table "):]
				if hasFoldPrefix(rest, "if not exists ") {
					rest = rest[len("if not exists "):]
				}
				d.table = sqlTableName(rest)
				if _, ok := d.tables[d.table]; ok || len(d.tables) < maxSQLTables {
					for _, c := range d.tables[d.table] {
						d.held -= len(c) + 16
					}
					d.tables[d.table], d.full = nil, false
					d.state = sqlCreate
				}
			case hasFoldPrefix(t, "copy ") && indexFold(t, " from stdin") >= len("copy "):
				flushTo(pos, next, line+1)
				head := t[len("copy "):indexFold(t, " from stdin")]
				d.columns = d.insertColumns(head)
				d.state = sqlCopy
			}
		}
		pos = next
		line++
	}
	if d.state != sqlValues {
		flushTo(len(w), len(w), line)
	}
}

// values reads an INSERT's rows from w[pos:] up to the statement's ';'
// or the window's end and returns where it stopped and that line.
func (d *sqlDump) values(w []byte, pos, line int, cell func(string, []byte, int)) (int, int) {
	emit := func() {
		v := bytes.TrimSpace(d.val)
		if len(v) > 0 && !bytes.EqualFold(v, []byte("null")) {
			name := ""
			if d.col < len(d.columns) {
				name = d.columns[d.col]
			}
			cell(name, v, d.valLine)
		}
		d.val = d.val[:0]
	}
	add := func(c byte) {
		if len(d.val) == 0 {
			d.valLine = line
		}
		if len(d.val) < maxSQLValue {
			d.val = append(d.val, c)
		}
	}
	for ; pos < len(w); pos++ {
		c := w[pos]
		if c == '\n' {
			line++
		}
		switch {
		case d.quote != 0:
			switch {
			case d.escaped:
				d.escaped = false
				add(sqlUnescape(c))
			case c == '\\':
				d.escaped = true
			case c == d.quote && pos+1 < len(w) && w[pos+1] == d.quote:
				add(c)
				pos++
			case c == d.quote:
				d.quote = 0
			default:
				add(c)
			}
		case d.depth == 0:
			switch {
			case c == '(':
				d.depth, d.col, d.afterRow = 1, 0, false
			case c == ';':
				d.state = sqlText
				return pos + 1, line
			case c == ',':
				d.afterRow = false
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			case d.afterRow:
				// No ',' or ';' after a row: the statement ended without
				// one (T-SQL's GO on the next line).
				d.state, d.afterRow = sqlText, false
				return pos, line
			}
		case c == '\'' || c == '"':
			d.quote = c
			if p := bytes.TrimSpace(d.val); len(p) > 0 && sqlStringPrefix(p) {
				d.val = d.val[:0] // N'…' (T-SQL), E'…' (PostgreSQL), _utf8mb4'…'
			}
			if len(d.val) == 0 {
				d.valLine = line
			}
		case c == '(':
			d.depth++
			add(c)
		case c == ')' && d.depth > 1:
			d.depth--
			add(c)
		case c == ')':
			emit()
			d.depth, d.afterRow = 0, true
		case c == ',' && d.depth == 1:
			emit()
			d.col++
		default:
			add(c)
		}
	}
	return pos, line
}

func sqlUnescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case '0':
		return ' '
	}
	return c
}

// insertColumns reads "INSERT INTO `t` (`a`, `b`)" or "public.t (a, b)":
// the listed columns, else the ones CREATE TABLE gave the table.
func (d *sqlDump) insertColumns(head []byte) []string {
	t := head
	for _, p := range []string{"insert ignore into ", "insert into ", "replace into ", "insert "} {
		if k := indexFold(t, p); k >= 0 {
			t = t[k+len(p):]
			break
		}
	}
	name := sqlTableName(bytes.TrimSpace(t))
	o := bytes.IndexByte(t, '(')
	if o < 0 {
		return d.tables[name]
	}
	e := bytes.LastIndexByte(t, ')')
	if e < o {
		return d.tables[name]
	}
	var cols []string
	for list := t[o+1 : e]; len(cols) < maxLayoutColumns; {
		c, rest, more := bytes.Cut(list, []byte(","))
		cols = append(cols, strings.ToLower(string(bytes.Trim(bytes.TrimSpace(c), "`\"[]"))))
		if !more {
			break
		}
		list = rest
	}
	return cols
}

// sqlTableName reads a table name (quoted or not, maybe schema-qualified)
// at the start of t, lower-cased without its schema.
func sqlTableName(t []byte) string {
	e := 0
	for e < len(t) && t[e] != ' ' && t[e] != '(' && t[e] != '\t' {
		e++
	}
	name := t[:e]
	if k := bytes.LastIndexByte(name, '.'); k >= 0 {
		name = name[k+1:]
	}
	return strings.ToLower(string(bytes.Trim(name, "`\"[]")))
}

// sqlIdent reads a column definition's name: a quoted identifier, or a
// word, at the start of t.
func sqlIdent(t []byte) string {
	if len(t) == 0 {
		return ""
	}
	if q := t[0]; q == '`' || q == '"' || q == '[' {
		closer := q
		if q == '[' {
			closer = ']'
		}
		if e := bytes.IndexByte(t[1:], closer); e > 0 {
			return string(t[1 : e+1])
		}
		return ""
	}
	e := 0
	for e < len(t) && (t[e] == '_' || t[e] >= 'a' && t[e] <= 'z' || t[e] >= 'A' && t[e] <= 'Z' || t[e] >= '0' && t[e] <= '9') {
		e++
	}
	if e == 0 || e == len(t) || t[e] != ' ' {
		return ""
	}
	return string(t[:e])
}

// sqlKeyword reports whether a CREATE TABLE line's first word starts a
// constraint or index, not a column.
func sqlKeyword(w string) bool {
	switch strings.ToLower(w) {
	case "primary", "key", "unique", "constraint", "index", "foreign", "check", "fulltext", "spatial", "exclude", "like":
		return true
	}
	return false
}

// hasFoldPrefix reports whether b starts with the lower-case p, ignoring
// ASCII case.
func hasFoldPrefix(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for k := 0; k < len(p); k++ {
		c := b[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[k] {
			return false
		}
	}
	return true
}

// indexFold is bytes.Index ignoring ASCII case, for a lower-case sep.
func indexFold(b []byte, sep string) int {
	for k := 0; k+len(sep) <= len(b); k++ {
		if hasFoldPrefix(b[k:], sep) {
			return k
		}
	}
	return -1
}

// sqlStringPrefix reports whether p, before a string's quote, marks the
// string's kind or character set rather than being data.
func sqlStringPrefix(p []byte) bool {
	if len(p) == 1 {
		return p[0] == 'N' || p[0] == 'n' || p[0] == 'E' || p[0] == 'e'
	}
	return p[0] == '_' && len(p) < 16
}
