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
	fieldBasicAuth // auth, Authorization: base64 of user:password (Docker's config.json, HTTP Basic)
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
	[]byte("hash"), []byte("serial"), []byte("request"), []byte("trace"), []byte("span")}

// phoneFieldWords name phone fields but are no context words in text,
// where their letters would slow the pass (a "du" pair starts dur_ms=):
// msisdn (the mobile number telecoms' records hold, E.164 without '+'),
// a direct line (Durchwahl, doorkiesnummer).
var phoneFieldWords = [][]byte{[]byte("msisdn"), []byte("durchwahl"), []byte("doorkies")}

// phoneFieldWord reports whether a lower-cased field name holds one of
// phoneFieldWords.
func phoneFieldWord(l []byte) bool {
	for _, w := range phoneFieldWords {
		if bytes.Contains(l, w) {
			return true
		}
	}
	return false
}

// classifyField reads a field name, ASCII case-insensitively. A dotted
// path (a JSON or XML reader's "phoneNumbers.number", "birth.date",
// "diagnoses.code") that names nothing personal as a whole is read by its
// last key, then by that key's parent: an object's generic keys (number,
// date, code, value) take their meaning from it.
func classifyField(name []byte) fieldKind {
	k := classifyName(name)
	if k&^fieldNotPersonal != 0 {
		return k
	}
	if d := bytes.LastIndexByte(name, '.'); d > 0 && d+1 < len(name) {
		if last := classifyName(name[d+1:]); last&^fieldNotPersonal != 0 {
			return last
		}
		parent := name[:d]
		if e := bytes.LastIndexByte(parent, '.'); e >= 0 {
			parent = parent[e+1:]
		}
		if p := classifyName(parent); p&^fieldNotPersonal != 0 {
			return p
		}
		if namePart(name[d+1:]) && nameObject(parent) {
			return fieldName
		}
	}
	return k
}

// namePart reports whether a key names a part of a person's name inside
// a name object: FHIR's HumanName ("name": [{"family": …, "given": […]}]),
// {"name": {"first": …, "last": …}}.
func namePart(key []byte) bool {
	for _, w := range []string{"family", "given", "first", "last", "middle"} {
		if string(bytes.ToLower(key)) == w {
			return true
		}
	}
	return false
}

// nameObject reports whether a key names an object of a person's name
// parts: name, names, legalName, or a key named for a person's name
// (patientName); not hostname or username.
func nameObject(key []byte) bool {
	var kb [48]byte
	k := normKey(key, kb[:0])
	switch string(k) {
	case "name", "names", "humanname", "legalname", "officialname", "birthname":
		return true
	}
	return keyKind(key)&fieldName != 0
}

// classifyName reads one field name.
func classifyName(name []byte) fieldKind {
	var lw [contextMax]byte
	l := lw[:0]
	for _, c := range name[:min(len(name), contextMax)] {
		l = append(l, lower(c))
	}
	var k fieldKind
	if at, _ := ssnWordSet.lastWord(name[:len(l)]); at >= 0 {
		k |= fieldSSN
	}
	if at, _ := phoneWordSet.lastWord(name[:min(len(name), contextMax)]); at >= 0 || phoneFieldWord(l) {
		k |= fieldPhone
	}
	if birthField(name[:len(l)], l) || hasBirthAbbrev(name) {
		k |= fieldBirth
	}
	k |= keyKind(name)
	if k == 0 && startsWordIn(name[:len(l)], l, notPersonalWords) {
		k |= fieldNotPersonal
	}
	return k
}

// birthField reports whether a field name (l lower-cased) holds a birth
// word; dob, born and bday only at a word's start (patient_dob,
// patientDob, not adobe_id).
func birthField(name, l []byte) bool {
	for _, w := range birthStems {
		for off := 0; off+len(w) <= len(l); {
			p := bytes.Index(l[off:], w)
			if p < 0 {
				break
			}
			p += off
			if !ownBirthWord(w) || p == 0 || !isAlpha(l[p-1]) || (isUpper(name[p]) && !isUpper(name[p-1])) {
				return true
			}
			off = p + 1
		}
	}
	return false
}

// birthAbbrevs are column names of birth dates abbreviated in databases
// and spreadsheets (GebDat, fecha_nac, data_nasc, date_naiss), compared
// with normKey's form.
var birthAbbrevs = []string{"gebdat", "fechanac", "fecnac", "datanasc", "dtnasc", "datenaiss", "dtnaiss"}

func hasBirthAbbrev(name []byte) bool {
	var kb [48]byte
	k := normKey(name, kb[:0])
	for _, a := range birthAbbrevs {
		if bytes.Contains(k, []byte(a)) {
			return true
		}
	}
	return false
}

// notPersonalTails are what may follow a notPersonalWords word in the
// same word of a field name: orderid, trackingnumber, createdat.
var notPersonalTails = []string{"", "s", "id", "ids", "no", "nr", "num", "number", "code", "ref", "at", "on", "date",
	"time", "ts"}

// startsWordIn reports whether one of words (lower-case) is a word of the
// field name (l is name lower-cased; words split at separators and
// camel-case humps), alone or with one of notPersonalTails: "order_id",
// "createdAt" and "trackingnumber" name no person, but "account_ip",
// "country" and "support_ip" are not taken for count, port or an order.
func startsWordIn(name, l []byte, words [][]byte) bool {
	for st := 0; st < len(l); {
		if !isAlnum(l[st]) {
			st++
			continue
		}
		e := st + 1
		for e < len(l) && isAlnum(l[e]) && !(isUpper(name[e]) && !isUpper(name[e-1])) {
			e++
		}
		tok := l[st:e]
		for _, w := range words {
			if bytes.HasPrefix(tok, w) {
				for _, t := range notPersonalTails {
					if string(tok[len(w):]) == t {
						return true
					}
				}
			}
		}
		st = e
	}
	return false
}

// DetectField detects in one field's value with its name as context.
func (d defaultDetector) DetectField(field, text []byte, emit func(Match)) {
	text = plainSpaces(text, nil)
	kind := d.fields.kind(field)
	if kind&fieldPhone != 0 && bytes.Contains(text, []byte("  ")) && oneNumber(text) {
		text = singleSpaces(text) // a number typed with a double space: "040  3829 1746"
	}
	s := d.scanner(text, emit)
	defer d.release(s)
	s.field, s.fieldName = kind, field
	if s.field&idKinds != 0 {
		s.idField(text, emit)
		return
	}
	ibanSeen := false
	if s.field&fieldIBAN != 0 {
		// The pass finds an IBAN in lower case too; the field's check is
		// for the ones it does not (fr7630006…, one word).
		s.emit = func(m Match) {
			ibanSeen = ibanSeen || m.Type == TypeIBAN
			emit(m)
		}
	}
	s.run()
	if ibanSeen {
		s.field &^= fieldIBAN
	}
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
