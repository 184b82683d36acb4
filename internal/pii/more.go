package pii

import (
	"bytes"
)

// More type ids (pii-types.md, "Required").
const (
	TypeIBAN         = "iban"
	TypeUKNINO       = "uk_nino"
	TypeIPAddress    = "ip_address"
	TypeAWSAccessKey = "aws_access_key"
	TypePrivateKey   = "private_key"

	CategoryNetwork    = "network"
	CategoryCredential = "credential"
)

func isUpper(c byte) bool { return c-'A' < 26 }

// ---- IBAN and UK NINO: both start with two capital letters ----

// ibanLengths is ISO 13616's registry: country → IBAN length.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
	"BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
	"ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
	"HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
	"LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
	"RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

// ibanLength is ibanLengths as an array indexed by the two capitals, so the
// hot loop (every capitalised word start in the input) does no map lookup.
var ibanLength = func() (t [26 * 26]uint8) {
	for cc, l := range ibanLengths {
		t[int(cc[0]-'A')*26+int(cc[1]-'A')] = uint8(l)
	}
	return t
}()

// matchIBAN reads l characters of [A-Z0-9] from start, allowing single
// spaces between groups of four, and checks mod-97 = 1.
func matchIBAN(text []byte, start, l int, dst []byte) ([]byte, int, bool) {
	j := start
	for j < len(text) && len(dst) < l {
		c := text[j]
		switch {
		case isDigit(c) || isUpper(c):
			dst = append(dst, c)
			j++
		case c == ' ' && len(dst)%4 == 0 && j+1 < len(text) && (isDigit(text[j+1]) || isUpper(text[j+1])):
			j++
		default:
			return nil, 0, false
		}
	}
	if len(dst) != l || !isDigit(dst[2]) || !isDigit(dst[3]) {
		return nil, 0, false
	}
	if j < len(text) && (isAlnum(text[j]) || text[j] == '_') {
		return nil, 0, false
	}
	// mod 97 of the number formed by moving the first four characters to
	// the end and turning letters into 10..35, computed digit by digit.
	// The rest, then the first four: no index to wrap.
	rem := 0
	for _, part := range [2][]byte{dst[4:], dst[:4]} {
		for _, c := range part {
			if isDigit(c) {
				rem = (rem*10 + int(c-'0')) % 97
			} else {
				rem = (rem*100 + int(c-'A'+10)) % 97
			}
		}
	}
	return dst, j, rem == 1
}

// matchNINO reads AB123456C or AB 12 34 56 C: HMRC's prefix rules (first
// letter not D, F, I, Q, U, V; second not D, F, I, O, Q, U, V; not BG, GB,
// NK, KN, TN, NT, ZZ), six digits, suffix A–D.
func matchNINO(text []byte, start int, dst []byte) ([]byte, int, bool) {
	a, b := text[start], text[start+1]
	if bytes.IndexByte([]byte("DFIQUV"), a) >= 0 || bytes.IndexByte([]byte("DFIOQUV"), b) >= 0 {
		return nil, 0, false
	}
	switch string([]byte{a, b}) {
	case "BG", "GB", "NK", "KN", "TN", "NT", "ZZ":
		return nil, 0, false
	}
	dst = append(dst, a, b)
	j := start + 2
	spaced := j < len(text) && text[j] == ' '
	// "AB 123456 C", as forms and payslips also print it.
	if spaced && j+7 < len(text) && allDigits(text[j+1:j+7]) && (text[j+7] == ' ' || isUpper(text[j+7])) {
		dst = append(dst, text[j+1:j+7]...)
		j += 7
		spaced = text[j] == ' '
		if spaced && j+1 < len(text) && isUpper(text[j+1]) {
			j++
		}
		goto suffix
	}
	for g := 0; g < 3; g++ {
		if spaced {
			if j >= len(text) || text[j] != ' ' {
				return nil, 0, false
			}
			j++
		}
		if j+1 >= len(text) || !isDigit(text[j]) || !isDigit(text[j+1]) {
			return nil, 0, false
		}
		dst = append(dst, text[j], text[j+1])
		j += 2
	}
	if spaced && j < len(text) && text[j] == ' ' {
		j++
	}
suffix:
	if j >= len(text) || text[j] < 'A' || text[j] > 'D' {
		return nil, 0, false
	}
	dst = append(dst, text[j])
	j++
	if j < len(text) && (isAlnum(text[j]) || text[j] == '_') {
		return nil, 0, false
	}
	return dst, j, true
}

// ---- IP addresses ----

func isHex(c byte) bool { return isDigit(c) || (c|0x20)-'a' < 6 }

// ---- credentials ----

var awsPrefixes = [][]byte{[]byte("AKIA"), []byte("ASIA")}

// awsExample ends the access key ids of AWS's documentation.
var awsExample = []byte("EXAMPLE")

func isBase32Upper(c byte) bool { return isUpper(c) || (c >= '2' && c <= '7') }

var (
	pemBegin = []byte("-----BEGIN ")
	pemKey   = []byte("PRIVATE KEY-----")
	pgpKey   = []byte("PRIVATE KEY BLOCK-----")
	pemEnd   = []byte("-----END ")
)

// ibanCountry reports whether a and b (either case) are a country code
// with an IBAN length.
func ibanCountry(a, b byte) bool {
	a, b = lower(a)-'a', lower(b)-'a'
	return a < 26 && b < 26 && ibanLength[int(a)*26+int(b)] > 0
}

// foldedIBAN reads an IBAN at i written partly or wholly in lower case,
// as typed into forms and mails ("de60 7603 0000 …", "IT73y030…",
// "NL46 abna 0581 …"), in groups of four or none, and returns it in
// capitals and its end. An IBAN in capitals is matchIBAN's.
func foldedIBAN(text []byte, i int, dst []byte) ([]byte, int, bool) {
	if i+4 > len(text) || !ibanCountry(text[i], text[i+1]) || !isDigit(text[i+2]) || !isDigit(text[i+3]) {
		return nil, 0, false
	}
	l := int(ibanLength[int(lower(text[i])-'a')*26+int(lower(text[i+1])-'a')])
	var cb [34]byte
	c := cb[:0]
	j := i
	for j < len(text) && len(c) < l {
		ch := text[j]
		switch {
		case isDigit(ch) || isUpper(ch):
			c = append(c, ch)
		case ch-'a' < 26:
			c = append(c, ch-32)
		case ch == ' ' && len(c)%4 == 0 && j+1 < len(text) && isAlnum(text[j+1]):
		default:
			return nil, 0, false
		}
		j++
	}
	if len(c) != l || bytes.Equal(c, text[i:j]) {
		return nil, 0, false
	}
	if j < len(text) && (isAlnum(text[j]) || text[j] == '_') {
		return nil, 0, false
	}
	v, _, ok := matchIBAN(c, 0, l, dst)
	return v, j, ok
}

// ibanGroupsBefore returns where an IBAN in lower case starts before the
// group of four at i: one or two groups of four back ("fr76 1027",
// "gb44 loyd 3096"), the first a country code and two digits at a word
// start; -1 for none.
func ibanGroupsBefore(text []byte, i int) int {
	// The start it returns is a lower-case letter five or ten bytes
	// back: without one (a card's second group) no walk.
	if !(i >= 5 && text[i-5]-'a' < 26) && !(i >= 10 && text[i-10]-'a' < 26) {
		return -1
	}
	return ibanWalkBack(text, i)
}

// ibanWalkBack is ibanGroupsBefore's walk, without its first look (which
// TestIBANGroupsBeforeFirstLook holds to it).
func ibanWalkBack(text []byte, i int) int {
	for back := 1; back <= 2; back++ {
		st := i - 5*back
		if st < 0 || text[st+4] != ' ' {
			return -1
		}
		for _, c := range text[st : st+4] {
			if !isAlnum(c) {
				return -1
			}
		}
		if st > 0 && (isAlnum(text[st-1]) || text[st-1] == '_' || text[st-1] == '-') {
			continue
		}
		if isDigit(text[st+2]) && isDigit(text[st+3]) && ibanCountry(text[st], text[st+1]) && !isUpper(text[st]) {
			return st
		}
	}
	return -1
}
