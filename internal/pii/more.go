package pii

import (
	"bytes"
	"net/netip"
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

// detectLetterPrefixed finds IBANs (with or without groups of four) and UK
// National Insurance numbers at word starts of two capital letters.
func detectLetterPrefixed(text []byte, emit func(Match)) {
	var ln lines
	var buf [40]byte
	n := len(text)
	for i := 0; i+1 < n; i++ {
		if !isUpper(text[i]) || !isUpper(text[i+1]) || (i > 0 && (isAlnum(text[i-1]) || text[i-1] == '_')) {
			continue
		}
		if l := int(ibanLength[int(text[i]-'A')*26+int(text[i+1]-'A')]); l > 0 {
			if v, end, ok := matchIBAN(text, i, l, buf[:0]); ok {
				emit(Match{Type: TypeIBAN, Category: CategoryFinancial, Confidence: High, Value: v, Line: ln.at(text, i)})
				i = end - 1
				continue
			}
		}
		if v, end, ok := matchNINO(text, i, buf[:0]); ok {
			emit(Match{Type: TypeUKNINO, Category: CategoryGovernmentID, Confidence: High, Value: v, Line: ln.at(text, i)})
			i = end - 1
		}
	}
}

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
	rem := 0
	for k := 0; k < l; k++ {
		c := dst[(k+4)%l]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A'+10)) % 97
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

// detectIPs finds IPv4 addresses standing as words (not a version such as
// v1.2.3.4 or 1.2.3.4.5) and IPv6 addresses in their RFC 5952 forms.
func detectIPs(text []byte, emit func(Match)) {
	var ln lines
	n := len(text)
	for i := 0; i < n; i++ {
		c := text[i]
		if !isDigit(c) && c != ':' && !isHex(c) {
			continue
		}
		if i > 0 {
			p := text[i-1]
			if isAlnum(p) || p == '.' || p == ':' || p == '_' || p == '-' || p == '/' {
				continue
			}
		}
		// Cheap reject: an address has '.' or ':' within its first five
		// characters; most words and numbers do not.
		k := i
		for k < n && k-i < 5 && isHex(text[k]) {
			k++
		}
		if k == n || k-i == 5 || (text[k] != '.' && text[k] != ':') {
			i = k
			continue
		}
		// The token: hex digits, dots and colons.
		j := i
		dots, colons := 0, 0
		for j < n && (isHex(text[j]) || text[j] == '.' || text[j] == ':') {
			switch text[j] {
			case '.':
				dots++
			case ':':
				colons++
			}
			j++
		}
		tok := text[i:j]
		for len(tok) > 0 && (tok[len(tok)-1] == '.' || (tok[len(tok)-1] == ':' && colons < 2)) {
			tok = tok[:len(tok)-1] // sentence punctuation, "addr:"
		}
		end := i + len(tok)
		// Glued to a word, or a zoned link-local address (fe80::1%eth0):
		// interface configuration, not an address someone used.
		if end < n && (isAlnum(text[end]) || text[end] == '_' || text[end] == '%') {
			i = j - 1
			continue
		}
		if (dots == 3 && colons == 0) || colons >= 2 {
			if addr, err := netip.ParseAddr(string(tok)); err == nil && addr.Zone() == "" {
				if addr.Is4() && dots == 3 || addr.Is6() && colons >= 2 {
					emit(Match{Type: TypeIPAddress, Category: CategoryNetwork, Confidence: Medium, Value: []byte(addr.String()), Line: ln.at(text, i)})
				}
			}
		}
		i = j - 1
	}
}

func isHex(c byte) bool { return isDigit(c) || (c|0x20)-'a' < 6 }

// ---- credentials ----

var awsPrefixes = [][]byte{[]byte("AKIA"), []byte("ASIA")}

func isBase32Upper(c byte) bool { return isUpper(c) || (c >= '2' && c <= '7') }

// detectAWSKeys finds AKIA/ASIA + 16 of [A-Z2-7] as a word.
func detectAWSKeys(text []byte, emit func(Match)) {
	for _, prefix := range awsPrefixes {
		var ln lines
		for off := 0; ; {
			k := bytes.Index(text[off:], prefix)
			if k < 0 {
				break
			}
			s := off + k
			off = s + 4
			e := s + 20
			if e > len(text) || (s > 0 && (isAlnum(text[s-1]) || text[s-1] == '_')) || (e < len(text) && (isAlnum(text[e]) || text[e] == '_')) {
				continue
			}
			ok := true
			for _, c := range text[s+4 : e] {
				ok = ok && isBase32Upper(c)
			}
			if ok {
				emit(Match{Type: TypeAWSAccessKey, Category: CategoryCredential, Confidence: High, Value: text[s:e], Line: ln.at(text, s)})
				off = e
			}
		}
	}
}

var (
	pemBegin = []byte("-----BEGIN ")
	pemKey   = []byte("PRIVATE KEY-----")
	pemEnd   = []byte("-----END ")
)

// detectPrivateKeys finds PEM private key blocks (RSA, EC, OPENSSH, DSA,
// PKCS#8 and encrypted); the value tokenized is the block's body.
func detectPrivateKeys(text []byte, emit func(Match)) {
	var ln lines
	for off := 0; ; {
		k := bytes.Index(text[off:], pemBegin)
		if k < 0 {
			return
		}
		s := off + k
		off = s + len(pemBegin)
		// The header ends at its closing dashes: "RSA PRIVATE KEY-----".
		hdrEnd := bytes.Index(text[off:min(len(text), off+48)], pemKey)
		if hdrEnd < 0 || bytes.IndexByte(text[off:off+hdrEnd], '\n') >= 0 {
			continue
		}
		bodyStart := off + hdrEnd + len(pemKey)
		body := text[bodyStart:]
		if e := bytes.Index(body, pemEnd); e >= 0 {
			body = body[:e]
		} else if len(body) > 16<<10 {
			body = body[:16<<10]
		}
		body = bytes.TrimSpace(body)
		if len(body) == 0 {
			continue
		}
		emit(Match{Type: TypePrivateKey, Category: CategoryCredential, Confidence: High, Value: body, Line: ln.at(text, s)})
		off = bodyStart + len(body)
	}
}
