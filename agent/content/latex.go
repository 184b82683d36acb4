package content

import "bytes"

// latexMacros reads LaTeX: a '~' (a no-break space) is read as a space
// (+34~612~48~39~57), and the personal-data macros of the CV classes
// (moderncv, awesome-cv, altacv, europasscv) give their arguments their
// field: \name{Lucía}{Romero} a first and a last name (\name{Full Name}
// a full one), \firstname, \familyname, \address{street}{town}{country}
// one address, \phone[mobile]{…} and \mobile{…} a phone number.
type latexMacros struct{}

// latexFields are the macros read, with the fields of their arguments
// (one field for all arguments joined: an address).
var latexFields = map[string][]string{
	"name":       {"first_name", "last_name"},
	"firstname":  {"first_name"},
	"familyname": {"last_name"},
	"lastname":   {"last_name"},
	"address":    {"address"},
	"phone":      {"phone"},
	"mobile":     {"mobile"},
}

func (latexMacros) window(w []byte, firstLine int, text func([]byte, int), cell func(string, []byte, int)) {
	buf := bytes.ReplaceAll(w, []byte("~"), []byte(" ")) // same length: lines stay
	textStart, textLine := 0, firstLine
	eachLine(buf, func(line []byte, off, n int) bool {
		name, args, ok := latexMacro(line)
		if !ok {
			return true
		}
		if off > textStart {
			text(buf[textStart:off], textLine)
		}
		fields := latexFields[name]
		switch {
		case name == "name" && len(args) == 1:
			cell("full_name", args[0], firstLine+n)
		case len(fields) == 1:
			cell(fields[0], bytes.Join(args, []byte(", ")), firstLine+n)
		default:
			for k, a := range args {
				if k < len(fields) {
					cell(fields[k], a, firstLine+n)
				}
			}
		}
		_, next := lineAt(buf, off)
		textStart, textLine = next, firstLine+n+1
		return true
	})
	if textStart < len(buf) {
		text(buf[textStart:], textLine)
	}
}

// latexMacro reads a line that is one of latexFields' macros: its name
// and its non-empty brace arguments (an optional [..] argument skipped,
// at most four, none nested).
func latexMacro(line []byte) (string, [][]byte, bool) {
	l := bytes.TrimSpace(line)
	if len(l) < 2 || l[0] != '\\' {
		return "", nil, false
	}
	e := 1
	for e < len(l) && isASCIILetter(l[e]) {
		e++
	}
	name := string(l[1:e])
	if _, ok := latexFields[name]; !ok {
		return "", nil, false
	}
	rest := l[e:]
	if len(rest) > 0 && rest[0] == '[' {
		c := bytes.IndexByte(rest, ']')
		if c < 0 {
			return "", nil, false
		}
		rest = rest[c+1:]
	}
	var args [][]byte
	for len(rest) > 0 && rest[0] == '{' && len(args) < 4 {
		c := bytes.IndexAny(rest[1:], "{}")
		if c < 0 || rest[1+c] != '}' {
			return "", nil, false
		}
		if a := bytes.TrimSpace(rest[1 : 1+c]); len(a) > 0 {
			args = append(args, a)
		}
		rest = bytes.TrimLeft(rest[2+c:], " ")
	}
	if len(args) == 0 || len(bytes.TrimSpace(rest)) > 0 && rest[0] != '%' {
		return "", nil, false
	}
	return name, args, true
}
