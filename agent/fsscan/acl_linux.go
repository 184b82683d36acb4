//go:build linux

package fsscan

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// aclReader is a named user or group a POSIX ACL lets read a file.
type aclReader struct {
	kind, name string // "user" or "group"
}

// POSIX ACL xattr format (linux/posix_acl_xattr.h): a 4-byte version 2,
// then 8-byte entries of tag, permissions and id, little endian.
const (
	aclUser  = 0x02
	aclGroup = 0x08
	aclMask  = 0x10
	aclRead  = 0x04
)

// aclReaders reads the access ACL of path: the named users and groups
// whose entry, limited by the mask, allows reading. A file without an ACL
// (or a file system without them) has none.
func (n *idNames) aclReaders(path string) []aclReader {
	buf := make([]byte, 1024)
	// Lgetxattr: a file swapped for a symlink since it was read must not
	// lend it the ACL of whatever the link points at.
	sz, err := unix.Lgetxattr(path, "system.posix_acl_access", buf)
	if err != nil || sz < 4 {
		return nil
	}
	return n.parseACL(buf[:sz])
}

func (n *idNames) parseACL(b []byte) []aclReader {
	if len(b) < 4 || binary.LittleEndian.Uint32(b) != 2 {
		return nil
	}
	type entry struct {
		tag, perm uint16
		id        uint32
	}
	var named []entry
	mask := uint16(0x07)
	for e := b[4:]; len(e) >= 8; e = e[8:] {
		x := entry{binary.LittleEndian.Uint16(e), binary.LittleEndian.Uint16(e[2:]), binary.LittleEndian.Uint32(e[4:])}
		switch x.tag {
		case aclMask:
			mask = x.perm
		case aclUser, aclGroup:
			named = append(named, x)
		}
	}
	var out []aclReader
	for _, x := range named {
		if x.perm&mask&aclRead == 0 {
			continue
		}
		if x.tag == aclUser {
			out = append(out, aclReader{"user", n.userName(x.id)})
		} else {
			out = append(out, aclReader{"group", n.groupName(x.id)})
		}
	}
	return out
}
