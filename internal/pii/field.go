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

type fieldKind uint32

const (
	fieldSSN fieldKind = 1 << iota
	fieldPhone
	fieldBirth
	fieldNotPersonal
	// Named for a type found from structure (keyvalue.go).
	fieldName
	fieldAddress
	fieldPassword
	fieldMRN
	fieldDiagnosis
	fieldAzureKey
	fieldGCPKeyID
	fieldIBAN
	// Named for a national id (ids.go).
	fieldTaxID
	fieldBSN
	fieldAadhaar
	fieldPassport
	fieldOtherID
)

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
	if at, _ := phoneWordSet.lastWord(l); at >= 0 {
		k |= fieldPhone
	}
	if has(birthStems) {
		k |= fieldBirth
	}
	k |= keyKind(name)
	if k == 0 && has(notPersonalWords) {
		k |= fieldNotPersonal
	}
	return k
}

// DetectField detects in one field's value with its name as context.
func (d defaultDetector) DetectField(field, text []byte, emit func(Match)) {
	s := scanner{text: text, emit: emit, lastDOB: -1, field: classifyField(field), region: d.region}
	if s.field&idKinds != 0 {
		s.idField(text, emit)
		return
	}
	s.run()
	s.fieldValue(text)
	if s.field&fieldBirth != 0 && s.lastDOB < 0 {
		// The field says what the date is: the first date in the value.
		for k := 0; k < len(text); k++ {
			if !isAlnum(text[k]) || (k > 0 && isAlnum(text[k-1])) {
				continue
			}
			if v, ok := parseDate(text[k:min(len(text), k+dateMax)]); ok {
				s.match(TypeDateOfBirth, CategoryPersonal, High, v, k)
				return
			}
		}
	}
}

// idField detects in a value under a field named for a national id. The
// id may be written with any separators and in lower case (12.345.678-z,
// 1 85 12 76 451 089 46): after the pass over the value as written, a
// second pass over it compacted (upper case, no separators) reports the
// ids the first did not.
func (s *scanner) idField(text []byte, emit func(Match)) {
	var found [4]string
	n := 0
	s.emit = func(m Match) {
		if n < len(found) {
			found[n] = m.Type
			n++
		}
		emit(m)
	}
	s.run()
	var cb [40]byte
	c, ok := compactID(text, cb[:0])
	if !ok || bytes.Equal(c, bytes.TrimSpace(text)) {
		return
	}
	again := scanner{text: c, lastDOB: -1, field: s.field, emit: func(m Match) {
		for _, t := range found[:n] {
			if t == m.Type {
				return
			}
		}
		if isIDType(m.Type) {
			emit(m)
		}
	}}
	again.run()
}

func isIDType(t string) bool {
	switch t {
	case TypeDETaxID, TypeFRNIR, TypeESDNI, TypeITFiscalCode, TypeNLBSN, TypeINAadhaar, TypePassport:
		return true
	}
	return false
}
