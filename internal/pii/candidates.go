package pii

import "math/bits"

// rawMasks are the byte classes of one 64-byte block as bit masks (bit k
// is byte k), what the vector code computes 32 bytes per instruction; the
// candidate starts follow from them and the block before (fireMask).
type rawMasks struct {
	stem   uint64 // d b g n e r s x: first letters of birth words and token prefixes
	marker uint64 // @ + ( : =
	dash   uint64 // -
	glue   uint64 // - . / _: a digit after these continues a token
	upper  uint64 // A-Z
	alpha  uint64 // A-Z a-z
	digit  uint64 // 0-9
	colon  uint64 // :
}

// candMasksGo is candMasks a byte at a time: the reference the vector
// code is tested against.
func candMasksGo(text []byte, out []rawMasks) int {
	n := min(len(text)/64, len(out))
	for b := range n {
		var m rawMasks
		for k, c := range text[b*64 : b*64+64] {
			bit := uint64(1) << k
			switch {
			case c >= 'A' && c <= 'Z':
				m.upper |= bit
				m.alpha |= bit
			case c >= 'a' && c <= 'z':
				m.alpha |= bit
				if byteClass[c] == clsStem {
					m.stem |= bit
				}
			case c >= '0' && c <= '9':
				m.digit |= bit
			case c == '@' || c == '+' || c == '(' || c == ':' || c == '=':
				m.marker |= bit
				if c == ':' {
					m.colon |= bit
				}
			case c == '-':
				m.dash |= bit
				m.glue |= bit
			case c == '.' || c == '/' || c == '_':
				m.glue |= bit
			}
		}
		out[b] = m
	}
	return n
}

// carry is what fireMask needs of the bytes before a block: whether the
// last is a letter or digit, glue, a dash or a colon (bit 0 of each), and
// which of the last two are digits (bits 0 and 1, the last in bit 1).
type carry struct{ alnum, glue, dash, colon, digit2 uint64 }

func carryOf(c0, c byte) (r carry) {
	if isDigit(c0) {
		r.digit2 = 1
	}
	if isDigit(c) {
		r.digit2 |= 2
	}
	if c == ':' {
		r.colon = 1
	}
	if alnumTable[c] {
		r.alnum = 1
	}
	if c == '-' || c == '.' || c == '/' || c == '_' {
		r.glue = 1
	}
	if c == '-' {
		r.dash = 1
	}
	return r
}

// fireMask is firePair for a whole block: the bytes that may start a
// candidate given the byte before each (cr for the first), and the carry
// for the next block. A '=' after a letter or digit is in it; the pass
// asks maybeKey (firePair's 2). One start firePair marks is left out, a
// digit after a digit and a colon (the 13 of 10:13): the pass looks at it
// and does nothing (scanner.number), and logs have one or two a line.
func fireMask(m *rawMasks, cr carry) (uint64, carry) {
	alnum := m.alpha | m.digit
	pa := alnum<<1 | cr.alnum
	pg := m.glue<<1 | cr.glue
	pd := m.dash<<1 | cr.dash
	clock := (m.colon<<1 | cr.colon) & (m.digit<<2 | cr.digit2)
	f := m.marker | (m.upper|m.stem)&^pa | m.digit&^(pa|pg|clock) | m.dash&pd
	return f, carry{alnum >> 63, m.glue >> 63, m.dash >> 63, m.colon >> 63, m.digit >> 62}
}

// fromBlocks runs the pass from i (> 0) over whole 64-byte blocks, their
// candidate starts found by candMasks, and returns where the byte pass
// takes over. Fires depend only on bytes, so the masks of a span hold
// however far an event jumps inside it.
func (s *scanner) fromBlocks(i int) int {
	text := s.text
	var raw [64]rawMasks
	for len(text)-i >= 64 {
		nb := candMasks(text[i:], raw[:])
		cr := carryOf(at(text, i-2), text[i-1])
		base, next := i, i
		for b := range nb {
			var m uint64
			m, cr = fireMask(&raw[b], cr)
			blk := base + b*64
			if next > blk {
				if next >= blk+64 {
					continue
				}
				m &= ^uint64(0) << uint(next-blk)
			}
			for m != 0 {
				k := blk + bits.TrailingZeros64(m)
				m &= m - 1
				c := text[k]
				if c == '=' && alnumTable[text[k-1]] && !maybeKey(text, k) {
					continue
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
		i = max(base+nb*64, next)
	}
	return i
}

// at is text[i], or 0 before the start.
func at(text []byte, i int) byte {
	if i < 0 {
		return 0
	}
	return text[i]
}
