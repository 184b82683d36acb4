package content

import "bytes"

// directives reads a configuration file written as directives, a name
// and its value a line (redis.conf's "requirepass …", sshd_config,
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
		if ke < vs {
			text(line[:vs], firstLine+n) // the words between the name and the value
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
// letter, at most 64 bytes; the value one token, quoted or not. A line of
// three to six words ("sentinel auth-pass mymaster …") is its second
// word's, the value its last word. It returns where the name and the
// value are.
func directive(line []byte) (ks, ke, vs, ve int, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 2 || len(f) > 6 || bytes.IndexByte(line, '=') >= 0 || !isASCIILetter(f[0][0]) {
		return 0, 0, 0, 0, false
	}
	name := f[0]
	if len(f) > 2 {
		name = f[1]
	}
	for _, c := range name {
		if !isASCIILetter(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' {
			return 0, 0, 0, 0, false
		}
	}
	if len(name) > 64 || !isASCIILetter(name[0]) {
		return 0, 0, 0, 0, false
	}
	ks = bytes.Index(line, name)
	ke = ks + len(name)
	last := bytes.TrimRight(f[len(f)-1], ";")
	vs = bytes.LastIndex(line, f[len(f)-1])
	ve = vs + len(last)
	if vs < ke || ve <= vs {
		return 0, 0, 0, 0, false
	}
	if q := line[vs]; (q == '"' || q == '\'') && ve-vs >= 2 && line[ve-1] == q {
		vs, ve = vs+1, ve-1
	}
	return ks, ke, vs, ve, vs < ve
}

// iosConfig reads a network device's configuration (Cisco IOS and its
// kin: "username backup password 0 …", "enable password …"): the value
// after "password" or "secret" is a cell under a password field when it
// is kept in clear (no type, type 0) or reversibly (type 7, which anyone
// decodes); types 5, 8 and 9 are hashes and are read as text.
type iosConfig struct{}

func (iosConfig) window(w []byte, firstLine int, text func([]byte, int), cell func(string, []byte, int)) {
	textStart, textLine := 0, firstLine
	eachLine(w, func(line []byte, off, n int) bool {
		vs, ve, ok := iosSecret(line)
		if !ok {
			return true
		}
		if off > textStart {
			text(w[textStart:off], textLine)
		}
		text(line[:vs], firstLine+n)
		cell("password", line[vs:ve], firstLine+n)
		_, next := lineAt(w, off)
		textStart, textLine = next, firstLine+n+1
		return true
	})
	if textStart < len(w) {
		text(w[textStart:], textLine)
	}
}

// iosSecret finds the clear or reversible secret of a configuration
// line: where the value after "password" or "secret" (and its type)
// starts and ends.
func iosSecret(line []byte) (int, int, bool) {
	f := bytes.Fields(line)
	for k := 0; k+1 < len(f); k++ {
		if w := string(f[k]); w != "password" && w != "secret" {
			continue
		}
		v := k + 1
		if len(f[v]) == 1 && isDigit(f[v][0]) {
			if t := f[v][0]; t != '0' && t != '7' || v+1 >= len(f) {
				return 0, 0, false
			}
			v++
		}
		if v != len(f)-1 {
			return 0, 0, false // the secret is the line's last word
		}
		vs := bytes.LastIndex(line, f[v])
		return vs, vs + len(f[v]), true
	}
	return 0, 0, false
}
