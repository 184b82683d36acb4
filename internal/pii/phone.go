package pii

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Type and category of phone numbers.
const TypePhoneNumber = "phone_number"

// phoneRegions are the numbering plans national numbers are checked
// against (pii-types.md), in order.
var phoneRegions = []string{"US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "AU", "BR"}

// phoneWords are context words that let a national-format number count,
// wherever they stand in a word (Mobiltelefon, Homephone, Diensthandy);
// phoneStartWords count only at a word's start, as short words and
// abbreviations occur inside others ("tel" in Bestellnummer and Hotel,
// "call" in recall, "mobil" in Immobilien, "cell" in excellent).
var (
	phoneWords = [][]byte{[]byte("phone"), []byte("telefon"), []byte("telefoon"), []byte("telefax"), []byte("handy"),
		[]byte("téléphone"), []byte("teléfono"), []byte("rufnummer"), []byte("festnetz"), []byte("whatsapp"), []byte("rückruf"),
		[]byte("rückfrage"), []byte("telemóvel"), []byte("telemovel")}
	phoneStartWords = [][]byte{[]byte("mobil"), []byte("mobiel"), []byte("móvil"), []byte("movil"), []byte("cell"),
		[]byte("fax"), []byte("call"), []byte("portable"), []byte("gsm"), []byte("hotline"), []byte("celular"), []byte("fijo"), []byte("fisso"),
		// verbs of calling and reaching before a number in letters and
		// mails: "me joindre au", "erreichbar unter", "chiamami al",
		// "llámame al"
		[]byte("joindre"), []byte("appel"), []byte("erreich"), []byte("anruf"), []byte("chiam"), []byte("llam"), []byte("llám")}
	// phoneWholeWords are abbreviations that count only as a word of their
	// own (Tel., tel:, Tlf): not Telegram, Telemetry or Teller.
	phoneWholeWords = [][]byte{[]byte("tel"), []byte("tél"), []byte("tlf"), []byte("tfno"), []byte("telf"), []byte("ph"), []byte("mob")}
)

func isPhoneChar(c byte) bool {
	return isDigit(c) || c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/'
}

// validPhone checks the phone candidate cand at start: an international
// number alone, a national one with a context word or field, or in the
// (AAA) BBB-CCCC shape.
func (s *scanner) validPhone(start int, cand []byte) ([]byte, string, bool) {
	// A date is no phone number; asked only before an answer, since on
	// logs most long numbers fail the (cheaper) context test first.
	if (cand[0] == '+' || len(cand) > 1 && cand[0] == '0' && cand[1] == '0') && looksLikeDate(cand) {
		return nil, "", false
	}
	if dottedQuad(cand) {
		return nil, "", false // 81.92.204.19 under "callerIp": an IPv4 address
	}
	if cand[0] == '+' {
		if !intlLengths.possible(cand) {
			return nil, "", false
		}
		if v, ok := parseIntl(cand); ok {
			return v, High, true
		}
		return nil, "", false
	}
	// 0049 30 1234567: the international prefix most of the world
	// dials, written in groups as a phone number is, reads as +49 30 ….
	// The first group is the prefix and the country code, perhaps with
	// the area code (0049 30, 004930): a longer one is an id that starts
	// with 00 ("batch 006108842150 (79 txns").
	if sp := bytes.IndexByte(cand, ' '); len(cand) > 3 && cand[0] == '0' && cand[1] == '0' && isDigit(cand[2]) && cand[2] != '0' &&
		sp > 2 && sp <= 7 {
		var ib [24]byte
		intl := append(append(ib[:0], '+'), cand[2:]...)
		if intlLengths.possible(intl) {
			if v, ok := parseIntl(intl); ok {
				return v, High, true
			}
		}
	}
	ctx := s.field&fieldPhone != 0
	if !ctx {
		ctx = phoneContextAt(s.text, start)
	}
	shaped := cand[0] == '(' && bytes.IndexByte(cand, ')') == 4
	if !ctx && !shaped || looksLikeDate(cand) {
		return nil, "", false
	}
	conf := Medium
	if ctx {
		conf = High
	}
	trunk := firstDigit(cand) == '0'
	// The country the number's record names comes first (phonehint.go),
	// before the host's plan: a French customer's file read in Germany.
	hint := phoneHint(s.text, start)
	if hint != "" && hint != s.region && (trunk || !trunkRequired(hint)) {
		if v, ok := parsePhone(cand, hint); ok {
			return v, conf, true
		}
	}
	if s.region != "" && (trunk || !trunkRequired(s.region)) {
		if v, ok := parsePhone(cand, s.region); ok {
			return v, conf, true
		}
	}
	if s.field&fieldPhone != 0 && !trunk && allDigits(cand) && bytes.Contains(bytes.ToLower(s.fieldName), []byte("msisdn")) {
		if v, ok := intlWithoutPlus(cand); ok {
			return v, conf, true // 491701234567 under "msisdn"
		}
	}
	if s.region == "" && hint == "" {
		l := langHint(s.text, start)
		if l == "" && s.fieldName != nil {
			l = langHint(s.fieldName, len(s.fieldName)) // a column "Téléphone"
		}
		if l != "" && (trunk || !trunkRequired(l)) {
			if v, ok := parsePhone(cand, l); ok {
				return v, conf, true
			}
		}
	}
	for _, r := range phoneRegions {
		if !trunk && trunkRequired(r) {
			continue
		}
		if v, ok := parsePhone(cand, r); ok {
			return v, conf, true
		}
	}
	if s.field&fieldPhone != 0 && !trunk && len(cand) >= 8 && len(cand) <= 11 && allDigits(cand) {
		// A national number kept as a number in a spreadsheet or a
		// database lost its trunk 0 (0648291735 became 648291735): under
		// a phone field it is read with the 0 put back.
		var tb [12]byte
		t := append(append(tb[:0], '0'), cand...)
		if hint != "" && trunkRequired(hint) {
			if v, ok := parsePhone(t, hint); ok {
				return v, conf, true
			}
		}
		if s.region != "" && trunkRequired(s.region) {
			if v, ok := parsePhone(t, s.region); ok {
				return v, conf, true
			}
		}
		for _, r := range phoneRegions {
			if trunkRequired(r) {
				if v, ok := parsePhone(t, r); ok {
					return v, conf, true
				}
			}
		}
	}
	if s.field&fieldPhone != 0 && !trunk && allDigits(cand) {
		// An international number kept without its '+' (a WhatsApp or
		// SMS gateway's export: 33612345678) where no plan reads it.
		if v, ok := intlWithoutPlus(cand); ok {
			return v, conf, true
		}
	}
	return nil, "", false
}

// intlWithoutPlus validates ten to fifteen digits as an international
// number whose '+' was left out.
func intlWithoutPlus(cand []byte) ([]byte, bool) {
	if len(cand) < 10 || len(cand) > 15 {
		return nil, false
	}
	var ib [16]byte
	intl := append(append(ib[:0], '+'), cand...)
	if !intlLengths.possible(intl) {
		return nil, false
	}
	return parseIntl(intl)
}

// dottedQuad reports whether c is four groups of one to three digits
// joined by dots, an IPv4 address's shape.
func dottedQuad(c []byte) bool {
	groups, run := 1, 0
	for _, b := range c {
		switch {
		case isDigit(b):
			run++
			if run > 3 {
				return false
			}
		case b == '.' && run > 0:
			groups, run = groups+1, 0
		default:
			return false
		}
	}
	return groups == 4 && run > 0
}

func firstDigit(b []byte) byte {
	for _, c := range b {
		if isDigit(c) {
			return c
		}
	}
	return 0
}

// trunkRequired reports whether a national number of region is always
// written with its trunk prefix 0 (030 1234567 in Germany, 06 12 34 56
// 78 in France): there "48213377" is an order number, not a phone
// number, though its digits make a valid national significant number.
// Italy and Spain have no trunk prefix, the US's 1 is optional, and India
// and Brazil write their numbers without theirs (98765 43210, (11)
// 91234-5678).
func trunkRequired(region string) bool {
	switch region {
	case "GB", "DE", "FR", "NL", "AU", "AT", "CH", "BE", "IE", "NZ", "SE", "FI":
		return true
	}
	return false
}

// NewDefaultIn returns NewDefault's detector reading a national phone
// number in region's numbering plan first (ISO 3166 alpha-2, "DE"), then
// in phoneRegions' order. A number's token is computed over its E.164
// form, so the plan decides whose number it is: "030 12345678" is Berlin
// in Germany and a UK non-geographic number in phoneRegions' order. An
// agent reads its host's files in its host's region (see RegionFromLocale);
// an international number (+49 …) reads the same everywhere.
func NewDefaultIn(region string) Detector {
	r, err := PhoneRegion(region)
	if err != nil {
		r = ""
	}
	return defaultDetector{region: r, fields: newFieldCache(), scanners: new(sync.Pool)}
}

// PhoneRegion checks a region code ("de" or "DE") for a numbering plan
// and returns it upper-cased; "" stays "" (no region).
func PhoneRegion(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	r := strings.ToUpper(strings.TrimSpace(s))
	if len(r) != 2 || phonenumbers.GetCountryCodeForRegion(r) == 0 {
		return "", fmt.Errorf("%q is not a region with a telephone numbering plan: give an ISO 3166 two-letter code such as DE, FR or US", s)
	}
	return r, nil
}

// RegionFromLocale reads the region of a POSIX locale ("de_DE.UTF-8" is
// DE) as LC_ALL, LC_TELEPHONE and LANG give it, in that order (getenv is
// os.Getenv); "" when none names one with a numbering plan (C, POSIX).
func RegionFromLocale(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_TELEPHONE", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		if i := strings.IndexAny(v, ".@"); i >= 0 {
			v = v[:i]
		}
		_, cc, ok := strings.Cut(v, "_")
		if !ok {
			return "" // the first one set decides, as for the C library
		}
		r, err := PhoneRegion(cc)
		if err != nil {
			return ""
		}
		return r
	}
	return ""
}

// parsePhone validates a candidate for a region and returns it in E.164.
func parsePhone(cand []byte, region string) ([]byte, bool) {
	num, err := phonenumbers.Parse(string(cand), region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return nil, false
	}
	return []byte(phonenumbers.Format(num, phonenumbers.E164)), true
}

// looksLikeDate rejects 2026-11-01, 01.11.2026, 11/01/2026 shapes.
func looksLikeDate(c []byte) bool {
	var groups [3]int // more than three groups is no date
	ng, run := 0, 0
	for k := 0; k <= len(c); k++ {
		if k < len(c) && isDigit(c[k]) {
			run++
			continue
		}
		if run > 0 {
			if ng == len(groups) {
				return false
			}
			groups[ng] = run
			ng++
		}
		run = 0
	}
	if ng != 3 {
		return false
	}
	return (groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2) || (groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4)
}

// contextBefore reports whether one of words (lower-case) appears in the
// window bytes (at most contextMax) before pos on the same line,
// case-insensitively.
func contextBefore(text []byte, pos, window int, words [][]byte) bool {
	ws := newWordSet(words)
	k, _ := ws.lastWordIn(text, max(pos-min(window, contextMax), 0), pos)
	return k >= 0
}

// wordSet is a list of context words with the sets of their first and
// second bytes, so a window is searched in one pass that looks at the
// words only where two bytes in a row could start one.
type wordSet struct {
	words         [][]byte
	first, second [8]uint32
	// anywhere is how many of words (the first ones) count inside a
	// word; the others count only at a word's start, and those from
	// whole on only as a word of their own.
	anywhere, whole int
	// pairs, when set, is the exact set of the words' first two bytes
	// (lower-cased), a bit per pair: the sets looked up for most
	// candidates have it, so a window of hex ids or numbers is passed
	// over without trying a word at every two bytes the first and
	// second sets let through.
	pairs *[256 * 32]byte
}

func newWordSet(words [][]byte) (ws wordSet) {
	ws.words = words
	ws.anywhere, ws.whole = len(words), len(words)
	for _, w := range words {
		ws.first[w[0]>>5] |= 1 << (w[0] & 31)
		if len(w) == 1 { // any byte, or none, may follow
			ws.second = [8]uint32{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}
			continue
		}
		ws.second[w[1]>>5] |= 1 << (w[1] & 31)
	}
	return ws
}

// newWordSetStart is newWordSet for words that count anywhere, words
// that count only at a word's start and words that count only as a whole
// word.
func newWordSetStart(anywhere, atStart, whole [][]byte) wordSet {
	ws := newWordSet(append(append(append([][]byte(nil), anywhere...), atStart...), whole...))
	ws.anywhere, ws.whole = len(anywhere), len(anywhere)+len(atStart)
	ws.pairs = new([256 * 32]byte)
	for _, w := range ws.words {
		if len(w) == 1 {
			for d := 0; d < 256; d++ {
				ws.pairs[int(w[0])<<5|d>>3] |= 1 << (d & 7)
			}
			continue
		}
		ws.pairs[int(w[0])<<5|int(w[1]>>3)] |= 1 << (w[1] & 7)
	}
	return ws
}

// phoneWordSet is the phone context words' wordSet: its context is looked
// up for most long numbers.
var phoneWordSet = newWordSetStart(phoneWords, phoneStartWords, phoneWholeWords)

// phonePairRaw is phoneWordSet.pairs by raw bytes: bit b<<8|c is set
// when the two bytes b c, case folded, start a phone word.
var phonePairRaw = func() (t [256 * 32]byte) {
	for b := range 256 {
		for c := range 256 {
			f, g := foldASCII[b], foldASCII[c]
			if phoneWordSet.pairs[int(f)<<5|int(g>>3)]&(1<<(g&7)) != 0 {
				t[b<<5|c>>3] |= 1 << (c & 7)
			}
		}
	}
	return t
}()

// phoneTabs are nibble tables of the phone words' first three bytes for
// the vector pass: a phone word may start at bytes b c d only when f(b)
// & s(c) & t(d) != 0, f(b) = fHi[b>>4] & fLo[b&15] the bit of b's group
// (phoneGroup of its low nibble), s(c) = sHi[c>>4] & sLo[c&15] the bits
// of the groups whose words' second byte c may be, t(d) likewise the
// third (every byte for a group with a word of one or two bytes):
// supersets, products of nibble sets, case folded as hasPrefixFold
// folds. The third byte and the groups keep key=value logs' keys from
// looking like phone words' starts: "er_" (user_id: erreich), "r_"
// (dur_ms: r and j, of rufnummer and joindre, once shared a group).
// [6][32]byte: fHi, fLo, sHi, sLo, tHi, tLo, each 16 bytes repeated
// for VPSHUFB's two lanes.
var phoneTabs = func() (t [6][32]byte) {
	var tabs [6][16]byte
	set := func(tab int, x byte, bit byte) {
		for _, r := range foldVariants(x) {
			tabs[tab][r>>4] |= bit
			tabs[tab+1][r&15] |= bit
		}
	}
	for _, w := range phoneWordSet.words {
		bit := byte(1) << phoneGroup[w[0]&15]
		set(0, w[0], bit)
		for k := 1; k < 3; k++ {
			if len(w) <= k { // any byte may follow
				for n := range 16 {
					tabs[2*k][n] |= bit
					tabs[2*k+1][n] |= bit
				}
				continue
			}
			set(2*k, w[k], bit)
		}
	}
	for k := range tabs {
		copy(t[k][:16], tabs[k][:])
		copy(t[k][16:], tabs[k][:])
	}
	return t
}()

// phoneGroup is the group of a phone word's first byte by its low nibble
// (an ASCII letter's is the same in both cases): the low three bits, but
// j (joindre) with a (appel, anruf), not with r (rufnummer), whose words
// go on otherwise.
var phoneGroup = [16]uint8{0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 1, 3, 4, 5, 6, 7}

// foldVariants are the bytes hasPrefixFold takes for the word byte x: x,
// and its capital when x is a lower-case ASCII letter.
func foldVariants(x byte) []byte {
	if x-'a' < 26 {
		return []byte{x, x - 32}
	}
	return []byte{x}
}

// phoneStartMaybe is phoneTabs' test of the bytes b c d: true wherever a
// phone word may start at b (TestPhoneStartMaybe).
func phoneStartMaybe(b, c, d byte) bool {
	t := &phoneTabs
	return t[0][b>>4]&t[1][b&15]&t[2][c>>4]&t[3][c&15]&t[4][d>>4]&t[5][d&15] != 0
}

// isWordByte reports whether c continues a word: an ASCII letter or a
// byte of a UTF-8 letter.
func isWordByte(c byte) bool { return isAlpha(c) || c >= 0x80 }

// wordStart reports whether a word starts at k: after a byte that is no
// letter, or at a camel-case hump (homeTel, privatMobil).
func wordStart(text []byte, k int) bool {
	return k == 0 || !isWordByte(text[k-1]) || (isUpper(text[k]) && text[k-1]-'a' < 26)
}

// lastWord is lastWordIn over all of win.
func (ws *wordSet) lastWord(win []byte) (int, bool) { return ws.lastWordIn(win, 0, len(win)) }

// lastWordIn returns where the last of the words (lower-case) that lies
// wholly in text[from:to] after its last newline starts, case-insensitively,
// or -1, and whether it met that newline: context is on a candidate's own
// line. A word that counts only at a word's start is looked at with the
// byte before it, even before from. It is one backward pass folding case as
// it goes, instead of a lower-cased copy searched once per word.
func (ws *wordSet) lastWordIn(text []byte, from, to int) (int, bool) {
	if ws.pairs != nil {
		return ws.lastWordInPairs(text, from, to)
	}
	win := text[:to]
	for k := to - 1; k >= from; k-- {
		c := win[k]
		if c == '\n' {
			return -1, true
		}
		if c-'A' < 26 {
			c += 32
		}
		if ws.first[c>>5]&(1<<(c&31)) == 0 {
			continue
		}
		d := byte(0)
		if k+1 < len(win) {
			d = win[k+1]
		}
		if d-'A' < 26 {
			d += 32
		}
		if ws.second[d>>5]&(1<<(d&31)) == 0 {
			continue
		}
		if ws.pairs != nil && ws.pairs[int(c)<<5|int(d>>3)]&(1<<(d&7)) == 0 {
			continue
		}
		for x, w := range ws.words {
			if w[0] == c && hasPrefixFold(win[k:], w) && (x < ws.anywhere || wordStart(text, k)) &&
				(x < ws.whole || k+len(w) == len(text) || !isWordByte(text[k+len(w)])) {
				return k, false
			}
		}
	}
	return -1, false
}

// lastWordInPairs is lastWordIn for a set with its pairs: one table
// lookup per byte, with the newline test only where no word can start,
// since the long numbers of digit-dense logs look back over text full of
// the first letters of context words (path, trace, method, retries).
func (ws *wordSet) lastWordInPairs(text []byte, from, to int) (int, bool) {
	win := text[:to]
	d := byte(0) // the byte after k, folded; none after the window
	for k := to - 1; k >= from; k-- {
		c := foldASCII[win[k]]
		if ws.pairs[int(c)<<5|int(d>>3)]&(1<<(d&7)) != 0 {
			if ws.wordAt(win, text, k, c) {
				return k, false
			}
		} else if c == '\n' {
			return -1, true
		}
		d = c
	}
	return -1, false
}

// wordAt reports whether one of the words starts at k (c is text[k]
// folded) and ends inside win (a prefix of text), where it counts.
func (ws *wordSet) wordAt(win, text []byte, k int, c byte) bool {
	for x, w := range ws.words {
		if w[0] == c && hasPrefixFold(win[k:], w) && (x < ws.anywhere || wordStart(text, k)) &&
			(x < ws.whole || k+len(w) == len(text) || !isWordByte(text[k+len(w)])) {
			return true
		}
	}
	return false
}

// foldASCII lower-cases ASCII letters and keeps every other byte.
var foldASCII = func() (t [256]byte) {
	for c := range 256 {
		t[c] = lower(byte(c))
	}
	return t
}()

// phoneContextWindow is how far before a national number a phone context
// word may be.
const phoneContextWindow = 40

// phoneContextAt reports whether a phone context word stands before the
// number at pos: on its line, within phoneContextWindow bytes, and with no
// other label after a value between them ("Tel: 030 1234567, Kundennr:
// 2024118734" gives the context to the first number only). It is one
// backward pass: the first word it meets is the last before pos, and a
// digit met after a label (a word, then ':' or '=') belongs to a value
// that every word before it labels first, so the pass stops there: on
// key=value logs after a few bytes, where a number's window is full of
// other keys. A number that starts its line may take its context from the
// line before when that is a phone label alone (labelLine).
func phoneContextAt(text []byte, pos int) bool {
	ws := &phoneWordSet
	win := text[:pos]
	label := false
	lead := true // only spaces between the number and k: it starts its line
	d := byte(0) // the byte after k, folded; none after the window
	for k := pos - 1; k >= max(pos-phoneContextWindow, 0); k-- {
		b := win[k]
		c := foldASCII[b]
		if ws.pairs[int(c)<<5|int(d>>3)]&(1<<(d&7)) != 0 && ws.wordAt(win, text, k, c) {
			return true
		}
		switch {
		case b == '\n':
			return lead && labelLine(text, k)
		case b == ' ' || b == '\t' || b == '\r':
		default:
			lead = false
		}
		switch {
		case b-'0' < 10:
			if label {
				return false
			}
		case (b == ':' || b == '=') && !label:
			j := k
			for j > 0 && text[j-1] == ' ' {
				j--
			}
			label = j > 0 && isWordByte(text[j-1])
		}
		d = c
	}
	return false
}

// labelLine reports whether the line ending at the newline nl is a phone
// label alone ("Telefon:", "Mobile phone", "Tél."): a form's label above
// its value, as text extracted from a PDF or pasted from a page has it.
func labelLine(text []byte, nl int) bool {
	ls := nl
	for ls > 0 && text[ls-1] != '\n' && nl-ls <= 40 {
		ls--
	}
	if ls > 0 && text[ls-1] != '\n' {
		return false // longer than a label
	}
	e := nl
	for e > ls && (text[e-1] == ' ' || text[e-1] == '\t' || text[e-1] == '\r' || text[e-1] == ':' || text[e-1] == '.') {
		e--
	}
	if e-ls < 2 || e-ls > 32 {
		return false
	}
	for _, c := range text[ls:e] {
		if isDigit(c) || c == '=' || c == ',' || c == ';' {
			return false
		}
	}
	k, _ := phoneWordSet.lastWordIn(text[:e], ls, e)
	return k >= 0
}

// contextMax bounds a context window (a stack buffer holds it lower-cased).
const contextMax = 64

// PhoneForms returns the E.164 forms a phone number as a person writes
// it may have been tokenized as: one for an international number ("+49
// 30 1234567", "0049 30 1234567", "tel:+49…") or for a national one with
// a region; without a region, a national number is each plan's of
// phoneRegions in which it is valid, since the file it sits in was read
// in its host's plan.
func PhoneForms(s, region string) ([]string, error) {
	b := strings.TrimSpace(s)
	if len(b) > 64 {
		return nil, errors.New("longer than any phone number")
	}
	b = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(b, "tel:"), "TEL:"))
	if strings.HasPrefix(b, "00") && region == "" { // the international prefix of most of the world
		b = "+" + b[2:]
	}
	if b == "" {
		return nil, errors.New("empty")
	}
	if b[0] == '+' {
		if v, ok := parsePhone([]byte(b), "ZZ"); ok {
			return []string{string(v)}, nil
		}
		return nil, errors.New("not a valid international number (country code and number)")
	}
	if region != "" {
		r, err := PhoneRegion(region)
		if err != nil {
			return nil, err
		}
		if v, ok := parsePhone([]byte(b), r); ok {
			return []string{string(v)}, nil
		}
		return nil, fmt.Errorf("not a valid number in %s's numbering plan", r)
	}
	var out []string
	for _, r := range phoneRegions {
		if v, ok := parsePhone([]byte(b), r); ok && !slices.Contains(out, string(v)) {
			out = append(out, string(v))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("not a valid national number in any of " + strings.Join(phoneRegions, ", ") + "; give it with its country code (+49 …) or a region")
	}
	return out, nil
}

// NormalizePhone returns a phone number in E.164: its international form,
// else its national one in the first plan of phoneRegions where it is valid.
func NormalizePhone(s string) (string, bool) {
	f, err := PhoneForms(s, "")
	if err != nil {
		return "", false
	}
	return f[0], true
}

// ---- phone numbers ----

// phoneGlued reports whether a '+' or '(' at i continues a token.
func phoneGlued(text []byte, i int) bool {
	if i == 0 {
		return false
	}
	p := text[i-1]
	return isAlnum(p) || p == '.' || p == '-' || p == '_' || p == '/' || p == '+'
}

// phoneAt checks the phone candidate starting at i and returns its end.
func (s *scanner) phoneAt(i int) int {
	text := s.text
	n := len(text)
	c := text[i]
	j := i + 1
	digits := 0
	if isDigit(c) {
		digits = 1
	}
	for j < n && isPhoneChar(text[j]) && digits <= 15 {
		if text[j] == ' ' && j+1 < n && text[j+1] == ' ' {
			// Two spaces set off a column or the next number (a page's
			// text with a tel: link before the number it shows,
			// fixed-width exports): the number ends here.
			break
		}
		if isDigit(text[j]) {
			digits++
		}
		j++
	}
	next := -1
	if digits > 15 {
		// Two numbers in a row, "030 90182734 / 030 90182735": the first,
		// and the pass goes on at the second.
		if k := phoneSplit(text[i:j]); k > 0 {
			j, next, digits = i+k, i+k+1, 0
			for _, c := range text[i:j] {
				if isDigit(c) {
					digits++
				}
			}
		}
	}
	end := j
	for end > i && !isDigit(text[end-1]) && text[end-1] != ')' {
		end--
	}
	if next < 0 {
		next = max(i+1, end)
	}
	if digits < 7 || digits > 15 || (end < n && (isAlnum(text[end]) || text[end] == '_' || text[end] == '@')) {
		return next
	}
	if v, conf, ok := s.validPhone(i, text[i:end]); ok {
		s.match(TypePhoneNumber, CategoryContact, conf, v, i)
	}
	return next
}

// phoneSplit returns where a run of phone characters holding more digits
// than one number splits in two: at its first " / ", else its first
// " - ", else after a first group of seven digits or more, a number
// written without spaces before the same one written for people (a
// page's tel: link before its text, "tel:+4915112345678 0151 12345678")
// (0 for none).
func phoneSplit(run []byte) int {
	if k := bytes.Index(run, []byte(" / ")); k > 0 {
		return k
	}
	if k := bytes.Index(run, []byte(" - ")); k > 0 {
		return k
	}
	if k := bytes.IndexByte(run, ' '); k >= 7 && allDigits(bytes.TrimPrefix(run[:k], []byte{'+'})) {
		return k
	}
	return 0
}

// nbspLen is the length of a no-break space at i, as UTF-8 (U+00A0, and
// U+202F, French typography's narrow one) or as an HTML entity (&nbsp;
// &#160; &#xa0;), and 0 for none.
func nbspLen(text []byte, i int) int {
	if i+1 < len(text) && text[i] == 0xC2 && text[i+1] == 0xA0 {
		return 2
	}
	if i+2 < len(text) && text[i] == 0xE2 && text[i+1] == 0x80 && text[i+2] == 0xAF {
		return 3
	}
	if i >= len(text) || text[i] != '&' {
		return 0
	}
	for _, e := range []string{"&nbsp;", "&#160;", "&#xa0;", "&#xA0;"} {
		if bytes.HasPrefix(text[i:], []byte(e)) {
			return len(e)
		}
	}
	return 0
}

// phoneSpacedAt reads a phone candidate at i whose groups are set off by
// no-break spaces (an HTML page, a word processor's text) as if by
// spaces, and returns its end.
func (s *scanner) phoneSpacedAt(i int) int {
	text := s.text
	var buf [32]byte
	b := buf[:0]
	j, digits := i, 0
	for j < len(text) && len(b) < len(buf) {
		if k := nbspLen(text, j); k > 0 && j+k < len(text) && isDigit(text[j+k]) {
			b = append(b, ' ')
			j += k
			continue
		}
		if !isPhoneChar(text[j]) {
			break
		}
		if isDigit(text[j]) {
			digits++
		}
		b = append(b, text[j])
		j++
	}
	for len(b) > 0 && !isDigit(b[len(b)-1]) && b[len(b)-1] != ')' {
		b = b[:len(b)-1]
		j--
	}
	if digits < 7 || digits > 15 || (j < len(text) && (isAlnum(text[j]) || text[j] == '_' || text[j] == '@')) {
		return j
	}
	if v, conf, ok := s.validPhone(i, b); ok {
		s.match(TypePhoneNumber, CategoryContact, conf, v, i)
	}
	return j
}

// escapedAt looks at a number after '%' or '#' at i: an escaped '@'
// between an address's parts (sofia%40example.it in a query string,
// j.okafor&#64;example.co.uk in HTML) or an escaped '+' before an
// international phone number (phone=%2B4917012345678). It reports
// whether it was one.
func (s *scanner) escapedAt(i int) bool {
	text := s.text
	n := len(text)
	switch {
	case text[i-1] == '%' && i+2 < n && text[i] == '4' && text[i+1] == '0' && isAlnum(text[i+2]):
		s.emailSplit(i-1, i+2)
		return true
	case text[i-1] == '#' && i >= 2 && text[i-2] == '&':
		// &#64; or &#064;
		k, v := i, 0
		for k < n && k-i < 5 && isDigit(text[k]) {
			v = v*10 + int(text[k]-'0')
			k++
		}
		if v != 64 || k >= n || text[k] != ';' {
			return false
		}
		s.emailSplit(i-2, k+1)
		return true
	case text[i-1] == '%' && i+2 < n && text[i] == '2' && (text[i+1] == 'B' || text[i+1] == 'b') && isDigit(text[i+2]):
		var buf [20]byte
		b := append(buf[:0], '+')
		j := i + 2
		for j < n && isDigit(text[j]) && len(b) < len(buf) {
			b = append(b, text[j])
			j++
		}
		if j < n && (isAlnum(text[j]) || text[j] == '_') || len(b) < 8 || len(b) > 16 {
			return true
		}
		if v, conf, ok := s.validPhone(i-1, b); ok {
			s.match(TypePhoneNumber, CategoryContact, conf, v, i-1)
		}
		return true
	}
	return false
}
