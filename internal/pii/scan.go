package pii

import (
	"bytes"
	"encoding/base64"
)

// Byte classes of the fused pass. Every candidate of every detector starts
// at a word start (a letter or digit after a non-alphanumeric byte) or at
// one of a few marker bytes. Whether a position starts a candidate depends
// only on the classes of the byte and the one before it, so the pass is a
// table lookup per byte with a branch that is rarely taken: no per-byte
// dispatch, which mispredicts at every word boundary.
const (
	clsSep   = iota
	clsLower // a-z except the first letters of birth context words
	clsStem  // d b g n e r s x f: dob, birth, born, geburtsdatum, naissance; ghp_, eyJ, sk_live_, xoxb-...; fiscale
	clsUpper // A-Z
	clsDigit
	clsAt    // '@': email
	clsPhone // '+' and '(': +CC ... and (AAA) BBB-CCCC phone numbers
	clsColon // ':': IPv6 addresses (fe80::1, ::1)
	clsGlue  // '.', '_', '/': a digit after these continues a token
	clsDash  // '-': glue too, and two of them may open a PEM block
	clsEq    // '=': key=value (password=..., AccountKey=...)
	numClasses
)

var byteClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsLower
	}
	for _, c := range "dbgnersxf" {
		t[c] = clsStem
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = clsUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	t['@'], t['+'], t['('], t[':'] = clsAt, clsPhone, clsPhone, clsColon
	t['.'], t['_'], t['/'], t['-'], t['='] = clsGlue, clsGlue, clsGlue, clsDash, clsEq
	return t
}()

// fires[prev*numClasses+cur] says whether a byte of class cur after one of
// class prev may start a candidate.
var fires = func() (t [numClasses << 8]bool) {
	word := func(c int) bool { return c == clsLower || c == clsStem || c == clsUpper || c == clsDigit }
	for prev := 0; prev < numClasses; prev++ {
		for cur := 0; cur < numClasses; cur++ {
			var f bool
			switch cur {
			case clsAt, clsPhone, clsColon, clsEq:
				f = true
			case clsUpper, clsStem:
				f = !word(prev)
			case clsDigit:
				f = !word(prev) && prev != clsGlue && prev != clsDash
			case clsDash:
				f = prev == clsDash
			}
			t[prev<<8|cur] = f
		}
	}
	return t
}()

// firePair[cur<<8|prev] is fires by the two raw bytes: one lookup per
// byte instead of two. (An 8 KiB bitset, to stay in the L1 cache,
// measured no faster.) A '=' after a letter or digit is 2: the pass asks
// maybeKey before an event, since most keys in logs (bytes=, level=)
// name nothing a detector wants.
var firePair = func() (t [1 << 16]uint8) {
	for p := 0; p < 256; p++ {
		for c := 0; c < 256; c++ {
			if fires[int(byteClass[p])<<8|int(byteClass[c])] {
				t[c<<8|p] = 1
				if c == '=' && isAlnum(byte(p)) {
					t[c<<8|p] = 2
				}
			}
		}
	}
	return t
}()
var alnumTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c))
	}
	return t
}()

// scanner is one fused pass over a text. Detectors that may overlap (digit
// runs, phone numbers, IP addresses) keep their own cursor, so each sees
// the candidates it would see alone and none sees the inside of its own
// previous candidate.
type scanner struct {
	text []byte
	emit func(Match)
	ln   lines

	keyKinds keyKinds // keyValueAt's answers, by key

	runNext, phoneNext, ipNext int
	foldNext                   int // past a lower-case IBAN found from its digits
	lastDOB                    int
	val                        [64]byte
	groups                     [maxGroups + 1][2]int // a field: a local array is zeroed on every call
	field                      fieldKind             // what the value's field name says, in DetectField
	fieldName                  []byte                // that name (DetectField), read only for a national phone number's plan
	region                     string                // the detector's phone region
}

func (d defaultDetector) Detect(text []byte, emit func(Match)) { d.DetectLines(text, emit) }

// DetectLines is Detect that also returns the lines ('\n') text holds:
// counted to the last match as the pass numbers them, and past it.
func (d defaultDetector) DetectLines(text []byte, emit func(Match)) int {
	text = plainSpaces(text, nil) // spaces only: the same newlines
	s := scanner{text: text, emit: emit, lastDOB: -1, region: d.region}
	s.run()
	return s.ln.total(s.text)
}

func (s *scanner) match(typ, cat, conf string, v []byte, pos int) {
	if typ == TypeCreditCard && s.field&fieldPhone != 0 {
		// A phone column's number that passes Luhn (one in ten does:
		// "phone": 4915112345678) is a phone number, not a card.
		return
	}
	if s.field&fieldNotPersonal != 0 {
		// Under a field named for identifiers, amounts or versions, a shape
		// without a checksum or context is not counted, and a checksum
		// alone (Luhn passes one number in ten) is only medium.
		switch {
		case conf == Medium:
			return
		case conf == High && typ == TypeCreditCard:
			conf = Medium
		}
	}
	s.emit(Match{Type: typ, Category: cat, Confidence: conf, Value: v, Line: s.ln.at(s.text, pos)})
}

// run is the pass.
func (s *scanner) run() {
	text := s.text
	n := len(text)
	if n == 0 {
		return
	}
	if byteClass[text[0]] != clsSep && fires[clsSep<<8|int(byteClass[text[0]])] {
		if next := s.event(0, byteClass[text[0]]); next > 1 {
			s.from(next)
			return
		}
	}
	s.from(1)
}

// fromEach runs the pass from i (> 0) to n a byte at a time: from's
// tail, and its reference in tests.
func (s *scanner) fromEach(i, n int) int {
	text := s.text
	for i < n {
		f := firePair[uint16(text[i])<<8|uint16(text[i-1])]
		if f == 0 || (f == 2 && !maybeKey(text, i)) {
			i++
			continue
		}
		i = max(i+1, s.event(i, byteClass[text[i]]))
	}
	return i
}

// event looks at a candidate start and returns where the pass goes on.
func (s *scanner) event(i int, c uint8) int {
	text := s.text
	n := len(text)
	switch c {
	case clsDigit:
		j := i + 1
		allDigits := true
		for j < n && alnumTable[text[j]] {
			allDigits = allDigits && isDigit(text[j])
			j++
		}
		s.number(i, j, allDigits)
	case clsUpper, clsStem:
		if c == clsStem && !stemPrefix(text, i) {
			return i + 1
		}
		j := i + 1
		for j < n && alnumTable[text[j]] {
			j++
		}
		return s.word(i, j)
	case clsAt:
		return s.emailAt(i)
	case clsPhone:
		if i >= s.phoneNext && !phoneGlued(text, i) {
			s.phoneNext = s.phoneAt(i)
		}
	case clsColon:
		if nx := s.linkPhoneAt(i); nx > i+1 {
			return nx // tel:+49%2030…, https://wa.me/49…
		}
		s.colon(i)
		// A URL's host given as an IPv4 address (postgresql://10.0.0.7:5432):
		// a digit after '/' starts no candidate, so the scheme's colon
		// looks.
		if i+3 < n && text[i+1] == '/' && text[i+2] == '/' && isDigit(text[i+3]) && i+3 >= s.ipNext {
			s.ipNext = s.ipAt(i + 3)
		}
		// A key ends in a letter, a quote or a space (name:, "name":,
		// name :), not a digit: times and addresses (10:13, ::1) go on.
		if i > 0 && !isDigit(text[i-1]) && text[i-1] != ':' {
			return s.keyValueAt(i)
		}
	case clsEq:
		return s.keyValueAt(i)
	case clsDash:
		if bytes.HasPrefix(text[i-1:], pemBegin) {
			return s.pemAt(i - 1)
		}
	}
	return i + 1
}

// colon starts IPv6 candidates: "::1" at the colon, "fe80::1" at the hex
// word before it (a word starting with a digit was seen as a number).
func (s *scanner) colon(i int) {
	text := s.text
	if i == 0 || !alnumTable[text[i-1]] {
		if i+1 < len(text) && text[i+1] == ':' && i >= s.ipNext && (i == 0 || !ipGlued(text[i-1])) {
			s.ipNext = s.ipAt(i)
		}
		return
	}
	if ws, ok := ipv6GroupBefore(text, i); ok && ws >= s.ipNext {
		s.ipNext = s.ipAt(ws)
	} else if ws, ok := ipv4AfterSlash(text, i); ok && ws >= s.ipNext {
		s.ipNext = s.ipAt(ws)
	} else if ipv4Label(text, i) && i+1 >= s.ipNext {
		s.ipNext = s.ipAt(i + 1)
	}
}

// ipv4AfterSlash returns where a dotted quad ending at the port colon at i
// starts when a '/' is before it: Java's InetSocketAddress prints a peer
// as host/10.1.2.3:5432 or /10.1.2.3:5432, and a digit after '/' starts
// no candidate (a path's /v1/2.3). The port is what tells an address from
// a path segment (/releases/1.2.3.4 is a version).
func ipv4AfterSlash(text []byte, i int) (int, bool) {
	if i < 8 || i+1 >= len(text) || !isDigit(text[i+1]) || text[i-2] != '.' && !isDigit(text[i-2]) {
		return 0, false
	}
	k := i
	for k > 0 && i-k < 15 && (isDigit(text[k-1]) || text[k-1] == '.') {
		k--
	}
	// Its last group is one to three digits (the pass's mask of port
	// colons it keeps, in fromBlocks, is those).
	if k == 0 || text[k-1] != '/' || !isDigit(text[k]) || bytes.Count(text[k:i], []byte{'.'}) != 3 || i-bytes.LastIndexByte(text[:i], '.') > 4 {
		return 0, false
	}
	return k, true
}

// ipv6GroupBefore returns where the hex group before the colon at i
// starts, when it may begin an IPv6 address: one to four hex digits, the
// first a letter (a digit starts a number, which looked already), not
// glued to what is before it.
func ipv6GroupBefore(text []byte, i int) (int, bool) {
	ws := i - 1
	for ws > 0 && i-ws < 5 && alnumTable[text[ws-1]] {
		ws--
	}
	if i-ws > 4 || isDigit(text[ws]) || !allHex(text[ws:i]) || (ws > 0 && (alnumTable[text[ws-1]] || ipGlued(text[ws-1]))) {
		return 0, false
	}
	return ws, true
}

// stemPrefix is birthAt's quick filter: the first three bytes of a birth
// context word (lower-cased). Two are not enough: "ge" starts GET.
func stemPrefix(text []byte, i int) bool {
	if i+2 >= len(text) {
		return false
	}
	if isDigit(text[i+2]) && ibanCountry(text[i], text[i+1]) {
		return true // a lower-case IBAN (de60 7603 …)
	}
	if text[i] == 'P' && text[i+1] == '<' {
		return true // a passport's machine-readable zone (mrzAt)
	}
	if lower(text[i]) == 'x' && i > 0 && text[i-1] == '#' {
		return hexEntityAt(text, i) // &#x40;
	}
	// The three bytes, lower-cased, against stemWords3: first a filter
	// of their low five bits each (one load; nearly every word fails it,
	// where the switch this replaces was a binary search of branches).
	w := uint32(lower(text[i]))<<16 | uint32(lower(text[i+1]))<<8 | uint32(lower(text[i+2]))
	if h := w>>6&0x7c00 | w>>3&0x3e0 | w&0x1f; stemWords3Bits[h>>6]&(1<<(h&63)) == 0 {
		return false
	}
	for _, x := range stemWords3 {
		if x == w {
			return true
		}
	}
	return false
}

// stemWords3 are the first three bytes (lower-cased) of the words
// stemPrefix stands for.
var stemWords3 = [...]uint32{
	0x626972 /* bir */, 0x626f72 /* bor */, 0x626461 /* bda */, 0x642e6f /* d.o */, 0x646f62 /* dob */, 0x676562 /* geb */, 0x6e6163 /* nac */, 0x6e6169 /* nai */, 0x6e6174 /* nat */, 0x6e6173 /* nas */, 0x6ec3a9, /* né */
	0x726573 /* res */, 0x72c3a9 /* ré */, 0x646f6d /* dom */, 0x64656d, /* dem */ // residence phrases before a home address (residenceAt)
	0x666973,                                                                                                                                                                                                         /* fis */ // fiscale, fiscal code, cod. fisc.: a codice fiscale in lower case after it (fiscalAt)
	0x676870 /* ghp */, 0x67686f /* gho */, 0x676875 /* ghu */, 0x676873 /* ghs */, 0x676872 /* ghr */, 0x676974 /* git */, 0x676c70 /* glp */, 0x786f78 /* xox */, 0x736b5f /* sk_ */, 0x726b5f /* rk_ */, 0x65796a, /* eyj */
}

// stemWords3Bits has bit a<<10|b<<5|c set for each of stemWords3 whose
// bytes' low five bits are a, b and c: stemPrefix's filter.
var stemWords3Bits = func() (t [512]uint64) {
	for _, w := range stemWords3 {
		h := w>>6&0x7c00 | w>>3&0x3e0 | w&0x1f
		t[h>>6] |= 1 << (h & 63)
	}
	return t
}()

// word looks at a word of letters and digits text[i:j] (it may start with
// a capital) and returns where the pass goes on: j, or past a match that
// spans words (a grouped IBAN).
func (s *scanner) word(i, j int) int {
	text := s.text
	c := text[i]
	if (c == 'x' || c == 'X') && i >= 2 && text[i-1] == '#' && text[i-2] == '&' && hexEntityAt(text, i) {
		return s.emailSplit(i-2, i+4) // &#x40;
	}
	if !isUpper(c) {
		if i+3 < len(text) && isDigit(text[i+2]) {
			if v, end, ok := foldedIBAN(text, i, s.val[:0]); ok {
				s.match(TypeIBAN, CategoryFinancial, High, v, i)
				return end
			}
		}
		if stemFirst[c] && stemPrefix(text, i) {
			switch c {
			case 'f':
				s.fiscalAt(i)
			case 'r', 'd':
				s.birthAt(i)
				s.residenceAt(i)
			default:
				s.birthAt(i)
			}
		}
		return max(j, s.tokenAt(i))
	}
	if stemFirst[c] && stemPrefix(text, i) {
		s.birthAt(i)
		switch c {
		case 'R', 'D':
			s.residenceAt(i)
		case 'P':
			s.mrzAt(i)
		case 'F':
			s.fiscalAt(i)
		}
	}
	// The end of an address in prose: a town after its postcode, a US
	// state before its ZIP code, a UK postcode (addressBefore).
	if i >= 5 && text[i-1] == ' ' && isDigit(text[i-2]) {
		s.townAt(i)
	} else if usStateZIP(text, i, j) {
		s.addressBefore(j + 1)
	} else if j-i <= 4 && i > 0 && text[i-1] == ' ' && j+1 < len(text) && text[j] == ' ' && isDigit(text[j+1]) && ukPostcode(text[i:]) > 0 {
		s.addressBefore(i)
	}
	if i+1 >= len(text) || (i > 0 && text[i-1] == '_') {
		return j
	}
	if isDigit(text[i+1]) || (c >= 'X' && text[i+1] == '-') {
		return s.upperDigit(i, j)
	}
	// "IBAN fr14 2004 …", "Iban: nl91abna0417164300": an IBAN in lower
	// case after the word.
	if j-i == 4 && lower(text[i+1]) == 'b' && lower(text[i+2]) == 'a' && lower(text[i+3]) == 'n' && c == 'I' {
		k := j
		for k < len(text) && k-j < 3 && (text[k] == ' ' || text[k] == ':') {
			k++
		}
		if v, end, ok := foldedIBAN(text, k, s.val[:0]); ok {
			s.match(TypeIBAN, CategoryFinancial, High, v, k)
			return end
		}
	}
	if !isUpper(text[i+1]) {
		return j
	}
	if c == 'L' && j-i >= len(b64PEMBegin) && bytes.HasPrefix(text[i:], b64PEMBegin) {
		if e := s.b64PEMAt(i); e > i {
			return e
		}
	}
	switch j - i {
	case 16:
		if validFiscalCode(text[i:j]) && (j == len(text) || text[j] != '_') {
			s.match(TypeITFiscalCode, CategoryGovernmentID, High, append(s.val[:0], text[i:j]...), i)
			return j
		}
	case 8, 9:
		if s.passportAt(i, j) {
			return j
		}
	}
	if j-i == 20 && (bytes.HasPrefix(text[i:], awsPrefixes[0]) || bytes.HasPrefix(text[i:], awsPrefixes[1])) {
		ok := true
		for _, b := range text[i+4 : j] {
			ok = ok && isBase32Upper(b)
		}
		if ok && (j == len(text) || text[j] != '_') {
			// AWS's documentation keys (AKIAIOSFODNN7EXAMPLE) ship in
			// every SDK's and CLI's docs and examples: no credential.
			if !bytes.HasSuffix(text[i:j], awsExample) {
				s.match(TypeAWSAccessKey, CategoryCredential, High, text[i:j], i)
			}
			return j
		}
	}
	// Both an IBAN (check digits) and a NINO (digits, maybe after a
	// space) continue with a digit within two bytes; INFO and GET do not.
	if i+3 >= len(text) || !(isDigit(text[i+2]) || text[i+2] == ' ' && isDigit(text[i+3])) {
		return j
	}
	if l := int(ibanLength[int(c-'A')*26+int(text[i+1]-'A')]); l > 0 {
		if v, end, ok := matchIBAN(text, i, l, s.val[:0]); ok {
			s.match(TypeIBAN, CategoryFinancial, High, v, i)
			return end
		}
		if v, end, ok := foldedIBAN(text, i, s.val[:0]); ok {
			s.match(TypeIBAN, CategoryFinancial, High, v, i)
			return end
		}
	}
	if v, end, ok := matchNINO(text, i, s.val[:0]); ok {
		s.match(TypeUKNINO, CategoryGovernmentID, High, v, i)
		return end
	}
	return j
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// number looks at a word starting with a digit. Card numbers, SSNs, phone
// numbers and IP addresses never continue a token such as v1.2, ID-123,
// 3.14 or a/b/1; a comma is a boundary (CSV columns).
func (s *scanner) number(i, j int, allDigits bool) {
	text := s.text
	if i > 0 {
		switch p := text[i-1]; p {
		case '%', '#':
			if s.escapedAt(i) {
				return
			}
		case '.', '-', '_', '/':
			return
		case ':':
			// After a digit and a colon: a time (10:13:23) or an address
			// continues; "SSN:123-45-6780" and "tel:030..." start here.
			if i >= 2 && isDigit(text[i-2]) {
				return
			}
		}
	}
	next := byte(0)
	if j < len(text) {
		next = text[j]
	}
	l := j - i
	if !allDigits {
		// 226ms, 01T10: only an IPv6 address (2001:db8a::1) starts here,
		// or a DNI (12345678Z), a NIR of Corsica or a passport (12AB34567).
		if next == ':' && i >= s.ipNext && (i == 0 || text[i-1] != ':') {
			s.ipNext = s.ipAt(i)
		}
		switch l {
		case 9:
			if !s.dniAt(i) {
				s.passportAt(i, j)
			}
		case 15:
			s.nirAt(i)
		}
		return
	}
	switch {
	case l == 8 && (next == '-' || next == ' '):
		s.dniAt(i)
	case (l == 15 || l == 13 && next == ' ' || l == 1 && next == ' ') && (text[i] == '1' || text[i] == '2'):
		s.nirAt(i)
	}
	// A lower-case IBAN whose country code starts no candidate (fr76 1027
	// …, it60 x054 …): its first group of digits looks back for it.
	if l == 4 && next == ' ' && i >= 5 && text[i-1] == ' ' && i >= s.foldNext {
		if st := ibanGroupsBefore(text, i); st >= 0 {
			if v, end, ok := foldedIBAN(text, st, s.val[:0]); ok {
				s.match(TypeIBAN, CategoryFinancial, High, v, st)
				s.runNext, s.phoneNext, s.foldNext = max(s.runNext, end), max(s.phoneNext, end), end
				return
			}
		}
	}
	// Dotted national ids: a BSN as 1234.56.782, a DNI as 48.273.615-L.
	if next == '.' && (l == 4 || l == 2) && s.dottedID(i, j) {
		return
	}
	// A date or timestamp (2026-11-01T10:13, 2026/11/01 10:13) is none of
	// the digit types; only a date of birth is a date, and that is found
	// from its context word.
	if l == 4 && isDateAt(text, i) {
		return
	}
	sep := next == ' ' || next == '-'
	// Inside a run and a phone candidate already read (a card's second
	// group) nothing below uses the groups: no walk.
	if sep && (i >= s.runNext || i >= s.phoneNext) {
		// Follow the groups this separator joins: none (a number then a
		// word) makes it a lone number; groups glued to a letter at the
		// end (200 459ms) end every candidate here in a word.
		e := j
		for e+1 < len(text) && text[e] == next && isDigit(text[e+1]) {
			e++
			for e < len(text) && isDigit(text[e]) {
				e++
			}
		}
		// An area code set off by " / " or " - " (030 / 90182734) goes on
		// to the phone candidate like one in parentheses.
		spaced := j+3 < len(text) && (text[j+1] == '/' || text[j+1] == '-') && text[j+2] == ' ' && isDigit(text[j+3])
		switch {
		case e == j && !spaced && (j+1 >= len(text) || text[j+1] != '('):
			if l < 7 {
				return
			}
			sep = false
		case e < len(text) && isAlpha(text[e]):
			return
		}
	}
	// Cards and SSNs: groups joined by ' ' or '-', or one run of 9 or
	// 13-19 digits; never after '+', which starts an international phone
	// number (+49 151 23456789 is 13 digits from a 4, as a Visa number).
	if i >= s.runNext && (sep || l == 9 || l == 11 || l == 12 || (l >= 13 && l <= 19)) && (i == 0 || text[i-1] != '+') {
		s.runNext = s.digitRunAt(i)
	}
	// An IPv4 address continues with '.' after at most three digits, an
	// IPv6 one with ':' after at most four; never right after a colon.
	if i >= s.ipNext && ((next == '.' && l <= 3) || (next == ':' && l <= 4)) && (i == 0 || text[i-1] != ':' || next == '.' && afterKeyColon(text, i-1)) {
		s.ipNext = s.ipAt(i)
	}
	// A phone number has at least 7 digits, in one run or in groups.
	if i >= s.phoneNext && (l >= 7 || isPhoneChar(next)) && (i == 0 || text[i-1] != '+') {
		s.phoneNext = s.phoneAt(i)
	} else if i >= s.phoneNext && nbspLen(text, j) > 0 {
		s.phoneNext = s.phoneSpacedAt(i) // 020&nbsp;7946&nbsp;0587
	}
}

// isDateAt reports whether text[i:] starts with YYYY-MM-DD or YYYY/MM/DD
// not followed by another digit.
func isDateAt(text []byte, i int) bool {
	if i+10 > len(text) {
		return false
	}
	d := text[i : i+10]
	sep := d[4]
	return (sep == '-' || sep == '/') && d[7] == sep && isDigit(d[5]) && isDigit(d[6]) && isDigit(d[8]) && isDigit(d[9]) &&
		(i+10 == len(text) || !isDigit(text[i+10]))
}

// ---- digit runs: credit_card, us_ssn ----

// digitRunAt reads the run of digit groups joined by one consistent
// separator (none, ' ' or '-') starting at i and returns its end.
func (s *scanner) digitRunAt(i int) int {
	text := s.text
	n := len(text)
	groups := &s.groups
	ng := 0
	var sep byte
	j := i
	for {
		gs := j
		for j < n && isDigit(text[j]) {
			j++
		}
		groups[ng] = [2]int{gs, j}
		ng++
		if ng > maxGroups || j+1 >= n {
			break
		}
		c := text[j]
		if (c != ' ' && c != '-') || !isDigit(text[j+1]) || (sep != 0 && c != sep) {
			break
		}
		sep = c
		j++
	}
	if ng > maxGroups {
		for j < n && (isDigit(text[j]) || text[j] == sep) {
			j++
		}
		return j
	}
	end := groups[ng-1][1]
	// Word boundary after: not glued to a letter or digit, nor a decimal.
	if end < n {
		c := text[end]
		if isAlnum(c) || c == '_' || (c == '.' && end+1 < n && isDigit(text[end+1])) {
			return end
		}
	}
	if m, ok := matchSSN(text, groups[:ng], sep, s.val[:0], s.field&fieldSSN != 0); ok {
		s.match(m.Type, m.Category, m.Confidence, m.Value, i)
		return end
	}
	if m, ok := matchCard(text, groups[:ng], sep, s.val[:0]); ok {
		s.match(m.Type, m.Category, m.Confidence, m.Value, i)
		return end
	}
	s.digitIDs(groups[:ng], sep, i)
	return end
}

// ---- private keys ----

// pemAt checks for a PEM private key block at st (which starts with
// pemBegin) and returns where the pass goes on: past the block's body.
func (s *scanner) pemAt(st int) int {
	text := s.text
	off := st + len(pemBegin)
	// The header ends at its closing dashes: "RSA PRIVATE KEY-----".
	// OpenPGP's armour: "PGP PRIVATE KEY BLOCK-----".
	hdrEnd := bytes.Index(text[off:min(len(text), off+48)], pemKey)
	keyLen := len(pemKey)
	if hdrEnd < 0 {
		hdrEnd, keyLen = bytes.Index(text[off:min(len(text), off+48)], pgpKey), len(pgpKey)
	}
	if hdrEnd < 0 || bytes.IndexByte(text[off:off+hdrEnd], '\n') >= 0 {
		return off
	}
	bodyStart := off + hdrEnd + keyLen
	body := text[bodyStart:]
	if e := bytes.Index(body, pemEnd); e >= 0 {
		body = body[:e]
	} else if len(body) > 16<<10 {
		body = body[:16<<10]
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return off
	}
	s.match(TypePrivateKey, CategoryCredential, High, body, st)
	return bodyStart + len(body)
}

// b64PEMBegin is "-----BEGIN" in base64: a PEM block base64-encoded
// again, as Kubernetes stores it (client-key-data, a Secret's tls.key).
var b64PEMBegin = []byte("LS0tLS1CRUdJTi")

// b64PEMAt reads a base64 run at st that decodes to a PEM private key's
// header ("-----BEGIN RSA PRIVATE KEY-----") and reports it; it returns
// the run's end, or st when it is no key.
func (s *scanner) b64PEMAt(st int) int {
	text := s.text
	e := st
	for e < len(text) && e-st < 64<<10 && (alnumTable[text[e]] || text[e] == '+' || text[e] == '/' || text[e] == '=') {
		e++
	}
	if st > 0 && (alnumTable[text[st-1]] || text[st-1] == '+' || text[st-1] == '/') {
		return st
	}
	head := text[st:min(e, st+88)]
	head = head[:len(head)/4*4]
	var db [66]byte
	n, err := base64.StdEncoding.Decode(db[:], head)
	if err != nil && n == 0 {
		return st
	}
	dec := db[:n]
	if nl := bytes.IndexByte(dec, '\n'); nl >= 0 {
		dec = dec[:nl]
	}
	if !bytes.HasPrefix(dec, pemBegin) || !(bytes.HasSuffix(dec, pemKey) || bytes.HasSuffix(dec, pgpKey)) {
		return st
	}
	s.match(TypePrivateKey, CategoryCredential, High, text[st:e], st)
	return e
}

func lower(c byte) byte {
	if c-'A' < 26 {
		return c + 32
	}
	return c
}

// afterKeyColon reports whether the colon at c ends a word that is no
// hex group of an IPv6 address: a scheme or a key glued to its value
// (tcp:10.0.0.4,1433, ip:10.0.0.1), not ::ffff:10.1.2.3.
func afterKeyColon(text []byte, c int) bool {
	k := c
	hex := true
	for k > 0 && isAlpha(text[k-1]) && c-k < 16 {
		k--
		hex = hex && isHex(text[k])
	}
	return k < c && !hex && (k == 0 || text[k-1] != ':')
}

// hexEntityAt reports whether text[i:] is "x40;" (either x): the rest of
// &#x40;, an escaped '@'.
func hexEntityAt(text []byte, i int) bool {
	return i+4 <= len(text) && lower(text[i]) == 'x' && text[i+1] == '4' && text[i+2] == '0' && text[i+3] == ';'
}
