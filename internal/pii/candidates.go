package pii

import (
	"encoding/binary"
	"math/bits"
)

// rawMasks are the byte classes of one 64-byte block as bit masks (bit k
// is byte k), what the vector code computes 32 bytes per instruction; the
// candidate starts follow from them and the block before (fireMask).
type rawMasks struct {
	stem   uint64 // d b g n e r s x that stemKeep keeps: first letters of birth words and token prefixes
	marker uint64 // @ + ( : =
	dash   uint64 // -
	glue   uint64 // - . / _: a digit after these continues a token
	upper  uint64 // A-Z
	alpha  uint64 // A-Z a-z
	digit  uint64 // 0-9
	colon  uint64 // :
}

// quietIn are the masks quietStarts reads, of up to 64 blocks, one array
// per class (the vector code computes four blocks per instruction).
type quietIn struct {
	digit, alpha, colon, space, nl, eq, dot, dash [64]uint64
	pp, upper                                     [64]uint64 // phoneStartMaybe; A-Z
	marker, stem, glue                            [64]uint64 // rawMasks' own
}

// halfway is q seen 32 bytes on: its block b is bytes 32 to 95 of q's,
// the high half of q's block b and the low half of b+1 (its last block's
// high half, of no block q holds, is zero). quietStarts decides a start
// only from bytes inside its block; a number or a key's context that
// crosses a block's end, a fifth of the numbers after keys on key=value
// logs, went to the bit loop one at a time. In this view they are inside
// one. The vector code reads it in place (quietStartsN); this copy is the
// reference, and what the code without it reads.
func (q *quietIn) halfway() (h quietIn) {
	from := []*[64]uint64{&q.digit, &q.alpha, &q.colon, &q.space, &q.nl, &q.eq, &q.dot, &q.dash, &q.pp, &q.upper, &q.marker, &q.stem, &q.glue}
	to := []*[64]uint64{&h.digit, &h.alpha, &h.colon, &h.space, &h.nl, &h.eq, &h.dot, &h.dash, &h.pp, &h.upper, &h.marker, &h.stem, &h.glue}
	for k, a := range from {
		for b := range 63 {
			to[k][b] = a[b]>>32 | a[b+1]<<32
		}
		to[k][63] = a[63] >> 32
	}
	return h
}

// raw is block b's rawMasks.
func (q *quietIn) raw(b int) rawMasks {
	return rawMasks{stem: q.stem[b], marker: q.marker[b], dash: q.dash[b], glue: q.glue[b],
		upper: q.upper[b], alpha: q.alpha[b], digit: q.digit[b], colon: q.colon[b]}
}

// blocksIn is how many 64-byte blocks of text candMasks classifies: the
// whole ones with two bytes after them.
func blocksIn(text []byte) int { return max(len(text)-2, 0) / 64 }

// candMasksGo is candMasks a byte at a time: the reference the vector
// code is tested against; the raw masks also to out unless it is nil.
func candMasksGo(text []byte, out []rawMasks, q *quietIn) int {
	n := min(blocksIn(text), len(q.digit))
	if out != nil {
		n = min(n, len(out))
	}
	for b := range n {
		var m rawMasks
		var sp, nl, eq, dot, pp uint64 // quietIn's alone
		for k, c := range text[b*64 : b*64+64] {
			bit := uint64(1) << k
			switch {
			case c >= 'A' && c <= 'Z':
				m.upper |= bit
				m.alpha |= bit
			case c >= 'a' && c <= 'z':
				m.alpha |= bit
				if p := b*64 + k; byteClass[c] == clsStem && stemKeep(c, text[p+1], text[p+2]) {
					m.stem |= bit
				}
			case c >= '0' && c <= '9':
				m.digit |= bit
			case c == '@' || c == '+' || c == '(' || c == ':' || c == '=':
				m.marker |= bit
				if c == ':' {
					m.colon |= bit
				}
				if c == '=' {
					eq |= bit
				}
			case c == '-':
				m.dash |= bit
				m.glue |= bit
			case c == '.' || c == '/' || c == '_':
				m.glue |= bit
				if c == '.' {
					dot |= bit
				}
			case c == ' ':
				sp |= bit
			case c == '\n':
				nl |= bit
			}
		}
		for k := range 64 {
			if p := b*64 + k; phoneStartMaybe(text[p], text[p+1], text[p+2]) {
				pp |= 1 << k
			}
		}
		if out != nil {
			out[b] = m
		}
		q.pp[b], q.upper[b] = pp, m.upper
		q.digit[b], q.alpha[b], q.colon[b] = m.digit, m.alpha, m.colon
		q.space[b], q.nl[b], q.eq[b], q.dot[b], q.dash[b] = sp, nl, eq, dot, m.dash
		q.marker[b], q.stem[b], q.glue[b] = m.marker, m.stem, m.glue
	}
	return n
}

// carry is what fireMask needs of the bytes before a block, in one word
// (a struct of five was copied through memory at every block): whether
// the last is a letter or digit (bit 0), glue (1), a dash (2) or a colon
// (3), and which of the last two are digits (bits 4 and 5, the last in 5).
type carry uint64

func carryOf(c0, c byte) (r carry) {
	if isDigit(c0) {
		r |= 1 << 4
	}
	if isDigit(c) {
		r |= 2 << 4
	}
	if c == ':' {
		r |= 1 << 3
	}
	if alnumTable[c] {
		r |= 1
	}
	if c == '-' || c == '.' || c == '/' || c == '_' {
		r |= 1 << 1
	}
	if c == '-' {
		r |= 1 << 2
	}
	return r
}

// fireMask is firePair for a whole block: the bytes that may start a
// candidate given the byte before each (cr for the first), and the carry
// for the next block. A '=' after a letter or digit is in it; the pass
// asks maybeKey (firePair's 2). One start firePair marks is left out, a
// digit after a digit and a colon (the 13 of 10:13): the pass looks at it
// and does nothing (scanner.number), and logs have one or two a line.
// Stem letters are only those stemKeep keeps (m.stem): the others'
// events return at once (stemPrefix).
func fireMask(m *rawMasks, cr carry) (uint64, carry) {
	c := uint64(cr)
	alnum := m.alpha | m.digit
	pa := alnum<<1 | c&1
	pg := m.glue<<1 | c>>1&1
	pd := m.dash<<1 | c>>2&1
	clock := (m.colon<<1 | c>>3&1) & (m.digit<<2 | c>>4&3)
	f := m.marker | (m.upper|m.stem)&^pa | m.digit&^(pa|pg|clock) | m.dash&pd
	return f, carry(alnum>>63 | m.glue>>63<<1 | m.dash>>63<<2 | m.colon>>63<<3 | m.digit>>62<<4)
}

// fireGo is fireN a block at a time: fireMask of each of q's first n
// blocks, the first's carry cr, the next's each one's.
func fireGo(q *quietIn, n int, cr carry, out *[64]uint64) {
	for b := range min(n, 64) {
		m := q.raw(b)
		out[b], cr = fireMask(&m, cr)
	}
}

// fromBlocks runs the pass from i (> 0) over whole 64-byte blocks, their
// candidate starts found by candMasks, and returns where the byte pass
// takes over. Fires depend only on bytes, so the masks of a span hold
// however far an event jumps inside it.
func (s *scanner) fromBlocks(i int) int {
	text := s.text
	var qin quietIn
	var quiet, quietL, fire [64]uint64
	var quietH, quietLH [64]uint64 // halfway's
	var keys keyContexts
	var memo keyMemo
	var upper upperMemo
	// quietLongStarts' masks cost the vector pass more than they spare
	// on text without long numbers after keys: a group of blocks has
	// them when the group before had some (longs), the first never.
	long, phoneField := false, s.field&fieldPhone != 0
	for len(text)-i >= 66 {
		nb := candMasks(text[i:], &qin, long)
		quietStartsN(&qin, false, nb, &quiet, &quietL, long)
		if nb > 1 {
			// The starts quietStarts decides only in the view 32 bytes
			// on (halfway): its block b is the high half of b and the low
			// of b+1.
			quietStartsN(&qin, true, nb-1, &quietH, &quietLH, long)
			for b := range nb - 1 {
				quiet[b] |= quietH[b] << 32
				quiet[b+1] |= quietH[b] >> 32
			}
			if long {
				for b := range nb - 1 {
					quietL[b] |= quietLH[b] << 32
					quietL[b+1] |= quietLH[b] >> 32
				}
			}
		}
		cr := carryOf(at(text, i-2), text[i-1])
		fireN(&qin, nb, cr, &fire)
		dropKeys(text, i, nb, &qin, &fire, uint64(cr)&1, &memo)
		var lmask uint64 // quietLong's starts, as the loop asks it
		if long && !phoneField {
			lmask = ^uint64(0)
		}
		longs := 0
		base, next := i, i
		for b := range nb {
			m := fire[b]
			alnum := qin.alpha[b] | qin.digit[b]
			if lmask != 0 {
				longs += bits.OnesCount64(m & quietL[b])
				m &^= quietL[b]
			}
			m &^= quiet[b]
			blk := base + b*64
			if next > blk {
				if next >= blk+64 {
					continue
				}
				m &= ^uint64(0) << uint(next-blk)
			}
			for m != 0 {
				off := bits.TrailingZeros64(m)
				k := blk + off
				m &= m - 1
				c := text[k]
				switch byteClass[c] {
				case clsDigit:
					// deadNumber, then quietLong, their run read once.
					if escapeBefore(text, k) {
						break
					}
					run, pure := runAt(text, k, off, alnum, qin.digit[b])
					if deadRun(text, k, run, pure) {
						continue
					}
					if !phoneField && quietLongRun(text, k, off, run, pure, qin.digit[b], k < s.phoneNext, &keys) {
						longs++
						continue
					}
				case clsStem:
					if !stemPrefix(text, k) {
						continue // the event would return at once
					}
				case clsUpper:
					// upperMemo's hit, inline (a call cost ~60
					// instructions).
					if q, ok := upper.hit(text, k, off, alnum); ok {
						if q {
							continue
						}
						break
					}
					if upper.quiet(text, k, off, alnum) {
						continue
					}
				case clsColon:
					if quietColon(text, k, off, alnum) {
						continue
					}
				}
				if nx := s.event(k, byteClass[c]); nx > k+1 {
					next = nx
					if nx >= blk+64 {
						break
					}
					m &= ^uint64(0) << uint(nx-blk)
				}
			}
		}
		long = longs >= 8
		i = max(base+nb*64, next)
	}
	return i
}

// dropKeys clears from fire, of nb blocks from base, the '=' after a
// letter or digit (pa0: the byte before the first block is one) of keys
// that name nothing (keyKeep): most of a key=value log's starts (level=,
// bytes=), one each 17 bytes there. A loop of its own, not the pass's:
// in the pass's loop, whose registers are all taken, the text and the
// memo entry were spilled and reloaded at every key (a fifth of the
// pass's time on those logs). The answer is memoized by the four bytes
// before the '=' (log lines repeat their keys): a load and a compare; a
// miss calls keyKeep. Fires depend only on bytes, so clearing them here,
// before the pass jumps over any, clears what the pass would.
func dropKeys(text []byte, base, nb int, q *quietIn, fire *[64]uint64, pa0 uint64, memo *keyMemo) {
	for b := range min(nb, 64) {
		alnum := q.alpha[b] | q.digit[b]
		e := fire[b] & q.eq[b] & (alnum<<1 | pa0)
		pa0 = alnum >> 63
		if e == 0 {
			continue
		}
		blk := base + b*64
		// A miss leaves for keyKeep after the loop: a call in it made
		// the compiler spill its registers at every key.
		var drop, miss uint64
		for ; e != 0; e &= e - 1 {
			off := uint(bits.TrailingZeros64(e))
			k := blk + int(off)
			if k < 4 {
				miss |= 1 << off
				continue
			}
			w := binary.LittleEndian.Uint32(text[k-4 : k])
			h, want := w*0x9E3779B1>>24&^1, uint64(w)<<8|0x81
			ent := memo[h]
			if ent|1 != want {
				ent = memo[h|1]
				if ent|1 != want {
					miss |= 1 << off
					continue
				}
			}
			drop |= (ent&1 ^ 1) << off
		}
		for ; miss != 0; miss &= miss - 1 {
			off := bits.TrailingZeros64(miss)
			drop |= (keyKeep(text, blk+off, memo) ^ 1) << uint(off)
		}
		fire[b] &^= drop
	}
}

// runAt returns the length of the run of letters and digits at k (bit
// off of its block, whose letter-or-digit and digit masks are alnum and
// digit) and whether it is all digits: from the masks, and for a run
// reaching the block's end from the bytes after it (the quick rejects
// then decide as inside a block, where a run's event at a block's end
// used to go to the scanner).
func runAt(text []byte, k, off int, alnum, digit uint64) (run int, pure bool) {
	run = bits.TrailingZeros64(^(alnum >> uint(off)))
	pure = bits.TrailingZeros64(^(digit >> uint(off))) >= run
	if off+run < 64 {
		return run, pure
	}
	j := k + run
	for j < len(text) && alnumTable[text[j]] {
		pure = pure && isDigit(text[j])
		j++
	}
	return j - k, pure
}

// quietStarts marks, from a block's masks alone, starts the bit loop
// would drop one at a time (it need not see them): numbers deadNumber
// says true of and colons quietColon says true of, in the shapes logs
// are made of. After '=', a space or a newline: a run of one to six
// digits before a newline, before a space and a letter (not after four
// digits: an IBAN group), or before a short decimal's second group
// (shortDecimal: 932.670 then a newline or a space and a letter); a run
// of two to eight or sixteen letters and digits, not all digits, before
// anything but a colon (hex ids: req=3b3cf937, 226ms); a date (isDateAt)
// and a run of two, three, five or six digits before a space and digits
// glued to a letter (gluedGroups: 200 226ms). A colon between
// digits whose group before it starts with a digit or has five letters
// or digits (the times of 01T10:13:23). Only what a block's own bytes
// decide: the bits whose bytes before or after fall outside it are left
// to the loop (shifts bring in zeros, and every term is a conjunction of
// shifted masks, negations taken before a shift). Held to deadNumber
// and quietColon by TestQuietStartsAreQuiet, FuzzQuietStarts and the
// pass's tests.
func quietStarts(r *quietIn, blk int) uint64 {
	// Go's & and << share a precedence, left to right: every shift
	// below is in parentheses. dN and aN: N digits, N letters or digits
	// from the bit on. quietStartsN computes it for four blocks at a
	// time in vector code, an instruction each step here.
	dg, alpha, colon, space, nl, eq, dot := r.digit[blk], r.alpha[blk], r.colon[blk], r.space[blk], r.nl[blk], r.eq[blk], r.dot[blk]
	alnum := alpha | dg
	non := ^alnum

	// Colons of times: a digit on each side, and before it five letters
	// or digits or a group starting with a digit (ipv6GroupBefore's no).
	b := alnum << 2
	grp := non << 2
	grp |= b & (dg << 2) & (non << 3)
	b &= alnum << 3
	grp |= b & (dg << 3) & (non << 4)
	b &= alnum << 4
	grp |= b & (dg << 4) & (non << 5)
	grp |= b & (alnum << 5)
	// A port's colon after a dotted quad (its last group one to three
	// digits: ipv4AfterSlash, /10.1.2.3:5432) stays, though it is a
	// colon between digits.
	cq := colon & (dg << 1) & (dg >> 1) & grp &^ (dot<<2 | dot<<3 | dot<<4)

	// Short numbers: after l digits a newline, a space and a letter (not
	// after four), or a '.' and a second group of one to 6-l digits
	// ending at either (g: the groups short enough, at their '.').
	end := nl | space&(alpha>>1)
	d2 := dg & (dg >> 1)
	d3 := d2 & (dg >> 2)
	d4 := d2 & (d2 >> 2)
	d5 := d4 & (dg >> 4)
	g := dot & (dg >> 1) & (end >> 2)
	q := d5 & ((end | g) >> 5)
	g |= dot & (d2 >> 1) & (end >> 3)
	q |= d4 & ((nl | g) >> 4)
	g |= dot & (d3 >> 1) & (end >> 4)
	q |= d3 & ((end | g) >> 3)
	g |= dot & (d4 >> 1) & (end >> 5)
	q |= d2 & ((end | g) >> 2)
	g |= dot & (d5 >> 1) & (end >> 6)
	q |= dg & ((end | g) >> 1)
	q |= d4 & (d2 >> 4) & (end >> 6)

	// Runs of letters and digits, not all digits, of two to eight or
	// sixteen, before anything but a colon.
	nc := non &^ colon
	a2 := alnum & (alnum >> 1)
	q |= (a2 &^ d2) & (nc >> 2)
	a3 := a2 & (alnum >> 2)
	q |= (a3 &^ d3) & (nc >> 3)
	a4 := a2 & (a2 >> 2)
	q |= (a4 &^ d4) & (nc >> 4)
	q |= (a4 & (alnum >> 4) &^ d5) & (nc >> 5)
	d6 := d4 & (d2 >> 4)
	a6 := a4 & (a2 >> 4)
	q |= (a6 &^ d6) & (nc >> 6)
	q |= (a6 & (alnum >> 6) &^ (d6 & (dg >> 6))) & (nc >> 7)
	d8 := d4 & (d4 >> 4)
	a8 := a4 & (a4 >> 4)
	q |= (a8 &^ d8) & (nc >> 8)
	q |= (a8 & (a8 >> 8) &^ (d8 & (d8 >> 8))) & (nc >> 16)
	// Dates (2026-11-07 and no digit after: isDateAt) and a group glued
	// to a word after a space (200 226ms: gluedGroups, after two, three,
	// five or six digits).
	dash := r.dash[blk]
	q |= d4 & (dash >> 4) & (d2 >> 5) & (dash >> 7) & (d2 >> 8) & (^dg >> 10)
	gl := dg&(alpha>>1) | d2&(alpha>>2) | d3&(alpha>>3) | d4&(alpha>>4) | d5&(alpha>>5)
	q |= d2&(space>>2)&(gl>>3) | d3&(space>>3)&(gl>>4) | d5&(space>>5)&(gl>>6) | d6&(space>>6)&(gl>>7)
	return q&dg&((eq|space|nl)<<1) | cq
}

// quietLongStarts marks, from a block's masks alone, numbers after a
// key's '=' that quietLong says true of when the scanner's field is no
// phone field: seven, eight or ten digits before a newline or a space
// and a letter (a lower-case one after eight: no DNI), or one to eight
// digits, a '.' and one to three before either (dur_ms=1061.311), after
// a key of letters before which, back to the last digit or newline (in
// the block), no byte may start a phone word (phoneTabs, by it and the
// two after it): the answer of keyPhoneContext, which quietLong asks
// there. The bytes that may start one are marked dirty to the end of
// their stretch without a digit or newline by an add's carry. Held to quietLong by
// TestQuietStartsAreQuiet and FuzzQuietStarts, its vector code to it by
// TestQuietStartsVectorAgrees.
func quietLongStarts(r *quietIn, blk int) uint64 {
	dg, alpha, nl, space, dot := r.digit[blk], r.alpha[blk], r.nl[blk], r.space[blk], r.dot[blk]
	stop := dg | nl
	mm := ^stop
	a := r.pp[blk] & mm
	dirty := a | mm&^(mm+a)
	low := stop & -stop
	above := ^(low<<1 - 1) // after the block's first stop
	key := ((^dirty & above) << 2) & (alpha << 2) & (r.eq[blk] << 1)
	end := nl | space&(alpha>>1)
	endLow := nl | space&((alpha&^r.upper[blk])>>1)
	d2 := dg & (dg >> 1)
	d3 := d2 & (dg >> 2)
	d4 := d2 & (d2 >> 2)
	gD := dot & ((dg>>1)&(end>>2) | (d2>>1)&(end>>3) | (d3>>1)&(end>>4))
	ql := dg&(gD>>1) | d2&(gD>>2) | d3&(gD>>3) | d4&(gD>>4)
	d5 := d4 & (dg >> 4)
	ql |= d5 & (gD >> 5)
	d6 := d4 & (d2 >> 4)
	ql |= d6 & (gD >> 6)
	d7 := d6 & (dg >> 6)
	ql |= d7 & ((gD | end) >> 7)
	d8 := d4 & (d4 >> 4)
	ql |= d8 & ((gD | endLow) >> 8)
	d10 := d8 & (d2 >> 8)
	ql |= d10 & (end >> 10)
	return ql & key
}

// quietStartsGo is quietStartsN one block at a time.
func quietStartsGo(r *quietIn, n int, out, outL *[64]uint64) {
	for b := range min(n, 64) {
		out[b] = quietStarts(r, b)
		outL[b] = quietLongStarts(r, b)
	}
}

// at is text[i], or 0 before the start.
func at(text []byte, i int) byte {
	if i < 0 {
		return 0
	}
	return text[i]
}

// deadNumber reports whether the number starting at k (bit off of its
// block, whose letter-or-digit and digit masks are alnum and digit) is one
// scanner.number does nothing with, decided from the masks and the two
// bytes after it without the call: on logs most numbers are short ones
// (status=200, bytes=740424, 226ms) or hex ids (req=3b3cf937) followed
// by a byte that continues no candidate. It must only say true where
// number would return without a look (TestFromAgreesWithFromEach and
// FuzzDeadNumber hold it to that); a run reaching the block's end is
// read on from the text (runAt).
func deadNumber(text []byte, k, off int, alnum, digit uint64) bool {
	if escapeBefore(text, k) {
		return false
	}
	run, pure := runAt(text, k, off, alnum, digit)
	return deadRun(text, k, run, pure)
}

// escapeBefore reports whether the number at k follows '%' or '#', an
// escape (%40, &#64;, %2B49…): neither deadNumber nor quietLong says
// true of it.
func escapeBefore(text []byte, k int) bool {
	p := text[k-1]
	return p == '%' || p == '#'
}

// deadRun is deadNumber for the number at k, not after an escape, whose
// run of letters and digits (runAt) is run long and all digits when
// pure: the pass reads the run once for deadRun and quietLongRun.
func deadRun(text []byte, k, run int, pure bool) bool {
	j := k + run
	if j >= len(text) {
		return false
	}
	next := text[j]
	if !pure {
		// Letters and digits (226ms, 3b3cf937): only an IPv6 group before
		// ':', a DNI or passport of 9 and a NIR of 15 characters.
		return next != ':' && run != 9 && run != 15
	}
	if run >= 7 {
		return false // a phone number, card, SSN or national id may start
	}
	if next == '.' && shortDecimal(text, j, run) {
		return true
	}
	switch next {
	case '.', ':', '(', ')', '/', 0xc2, 0xe2, '&':
		return false // IPv4, IPv6, dotted ids, phone groups, no-break spaces
	case ' ', '-':
		// Groups joined by the separator, an area code set off by " / "
		// or " - ", "(": number follows them; an IBAN's last group may
		// have four digits; a date (2026-11-07) is none of them.
		if run == 4 && next == '-' && isDateAt(text, k) {
			return true
		}
		if run == 4 || j+1 >= len(text) {
			return false
		}
		switch text[j+1] {
		case '(', '/', '-':
			return false
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return next == ' ' && gluedGroups(text, k, j, run)
		}
	}
	return true
}

// gluedGroups reports whether the number of run digits from k to j,
// where a space follows, starts groups joined by spaces whose last is
// glued to a letter (200 459ms): scanner.number returns there, and its
// checks before (a DNI of 8 digits, a NIR of 1, a lower-case IBAN's
// group of 4) do not apply to the lengths let through.
func gluedGroups(text []byte, k, j, run int) bool {
	if run == 4 || run == 8 || run == 1 && (text[k] == '1' || text[k] == '2') {
		return false
	}
	e := j
	for e+1 < len(text) && text[e] == ' ' && isDigit(text[e+1]) {
		e++
		for e < len(text) && isDigit(text[e]) {
			e++
		}
	}
	return e > j && e < len(text) && isAlpha(text[e])
}

// decimalEnd returns the digits of the group after the '.' at j and
// where it ends, when a delimiter (the line's end, a tab, ',', '"', ';')
// or a space and a letter follows it: where scanner.phoneAt's run and
// scanner.ipAt's end. r is 0 for any other shape.
func decimalEnd(text []byte, j int) (r, e int) {
	e = j + 1
	for e < len(text) && isDigit(text[e]) {
		e++
	}
	if e+1 >= len(text) {
		return 0, e
	}
	switch text[e] {
	case '\n', '\r', '\t', ',', '"', ';':
	case ' ':
		if !isAlpha(text[e+1]) {
			return 0, e
		}
	default:
		return 0, e
	}
	return e - j - 1, e
}

// shortDecimal reports whether the number of l digits (1 to 6) ending at
// j, where a '.' follows, is a decimal that scanner.number does nothing
// with (dur_ms=932.670 bytes=…): one more group of digits (decimalEnd),
// fewer than seven in all. Two groups are no IPv4 address, fewer than
// seven digits no phone number, and with no '.' after the second group
// no dotted id (1234.56.782, 48.273.615-L).
func shortDecimal(text []byte, j, l int) bool {
	r, _ := decimalEnd(text, j)
	return r > 0 && l+r < 7
}

// quietLong reports whether the number at k (bit off of its block, whose
// letter-or-digit and digit masks are alnum and digit) is one
// scanner.number finds nothing in, for a scanner whose field is no phone
// field: a key's numeric value (user_id=92894735, ts=1765317151) of 7, 8
// or 10 digits at the line's end, before a delimiter or before a space
// and a word, or a decimal of seven digits or more (dur_ms=1061.311,
// decimalEnd's shape). Of number's candidates only the phone number looks
// at these (no card, SSN, NIR or IP address has their length and shape,
// no DNI letter follows, no dotted id has two groups), and a plain run of
// digits is a phone number only after a context word (phoneContextAt,
// asked here last, and not at all when noPhone: inside a phone candidate
// already read). Like deadNumber, held to the byte pass by
// TestFromAgreesWithFromEach and FuzzDetect.
func quietLong(text []byte, k, off int, alnum, digit uint64, noPhone bool, keys *keyContexts) bool {
	run, pure := runAt(text, k, off, alnum, digit)
	return quietLongRun(text, k, off, run, pure, digit, noPhone, keys)
}

// quietLongRun is quietLong for the number at k whose run of letters and
// digits (runAt) is run long and all digits when pure.
func quietLongRun(text []byte, k, off, run int, pure bool, digit uint64, noPhone bool, keys *keyContexts) bool {
	switch text[k-1] {
	case '=', ' ', '"', ',', '\t', '\n', '[', '{', '\'':
	default:
		return false // escapes, glue, '+', a time's colon: number's own cases
	}
	j := k + run
	if run > 10 || run == 9 || !pure || j+1 >= len(text) {
		return false
	}
	switch text[j] {
	case '.':
		if r, _ := decimalEnd(text, j); r == 0 || run+r > 15 {
			return false
		}
	case '\n', '\r', '\t', ',', '"', '\'', ';', '}', ']':
		if run < 7 {
			return false
		}
	case ' ':
		// A word follows: no group joins (card, SSN, phone groups), and
		// after eight digits no capital (a DNI's letter, 12345678 Z).
		if c := text[j+1]; run < 7 || !(c-'a' < 26 || run != 8 && c-'A' < 26) {
			return false
		}
	default:
		return false
	}
	if noPhone {
		return true
	}
	if k >= 2 && text[k-1] == '=' && isWordByte(text[k-2]) {
		return !keys.context(text, k, off, digit)
	}
	return !phoneContextAt(text, k)
}

// keyMemo holds answers of the pass's key check (keyKeep) by the four
// bytes w before the '=' (little-endian) where they alone decide it:
// three letters or digits before the '=', or two after one separator
// and one. An entry is w<<8 | 0x80 | keep, zero for none; one word, so
// the check is a load and a compare (log lines repeat their keys). Two
// entries a hash, the newer first: with one, two keys of a line whose
// hashes met (dur_ms= and trace= did) missed at every line.
type keyMemo [256]uint64

// keyKeep reports (1 or 0) whether the '=' at k, after a letter or
// digit, may start a key=value candidate, and memoizes the answer in
// memo when the four bytes before k decide it. Out of the pass's loop,
// whose registers it would crowd, since nearly every key is memoized.
//
//go:noinline
func keyKeep(text []byte, k int, memo *keyMemo) (keep uint64) {
	a3 := at(text, k-3)
	a, b, c := alnumIdx[a3], alnumIdx[at(text, k-2)], alnumIdx[text[k-1]]
	if a == 36 && (a3 == '_' || a3 == ' ' || a3 == '-' || a3 == '.') && k >= 4 {
		// One separator then a letter or digit (user_id=,
		// dur_ms=, " ts="): maybeKey's walk, and quietKey's,
		// end at that letter or digit.
		a = alnumIdx[text[k-4]]
	}
	if a|b|c < 36 {
		x := suffix3(int(a), int(b), int(c))
		keep = uint64(keySuffix3[x/8]>>(x%8)) & 1
		if k >= 4 {
			// text[k-4 : k] alone decided it.
			w := binary.LittleEndian.Uint32(text[k-4:])
			h := w * 0x9E3779B1 >> 24 &^ 1
			memo[h|1], memo[h] = memo[h], uint64(w)<<8|0x80|keep
		}
	} else if !(b|c < 36 && quietKey(text, k, b, c)) && maybeKey(text, k) {
		keep = 1
	}
	return keep
}

// keyContexts remembers keyPhoneContext's answers for the keys of a
// text's lines, by the bytes between the last digit before the key and
// its '=' (" user_id", " dur_ms"): that pass reads nothing else (it stops
// at the digit, a word in it ends before the '=' and starts after a
// digit or inside), and log lines repeat their keys. One entry for each
// length up to 16, the last key of that length.
type keyContexts [17]struct {
	lo, hi uint64
	ok     bool // lo, hi are a key's
	ctx    bool // its answer
}

// context is keyPhoneContext(text, k) for the number at k, bit off of
// its block (digit mask digit), from the entry of its key when the last
// digit before the key is within 16 bytes: found from the mask when it
// is in the block, else read from the bytes before the block (a key at
// a block's start: half the calls on key=value logs, where
// keyPhoneContext and its word lookups cost ten times the read).
func (kc *keyContexts) context(text []byte, k, off int, digit uint64) bool {
	var p int // the digit
	if below := digit & (1<<uint(max(off-1, 0)) - 1); below != 0 {
		p = k - off + 63 - bits.LeadingZeros64(below)
	} else {
		lo := max(k-18, 0) // n <= 16 below
		p = k - off - 1
		for p >= lo && !isDigit(text[p]) {
			p--
		}
		if p < lo {
			return keyPhoneContext(text, k)
		}
	}
	n := k - 2 - p // the key's bytes, text[p+1 : k-1]
	if n > 16 || p+17 > len(text) {
		return keyPhoneContext(text, k) // or too near the end for the loads (lo and hi: text[p+1 : p+17])
	}
	// One bounds check for both loads; a shift by 64 or more is zero,
	// so each mask is all ones or none where its word is all the key's
	// or none of it.
	t := text[p+1 : p+17]
	lo := binary.LittleEndian.Uint64(t) & (1<<(8*uint(n)) - 1)
	hi := binary.LittleEndian.Uint64(t[8:]) & (1<<(8*uint(max(n-8, 0))) - 1)
	e := &kc[n]
	if !e.ok || e.lo != lo || e.hi != hi {
		e.lo, e.hi, e.ok, e.ctx = lo, hi, true, keyPhoneContext(text, k)
	}
	return e.ctx
}

// keyPhoneContext is phoneContextAt(text, k) for a number at k after a
// key and '=' (text[k-2] a letter): that '=' labels the value, so the
// backward pass stops at the first digit or newline before it, and a
// phone word must start between. One lookup a byte, on the raw bytes.
func keyPhoneContext(text []byte, k int) bool {
	nb := uint(text[k-1])
	for m := k - 2; m >= max(k-phoneContextWindow, 0); m-- {
		b := uint(text[m])
		if b-'0' < 10 || b == '\n' {
			return false
		}
		if phonePairRaw[b<<5|nb>>3]&(1<<(nb&7)) != 0 && phoneWordSet.wordAt(text[:k], text, m, foldASCII[b]) {
			return true
		}
		nb = b
	}
	return false
}

// quietUpper reports whether the capitalised word at k (bit off of its
// block) is one scanner.word returns past without a look: no stem, no
// digit or '-' after its first letter (upperDigit), not "Iban", not a
// run of capitals of a length something has (passport, fiscal code, AWS
// key), and no digit within two bytes (IBAN, NINO). On logs: INFO, GET,
// POST, HTTP. Like deadNumber, a quick reject held to the pass that looks
// at every byte by TestFromAgreesWithFromEach and FuzzDetect.
func quietUpper(text []byte, k, off int, alnum uint64) bool {
	run, _ := runAt(text, k, off, alnum, 0)
	if k+run >= len(text) || k+3 >= len(text) {
		return false
	}
	c, d := text[k], text[k+1]
	if stemFirst[c] && stemPrefix(text, k) {
		return false
	}
	if k >= 2 {
		if p := text[k-2 : k]; p[1] == ' ' && p[0]-'0' < 10 {
			return false // a town after its postcode (townAt)
		}
	}
	if !isUpper(d) {
		// Capitalised (Hello): word returns unless a digit or '-'
		// follows the capital, or it is Iban, or two letters before a
		// space and a digit may be a US state before its ZIP code
		// (usStateZIP, which does not ask for capitals: "Oh 43215").
		return !isDigit(d) && d != '-' && !(c == 'I' && run == 4) && !(run == 2 && text[k+2] == ' ' && isDigit(text[k+3]))
	}
	switch {
	case run == 8 || run == 9 || run == 16 || run == 20:
		return false // passport, fiscal code, AWS key
	case run == 4 && c == 'I' && d == 'B':
		return false // IBAN before an IBAN in lower case
	}
	return !isDigit(text[k+2]) && !(text[k+2] == ' ' && isDigit(text[k+3]))
}

// upperMemo remembers quietUpper's answers by the eight bytes from two
// before the word, which with the word's length decide it (below): log
// lines repeat their capitalised words (INFO, GET, POST), and the
// function cost ~80 instructions a call, its stem check among them.
// A word of up to five letters and digits ends inside those eight bytes
// (its length is theirs), so a hit on it compares them alone.
type upperMemo [64]struct {
	w   uint64 // text[k-2 : k+6], little-endian
	run int    // the word's letters and digits, from k
	ans bool   // quietUpper's answer
}

// upperSlot is the entry of the eight bytes w.
func upperSlot(w uint64) uint64 { return w * 0x9E3779B97F4A7C15 >> 58 }

// hit is quiet's answer when the memo holds it (ok), without a call: the
// eight bytes at k-2 an entry's, and the word's length its own (a word
// of up to five is decided by the bytes; a longer one must end within
// the block, its length read from alnum). No entry holds an 'X' at k (a
// hex entity's check reads on), nor a zero word.
func (um *upperMemo) hit(text []byte, k, off int, alnum uint64) (quiet, ok bool) {
	if k < 2 || k+6 > len(text) {
		return false, false
	}
	w := binary.LittleEndian.Uint64(text[k-2 : k+6])
	e := &um[upperSlot(w)]
	ok = e.w == w && (e.run <= 5 || e.run == bits.TrailingZeros64(^(alnum>>uint(off))) && off+e.run < 64)
	return e.ans && ok, ok
}

// quiet is quietUpper(text, k, off, alnum), from the memo where its
// answer depends only on text[k-2 : k+6] and the word's length: two
// bytes before the word (townAt's postcode), the word at least to k+3
// within the text (stemPrefix's three bytes, the IBAN and MRZ checks,
// its fourth byte), and no hex entity, whose check reads on (an 'X').
func (um *upperMemo) quiet(text []byte, k, off int, alnum uint64) bool {
	if k < 2 || k+6 > len(text) || text[k] == 'X' {
		return quietUpper(text, k, off, alnum)
	}
	run, _ := runAt(text, k, off, alnum, 0)
	if k+run >= len(text) {
		return false // as quietUpper: nothing after the word
	}
	w := binary.LittleEndian.Uint64(text[k-2:])
	e := &um[upperSlot(w)]
	if e.run != run || e.w != w || run == 0 {
		e.w, e.run, e.ans = w, run, quietUpper(text, k, off, alnum)
	}
	return e.ans
}

// quietColon reports whether the ':' at k (bit off of its block, whose
// letter-or-digit mask is alnum) is one the pass's colon event does
// nothing at: after a digit (no key ends in one), not before "//", not
// after an IPv6 group colon() would start (a time: 10:13:23), and not a
// port's after a dotted quad after '/' or gRPC's "ipv4:" label (colon()
// reads those addresses). Five
// letters or digits before it (01T10:) are more than a group has: the
// mask answers without ipv6GroupBefore's walk.
func quietColon(text []byte, k, off int, alnum uint64) bool {
	if !isDigit(text[k-1]) || k+1 >= len(text) || text[k+1] == '/' {
		return false
	}
	// A dotted quad's port follows its last group of one to three
	// digits: without a '.' two to four bytes back (a time's 10:13) there
	// is none to read back over.
	if k >= 4 && (text[k-2] == '.' || text[k-3] == '.' || text[k-4] == '.') {
		if _, ok := ipv4AfterSlash(text, k); ok {
			return false
		}
	}
	if ipv4Label(text, k) {
		return false
	}
	if off >= 5 && alnum>>uint(off-5)&31 == 31 {
		return true
	}
	_, ok := ipv6GroupBefore(text, k)
	return !ok
}
