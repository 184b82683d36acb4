package pii

import (
	"bytes"
	"sync"
)

// NewDefault returns the detector set: email, credit_card (issuer prefix +
// Luhn), us_ssn (SSA rules), iban (country length + mod-97), uk_nino (HMRC
// prefix rules), ip_address, aws_access_key, private_key, phone_number
// (libphonenumber plans, called only on prefiltered candidates) and
// date_of_birth (a date after a birth context word), and the "Next"
// types and token credentials of ids.go, keyvalue.go and tokens.go. It finds
// candidates with byte scans (IndexByte, Index for fixed prefixes, single
// passes over digit runs and capital-letter pairs) and validates each in a
// small window; there is no regular expression over the input.
func NewDefault() Detector { return defaultDetector{fields: newFieldCache(), scanners: new(sync.Pool)} }

// defaultDetector's region is the numbering plan national phone numbers
// are read in first ("" for phoneRegions' order): see NewDefaultIn.
type defaultDetector struct {
	region string
	fields *fieldCache // nil: field names classified each time
	// scanners are reused by DetectField, called once a table cell or a
	// JSON value: a scanner of half a KiB per cell was most of what a CSV
	// scan allocated. Nil: each call makes its own.
	scanners *sync.Pool
}

// scanner returns a scanner over text, reset, from d's pool when it has one.
func (d defaultDetector) scanner(text []byte, emit func(Match)) *scanner {
	var s *scanner
	if d.scanners != nil {
		s, _ = d.scanners.Get().(*scanner)
	}
	if s == nil {
		s = new(scanner)
	}
	*s = scanner{text: text, emit: emit, lastDOB: -1, region: d.region}
	return s
}

// release returns s to d's pool, holding no text or callback (a Match's
// Value, which may point into s, is not kept past emit: see Match).
func (d defaultDetector) release(s *scanner) {
	if d.scanners != nil {
		s.text, s.emit, s.fieldName = nil, nil, nil
		d.scanners.Put(s)
	}
}

// lines counts newlines incrementally so a match's line costs only the
// bytes between it and the previous match.
type lines struct {
	pos, line int
}

func (l *lines) at(text []byte, pos int) int {
	if l.line == 0 {
		l.line = 1
	}
	switch {
	case pos > l.pos:
		l.line += bytes.Count(text[l.pos:pos], []byte{'\n'})
	case pos < l.pos: // a match reported at a context word before the last
		l.line -= bytes.Count(text[pos:l.pos], []byte{'\n'})
	}
	l.pos = pos
	return l.line
}

// total is the number of newlines in text, given the matches numbered
// so far: those before the last one's position and those after.
func (l *lines) total(text []byte) int {
	if l.line == 0 {
		return bytes.Count(text, []byte{'\n'})
	}
	return l.line - 1 + bytes.Count(text[l.pos:], []byte{'\n'})
}

func isDigit(c byte) bool { return c-'0' < 10 }
func isAlpha(c byte) bool { return (c|0x20)-'a' < 26 }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// ---- email ----

func isLocalChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomainChar(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

func validLocal(l []byte) bool {
	return len(l) > 0 && l[0] != '.' && l[len(l)-1] != '.' && !bytes.Contains(l, []byte(".."))
}

func validDomain(d []byte) bool {
	if len(d) < 4 {
		return false
	}
	labels := 0
	for len(d) > 0 {
		i := bytes.IndexByte(d, '.')
		label := d
		if i >= 0 {
			label, d = d[:i], d[i+1:]
		} else {
			d = nil
		}
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		labels++
		if d == nil { // the TLD: 2+ letters
			if len(label) < 2 {
				return false
			}
			for _, c := range label {
				if !isAlpha(c) {
					return false
				}
			}
		}
	}
	return labels >= 2
}

// ---- digit runs: credit_card, us_ssn ----

// maxGroups bounds how many separated digit groups one run may have before
// it is treated as something else (a table of numbers).
const maxGroups = 8

func digits(text []byte, groups [][2]int, dst []byte) []byte {
	for _, g := range groups {
		dst = append(dst, text[g[0]:g[1]]...)
	}
	return dst
}

// matchCard accepts 13–19 digits, either one plain run or groups with one
// separator, with a known issuer prefix and a valid Luhn check.
func matchCard(text []byte, groups [][2]int, sep byte, dst []byte) (Match, bool) {
	if len(groups) > 1 && !cardLayout(groups) || sep == ' ' && ibanTailAt(text, groups[0][0]) {
		return Match{}, false
	}
	if len(groups) == 1 || sep != 0 {
		v := digits(text, groups, dst)
		if len(v) >= 13 && len(v) <= 19 && issuerKnown(v) && luhn(v) && !(len(v) == 13 && ean13(v)) {
			return Match{Type: TypeCreditCard, Category: CategoryFinancial, Confidence: High, Value: v}, true
		}
	}
	return Match{}, false
}

// cardLayout says whether separated groups are printed as cards are: every
// scheme's layout (4-4-4-4, 4-4-4-4-3, Amex 4-6-5, Diners 4-6-4, 4-4-4-1
// for 13-digit Visa) starts with four digits and no group is longer than
// six. An order number grouped 3-7-7 (Amazon) or a SIRET grouped 3-3-3-5
// checks Luhn one time in ten and is no card.
func cardLayout(groups [][2]int) bool {
	if groups[0][1]-groups[0][0] != 4 {
		return false
	}
	for _, g := range groups[1:] {
		if g[1]-g[0] > 6 {
			return false
		}
	}
	return true
}

// ibanTailAt reports whether the digit groups at st continue an IBAN's
// groups of four ("GB79 BARC 5680 2151 8163 39", one that failed its
// check, in a column of IBANs): a country code and check digits, then
// groups of four letters or digits, each set off by one space.
func ibanTailAt(text []byte, st int) bool {
	k := st
	for range 8 {
		if k < 5 || text[k-1] != ' ' {
			return false
		}
		t := text[k-5 : k-1]
		for _, c := range t {
			if !isUpper(c) && !isDigit(c) {
				return false
			}
		}
		if isUpper(t[0]) && isUpper(t[1]) && isDigit(t[2]) && isDigit(t[3]) {
			return k-5 == 0 || !isAlnum(text[k-6])
		}
		k -= 5
	}
	return false
}

// issuerKnown checks the IIN ranges of the major schemes with their lengths.
func issuerKnown(v []byte) bool {
	n := len(v)
	p := func(k int) int {
		x := 0
		for _, c := range v[:k] {
			x = x*10 + int(c-'0')
		}
		return x
	}
	switch {
	case v[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720: // Mastercard
		return n == 16
	case p(2) == 34 || p(2) == 37: // Amex
		return n == 15
	case p(4) == 6011, p(2) == 65, p(3) >= 644 && p(3) <= 649: // Discover
		return n >= 16 && n <= 19
	case p(4) >= 3528 && p(4) <= 3589: // JCB
		return n >= 16 && n <= 19
	case p(3) >= 300 && p(3) <= 305, p(2) == 36, p(2) == 38: // Diners
		return n >= 14 && n <= 19
	case p(2) == 62: // UnionPay
		return n >= 16 && n <= 19
	case p(2) == 50, p(2) >= 56 && p(2) <= 58, p(4) == 6304, p(4) == 6759, p(4) >= 6761 && p(4) <= 6763: // Maestro
		return n >= 12 && n <= 19
	}
	return false
}

// ean13 reports whether 13 digits carry a valid EAN-13 (GTIN-13) check
// digit. Germany's barcodes start 400–440 and Japan's 45–49, the shape
// of a 13-digit Visa number, which no issuer has printed in decades: a
// product catalogue's EANs passed Luhn one in ten. A number valid as both
// is read as the barcode.
func ean13(v []byte) bool {
	sum := 0
	for i, c := range v[:12] {
		d := int(c - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return (10-sum%10)%10 == int(v[12]-'0')
}

func luhn(v []byte) bool {
	sum, double := 0, false
	for i := len(v) - 1; i >= 0; i-- {
		d := int(v[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// matchSSN accepts AAA-GG-SSSS (dashes or spaces) and, with a context word
// before it, 9 plain digits.
func matchSSN(text []byte, groups [][2]int, sep byte, dst []byte, fieldCtx bool) (Match, bool) {
	conf := ""
	switch {
	case len(groups) == 3 && sep != 0 &&
		groups[0][1]-groups[0][0] == 3 && groups[1][1]-groups[1][0] == 2 && groups[2][1]-groups[2][0] == 4:
		conf = Medium
		if fieldCtx || ssnContext(text, groups[0][0]) {
			conf = High
		}
	case len(groups) == 1 && groups[0][1]-groups[0][0] == 9:
		if !fieldCtx && !ssnContext(text, groups[0][0]) {
			return Match{}, false
		}
		conf = High
	default:
		return Match{}, false
	}
	v := digits(text, groups, dst)
	if !validSSN(v) {
		return Match{}, false
	}
	return Match{Type: TypeUSSSN, Category: CategoryGovernmentID, Confidence: conf, Value: v}, true
}

// validSSN applies the SSA's rules: area not 000, 666 or 9xx; group not 00;
// serial not 0000; and not a number known from publications.
func validSSN(v []byte) bool {
	area := int(v[0]-'0')*100 + int(v[1]-'0')*10 + int(v[2]-'0')
	if area == 0 || area == 666 || area >= 900 {
		return false
	}
	if v[3] == '0' && v[4] == '0' {
		return false
	}
	if string(v[5:]) == "0000" {
		return false
	}
	switch string(v) {
	case "078051120", "219099999", "123456789", "457555462":
		return false
	}
	return true
}

// ssnContextWindow is how far before a candidate a context word may be.
const ssnContextWindow = 64

var ssnWords = [][]byte{[]byte("ssn"), []byte("social security"), []byte("ss#"), []byte("soc sec"), []byte("socialsecurity")}

// ssnWordSet is ssnWords at word starts: "ssn" is in businessNumber and
// processNumber.
var ssnWordSet = newWordSetStart(nil, ssnWords, nil)

func ssnContext(text []byte, pos int) bool {
	k, _ := ssnWordSet.lastWordIn(text, max(pos-min(ssnContextWindow, contextMax), 0), pos)
	return k >= 0
}
