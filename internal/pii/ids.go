package pii

import "bytes"

// National identifiers of the "Next" table of pii-types.md. Each has its
// real check (ISO 7064, mod 97, mod 23, the codice fiscale's odd/even
// table, the 11-test, Verhoeff). The ids whose check passes one random
// number in ten or eleven (de_tax_id, nl_bsn, in_aadhaar) count only with
// a context word or field name, as nine bare digits do for us_ssn: logs
// are full of 9- to 12-digit numbers. The ids whose check and structure
// pass one random string in a thousand or fewer (fr_nir, es_dni, NIE,
// it_fiscal_code) count on their own.
const (
	TypeDETaxID       = "de_tax_id"
	TypeFRNIR         = "fr_nir"
	TypeESDNI         = "es_dni"
	TypeITFiscalCode  = "it_fiscal_code"
	TypeNLBSN         = "nl_bsn"
	TypeINAadhaar     = "in_aadhaar"
	TypePassport      = "passport_number"
	TypePersonName    = "person_name"
	TypePostalAddress = "postal_address"
	TypeHealthRecord  = "health_record"
	TypePassword      = "password"

	CategoryHealth = "health"
)

// Context words (lower-case ASCII or UTF-8 as written) in English, German,
// French, Spanish, Italian and Dutch. A short acronym stands with a
// delimiter so it does not match inside a word ("tin" in "setting").
var (
	taxIDWords = [][]byte{[]byte("steuer"), []byte("idnr"), []byte("identifikationsnummer"), []byte("tax id"),
		[]byte("tax-id"), []byte("taxid"), []byte("tax identification"), []byte("tax number"), []byte("tax no"),
		[]byte("tin:"), []byte("tin "), []byte("fisca"), []byte("belasting")}
	bsnWords = [][]byte{[]byte("bsn"), []byte("burgerservice"), []byte("sofi"), []byte("citizen service"),
		[]byte("service citoyen"), []byte("servicio al ciudadano"), []byte("servizio al cittadino"), []byte("bürgerservice")}
	aadhaarWords  = [][]byte{[]byte("aadhaar"), []byte("aadhar"), []byte("uidai"), []byte("आधार")}
	passportWords = [][]byte{[]byte("passport"), []byte("passeport"), []byte("reisepass"), []byte("pasaporte"),
		[]byte("passaporto"), []byte("paspoort"), []byte("passnummer"), []byte("pass-nr"), []byte("passnr")}
	healthWords = [][]byte{[]byte("diagn"), []byte("icd"), []byte("cim-10"), []byte("cim10"), []byte("cie-10"),
		[]byte("cie10"), []byte("dx:"), []byte("dx "), []byte("dx="), []byte("condition"), []byte("befund"),
		[]byte("krankheit"), []byte("erkrankung"), []byte("maladie"), []byte("enfermedad"), []byte("malattia"),
		[]byte("ziekte"), []byte("aandoening"), []byte("patholog"), []byte("patolog")}
	// patientWords are weaker: a hospital's rooms, wards and beds are
	// named like ICD categories ("Patient in Zimmer B12"), so after them
	// only a code with its subcategory (E11.9) counts.
	patientWords = [][]byte{[]byte("patient"), []byte("patiënt"), []byte("paciente"), []byte("paziente")}
)

// idContextWindow is how far before a candidate a context word may be.
const idContextWindow = 48

// ---- digit-only ids: de_tax_id, nl_bsn, in_aadhaar, 9-digit passports ----

// digitIDs tries the digit-only national ids on a run of groups that is
// neither an SSN nor a card number.
func (s *scanner) digitIDs(groups [][2]int, sep byte, pos int) bool {
	text := s.text
	v := digits(text, groups, s.val[:0])
	switch len(v) {
	case 9:
		if len(groups) > 3 {
			return false
		}
		if validBSN(v) && bsnLayout(groups) && (s.field&fieldBSN != 0 || contextBefore(text, pos, idContextWindow, bsnWords)) {
			s.match(TypeNLBSN, CategoryGovernmentID, High, v, pos)
			return true
		}
		if len(groups) == 1 && (s.field&fieldPassport != 0 || contextBefore(text, pos, idContextWindow, passportWords)) {
			s.match(TypePassport, CategoryGovernmentID, High, v, pos)
			return true
		}
	case 11:
		if len(groups) > 4 {
			return false
		}
		if validTaxID(v) && (s.field&fieldTaxID != 0 || contextBefore(text, pos, idContextWindow, taxIDWords)) {
			s.match(TypeDETaxID, CategoryGovernmentID, High, v, pos)
			return true
		}
	case 12:
		if !validAadhaar(v) {
			return false
		}
		// UIDAI prints 4-4-4 with spaces; that shape is medium alone.
		spaced := sep == ' ' && len(groups) == 3 && groups[0][1]-groups[0][0] == 4 && groups[1][1]-groups[1][0] == 4
		switch {
		case s.field&fieldAadhaar != 0 || contextBefore(text, pos, idContextWindow, aadhaarWords) || uidBefore(text, pos):
			s.match(TypeINAadhaar, CategoryGovernmentID, High, v, pos)
			return true
		case spaced && (pos < 2 || text[pos-1] != ' ' || !isAlnum(text[pos-2])):
			// Alone: not the tail of longer groups (an IBAN, a table).
			s.match(TypeINAadhaar, CategoryGovernmentID, Medium, v, pos)
			return true
		}
	}
	return false
}

// validTaxID checks a Steuer-IdNr: no leading zero; in the first ten
// digits one digit occurs twice or three times (three times not all in a
// row) and no other repeats; ISO 7064 MOD 11,10 check digit.
func validTaxID(v []byte) bool {
	if len(v) != 11 || v[0] == '0' {
		return false
	}
	var count [10]int
	for _, c := range v[:10] {
		count[c-'0']++
	}
	repeated := 0
	for d, n := range count {
		switch {
		case n == 2:
			repeated++
		case n == 3:
			repeated++
			for k := 0; k+2 < 10; k++ {
				if int(v[k]-'0') == d && v[k+1] == v[k] && v[k+2] == v[k] {
					return false
				}
			}
		case n > 3:
			return false
		}
	}
	if repeated != 1 {
		return false
	}
	return mod11_10(v[:11])
}

// bsnLayout says whether groups are written as a BSN is: one run, 3-3-3
// or 4-2-3. "+31 (0)70-8762761" after "BSN …," on the same line is a
// phone number's 2-7 tail, no BSN however its digits check.
func bsnLayout(groups [][2]int) bool {
	switch len(groups) {
	case 1:
		return true
	case 3:
		a, b := groups[0][1]-groups[0][0], groups[1][1]-groups[1][0]
		return a == 3 && b == 3 || a == 4 && b == 2
	}
	return false
}

// validBSN applies the 11-test to a 9-digit BSN (checksum.go).
func validBSN(v []byte) bool {
	return len(v) == 9 && elevenTest(v)
}

// validAadhaar: 12 digits, the first 2–9, Verhoeff check.
func validAadhaar(v []byte) bool {
	return len(v) == 12 && v[0] >= '2' && verhoeff(v)
}

// ---- fr_nir ----

// nirAt reads a NIR at i: 15 characters (sex, year, month, department
// with Corsica's 2A/2B, commune, order, key), plain or with single spaces
// at the group boundaries (1 85 12 76 451 089 46), and checks key = 97 −
// (number mod 97) with 2A read as 19 and 2B as 18.
func (s *scanner) nirAt(i int) bool {
	text := s.text
	v, end, ok := readNIR(text, i, s.val[:0])
	if !ok || (end < len(text) && (isAlnum(text[end]) || text[end] == '_')) {
		return false
	}
	s.match(TypeFRNIR, CategoryGovernmentID, High, v, i)
	return true
}

// nirBreaks marks after how many characters a NIR may have a space.
var nirBreaks = [16]bool{1: true, 3: true, 5: true, 7: true, 10: true, 13: true}

func readNIR(text []byte, i int, dst []byte) ([]byte, int, bool) {
	j := i
	for j < len(text) && len(dst) < 15 {
		c := text[j]
		switch {
		case isDigit(c), len(dst) == 6 && (c == 'A' || c == 'B') && dst[5] == '2':
			dst = append(dst, c)
			j++
		case c == ' ' && nirBreaks[len(dst)] && j+1 < len(text) && isAlnum(text[j+1]):
			j++
		default:
			return nil, 0, false
		}
	}
	if len(dst) != 15 || !validNIR(dst) {
		return nil, 0, false
	}
	return dst, j, true
}

// validNIR checks 15 normalized characters.
func validNIR(v []byte) bool {
	if len(v) != 15 {
		return false
	}
	// Sex 1 or 2 (7 and 8, temporary numbers, and pseudo-months 50+
	// are left out: a random 15-digit number passes them too often);
	// month 01–12, or 20 and 30–42 for an unknown month.
	if v[0] != '1' && v[0] != '2' {
		return false
	}
	month := int(v[3]-'0')*10 + int(v[4]-'0')
	if month == 0 || (month > 12 && month != 20 && (month < 30 || month > 42)) {
		return false
	}
	if v[5] == '0' && v[6] == '0' {
		return false
	}
	key := int(v[13]-'0')*10 + int(v[14]-'0')
	return key >= 1 && key <= 97 && key == 97-nirMod(v[:13])
}

// nirMod is the 13-character NIR number mod 97, with 2A as 19 and 2B as 18.
func nirMod(v []byte) int {
	rem := 0
	for k, c := range v {
		d := int(c - '0')
		switch {
		case k == 5 && (v[6] == 'A' || v[6] == 'B'):
			d = 1
		case k == 6 && c == 'A':
			d = 9
		case k == 6 && c == 'B':
			d = 8
		}
		rem = (rem*10 + d) % 97
	}
	return rem
}

// ---- es_dni: DNI and NIE ----

const dniLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// dniCheck returns the control letter of a number.
func dniCheck(n int) byte { return dniLetters[n%23] }

// dniAt reads 8 digits and the control letter at i, the letter glued or
// after one '-' or ' ' (12345678Z, 12345678-Z).
func (s *scanner) dniAt(i int) bool {
	text := s.text
	if i+9 > len(text) {
		return false
	}
	n := 0
	for _, c := range text[i : i+8] {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	j := i + 8
	if (text[j] == '-' || text[j] == ' ') && j+1 < len(text) && isUpper(text[j+1]) {
		j++
	}
	if !isUpper(text[j]) || text[j] != dniCheck(n) || (j+1 < len(text) && (isAlnum(text[j+1]) || text[j+1] == '_')) {
		return false
	}
	v := append(append(s.val[:0], text[i:i+8]...), text[j])
	s.match(TypeESDNI, CategoryGovernmentID, High, v, i)
	return true
}

// nieAt reads a NIE at i: X, Y or Z, 7 digits, the control letter, glued
// or with single dashes (X1234567L, X-1234567-L).
func (s *scanner) nieAt(i int) bool {
	text := s.text
	j := i + 1
	dash := j < len(text) && text[j] == '-'
	if dash {
		j++
	}
	if j+8 > len(text) {
		return false
	}
	n := int(text[i] - 'X')
	for _, c := range text[j : j+7] {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	k := j + 7
	if dash || text[k] == '-' {
		if text[k] != '-' {
			return false
		}
		k++
	}
	if k >= len(text) || text[k] != dniCheck(n) || (k+1 < len(text) && (isAlnum(text[k+1]) || text[k+1] == '_')) {
		return false
	}
	v := append(append(append(s.val[:0], text[i]), text[j:j+7]...), text[k])
	s.match(TypeESDNI, CategoryGovernmentID, High, v, i)
	return true
}

// ---- it_fiscal_code ----

// cfOdd is the value of a character in an odd (1-based) position.
var cfOdd = [36]uint8{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
	1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23} // A-Z

// cfOmocode maps the letters that replace digits in an omocode (a code
// reissued because two people got the same one) to the digits.
const cfOmocode = "LMNPQRSTUV"

// cfDigitPos are the positions that hold digits, or omocode letters.
var cfDigitPos = [16]bool{6: true, 7: true, 9: true, 10: true, 12: true, 13: true, 14: true}

// validFiscalCode checks 16 upper-case characters: six letters (surname,
// name), year, a month letter, day (+40 for women), a place code, and the
// check character.
func validFiscalCode(v []byte) bool {
	if len(v) != 16 {
		return false
	}
	var d [16]int // digits after undoing omocodia
	for k, c := range v[:15] {
		switch {
		case cfDigitPos[k] && isDigit(c):
			d[k] = int(c - '0')
		case cfDigitPos[k] && isUpper(c):
			x := indexByte(cfOmocode, c)
			if x < 0 {
				return false
			}
			d[k] = x
		case !cfDigitPos[k] && isUpper(c):
		default:
			return false
		}
	}
	if indexByte("ABCDEHLMPRST", v[8]) < 0 {
		return false
	}
	if day := d[9]*10 + d[10]; day == 0 || (day > 31 && day < 41) || day > 71 {
		return false
	}
	sum := 0
	for k, c := range v[:15] {
		x := int(c - 'A' + 10)
		if isDigit(c) {
			x = int(c - '0')
		}
		if k%2 == 0 {
			sum += int(cfOdd[x])
		} else if x >= 10 {
			sum += x - 10
		} else {
			sum += x
		}
	}
	return v[15] == byte('A'+sum%26)
}

func indexByte(s string, c byte) int {
	for k := 0; k < len(s); k++ {
		if s[k] == c {
			return k
		}
	}
	return -1
}

// ---- passport numbers ----

// passportShape accepts the shapes of the common passport books: 9 digits
// (US, UK), a letter and 7 or 8 digits (IN, new US), two letters and 7
// digits (IT), three letters and 6 digits (ES), 2 digits 2 letters 5
// digits (FR): 8 or 9 upper-case letters and digits with at least five
// digits, the last a digit. A German number (C, F, G, H, J or K, then 8
// of [CFGHJKLMNPRTVWXYZ0-9]) and a Dutch one (2 letters, 6 letters or
// digits, a digit; no O) have a random middle with often only two or
// three digits: they need two, and a letter after a digit (a word with a
// number after it, RECEIPT12, is no such random middle).
func passportShape(v []byte) bool {
	if len(v) < 8 || len(v) > 9 {
		return false
	}
	nd := 0
	for _, c := range v {
		switch {
		case isDigit(c):
			nd++
		case !isUpper(c):
			return false
		}
	}
	if isDigit(v[len(v)-1]) && nd >= 5 {
		return true
	}
	if len(v) != 9 || nd < 2 {
		return false
	}
	de := indexByte("CFGHJK", v[0]) >= 0
	for _, c := range v {
		de = de && indexByte("CFGHJKLMNPRTVWXYZ0123456789", c) >= 0
	}
	nl := isUpper(v[0]) && isUpper(v[1]) && isDigit(v[8]) && bytes.IndexByte(v, 'O') < 0
	mixed := false
	for k := 1; k < 8; k++ {
		mixed = mixed || (isDigit(v[k]) && isUpper(v[k+1]))
	}
	return (de || nl) && mixed
}

// passportAt checks a word text[i:j] of passport shape with a passport
// context word before it or a passport field.
func (s *scanner) passportAt(i, j int) bool {
	if !passportShape(s.text[i:j]) || (j < len(s.text) && s.text[j] == '_') {
		return false
	}
	if s.field&fieldPassport == 0 && !contextBefore(s.text, i, idContextWindow, passportWords) {
		return false
	}
	s.match(TypePassport, CategoryGovernmentID, High, append(s.val[:0], s.text[i:j]...), i)
	return true
}

// ---- health_record: ICD-10 codes with health context ----

// icdAt checks an ICD-10 code at i (a letter, two digits, optionally a dot
// and 1–4 letters or digits) standing as a word, with a health context
// word before it on its line or a diagnosis field. A bare code shape is
// never enough: E11 is also a keyboard key, a paper size, a road.
func (s *scanner) icdAt(i int) int {
	text := s.text
	v, end, ok := readICD(text, i, s.val[:0])
	if !ok {
		return i + 1
	}
	if s.field&fieldDiagnosis == 0 && !contextBefore(text, i, contextMax, healthWords) &&
		(len(v) < 5 || !contextBefore(text, i, contextMax, patientWords)) && !listUnderHealthHeading(text, i) {
		return i + 1
	}
	// An error code shaped like a category ("error code J45", "Fehler
	// E11") is a device's, whatever health word came before.
	if k, _ := errorWordSet.lastWordIn(text, max(i-errorWindow, 0), i); k >= 0 && s.field&fieldDiagnosis == 0 {
		return end
	}
	s.match(TypeHealthRecord, CategoryHealth, High, v, i)
	return end
}

// listUnderHealthHeading reports whether the line at i is an item of a
// list ("- ", "* ", "• ", "2. ") whose heading, the first line above its
// items, holds a health word: a letter's "Diagnosen:" over one diagnosis
// a line. At most 32 lines and 4 KiB above are read.
func listUnderHealthHeading(text []byte, i int) bool {
	ls := bytes.LastIndexByte(text[:i], '\n') + 1
	if !listItem(text[ls:i]) {
		return false
	}
	for n := 0; n < 32 && ls > 0 && i-ls < 4096; n++ {
		pe := ls - 1
		ps := bytes.LastIndexByte(text[:pe], '\n') + 1
		line := text[ps:pe]
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			return false
		case !listItem(line):
			k, _ := healthWordSet.lastWordIn(text, ps, pe)
			return k >= 0
		}
		ls = ps
	}
	return false
}

var healthWordSet = newWordSet(healthWords)

// listItem reports whether a line starts as a list item: a dash, an
// asterisk or a bullet, or a number and '.' or ')', then a space.
func listItem(line []byte) bool {
	line = bytes.TrimLeft(line, " \t")
	switch {
	case len(line) > 1 && (line[0] == '-' || line[0] == '*') && line[1] == ' ':
		return true
	case bytes.HasPrefix(line, []byte("\u2022")):
		return true
	}
	k := 0
	for k < len(line) && k < 3 && isDigit(line[k]) {
		k++
	}
	return k > 0 && k+1 < len(line) && (line[k] == '.' || line[k] == ')') && line[k+1] == ' '
}

// readICD reads an ICD-10 code at i and returns it normalized (upper case,
// with its dot) and its end.
func readICD(text []byte, i int, dst []byte) ([]byte, int, bool) {
	if i+3 > len(text) || !isAlpha(text[i]) || !isDigit(text[i+1]) || !isDigit(text[i+2]) {
		return nil, 0, false
	}
	dst = append(dst, lower(text[i])-32, text[i+1], text[i+2])
	j := i + 3
	if j+1 < len(text) && text[j] == '.' && isAlnum(text[j+1]) {
		dst = append(dst, '.')
		j++
		for j < len(text) && isAlnum(text[j]) && len(dst) < 8 {
			c := text[j]
			if isAlpha(c) {
				c = lower(c) - 32
			}
			dst = append(dst, c)
			j++
		}
	}
	if j < len(text) && (isAlnum(text[j]) || text[j] == '_' || text[j] == '-' || (text[j] == '.' && j+1 < len(text) && isAlnum(text[j+1]))) {
		return nil, 0, false
	}
	return dst, j, true
}

// upperDigit looks at a word starting with a capital and a digit: a NIE
// (X1234567L), an ICD-10 code with health context (E11.9), a passport
// number with passport context (C01X00T47, J8369854).
func (s *scanner) upperDigit(i, j int) int {
	text := s.text
	c := text[i]
	if c >= 'X' && s.nieAt(i) {
		return j
	}
	if !isDigit(text[i+1]) {
		return j
	}
	if j-i == 3 {
		return max(j, s.icdAt(i))
	}
	if (j-i == 8 || j-i == 9) && s.passportAt(i, j) {
		return j
	}
	return j
}

// dottedID reads a national id written with dots at i, whose first group
// of digits ends at j (a '.'): a BSN as 1234.56.782 (with its context, as
// BSNs in other writings) or a DNI as 48.273.615-L (its control letter).
// It reports whether one was found.
func (s *scanner) dottedID(i, j int) bool {
	text := s.text
	group := func(at, n int) bool {
		if at+n > len(text) {
			return false
		}
		for _, c := range text[at : at+n] {
			if !isDigit(c) {
				return false
			}
		}
		return true
	}
	// The shape ends the number: no digit, and no '.' and digit, after it.
	ends := func(at int) bool {
		return at >= len(text) || !isDigit(text[at]) && !(text[at] == '.' && at+1 < len(text) && isDigit(text[at+1]))
	}
	switch j - i {
	case 4: // BSN 4.2.3
		if group(j+1, 2) && j+3 < len(text) && text[j+3] == '.' && group(j+4, 3) && ends(j+7) {
			groups := [][2]int{{i, j}, {j + 1, j + 3}, {j + 4, j + 7}}
			return s.digitIDs(groups, '.', i)
		}
	case 2: // DNI 2.3.3, then the letter, maybe after '-' or ' '
		if !group(j+1, 3) || j+4 >= len(text) || text[j+4] != '.' || !group(j+5, 3) {
			return false
		}
		k := j + 8
		if k < len(text) && (text[k] == '-' || text[k] == ' ') {
			k++
		}
		if k >= len(text) || !isUpper(text[k]) || (k+1 < len(text) && (isAlnum(text[k+1]) || text[k+1] == '_')) {
			return false
		}
		v := append(append(append(append(s.val[:0], text[i:j]...), text[j+1:j+4]...), text[j+5:j+8]...), text[k])
		n := 0
		for _, c := range v[:8] {
			n = n*10 + int(c-'0')
		}
		if text[k] != dniCheck(n) {
			return false
		}
		s.match(TypeESDNI, CategoryGovernmentID, High, v, i)
		return true
	}
	return false
}

// uidWordSet is UIDAI's own name for the Aadhaar number, "UID", as a word
// of its own (not in uuid or guid).
var uidWordSet = newWordSetStart(nil, nil, [][]byte{[]byte("uid")})

func uidBefore(text []byte, pos int) bool {
	k, _ := uidWordSet.lastWordIn(text, max(pos-min(idContextWindow, contextMax), 0), pos)
	return k >= 0
}

// errorWordSet are words for an error (en, de, fr, es, it, nl) at a
// word's start: Fehlercode, error_code, errore.
var errorWordSet = newWordSetStart(nil, [][]byte{[]byte("error"), []byte("fehler"), []byte("erreur"), []byte("fout"),
	[]byte("fault"), []byte("err ")}, nil)

// errorWindow is how far before a code an error word is looked for.
const errorWindow = 24

// fiscalAt looks, after a word starting "fisc" at i (codice fiscale,
// fiscal code, cod. fisc.), at the next few words on its line for a
// codice fiscale in lower or mixed case ("il mio codice fiscale è
// rssmra85t10a562s"): its check character is computed on the upper-cased
// value, so with the context word a valid one counts. One already in
// upper case is word's, found from its own start.
func (s *scanner) fiscalAt(i int) {
	text := s.text
	if i+4 > len(text) || lower(text[i+3]) != 'c' {
		return
	}
	k := i + 4
	for k < len(text) && alnumTable[text[k]] {
		k++
	}
	lim := min(len(text), k+48)
	for words := 0; words < 5 && k < lim; words++ {
		for k < lim && !alnumTable[text[k]] && text[k] != '\n' {
			k++
		}
		if k >= lim || !alnumTable[text[k]] {
			return
		}
		st := k
		for k < len(text) && alnumTable[text[k]] {
			k++
		}
		if k-st != 16 {
			continue
		}
		if text[st-1] == '_' || k < len(text) && text[k] == '_' {
			return
		}
		v := text[st:k]
		if validFiscalCode(v) {
			return // upper case: word's
		}
		u := s.val[:16]
		for n, c := range v {
			if c >= 'a' && c <= 'z' {
				c -= 'a' - 'A'
			}
			u[n] = c
		}
		if validFiscalCode(u) {
			s.match(TypeITFiscalCode, CategoryGovernmentID, High, u, st)
		}
		return
	}
}
