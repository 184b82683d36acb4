//go:build !amd64 || purego

package pii

const haveCandMasks = false

func candMasks(text []byte, out []rawMasks, q *quietIn) int { return candMasksGo(text, out, q) }

func quietStartsN(q *quietIn, n int, out *[64]uint64) { quietStartsGo(q, n, out) }
