//go:build unix

package safeio

import "syscall"

func makeFIFO(p string) error { return syscall.Mkfifo(p, 0o644) }
