//go:build !linux

package fsscan

// pseudoFSAt knows no pseudo file systems here: /proc, /sys and /dev are
// skipped by their paths (skipRoots).
func pseudoFSAt(string) string { return "" }
