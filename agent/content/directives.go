package content

import "bytes"

// directives reads a configuration file written as directives, a name
// and one value a line (redis.conf's "requirepass …", sshd_config,
// nginx's "auth_basic_user_file …;", squid, openvpn): the value is a cell
// under its directive's name, as key=value is in text. Other lines (key =
// value, comments, blocks) are text.
type directives struct{}

func (directives) window(w []byte, firstLine int, text func([]byte, int), cell func(string, []byte, int)) {
	textStart, textLine := 0, firstLine
	eachLine(w, func(line []byte, off, n int) bool {
		ks, ke, vs, ve, ok := directive(line)
		if !ok {
			return true
		}
		if off > textStart {
			text(w[textStart:off], textLine)
		}
		cell(string(line[ks:ke]), line[vs:ve], firstLine+n)
		_, next := lineAt(w, off)
		textStart, textLine = next, firstLine+n+1
		return true
	})
	if textStart < len(w) {
		text(w[textStart:], textLine)
	}
}

// directive reads "name value" (an nginx ';' after the value dropped):
// the name a word of letters, digits, '_', '-' and '.' starting with a
// letter, at most 64 bytes; the value one token, quoted or not.
func directive(line []byte) (ks, ke, vs, ve int, ok bool) {
	for ks < len(line) && (line[ks] == ' ' || line[ks] == '\t') {
		ks++
	}
	if ks >= len(line) || !isASCIILetter(line[ks]) {
		return 0, 0, 0, 0, false
	}
	ke = ks
	for ke < len(line) && (isASCIILetter(line[ke]) || isDigit(line[ke]) || line[ke] == '_' || line[ke] == '-' || line[ke] == '.') {
		ke++
	}
	if ke-ks > 64 || ke >= len(line) || (line[ke] != ' ' && line[ke] != '\t') {
		return 0, 0, 0, 0, false
	}
	vs = ke
	for vs < len(line) && (line[vs] == ' ' || line[vs] == '\t') {
		vs++
	}
	ve = len(bytes.TrimRight(line, " \t;"))
	if vs >= ve {
		return 0, 0, 0, 0, false
	}
	v := line[vs:ve]
	if q := v[0]; (q == '"' || q == '\'') && len(v) >= 2 && v[len(v)-1] == q {
		vs, ve = vs+1, ve-1
	} else if bytes.ContainsAny(v, " \t=") {
		return 0, 0, 0, 0, false // more than one value, or key = value
	}
	return ks, ke, vs, ve, vs < ve
}
