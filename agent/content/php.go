package content

import "bytes"

// phpDefines reads PHP source as text, except that a constant defined
// with define('NAME', 'value') — how WordPress's wp-config.php holds its
// database password — is a cell under its name.
type phpDefines struct{}

func (phpDefines) window(w []byte, firstLine int, text func([]byte, int), cell func(string, []byte, int)) {
	textStart, textLine := 0, firstLine
	eachLine(w, func(line []byte, off, n int) bool {
		name, vs, ve, ok := phpDefine(line)
		if !ok {
			return true
		}
		if off > textStart {
			text(w[textStart:off], textLine)
		}
		text(line[:vs], firstLine+n)
		cell(name, line[vs:ve], firstLine+n)
		text(line[ve:], firstLine+n)
		_, next := lineAt(w, off)
		textStart, textLine = next, firstLine+n+1
		return true
	})
	if textStart < len(w) {
		text(w[textStart:], textLine)
	}
}

// phpDefine finds define('NAME', 'value') in a line: the name, and where
// the value (inside its quotes) starts and ends.
func phpDefine(line []byte) (string, int, int, bool) {
	d := indexFold(line, "define")
	if d < 0 || (d > 0 && (isASCIILetter(line[d-1]) || line[d-1] == '_')) {
		return "", 0, 0, false
	}
	i := d + len("define")
	skip := func() {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
	}
	quoted := func() (int, int, bool) {
		skip()
		if i >= len(line) || (line[i] != '\'' && line[i] != '"') {
			return 0, 0, false
		}
		q := line[i]
		st := i + 1
		e := bytes.IndexByte(line[st:], q)
		if e < 0 {
			return 0, 0, false
		}
		i = st + e + 1
		return st, st + e, true
	}
	skip()
	if i >= len(line) || line[i] != '(' {
		return "", 0, 0, false
	}
	i++
	ns, ne, ok := quoted()
	if !ok {
		return "", 0, 0, false
	}
	skip()
	if i >= len(line) || line[i] != ',' {
		return "", 0, 0, false
	}
	i++
	vs, ve, ok := quoted()
	if !ok {
		return "", 0, 0, false
	}
	return string(line[ns:ne]), vs, ve, true
}
