//go:build linux

package fsscan

import (
	"encoding/binary"
	"errors"
	"os"

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

// maxACL bounds the access ACL read: the kernel's own limit on an
// extended attribute (XATTR_SIZE_MAX).
const maxACL = 64 << 10

// readACL reads the access ACL of the open file f, whole (fgetxattr: the
// file read, never what its path leads to now, and reached whatever its
// path's length). A file without one (or a file system without them) has
// none.
func readACL(f *os.File) []byte {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	var acl []byte
	_ = rc.Control(func(fd uintptr) {
		for try := 0; try < 3; try++ { // the ACL may grow between the two calls
			sz, err := unix.Fgetxattr(int(fd), "system.posix_acl_access", nil)
			if err != nil || sz < 4 || sz > maxACL {
				return
			}
			buf := make([]byte, sz)
			sz, err = unix.Fgetxattr(int(fd), "system.posix_acl_access", buf)
			if err == nil {
				acl = buf[:sz]
				return
			}
			if !errors.Is(err, unix.ERANGE) {
				return
			}
		}
	})
	return acl
}

// parseACL lists the named users and groups whose entry of the ACL b,
// limited by the mask, allows reading.
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
