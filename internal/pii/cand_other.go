//go:build !amd64 || purego

package pii

const haveCandMasks = false

func candMasks(text []byte, out []rawMasks) int { return candMasksGo(text, out) }
