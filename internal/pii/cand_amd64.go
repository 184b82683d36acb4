//go:build amd64 && !purego

package pii

import "golang.org/x/sys/cpu"

// haveCandMasks says whether candMasks runs as vector code here; without
// it the pass looks at eight bytes at a time (skip.go).
var haveCandMasks = cpu.X86.HasAVX2

// candMasksAVX2 writes the raw class masks of n 64-byte blocks at p to out
// (n entries) and quietStarts' to q: AVX2, 32 bytes per step.
//
//go:noescape
func candMasksAVX2(p *byte, n int, out *rawMasks, q *quietIn)

// quietStartsAVX2 is quietStartsGo four blocks per step (n rounded up
// to four; n <= 64): AVX2, a block in each 64-bit lane.
//
//go:noescape
func quietStartsAVX2(q *quietIn, n int, out *[64]uint64)

// candMasks is candMasksAVX2 over text's whole blocks with two bytes
// after the last (the stem filter looks ahead), at most len(out).
func candMasks(text []byte, out []rawMasks, q *quietIn) int {
	n := min(blocksIn(text), len(out), len(q.digit))
	if n > 0 {
		candMasksAVX2(&text[0], n, &out[0], q)
	}
	return n
}

// quietStartsN writes quietStarts of q's first n blocks to out.
func quietStartsN(q *quietIn, n int, out *[64]uint64) {
	if n > 0 {
		quietStartsAVX2(q, min(n, 64), out)
	}
}
