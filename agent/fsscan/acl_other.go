//go:build !linux

package fsscan

type aclReader struct{ kind, name string }

// aclReaders: POSIX ACLs are read on Linux only.
func (*idNames) aclReaders(string) []aclReader { return nil }
