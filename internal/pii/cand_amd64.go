//go:build amd64 && !purego

package pii

import "golang.org/x/sys/cpu"

// haveCandMasks says whether candMasks runs as vector code here; without
// it the pass looks at eight bytes at a time (skip.go).
var haveCandMasks = cpu.X86.HasAVX2

// candMasksAVX2 writes the class masks of n 64-byte blocks at p to q
// (the raw masks and quietStarts'), all but q.pp: AVX2, 32 bytes per
// step.
//
//go:noescape
func candMasksAVX2(p *byte, n int, q *quietIn)

// candMasksPairsAVX2 is candMasksAVX2 that also writes q.pp.
//
//go:noescape
func candMasksPairsAVX2(p *byte, n int, q *quietIn)

// quietStartsAVX2 is quietStartsGo's quietStarts four blocks per step
// (n rounded up to four; n <= 64): AVX2, a block in each 64-bit lane;
// quietLongAVX2 likewise its quietLongStarts. They read each mask off
// bytes into its array: 4 reads q seen 32 text bytes on (halfway), each
// array being one string of bits, little-endian.
//
//go:noescape
func quietStartsAVX2(q *quietIn, off, n int, out *[64]uint64)

//go:noescape
func quietLongAVX2(q *quietIn, off, n int, out *[64]uint64)

// candMasks is candMasksAVX2 over text's whole blocks with two bytes
// after the last (the stem filter looks ahead), at most len(out); with
// pairs, q.pp too (candMasksPairsAVX2), else q.pp is left as it is.
func candMasks(text []byte, q *quietIn, pairs bool) int {
	n := min(blocksIn(text), len(q.digit))
	if n > 0 {
		if pairs {
			candMasksPairsAVX2(&text[0], n, q)
		} else {
			candMasksAVX2(&text[0], n, q)
		}
	}
	return n
}

// quietStartsN writes quietStarts of q's first n blocks to out and,
// with long, their quietLongStarts to outL; of q.halfway()'s when half
// (read in place, four bytes into each array).
func quietStartsN(q *quietIn, half bool, n int, out, outL *[64]uint64, long bool) {
	off := 0
	if half {
		off = 4
	}
	if n > 0 {
		quietStartsAVX2(q, off, min(n, 64), out)
		if long {
			quietLongAVX2(q, off, min(n, 64), outL)
		}
	}
}

// fireAVX2 is fireGo four blocks per step (n rounded up to four; n <=
// 64): AVX2, a block in each 64-bit lane.
//
//go:noescape
func fireAVX2(q *quietIn, n int, cr uint64, out *[64]uint64)

// fireN writes fireMask of q's first n blocks to out, the first block's
// carry cr (fireGo): the pass called fireMask once a block, ~60
// instructions, where the vector code takes ~12.
func fireN(q *quietIn, n int, cr carry, out *[64]uint64) {
	if n > 0 {
		fireAVX2(q, min(n, 64), uint64(cr), out)
	}
}

// highBytesAVX2 reports whether the n 128-byte chunks at p have a byte
// of 0xC2 or more.
//
//go:noescape
func highBytesAVX2(p *byte, n int) bool

// mayHaveWideSpace reports whether text may hold one of the spaces
// plainSpaces replaces, all of which start with 0xC2 or 0xE2: false when
// no byte reaches 0xC2, found by one vector pass of about a tenth of the
// instructions of plainSpaces' two IndexByte scans (on logs, text that
// is all ASCII, they cost about 3 % of the detector).
func mayHaveWideSpace(text []byte) bool {
	if !haveCandMasks {
		return true
	}
	n := len(text) / 128
	if n > 0 && highBytesAVX2(&text[0], n) {
		return true
	}
	for _, c := range text[n*128:] {
		if c >= 0xC2 {
			return true
		}
	}
	return false
}
