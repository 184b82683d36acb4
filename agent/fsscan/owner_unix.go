//go:build unix

package fsscan

import (
	"io/fs"
	"os/user"
	"strconv"
	"syscall"
)

// idNames resolves uids and gids to names, once per id per scan: a lookup
// goes through NSS (or parses /etc/passwd), too slow to repeat per file.
// Used from the one emitting goroutine only.
type idNames struct {
	users, groups map[uint32]string
}

func newIDNames() *idNames {
	return &idNames{users: map[uint32]string{}, groups: map[uint32]string{}}
}

// owner names a file's owner, falling back to the numeric uid when the
// name does not resolve.
func (n *idNames) owner(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	if name, ok := n.users[st.Uid]; ok {
		return name
	}
	name := strconv.FormatUint(uint64(st.Uid), 10)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	n.users[st.Uid] = name
	return name
}

func (n *idNames) group(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	if name, ok := n.groups[st.Gid]; ok {
		return name
	}
	name := strconv.FormatUint(uint64(st.Gid), 10)
	if g, err := user.LookupGroupId(name); err == nil {
		name = g.Name
	}
	n.groups[st.Gid] = name
	return name
}

func inode(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}

// device is the file system a path is on.
func device(p string) (uint64, bool) {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		return 0, false
	}
	return uint64(st.Dev), true //nolint:unconvert // Dev is int32 on some platforms
}
