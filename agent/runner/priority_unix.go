//go:build unix

package runner

import "golang.org/x/sys/unix"

// lowerPriority sets nice 10 for the whole agent process.
func lowerPriority() error { return unix.Setpriority(unix.PRIO_PROCESS, 0, 10) }
