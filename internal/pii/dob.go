package pii

import (
	"bytes"
)

// Type of dates of birth.
const (
	TypeDateOfBirth  = "date_of_birth"
	CategoryPersonal = "personal"
)

// birthStems find the context words of pii-types.md (dob, date of birth,
// birth date, born, geburtsdatum, date de naissance, fecha de nacimiento,
// and close variants), ASCII case-insensitively, at word starts. One pass
// with a first-byte table: a general Aho-Corasick automaton measured 3×
// slower than all other detectors together.
// Abbreviations count with their dot ("geb." but not Gebühr or Gebäude),
// participles with the word after them ("nato il" but not "nato" alone).
var birthStems = [][]byte{[]byte("dob"), []byte("d.o.b"), []byte("birth"), []byte("bday"), []byte("born"), []byte("geburt"),
	[]byte("geboren"), []byte("geb."), []byte("geboorte"), []byte("naissance"), []byte("naiss."), []byte("nacimiento"),
	[]byte("nacido"), []byte("nacida"), []byte("nac."), []byte("nascita"), []byte("nato il"), []byte("nata il"), []byte("nato/a"),
	[]byte("nato a"), []byte("nata a"), []byte("né le"), []byte("née le"), []byte("né(e) le"), []byte("nascimento"),
	[]byte("nascido"), []byte("nascida"), []byte("nací el"), []byte("nació el")}

// notBirthWords, after a birth word (in the same word, past German's
// linking s, or as the next word), make it name something else of the
// birth: its place, a certificate, a birth name (Geburtsort, birthplace,
// Geburtsurkunde, birth certificate, Geburtsname). notBirthBefore do so
// before it (place of birth, lieu de naissance).
var (
	notBirthWords = [][]byte{[]byte("place"), []byte("plaats"), []byte("ort"), []byte("name"), []byte("naam"),
		[]byte("urkunde"), []byte("certificate"), []byte("cert"), []byte("country"), []byte("land"), []byte("weight"),
		[]byte("gewicht"), []byte("rate"), []byte("akte"), []byte("party"), []byte("feier"), []byte("sale"),
		[]byte("gift"), []byte("geschenk"), []byte("card"), []byte("karte"), []byte("cake")}
	notBirthBefore = [][]byte{[]byte("place of "), []byte("country of "), []byte("city of "), []byte("lieu de "),
		[]byte("pays de "), []byte("ville de "), []byte("lugar de "), []byte("país de "), []byte("luogo di "),
		[]byte("paese di "), []byte("comune di ")}
)

// ownBirthWord reports whether a birth word (any case) counts only as a
// word of its own: dob, born, bday.
func ownBirthWord(w []byte) bool {
	for _, o := range []string{"dob", "born", "bday"} {
		if len(w) == len(o) && hasPrefixFold(w, []byte(o)) {
			return true
		}
	}
	return false
}

// notBirthDate reports whether the birth word text[i:stemEnd] names
// something other than the birth date (notBirthWords).
func notBirthDate(text []byte, i, stemEnd int) bool {
	// dob, born and bday are words of their own: not Dobson, Borneo, nor
	// a name or compound they start (Born2Code, DOB-Team, born-again).
	if stemEnd < len(text) && ownBirthWord(text[i:stemEnd]) && (isAlnum(text[stemEnd]) ||
		(text[stemEnd] == '-' || text[stemEnd] == '_') && stemEnd+1 < len(text) && isAlpha(text[stemEnd+1])) {
		return true
	}
	k := stemEnd
	linking := func() {
		if k < len(text) && (text[k] == 's' || text[k] == 'S') && k+1 < len(text) && isAlpha(text[k+1]) {
			k++
		}
	}
	linking()
	// birthday, Geburtstag: what follows the day may still name another
	// thing (birthday party, Geburtstagsfeier).
	if hasPrefixFold(text[k:], []byte("day")) || hasPrefixFold(text[k:], []byte("tag")) {
		k += 3
		linking()
	}
	rest := text[k:min(len(text), k+16)]
	if len(rest) > 0 && !isAlpha(rest[0]) { // the next word
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '-' || rest[0] == '_') {
			rest = rest[1:]
		}
	}
	for _, w := range notBirthWords {
		if hasPrefixFold(rest, w) {
			return true
		}
	}
	before := text[max(0, i-12):i]
	for _, w := range notBirthBefore {
		if len(before) >= len(w) && hasPrefixFold(before[len(before)-len(w):], w) {
			// "Date et lieu de naissance", "Data e luogo di nascita",
			// "Date and place of birth" name the date too.
			q := i - len(w)
			return !dateWordIn(text[max(0, q-12):q])
		}
	}
	return false
}

// dateWordIn reports whether b holds a word for "date" in one of the six
// languages.
func dateWordIn(b []byte) bool {
	for k := range b {
		for _, w := range [][]byte{[]byte("date"), []byte("data"), []byte("fecha"), []byte("datum")} {
			if hasPrefixFold(b[k:], w) {
				return true
			}
		}
	}
	return false
}

// stemFirst marks the bytes (both cases) a stem starts with.
var stemFirst = func() (t [256]bool) {
	for _, w := range birthStems {
		t[w[0]] = true
		t[w[0]-32] = true
	}
	for _, w := range residencePhrases {
		t[w[0]] = true
		t[w[0]-32] = true
	}
	t['P'] = true               // "P<": a passport's machine-readable zone
	t['f'], t['F'] = true, true // "fiscale": a codice fiscale after it
	return t
}()

// hasPrefixFold reports whether s starts with lower-case w, ASCII
// case-insensitively.
func hasPrefixFold(s, w []byte) bool {
	if len(s) < len(w) {
		return false
	}
	for i, c := range w {
		d := s[i]
		if d-'A' < 26 {
			d += 32
		}
		if d != c {
			return false
		}
	}
	return true
}

// dobWindow is how far after a context word the date may start.
const dobWindow = 32

// dateMax is how many bytes a written date may take ("14 de septiembre
// de 1990" is 24).
const dateMax = 32

// monthNames are the months in English, German, French, Spanish, Italian
// and Dutch, lower-case as written. A month word is one of them or an
// abbreviation of one (three letters or more: "Sept.", "févr.", "Mär").
var monthNames = [12][]string{
	{"january", "januar", "jänner", "janvier", "enero", "gennaio", "januari"},
	{"february", "februar", "février", "fevrier", "febrero", "febbraio", "februari"},
	{"march", "märz", "maerz", "mars", "marzo", "maart"},
	{"april", "avril", "abril", "aprile"},
	{"may", "mai", "mayo", "maggio", "mei"},
	{"june", "juni", "juin", "junio", "giugno"},
	{"july", "juli", "juillet", "julio", "luglio"},
	{"august", "août", "aout", "agosto", "augustus"},
	{"september", "septembre", "septiembre", "setiembre", "settembre"},
	{"october", "oktober", "octobre", "octubre", "ottobre"},
	{"november", "novembre", "noviembre"},
	{"december", "dezember", "décembre", "decembre", "diciembre", "dicembre"},
}

// parseDate reads a date at the start of s: numeric (2026-11-01,
// 1.3.1985, 03/07/1965, 19850301) or written with a month name in one of
// monthNames' languages (12 March 1985, 5. März 1980, 1er mars 1987, 14 de
// febrero de 1990, March 4, 1965, 12-Mar-1985).
func parseDate(s []byte) ([]byte, bool) {
	ok := func(y, m, d int) bool { return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31 }
	// YYYY-MM-DD (or with / or .)
	if y, n := digitsAt(s, 0, 4); n == 4 && len(s) >= 10 && (s[4] == '-' || s[4] == '/' || s[4] == '.') && s[7] == s[4] {
		m, okM := digitsAt(s, 5, 2)
		d, okD := digitsAt(s, 8, 2)
		if okM == 2 && okD == 2 && ok(y, m, d) && (dateEnd(s, 10) || len(s) > 11 && s[10] == 'T' && isDigit(s[11])) {
			return fmtDate(y, m, d), true
		}
	}
	// YYYYMMDD
	if y, n := digitsAt(s, 0, 8); n == 8 && dateEnd(s, 8) {
		y, m, d := y/10000, y/100%100, y%100
		if ok(y, m, d) {
			return fmtDate(y, m, d), true
		}
	}
	// DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, DD-MM-YYYY, with one or two
	// digits for the day and the month.
	if a, na := digitsAt(s, 0, 2); na > 0 && na < len(s) && (s[na] == '/' || s[na] == '.' || s[na] == '-') {
		sep := s[na]
		b, nb := digitsAt(s, na+1, 2)
		if e := na + 1 + nb; nb > 0 && e < len(s) && s[e] == sep {
			y, ny := digitsAt(s, e+1, 4)
			if ny == 2 {
				// A two-digit year (geb. 14.07.83): a date of birth is in
				// the past, so 31–99 are the 1900s and 00–30 the 2000s.
				y += 1900
				if y < 1931 {
					y += 100
				}
			}
			if (ny == 4 || ny == 2 && !(e+4 < len(s) && s[e+3] == '.' && isDigit(s[e+4]))) && dateEnd(s, e+1+ny) {
				switch {
				case ok(y, b, a) && a > 12: // day first
					return fmtDate(y, b, a), true
				case ok(y, a, b) && b > 12: // month first
					return fmtDate(y, a, b), true
				case ok(y, a, b) || ok(y, b, a): // ambiguous order: as written, zero-padded
					return []byte{byte('0' + a/10), byte('0' + a%10), sep, byte('0' + b/10), byte('0' + b%10), sep,
						byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10)}, true
				}
			}
		}
	}
	// Day first: "12 March 1985", "5. März 1980", "1er mars 1987",
	// "14 de febrero de 1990", "4th of July 1965", "12-Mar-1985".
	if d, n := digitsAt(s, 0, 2); n > 0 {
		k := skipOrdinal(s, n)
		k2 := skipDateSep(s, k, " -./")
		if k2 > k || k > n {
			k2 = skipWord(s, k2, "de", "of")
			if m, e := monthWord(s, k2); m > 0 {
				e = skipDateSep(s, e, " -./,")
				e = skipWord(s, e, "de", "del", "of")
				if y, ny := digitsAt(s, e, 4); ny == 4 && dateEnd(s, e+4) && ok(y, m, d) {
					return fmtDate(y, m, d), true
				}
			}
		}
	}
	// Month first: "March 4, 1965", "Mar. 4th 1965".
	if m, e := monthWord(s, 0); m > 0 {
		e = skipDateSep(s, e, " ")
		if d, n := digitsAt(s, e, 2); n > 0 && e > 0 {
			e = skipDateSep(s, skipOrdinal(s, e+n), " ,")
			if y, ny := digitsAt(s, e, 4); ny == 4 && dateEnd(s, e+4) && ok(y, m, d) {
				return fmtDate(y, m, d), true
			}
		}
	}
	return nil, false
}

func fmtDate(y, m, d int) []byte {
	return []byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10)}
}

// dateEnd reports whether a date ending at n stands alone.
func dateEnd(s []byte, n int) bool { return len(s) == n || (n < len(s) && !isAlnum(s[n])) }

// digitsAt reads up to max digits at i, not followed by another digit
// (a longer run is no date part), and returns their value and count.
func digitsAt(s []byte, i, max int) (int, int) {
	v, n := 0, 0
	for i+n < len(s) && n < max && isDigit(s[i+n]) {
		v = v*10 + int(s[i+n]-'0')
		n++
	}
	if i+n < len(s) && isDigit(s[i+n]) {
		return 0, 0
	}
	return v, n
}

// skipOrdinal skips an ordinal mark after a day at i: ".", "st", "nd",
// "rd", "th", "er" (1er), "º" or "°".
func skipOrdinal(s []byte, i int) int {
	switch {
	case i < len(s) && s[i] == '.':
		return i + 1
	case i+1 < len(s) && s[i] == 0xC2 && (s[i+1] == 0xBA || s[i+1] == 0xB0):
		return i + 2
	}
	for _, o := range []string{"st", "nd", "rd", "th", "er"} {
		if i+2 <= len(s) && hasPrefixFold(s[i:], []byte(o)) && (i+2 == len(s) || !isAlnum(s[i+2])) {
			return i + 2
		}
	}
	return i
}

// skipDateSep skips the bytes of seps at i.
func skipDateSep(s []byte, i int, seps string) int {
	for i < len(s) && indexByte(seps, s[i]) >= 0 {
		i++
	}
	return i
}

// skipWord skips one of words (lower-case) and the spaces after it at i.
func skipWord(s []byte, i int, words ...string) int {
	for _, w := range words {
		e := i + len(w)
		if e < len(s) && s[e] == ' ' && hasPrefixFold(s[i:], []byte(w)) {
			return skipDateSep(s, e, " ")
		}
	}
	return i
}

// monthWord reads a month word at i (a name of monthNames or an
// abbreviation of one, at least three letters, optionally with a dot) and
// returns its month (0 for none) and end.
func monthWord(s []byte, i int) (int, int) {
	var wb [16]byte
	w := wb[:0]
	e := i
	for e < len(s) && len(w) < len(wb)-1 {
		c := s[e]
		switch {
		case isAlpha(c):
			w = append(w, lower(c))
			e++
			continue
		case c == 0xC3 && e+1 < len(s) && s[e+1] >= 0x80 && s[e+1] < 0xC0:
			d := s[e+1]
			if d < 0xA0 { // Latin-1 capital: its small letter is 0x20 on
				d += 0x20
			}
			w = append(w, c, d)
			e += 2
			continue
		}
		break
	}
	if len(w) < 3 || (e < len(s) && (isDigit(s[e]) || s[e] >= 0x80)) {
		return 0, i
	}
	for m, names := range monthNames {
		for _, n := range names {
			if len(w) <= len(n) && n[:len(w)] == string(w) {
				if e < len(s) && s[e] == '.' {
					e++
				}
				return m + 1, e
			}
		}
	}
	return 0, i
}

// ---- dates of birth ----

// birthAt checks for a birth context word at the word start i and, after
// it on the same line within dobWindow bytes, a date.
func (s *scanner) birthAt(i int) {
	text := s.text
	// No stem has a digit for its third byte: an IBAN's country code
	// (DE89), which stemPrefix lets through, spares the loop.
	if i+2 < len(text) && isDigit(text[i+2]) {
		return
	}
	stemEnd := -1
	for _, stem := range birthStems {
		if hasPrefixFold(text[i:], stem) {
			stemEnd = i + len(stem)
			break
		}
	}
	if stemEnd < 0 || notBirthDate(text, i, stemEnd) {
		return
	}
	if stemEnd-i == len("geboren") && hasPrefixFold(text[i:], []byte("geboren")) && s.birthBefore(i) {
		return
	}
	if i > 0 && s.birthColumn(i) {
		return
	}
	to := min(len(text), stemEnd+dobWindow)
	if nl := bytes.IndexByte(text[stemEnd:to], '\n'); nl >= 0 {
		to = stemEnd + nl
		if s.birthBelow(i, to) {
			return
		}
	}
	// Past a field separator (';', '|', a tab) the date must come first:
	// "| Geburtsdatum | 14.07.1983 |" is the birth date, "dob: n/a;
	// hired: 01.04.2015" is not.
	// So must it before a value and another label: "dob: n/a, hired:
	// 01.04.2015".
	newField, labelled, value := false, false, false
	for k := stemEnd; k < to; k++ {
		switch c := text[k]; {
		case c == ';' || c == '|' || c == '\t':
			newField = true
			continue
		case c == ':' || c == '=':
			if value && k > stemEnd && isAlpha(text[k-1]) {
				return
			}
			labelled = true
			continue
		case labelled && isAlnum(c):
			value = true
		}
		if !isAlnum(text[k]) || (k > stemEnd && isAlnum(text[k-1])) {
			continue
		}
		if v, ok := parseDate(text[k:min(len(text), k+dateMax)]); ok {
			if k != s.lastDOB { // two context words before one date
				s.match(TypeDateOfBirth, CategoryPersonal, High, v, i)
				s.lastDOB = k
			}
			return
		}
		if newField {
			return
		}
	}
}

// birthBelow reads a form's label alone on its line ("Geburtsdatum:",
// "Date of birth") whose value starts the next line, as text extracted
// from a PDF or a page has it: the stem at i, its line ending at the
// newline nl. It reports whether it matched.
func (s *scanner) birthBelow(i, nl int) bool {
	text := s.text
	ls := i
	for ls > 0 && text[ls-1] != '\n' {
		ls--
	}
	if nl-ls > 40 {
		return false
	}
	for _, c := range text[ls:nl] {
		if !(isAlpha(c) || c >= 0x80 || c == ' ' || c == '\t' || c == ':' || c == '.' || c == '\r' || c == '-' || c == '/' || c == '(' || c == ')') {
			return false
		}
	}
	k := nl + 1
	for k < len(text) && (text[k] == ' ' || text[k] == '\t') {
		k++
	}
	if k >= len(text) || !isAlnum(text[k]) {
		return false
	}
	v, ok := parseDate(text[k:min(len(text), k+dateMax)])
	if !ok {
		return false
	}
	if k != s.lastDOB {
		s.match(TypeDateOfBirth, CategoryPersonal, High, v, i)
		s.lastDOB = k
	}
	return true
}

// birthGapMax is how far a date may stand before a clause-final "geboren"
// ("am 14.07.1983 in Mönchengladbach geboren").
const birthGapMax = 32

// birthBefore finds the date that German and Dutch word order puts before
// the participle ending the clause ("Ich bin am 14.07.1983 in Köln
// geboren", "Ik ben op 12-03-1985 geboren"): on the same line, separated
// from "geboren" at i only by words (letters and spaces, no digit, no
// punctuation, so "seit 01.04.2015 angestellt und 1961 geboren" is not
// read as the birth date). It reports whether it matched.
func (s *scanner) birthBefore(i int) bool {
	text := s.text
	e := i
	for e > 0 && i-e <= birthGapMax && (isAlpha(text[e-1]) || text[e-1] == ' ' || text[e-1] >= 0x80) {
		e--
	}
	if e == i || text[i-1] != ' ' || e == 0 || !isDigit(text[e-1]) || text[e] != ' ' {
		return false
	}
	for k := max(0, e-dateMax); k < e; k++ {
		if !isDigit(text[k]) || k > 0 && isAlnum(text[k-1]) {
			continue
		}
		if v, ok := parseDate(text[k:e]); ok && onlyDateWords(text[k:e]) {
			if k != s.lastDOB {
				s.match(TypeDateOfBirth, CategoryPersonal, High, v, i)
				s.lastDOB = k
			}
			return true
		}
	}
	return false
}

// onlyDateWords reports whether every space-separated word of b can be
// part of a date (digits with their separators and ordinals, a month
// word, "de", "del", "of"), so a date parsed at b's start also ends at
// b's end: "01.04.2015 angestellt und 1961" is a date and more.
func onlyDateWords(b []byte) bool {
	for _, w := range bytes.Fields(b) {
		switch {
		case isDigit(w[0]):
			for _, c := range w {
				if !isAlnum(c) && indexByte("./-,", c) < 0 && c < 0x80 {
					return false
				}
			}
		case len(w) <= 3 && (hasPrefixFold(w, []byte("de")) || hasPrefixFold(w, []byte("of"))):
		default:
			if m, e := monthWord(w, 0); m == 0 || e < len(w) && w[e] != ',' {
				return false
			}
		}
	}
	return true
}

// sqlInsertMax bounds how far an INSERT statement's column list and
// values are read on one line.
const sqlInsertMax = 4096

// birthColumn reads the birth word at i as a column of an INSERT
// statement's column list in text (a server's statement log, an ORM's
// debug output: "INSERT INTO customers (email, birth_date) VALUES
// ('…', '1985-03-12')") and reports the date at its position in each
// values tuple. It reports whether i was such a column.
func (s *scanner) birthColumn(i int) bool {
	text := s.text
	lo := max(0, i-sqlInsertMax)
	if nl := bytes.LastIndexByte(text[lo:i], '\n'); nl >= 0 {
		lo += nl + 1
	}
	// The column: between '(' or ',' and ',' or ')', a name (quoted).
	st := i
	for st > lo && (isAlnum(text[st-1]) || indexByte("_`\"[] ", text[st-1]) >= 0) {
		st--
	}
	if st == lo || (text[st-1] != '(' && text[st-1] != ',') {
		return false
	}
	end := i
	for end < len(text) && (isAlnum(text[end]) || indexByte("_`\"[] ", text[end]) >= 0) {
		end++
	}
	if end == len(text) || (text[end] != ',' && text[end] != ')') {
		return false
	}
	col := 0
	open := st - 1
	for ; open > lo && text[open] != '('; open-- {
		switch text[open] {
		case ',':
			col++
		case ')', '\'':
			return false
		}
	}
	if text[open] != '(' || !insertInto(text[lo:open]) {
		return false
	}
	close := bytes.IndexByte(text[end:min(len(text), i+sqlInsertMax)], ')')
	if close < 0 {
		return false
	}
	k := skipDateSep(text, end+close+1, " \t")
	if !hasPrefixFold(text[k:], []byte("values")) {
		return false
	}
	k = skipDateSep(text, k+len("values"), " \t")
	limit := min(len(text), k+sqlInsertMax)
	if nl := bytes.IndexByte(text[k:limit], '\n'); nl >= 0 {
		limit = k + nl
	}
	for k < limit && text[k] == '(' {
		var ok bool
		if k, ok = s.birthValue(text[:limit], k+1, col); !ok {
			break
		}
		k = skipDateSep(text, k, " ,\t")
	}
	return true
}

// insertInto reports whether b (a line up to a column list's '(') ends
// in "INSERT INTO name ", any case.
func insertInto(b []byte) bool {
	b = bytes.TrimRight(b, " ")
	k := len(b)
	for k > 0 && b[k-1] != ' ' {
		k-- // the table's name
	}
	b = bytes.TrimRight(b[:k], " ")
	return len(b) >= 11 && hasPrefixFold(b[len(b)-11:], []byte("insert into")) && (len(b) == 11 || !isAlnum(b[len(b)-12]))
}

// birthValue reads the values tuple starting at k (past its '('), reports
// a date in a quoted value at position col, and returns where the tuple
// ends (past its ')').
func (s *scanner) birthValue(text []byte, k, col int) (int, bool) {
	n := 0
	for k < len(text) {
		k = skipDateSep(text, k, " \t")
		if k >= len(text) {
			return k, false
		}
		vs := k
		if q := text[k]; q == '\'' || q == '"' {
			k++
			for k < len(text) && !(text[k] == q && (k+1 >= len(text) || text[k+1] != q)) {
				if text[k] == '\\' || text[k] == q {
					k++
				}
				k++
			}
			if k >= len(text) {
				return k, false
			}
			if n == col {
				if v, ok := parseDate(text[vs+1 : k]); ok {
					s.match(TypeDateOfBirth, CategoryPersonal, High, v, vs)
				}
			}
			k++
		} else {
			depth := 0
			for k < len(text) && (depth > 0 || text[k] != ',' && text[k] != ')') {
				switch text[k] {
				case '(':
					depth++
				case ')':
					depth--
				}
				k++
			}
		}
		k = skipDateSep(text, k, " \t")
		if k >= len(text) {
			return k, false
		}
		switch text[k] {
		case ',':
			n++
			k++
		case ')':
			return k + 1, true
		default:
			return k, false
		}
	}
	return k, false
}
