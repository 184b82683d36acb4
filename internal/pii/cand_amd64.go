//go:build amd64 && !purego

package pii

import "golang.org/x/sys/cpu"

// haveCandMasks says whether candMasks runs as vector code here; without
// it the pass looks at eight bytes at a time (skip.go).
var haveCandMasks = cpu.X86.HasAVX2

// candMasksAVX2 writes the raw class masks of n 64-byte blocks at p to out
// (n entries): AVX2, 32 bytes per step.
//
//go:noescape
func candMasksAVX2(p *byte, n int, out *rawMasks)

// candMasks is candMasksAVX2 over text's whole blocks with two bytes
// after the last (the stem filter looks ahead), at most len(out).
func candMasks(text []byte, out []rawMasks) int {
	n := min(blocksIn(text), len(out))
	if n > 0 {
		candMasksAVX2(&text[0], n, &out[0])
	}
	return n
}
