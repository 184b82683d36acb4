package pii

import "bytes"

// A postal address in prose counts only after words that say the writer
// lives there (pii-types.md: "free text only with strong context"):
// "residing at", "demeurant", "con domicilio en", "residente in" — and
// only as far as a postcode and the town after it, the shape letters and
// forms write an address in. Words that start with a stem letter (r, d)
// are found where they start (stemPrefix, residenceAt); the others
// (wohnhaft, woonachtig, "my address is", "I live at") from the postcode
// that ends the address, looking back along its line (addressBefore): the
// capitalised town after a postcode, a US state before its ZIP code and a
// UK postcode are words the pass looks at.

// residencePhrases are the words before a home address, lower-case, each
// ending where the address may start (connecting words skipped after); a
// phrase comes before any phrase it starts with.
var residencePhrases = [][]byte{
	[]byte("residing at"), []byte("resident at"), []byte("resides at"), []byte("residing in"),
	[]byte("residente in"), []byte("residente a"), []byte("residenti in"), []byte("residente en"),
	[]byte("résidant"), []byte("résident à"),
	[]byte("domiciled at"), []byte("domicilio en"), []byte("domicilio in"), []byte("domicilio a"),
	[]byte("domiciliado en"), []byte("domiciliada en"), []byte("domiciliato in"), []byte("domiciliata in"),
	[]byte("domiciliato a"), []byte("domiciliata a"), []byte("domiciliée"), []byte("domicilié"), []byte("demeurant"),
	// Before an inclusive ending (domiciliado/a en, domiciliato/a in).
	[]byte("domiciliado"), []byte("domiciliada"), []byte("domiciliato"), []byte("domiciliata"),
}

// leadPhrases are the other words before a home address, lower-case,
// found from the postcode back (addressBefore): a phrase that says the
// writer lives there or states their address, in the six languages.
var leadPhrases = [][]byte{
	// German: "wohnhaft in", "wohnhaft:", "ich wohne in", "meine Anschrift lautet".
	[]byte("wohnhaft"), []byte("wohne"), []byte("wohnt"), []byte("adresse ist"), []byte("adresse lautet"),
	[]byte("anschrift ist"), []byte("anschrift lautet"),
	// English: "my address is", "my new address is", "I live at", "lives at".
	[]byte("address is"), []byte("live at"), []byte("lives at"), []byte("living at"),
	// French: "mon adresse est", "j'habite au", "habitant".
	[]byte("adresse est"), []byte("habite"), []byte("habitant"), []byte("habitante"),
	// Spanish: "mi dirección es", "vivo en".
	[]byte("dirección es"), []byte("direccion es"), []byte("vivo en"), []byte("vive en"),
	// Italian: "il mio indirizzo è", "abito in".
	[]byte("indirizzo è"), []byte("abito in"), []byte("abito a"), []byte("abitante in"), []byte("abitante a"),
	// Dutch: "woonachtig te/aan", "ik woon aan", "mijn nieuwe adres is".
	[]byte("woonachtig"), []byte("woonachtige"), []byte("woon"), []byte("woont"), []byte("adres is"),
}

// leadFirst marks the bytes (both cases) a residence or lead phrase
// starts with: addressBefore's quick reject, a byte at a time.
var leadFirst = func() (t [256]bool) {
	for _, ps := range [][][]byte{residencePhrases, leadPhrases} {
		for _, p := range ps {
			t[p[0]] = true
			if isAlpha(p[0]) {
				t[p[0]-32] = true
			}
		}
	}
	return t
}()

// residenceLinks are the words that may join a phrase to the address.
var residenceLinks = [][]byte{[]byte("at "), []byte("in "), []byte("en "), []byte("au "), []byte("aux "), []byte("à "),
	[]byte("a "), []byte("te "), []byte("the "), []byte("aan "), []byte("op ")}

// maxFreeAddress bounds an address in prose, from its start to its town.
const maxFreeAddress = 120

// residenceAt looks for a home address after a residence phrase starting
// at i and emits it.
func (s *scanner) residenceAt(i int) {
	text := s.text
	if i+4 >= len(text) || !residenceStart(text[i+3], text[i+4]) {
		return
	}
	end := -1
	for _, p := range residencePhrases {
		if hasPrefixFold(text[i:], p) {
			end = i + len(p)
			break
		}
	}
	if end < 0 || (end < len(text) && isAlnum(text[end])) {
		return
	}
	st := skipLinks(text, end)
	if st >= len(text) || !(isAlnum(text[st]) || text[st] >= 0x80) {
		return
	}
	k, e, ok := postcodeTown(text, st)
	if !ok || !hasHouseNumber(text[st:k]) {
		return
	}
	if a, ok := normAddress(text[st:e], s.val[:0]); ok {
		s.match(TypePostalAddress, CategoryContact, High, a, st)
	}
}

// residenceStart is residenceAt's quick reject, on a phrase's fourth and
// fifth bytes (after "res", "ré", "dom" or "dem" passed stemPrefix):
// resi-, rési-, domi-, demeu-.
func residenceStart(c3, c4 byte) bool {
	c3, c4 = lower(c3), lower(c4)
	return c3 == 'i' && (c4 == 'd' || c4 == 'c') || c3 == 's' && c4 == 'i' || c3 == 'e' && c4 == 'u'
}

// skipLinks skips spaces, a colon and joining words after a phrase.
func skipLinks(text []byte, k int) int {
	k = skipInclusive(text, k)
	for n := 0; n < 3; n++ {
		for k < len(text) && (text[k] == ' ' || text[k] == ':' || text[k] == ',') {
			k++
		}
		found := false
		for _, l := range residenceLinks {
			if hasPrefixFold(text[k:], l) {
				k += len(l)
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	for k < len(text) && text[k] == ' ' {
		k++
	}
	return k
}

// skipInclusive skips a written form's inclusive ending right after a
// phrase: "domicilié(e)", "domiciliado/a", "résident(e)s".
func skipInclusive(text []byte, k int) int {
	if k+2 >= len(text) {
		return k
	}
	switch text[k] {
	case '(':
		e := k + 1
		for e < len(text) && e-k <= 3 && text[e] >= 'a' && text[e] <= 'z' {
			e++
		}
		if e > k+1 && e < len(text) && text[e] == ')' {
			k = e + 1
			if k < len(text) && text[k] == 's' {
				k++
			}
		}
	case '/':
		if (text[k+1] == 'a' || text[k+1] == 'e') && !isAlnum(text[k+2]) {
			k += 2
		}
	}
	return k
}

// postcodeTownEnd finds, within maxFreeAddress bytes of st on its line,
// a postcode and the town after it — "…, 90482 Nürnberg", "…, 1017 DK
// Amsterdam", "…, Columbus, OH 43214", "…, Portsmouth PO5 2SE" — after at
// least one word, and returns where the address ends.
func postcodeTownEnd(text []byte, st int) (int, bool) {
	_, e, ok := postcodeTown(text, st)
	return e, ok
}

// postcodeTown is postcodeTownEnd, with where the postcode starts.
func postcodeTown(text []byte, st int) (int, int, bool) {
	lim := min(len(text), st+maxFreeAddress)
	if nl := bytes.IndexByte(text[st:lim], '\n'); nl >= 0 {
		lim = st + nl
	}
	for k := st + 4; k < lim; k++ {
		if isUpper(text[k]) && text[k-1] == ' ' {
			// A UK postcode ends the address after its town.
			if n := ukPostcode(text[k:lim]); n > 0 {
				return k, k + n, true
			}
			continue
		}
		if !isDigit(text[k]) || isAlnum(text[k-1]) || (text[k-1] != ' ' && text[k-1] != ',') {
			continue
		}
		j := k
		for j < lim && isDigit(text[j]) {
			j++
		}
		if n := j - k; n < 4 || n > 5 || (j < lim && isAlnum(text[j])) {
			k = j
			continue
		}
		// A US state before a ZIP code: the ZIP ends the address
		// (ZIP+4 too).
		if k >= 4 && text[k-1] == ' ' && isUpper(text[k-2]) && isUpper(text[k-3]) && text[k-4] == ' ' {
			if j+5 <= lim && text[j] == '-' && allDigits(text[j+1:j+5]) {
				j += 5
			}
			return k, j, true
		}
		// The Netherlands: two capitals after the four digits.
		if j+3 < lim && text[j] == ' ' && isUpper(text[j+1]) && isUpper(text[j+2]) && text[j+3] == ' ' {
			j += 3
		}
		// The town: capitalised words.
		e := j
		for e < lim && text[e] == ' ' {
			w := e + 1
			if w >= lim || !(isUpper(text[w]) || text[w] >= 0xC3) {
				break
			}
			for w < lim && (isAlpha(text[w]) || text[w] >= 0x80 || text[w] == '-') {
				w++
			}
			e = w
		}
		if e == j {
			k = j
			continue
		}
		return k, e, true
	}
	return 0, 0, false
}

// ukPostcode returns the length of a UK postcode at the start of b (A9
// 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA) not followed by a
// letter or digit, or 0.
func ukPostcode(b []byte) int {
	k := 0
	for k < len(b) && k < 2 && isUpper(b[k]) {
		k++
	}
	if k == 0 || k >= len(b) || !isDigit(b[k]) {
		return 0
	}
	k++
	if k < len(b) && (isDigit(b[k]) || isUpper(b[k])) {
		k++
	}
	if k+4 > len(b) || b[k] != ' ' || !isDigit(b[k+1]) || !isUpper(b[k+2]) || !isUpper(b[k+3]) ||
		(k+4 < len(b) && isAlnum(b[k+4])) {
		return 0
	}
	return k + 4
}

// maxLead bounds a lead phrase with its links.
const maxLead = 24

// townAt looks at a capitalised word at i after a number and a space: a
// postcode's town ("90482 Nürnberg", "1017 DK Amsterdam") when the number
// has four or five digits after a space or comma.
func (s *scanner) townAt(i int) {
	text := s.text
	d := i - 1
	for d > 0 && isDigit(text[d-1]) {
		d--
	}
	if n := i - 1 - d; n < 4 || n > 5 || d == 0 || (text[d-1] != ' ' && text[d-1] != ',') {
		return
	}
	s.addressBefore(d)
}

// usStateZIP reports whether the two capitals at i are a US state code
// before a ZIP code ("OH 43214"), which starts at i+3.
func usStateZIP(text []byte, i, j int) bool {
	if j-i != 2 || i == 0 || text[i-1] != ' ' || j+6 > len(text) || text[j] != ' ' || !allDigits(text[j+1:j+6]) {
		return false
	}
	return j+6 == len(text) || !isAlnum(text[j+6])
}

// addressBefore looks back from the postcode at pc along its line, at
// most maxFreeAddress bytes and a phrase before it, for the nearest
// residence or lead phrase. A lead phrase whose address (skipLinks, then
// postcodeTown) ends at this postcode, with a house number before it, is
// emitted; a residence phrase is residenceAt's, which found it from its
// start.
func (s *scanner) addressBefore(pc int) {
	text := s.text
	lo := max(0, pc-maxFreeAddress-maxLead)
	if nl := bytes.LastIndexByte(text[lo:pc], '\n'); nl >= 0 {
		lo += nl + 1
	}
	for p := pc - 1; p >= lo; p-- {
		if !leadFirst[text[p]] || (p > 0 && (isAlnum(text[p-1]) || text[p-1] >= 0x80)) {
			continue
		}
		e, lead := phraseAt(text, p)
		if e < 0 {
			continue
		}
		if !lead {
			return
		}
		st := skipLinks(text, e)
		if st >= pc || !(isAlnum(text[st]) || text[st] >= 0x80) {
			return
		}
		if k, end, ok := postcodeTown(text, st); ok && k == pc && hasHouseNumber(text[st:pc]) {
			if a, ok := normAddress(text[st:end], s.val[:0]); ok {
				s.match(TypePostalAddress, CategoryContact, High, a, st)
			}
		}
		return
	}
}

// hasHouseNumber reports whether the words before a postcode hold a house
// number: a word of one to four digits, maybe with a letter ("44", "455-H",
// "14a"). "wohnhaft in Freiburg und seit 2019 Mitglied", "residente in
// Italia dal 2001 Cordiali saluti" have a year and a noun where a postcode
// and a town would be, and no house number before them.
func hasHouseNumber(b []byte) bool {
	for k := 0; k < len(b); k++ {
		if !isDigit(b[k]) || (k > 0 && b[k-1] != ' ' && b[k-1] != ',') {
			continue
		}
		j := k
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if j-k <= 4 && (j == len(b) || !isDigit(b[j])) {
			return true
		}
		k = j
	}
	return false
}

// phraseAt returns where a residence phrase (lead false) or a lead phrase
// (lead true) starting at p ends, as a whole word, or -1.
func phraseAt(text []byte, p int) (end int, lead bool) {
	for n, ps := range [][][]byte{residencePhrases, leadPhrases} {
		for _, w := range ps {
			if e := p + len(w); hasPrefixFold(text[p:], w) && (e == len(text) || !isAlnum(text[e]) && text[e] < 0x80) {
				return e, n == 1
			}
		}
	}
	return -1, false
}
