//go:build !unix

package fsscan

import "io/fs"

// Owner lookups on Windows need the security descriptor API; the access
// side of the file scanner (a later issue) brings them.
type idNames struct{}

func newIDNames(string) *idNames          { return &idNames{} }
func (*idNames) owner(fs.FileInfo) string { return "" }
func (*idNames) group(fs.FileInfo) string { return "" }

// Without an inode, size and modification time identify a file's content.
func inode(fs.FileInfo) uint64 { return 0 }

// device is unknown here: the walk does not stop at mount points.
func device(string) (uint64, bool) { return 0, false }

// deviceOf is unknown here, as device is.
func deviceOf(fs.FileInfo) (uint64, bool) { return 0, false }

// linkKeyOf knows no hard links here: each is read.
func linkKeyOf(fs.FileInfo) (linkKey, uint64, bool) { return linkKey{}, 0, false }
