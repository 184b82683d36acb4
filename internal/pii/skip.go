package pii

import (
	"encoding/binary"
	"math/bits"
)

// SWAR constants: one bit or byte value in every byte of a uint64.
const (
	swarLow  = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// swarIn marks (with the byte's high bit) the bytes of x in [lo, hi],
// ASCII only (lo, hi < 0x80): bytes of 0x80 and above are never marked.
// No carry crosses a byte: each sum stays below 0x100.
func swarIn(x uint64, lo, hi byte) uint64 {
	x7 := x &^ swarHigh
	ge := x7 + uint64(0x80-lo)*swarLow // high bit set iff x7 >= lo
	le := x7 + uint64(0x7f-hi)*swarLow // high bit clear iff x7 <= hi
	return ge &^ le &^ x & swarHigh
}

// swarEq marks the bytes of x equal to c (< 0x80).
func swarEq(x uint64, c byte) uint64 { return swarIn(x, c, c) }

// maybeFires marks the bytes of the 8 at x (little-endian) that may start
// a candidate, a superset of those firePair says fire: a letter or digit
// after a byte that is none (prevAlnum: the high bit of whether the byte
// before x is one), one of the marker bytes @ + ( : =, or a '-' after a
// '-' (prevDash likewise). A byte whose mark is clear never fires.
func maybeFires(x, prevAlnum, prevDash uint64) uint64 {
	alnum := swarIn(x|0x2020202020202020, 'a', 'z') | swarIn(x, '0', '9')
	dash := swarEq(x, '-')
	m := alnum &^ (alnum<<8 | prevAlnum)
	m |= dash & (dash<<8 | prevDash)
	m |= swarEq(x, '@') | swarEq(x, '+') | swarEq(x, '(') | swarEq(x, ':') | swarEq(x, '=')
	return m
}

// from runs the pass from i (> 0) to the end. It looks at eight bytes at
// a time for one that may start a candidate (maybeFires), then gives each
// such byte firePair's exact test: the same candidates as fromEach, which
// takes a table lookup and a branch per byte. (Unrolling fromEach to test
// seven positions per 8-byte load measured no faster; this skips the runs
// of word bytes and separators between candidates without a branch each.)
func (s *scanner) from(i int) {
	text := s.text
	n := len(text)
	if haveCandMasks {
		if n-i >= 66 {
			i = s.fromBlocks(i) // whose masks, on its stack, are zeroed at each call
		}
		s.fromEach(i, n)
		return
	}
	for i+8 <= n {
		var pa, pd uint64
		if alnumTable[text[i-1]] {
			pa = 0x80
		}
		if text[i-1] == '-' {
			pd = 0x80
		}
		m := maybeFires(binary.LittleEndian.Uint64(text[i:]), pa, pd)
		base := i
		i += 8
		for m != 0 {
			k := base + bits.TrailingZeros64(m)>>3
			m &= m - 1
			f := firePair[uint16(text[k])<<8|uint16(text[k-1])]
			if f == 0 || (f == 2 && !maybeKey(text, k)) {
				continue
			}
			if next := max(k+1, s.event(k, byteClass[text[k]])); next > base+8 {
				i = next
				break
			} else if next > k+1 {
				// The event consumed some of this block: drop those marks.
				m &= ^uint64(0) << (uint(next-base) * 8)
			}
		}
	}
	s.fromEach(i, n)
}
