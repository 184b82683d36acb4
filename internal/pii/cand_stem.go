package pii

// stemTabs are the nibble tables of the vector pass's stem filter: a
// lower-case stem letter (d b g n e r s x) starts a candidate only when
// the byte after it may continue one of stemPrefix's words, or a digit
// follows two bytes on (a lower-case IBAN: de60 …). Each stem letter has
// its own bit: f(c) = fHi[c>>4] & fLo[c&15] is the letter's bit (exact),
// g(c) = gHi[c>>4] & gLo[c&15] the bits of the letters c may follow (a
// superset: each bit's bytes are the product of their nibble sets). On
// logs this drops most words starting with a stem letter (status, bytes,
// debug, search) before the bit loop visits them. [4][32]byte: fHi, fLo,
// gHi, gLo, each 16 bytes repeated for VPSHUFB's two lanes; built once
// from stemPrefix itself, so a new context word needs no edit here
// (about 2 ms at start: every stem letter and two bytes after it).
var stemTabs = stemTabsBuild()

// stemTabsBuild computes stemTabs.
func stemTabsBuild() (t [4][32]byte) {
	const stems = "bdegnrsx"
	var fHi, fLo, gHi, gLo [16]byte
	var text [3]byte
	for j := range len(stems) {
		c0 := stems[j]
		bit := byte(1) << j
		fHi[c0>>4] |= bit
		fLo[c0&15] |= bit
		for c1 := range 256 {
			ok := c0 == 'x' // x after '#' (&#x40;) looks one byte further back
			for c2 := 0; c2 < 256 && !ok; c2++ {
				text = [3]byte{c0, byte(c1), byte(c2)}
				ok = !isDigit(byte(c2)) && stemPrefix(text[:], 0)
			}
			if ok {
				gHi[c1>>4] |= bit
				gLo[c1&15] |= bit
			}
		}
	}
	for k, tab := range [4]*[16]byte{&fHi, &fLo, &gHi, &gLo} {
		copy(t[k][:16], tab[:])
		copy(t[k][16:], tab[:])
	}
	return t
}

// stemKeep reports whether the stem filter keeps a lower-case stem letter
// c0 followed by c1 and c2: candMasksGo's (and the vector code's) rule.
func stemKeep(c0, c1, c2 byte) bool {
	t := &stemTabs
	f := t[0][c0>>4] & t[1][c0&15]
	g := t[2][c1>>4] & t[3][c1&15]
	return f&g != 0 || (f != 0 && isDigit(c2))
}
