//go:build !linux

package fsscan

import "os"

type aclReader struct{ kind, name string }

// readACL: POSIX ACLs are read on Linux only.
func readACL(*os.File) []byte { return nil }

func (*idNames) parseACL([]byte) []aclReader { return nil }
