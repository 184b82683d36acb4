package pii

// stemTabs are the nibble tables of the vector pass's stem filter: a
// lower-case stem letter (d b g n e r s x, and f on g's bit: fiscale)
// starts a candidate only when
// the byte after it may continue one of stemPrefix's words and the byte
// after that may be that word's third, or a letter and a digit follow it
// (a lower-case IBAN's country: de60 …; hex ids, e1c4319f, b95d…, are
// no country and are dropped). Each stem letter has its own bit: f(c) =
// fHi[c>>4] & fLo[c&15] is the letter's bit (exact), g(c) = gHi[c>>4] &
// gLo[c&15] the bits of the letters c may follow as a word's second byte
// and h(c) likewise as its third (supersets: each bit's bytes are the
// product of their nibble sets). On logs this drops most words starting
// with a stem letter (status, bytes, debug, search; retries and req,
// whose re starts residence words, by their third byte) before the bit
// loop visits them. [6][32]byte: fHi, fLo, gHi, gLo, hHi, hLo, each 16
// bytes repeated for VPSHUFB's two lanes; built once from stemPrefix
// itself by stemTabsBuild (TestStemTabsBuilt: a new context word fails it
// with the tables to paste here; building them at start took 8 ms of
// CPU, every stem letter and two bytes after it).
var stemTabs = stemTabsOf([6][16]byte{
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
	{0x00, 0x00, 0x21, 0x40, 0x02, 0x04, 0x08, 0x08, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00},
	{0x80, 0x80, 0x82, 0x80, 0xfb, 0x84, 0xfb, 0x84, 0x80, 0x80, 0x80, 0x80, 0xb0, 0x80, 0x80, 0x80},
	{0x80, 0x90, 0x80, 0xb0, 0x81, 0xaa, 0x80, 0x80, 0x88, 0x8d, 0x80, 0xe0, 0x88, 0x80, 0x82, 0x83},
	{0x80, 0x80, 0x80, 0x80, 0x9f, 0xf9, 0x9f, 0xb9, 0x80, 0x80, 0xb0, 0x80, 0x80, 0x80, 0x80, 0x80},
	{0x88, 0x81, 0x8b, 0xb8, 0x98, 0x88, 0x80, 0x80, 0x80, 0xb0, 0x84, 0x80, 0x80, 0x82, 0x80, 0xea},
})

// stemTabsOf repeats each table for VPSHUFB's two lanes.
func stemTabsOf(tabs [6][16]byte) (t [6][32]byte) {
	for k := range tabs {
		copy(t[k][:16], tabs[k][:])
		copy(t[k][16:], tabs[k][:])
	}
	return t
}

// stemKeep reports whether the stem filter keeps a lower-case stem letter
// c0 followed by c1 and c2: candMasksGo's (and the vector code's) rule.
func stemKeep(c0, c1, c2 byte) bool {
	t := &stemTabs
	f := t[0][c0>>4] & t[1][c0&15]
	g := t[2][c1>>4] & t[3][c1&15]
	h := t[4][c2>>4] & t[5][c2&15]
	return f&g&h != 0 || (f != 0 && isAlpha(c1) && isDigit(c2))
}
