package pii

import "bytes"

// FieldDetector is a Detector that also takes the name of the field a
// value sits under (a CSV column header, a JSON key, a spreadsheet column)
// as context: "ssn" lets nine bare digits count, "phone" a national number,
// "birth_date" any date; "order_id" or "version" makes a shape without a
// checksum not count (pii-types.md, Confidence).
type FieldDetector interface {
	Detector
	DetectField(field, text []byte, emit func(Match))
}

type fieldKind uint8

const (
	fieldSSN fieldKind = 1 << iota
	fieldPhone
	fieldBirth
	fieldNotPersonal
	fieldName
)

// TypePersonName is a person's name, found only from structure: a value
// under a field named for names (pii-types.md). A bare "name" field is not
// enough (product, host and file names share it).
const TypePersonName = "person_name"

// nameWords name fields that hold a person's name.
var nameWords = [][]byte{[]byte("first_name"), []byte("firstname"), []byte("last_name"), []byte("lastname"),
	[]byte("surname"), []byte("full_name"), []byte("fullname"), []byte("given_name"), []byte("givenname"),
	[]byte("family_name"), []byte("familyname"), []byte("middle_name"), []byte("maiden_name"), []byte("forename")}

// maxNameBytes bounds a name value: longer text is not a name field's.
const maxNameBytes = 64

// personName returns a name field's value lower-cased for its token, or
// false when it does not look like a name: one to four words of letters
// (any script), apostrophes, hyphens and dots, with no digit or @.
func personName(text []byte, dst []byte) ([]byte, bool) {
	t := bytes.TrimSpace(text)
	if len(t) < 2 || len(t) > maxNameBytes {
		return nil, false
	}
	words, letters := 1, 0
	for i, c := range t {
		switch {
		case c == ' ':
			if t[i-1] != ' ' {
				words++
			}
		case isAlpha(c) || c >= 0x80:
			letters++
		case c == '\'' || c == '-' || c == '.':
		default:
			return nil, false
		}
	}
	if letters < 2 || words > 4 {
		return nil, false
	}
	for _, c := range t {
		dst = append(dst, lower(c))
	}
	return dst, true
}

// notPersonalWords name fields whose values are identifiers, amounts,
// versions or times of things, not of people.
var notPersonalWords = [][]byte{[]byte("order"), []byte("invoice"), []byte("uuid"), []byte("guid"), []byte("sku"),
	[]byte("version"), []byte("build"), []byte("tracking"), []byte("ticket"), []byte("transaction"), []byte("txn"),
	[]byte("amount"), []byte("price"), []byte("total"), []byte("count"), []byte("quantity"), []byte("qty"),
	[]byte("port"), []byte("timestamp"), []byte("created"), []byte("updated"), []byte("modified"), []byte("checksum"),
	[]byte("hash"), []byte("serial"), []byte("request_id"), []byte("trace"), []byte("span")}

// classifyField reads a field name, ASCII case-insensitively.
func classifyField(name []byte) fieldKind {
	var lw [contextMax]byte
	l := lw[:0]
	for _, c := range name[:min(len(name), contextMax)] {
		l = append(l, lower(c))
	}
	var k fieldKind
	has := func(words [][]byte) bool {
		for _, w := range words {
			if bytes.Contains(l, w) {
				return true
			}
		}
		return false
	}
	if has(ssnWords) {
		k |= fieldSSN
	}
	if has(phoneWords) {
		k |= fieldPhone
	}
	if has(birthStems) {
		k |= fieldBirth
	}
	if has(nameWords) {
		k |= fieldName
	}
	if k == 0 && has(notPersonalWords) {
		k |= fieldNotPersonal
	}
	return k
}

// DetectField detects in one field's value with its name as context.
func (defaultDetector) DetectField(field, text []byte, emit func(Match)) {
	s := scanner{text: text, emit: emit, lastDOB: -1, field: classifyField(field)}
	s.run()
	if s.field&fieldName != 0 {
		if v, ok := personName(text, s.val[:0]); ok {
			s.match(TypePersonName, CategoryPersonal, Medium, v, 0)
		}
		return
	}
	if s.field&fieldBirth != 0 && s.lastDOB < 0 {
		// The field says what the date is: the first date in the value.
		for k := 0; k < len(text); k++ {
			if !isAlnum(text[k]) || (k > 0 && isAlnum(text[k-1])) {
				continue
			}
			if v, ok := parseDate(text[k:min(len(text), k+20)]); ok {
				s.match(TypeDateOfBirth, CategoryPersonal, High, v, k)
				return
			}
		}
	}
}
