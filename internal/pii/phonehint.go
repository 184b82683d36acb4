package pii

import (
	"github.com/nyaruka/phonenumbers"
)

// A national number ("06 12 34 56 78") is valid in more than one plan
// (France's and, as 0612 345678, Germany's); the order of phoneRegions
// picks one, and so the wrong country's E.164 form and token. The record
// it stands in often says whose it is: a country named in the address
// ("75002 Paris, France") or another number written internationally
// ("Mobil: +49 170 …"). phoneHint reads that and validPhone tries the
// hinted plan first. It never makes a number count that would not have
// counted: the context rules are validPhone's, unchanged.

// Hint windows: how far before and after a number its record is looked
// at, on lines up to a blank one (records in letters, vCards and exports
// are blocks of lines).
const (
	hintBefore = 400
	hintAfter  = 200
)

// countryWords name countries in English, German, French, Spanish,
// Italian and Dutch (lower case; matched as whole words, case folded for
// ASCII and Latin-1 letters), with the region whose plan they name.
var countryWords = []struct {
	word   string
	region string
}{
	{"germany", "DE"}, {"deutschland", "DE"}, {"allemagne", "DE"}, {"alemania", "DE"}, {"germania", "DE"}, {"duitsland", "DE"},
	{"austria", "AT"}, {"österreich", "AT"}, {"autriche", "AT"}, {"oostenrijk", "AT"},
	{"switzerland", "CH"}, {"schweiz", "CH"}, {"suisse", "CH"}, {"svizzera", "CH"}, {"suiza", "CH"}, {"zwitserland", "CH"},
	{"france", "FR"}, {"frankreich", "FR"}, {"francia", "FR"}, {"frankrijk", "FR"},
	{"belgium", "BE"}, {"belgien", "BE"}, {"belgique", "BE"}, {"bélgica", "BE"}, {"belgio", "BE"}, {"belgië", "BE"},
	{"netherlands", "NL"}, {"niederlande", "NL"}, {"pays-bas", "NL"}, {"países bajos", "NL"}, {"paesi bassi", "NL"}, {"nederland", "NL"},
	{"spain", "ES"}, {"spanien", "ES"}, {"espagne", "ES"}, {"españa", "ES"}, {"spagna", "ES"}, {"spanje", "ES"},
	{"italy", "IT"}, {"italien", "IT"}, {"italie", "IT"}, {"italia", "IT"}, {"italië", "IT"},
	{"united kingdom", "GB"}, {"great britain", "GB"}, {"england", "GB"}, {"scotland", "GB"}, {"großbritannien", "GB"},
	{"royaume-uni", "GB"}, {"reino unido", "GB"}, {"regno unito", "GB"}, {"verenigd koninkrijk", "GB"},
	{"ireland", "IE"}, {"irland", "IE"}, {"irlande", "IE"}, {"irlanda", "IE"}, {"ierland", "IE"},
	{"portugal", "PT"},
	{"united states", "US"}, {"usa", "US"}, {"vereinigte staaten", "US"}, {"états-unis", "US"}, {"estados unidos", "US"},
	{"stati uniti", "US"}, {"verenigde staten", "US"},
	{"india", "IN"}, {"indien", "IN"}, {"inde", "IN"},
	{"australia", "AU"}, {"australien", "AU"}, {"australie", "AU"}, {"australië", "AU"},
	{"brazil", "BR"}, {"brasilien", "BR"}, {"brésil", "BR"}, {"brasil", "BR"}, {"brasile", "BR"}, {"brazilië", "BR"},
}

// countryIndex lists countryWords' indexes by their first byte: a word
// start is compared only with the names it may begin.
var countryIndex = func() (t [256][]uint8) {
	for x, cw := range countryWords {
		t[cw.word[0]] = append(t[cw.word[0]], uint8(x))
	}
	return t
}()

// phoneHint returns the region the record around the number at pos names
// ("" when none): the nearest country name or international number's
// calling code on the number's line, else, when the line is a label and
// its value, on the record's lines up to a blank line (or a vCard's
// BEGIN/END line).
func phoneHint(text []byte, pos int) string {
	ls, le := pos, pos
	for ls > 0 && text[ls-1] != '\n' && pos-ls < hintBefore {
		ls--
	}
	for le < len(text) && text[le] != '\n' && le-pos < hintAfter {
		le++
	}
	if r := hintIn(text, pos, ls, le); r != "" || !labelledLine(text, ls, pos) {
		return r
	}
	lo, hi := hintBounds(text, pos)
	return hintIn(text, pos, lo, hi)
}

// labelledLine reports whether the number at pos is its line's value
// under a label ("Tél : ", "TEL;TYPE=CELL:", or a label on the line
// above: the number starts its line), the line starting at ls: one line
// of a record of lines, whose other lines may name its country. A line
// of a list ("Anna Schmidt, Berlin, Tel 0612 345678") is a record of its
// own.
func labelledLine(text []byte, ls, pos int) bool {
	e := pos
	for e > ls && (text[e-1] == ' ' || text[e-1] == '\t') {
		e--
	}
	if e == ls {
		return true
	}
	if pos-ls > 40 || text[e-1] != ':' && text[e-1] != '=' {
		return false
	}
	for _, c := range text[ls:e] {
		if isDigit(c) {
			return false
		}
	}
	return true
}

// hintIn is phoneHint over text[lo:hi].
func hintIn(text []byte, pos, lo, hi int) string {
	best, dist := "", len(text)+1
	for k := lo; k < hi; k++ {
		c := text[k]
		var r string
		var l int
		switch {
		case c == '+' && k+1 < hi && isDigit(text[k+1]) && (k == 0 || !isAlnum(text[k-1])):
			r, l = callingRegion(text[k:hi])
		case (isAlpha(c) || c == 0xc3) && (k == 0 || !isWordByte(text[k-1])):
			r, l = countryAt(text[k:hi])
		default:
			continue
		}
		if r == "" {
			continue
		}
		d := pos - (k + l)
		if k >= pos {
			d = k - pos
		}
		if d < dist {
			best, dist = r, d
		}
		k += l - 1
	}
	return best
}

// hintBounds returns the record around pos: at most hintBefore bytes
// before and hintAfter after it, not past a blank line or a line that
// starts with BEGIN: or END: (vCard, iCalendar).
func hintBounds(text []byte, pos int) (int, int) {
	lo := pos
	for lo > 0 && pos-lo < hintBefore {
		if text[lo-1] == '\n' && (recordEdge(text, lo) || blankBefore(text, lo-1)) {
			break
		}
		lo--
	}
	hi := pos
	for hi < len(text) && hi-pos < hintAfter {
		if text[hi] == '\n' && (blankLine(text, hi+1) || recordEdge(text, hi+1)) {
			break
		}
		hi++
	}
	return lo, hi
}

// recordEdge reports whether a line starting at k begins a vCard or
// iCalendar record's edge.
func recordEdge(text []byte, k int) bool {
	return hasPrefixFold(text[k:], []byte("begin:")) || hasPrefixFold(text[k:], []byte("end:"))
}

// blankBefore reports whether the line ending at the newline nl is blank
// (spaces, tabs or a carriage return only).
func blankBefore(text []byte, nl int) bool {
	k := nl
	for k > 0 && (text[k-1] == ' ' || text[k-1] == '\t' || text[k-1] == '\r') {
		k--
	}
	return k == 0 || text[k-1] == '\n'
}

// blankLine reports whether the line starting at k is blank.
func blankLine(text []byte, k int) bool {
	for k < len(text) && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r') {
		k++
	}
	return k == len(text) || text[k] == '\n'
}

// countryAt returns the region of the country name b starts with, as a
// whole word, and the name's length.
func countryAt(b []byte) (string, int) {
	for _, x := range countryIndex[foldASCII[b[0]]] {
		cw := countryWords[x]
		if n, ok := prefixFoldLatin(b, cw.word); ok && (n == len(b) || !isWordByte(b[n])) {
			return cw.region, n
		}
	}
	return "", 0
}

// prefixFoldLatin reports whether b starts with w (lower case), ASCII
// letters and the two-byte Latin-1 capitals (À–Þ) folded, and how many
// bytes of b it covers.
func prefixFoldLatin(b []byte, w string) (int, bool) {
	if len(b) < len(w) {
		return 0, false
	}
	for i := 0; i < len(w); i++ {
		c := b[i]
		if c-'A' < 26 {
			c += 32
		} else if i > 0 && b[i-1] == 0xc3 && c >= 0x80 && c <= 0x9e && c != 0x97 {
			c += 0x20
		}
		if c != w[i] {
			return 0, false
		}
	}
	return len(w), true
}

// callingRegion reads an international number at the start of b ('+',
// then 8 to 15 digits in groups): the main region of its calling code and
// the number's length; "" when it is none (+1 day, +20 %).
func callingRegion(b []byte) (string, int) {
	var digits [15]byte
	nd, k := 0, 1
	for k < len(b) && (isDigit(b[k]) || (b[k] == ' ' || b[k] == '-' || b[k] == '.' || b[k] == '(' || b[k] == ')' || b[k] == '/') && k+1 < len(b) && (isDigit(b[k+1]) || b[k+1] == '(')) {
		if isDigit(b[k]) {
			if nd == len(digits) {
				return "", 0
			}
			digits[nd] = b[k]
			nd++
		}
		k++
	}
	if nd < 8 || k < len(b) && isAlnum(b[k]) {
		return "", 0
	}
	for l := 1; l <= 3; l++ {
		cc := 0
		for _, d := range digits[:l] {
			cc = cc*10 + int(d-'0')
		}
		if r := phonenumbers.GetRegionCodeForCountryCode(cc); r != "" && r != "ZZ" && r != "001" {
			return r, k
		}
	}
	return "", 0
}

// phoneLangWords are phone context words of one language, with the plan
// of the country that speaks it most: when no plan is configured and the
// record names none, "Tél : 06 12 34 56 78" is French (read in
// phoneRegions' order it is valid, and wrong, in Germany's as 0612
// 345678), "Telefoon: 020 123 4567" Dutch, "Telefono: 06 1234 5678"
// Italian. Words shared by languages (mobile, fax, portable, tel) name
// none.
var phoneLangWords = []struct {
	word   string
	region string
}{
	{"téléphone", "FR"}, {"tél", "FR"}, {"télécopie", "FR"},
	{"telefoon", "NL"}, {"mobiel", "NL"}, {"mobieltje", "NL"},
	{"telefono", "IT"}, {"cellulare", "IT"},
	{"teléfono", "ES"}, {"móvil", "ES"}, {"movil", "ES"}, {"tfno", "ES"}, {"telf", "ES"},
	{"telemóvel", "PT"}, {"telemovel", "PT"},
	{"telefon", "DE"}, {"handy", "DE"}, {"rufnummer", "DE"}, {"festnetz", "DE"}, {"mobiltelefon", "DE"},
}

// langHint returns the plan of the language of the phone context word
// before pos on its line (within phoneContextWindow bytes), or on the
// line above when the number starts its own (labelLine), "" for none.
func langHint(text []byte, pos int) string {
	lead, above := true, false
	for k := pos - 1; k >= 0 && pos-k <= phoneContextWindow; k-- {
		c := text[k]
		if c == '\n' {
			if !lead || above {
				break
			}
			above = true
			continue
		}
		lead = lead && (c == ' ' || c == '\t' || c == '\r')
		if !(isAlpha(c) || c == 0xc3) || k > 0 && isWordByte(text[k-1]) {
			continue
		}
		for _, w := range phoneLangWords {
			if n, ok := prefixFoldLatin(text[k:pos], w.word); ok && (k+n == pos || !isWordByte(text[k+n])) {
				return w.region
			}
		}
	}
	return ""
}
