package pii

import "bytes"

// A postal address in prose counts only after words that say the writer
// lives there (pii-types.md: "free text only with strong context"):
// "residing at", "demeurant", "con domicilio en", "residente in" — and
// only as far as a postcode and the town after it, the shape letters and
// forms write an address in. The words start with a stem letter (r, d),
// so the pass looks at them (stemPrefix); words it never looks at
// (wohnhaft, woonachtig, "my address is") are not known.

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
}

// residenceLinks are the words that may join a phrase to the address.
var residenceLinks = [][]byte{[]byte("at "), []byte("in "), []byte("en "), []byte("au "), []byte("aux "), []byte("à "),
	[]byte("a "), []byte("te "), []byte("the ")}

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
	e, ok := postcodeTownEnd(text, st)
	if !ok {
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

// postcodeTownEnd finds, within maxFreeAddress bytes of st on its line,
// a postcode and the town after it — "…, 90482 Nürnberg", "…, 1017 DK
// Amsterdam", "…, Columbus, OH 43214" — after at least one word, and
// returns where the address ends.
func postcodeTownEnd(text []byte, st int) (int, bool) {
	lim := min(len(text), st+maxFreeAddress)
	if nl := bytes.IndexByte(text[st:lim], '\n'); nl >= 0 {
		lim = st + nl
	}
	for k := st + 4; k < lim; k++ {
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
			return j, true
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
		return e, true
	}
	return 0, false
}
