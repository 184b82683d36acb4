//go:build unix

package fsscan

import (
	"os"
	"path/filepath"

	"github.com/sightline-dev/sightline/agent/hostscan/accounts"
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
	// fixed: the names come only from the maps (read from a Root's
	// /etc/passwd and /etc/group), never from this process's NSS, which
	// knows another system's accounts.
	fixed bool
}

// newIDNames resolves through NSS, or, for a root other than "/", from
// root's /etc/passwd and /etc/group (unreadable files leave ids numeric).
func newIDNames(root string) *idNames {
	n := &idNames{users: map[uint32]string{}, groups: map[uint32]string{}}
	if root == "" || root == "/" {
		return n
	}
	n.fixed = true
	if f, err := os.Open(filepath.Join(root, "etc", "passwd")); err == nil {
		us, _ := accounts.ParsePasswd("/etc/passwd", f)
		_ = f.Close()
		for _, u := range us {
			if _, dup := n.users[uint32(u.UID)]; !dup && u.UID >= 0 {
				n.users[uint32(u.UID)] = u.Name
			}
		}
	}
	if f, err := os.Open(filepath.Join(root, "etc", "group")); err == nil {
		gs, _ := accounts.ParseGroup("/etc/group", f)
		_ = f.Close()
		for _, g := range gs {
			if _, dup := n.groups[uint32(g.GID)]; !dup && g.GID >= 0 {
				n.groups[uint32(g.GID)] = g.Name
			}
		}
	}
	return n
}

// owner names a file's owner, falling back to the numeric uid when the
// name does not resolve.
func (n *idNames) owner(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return n.userName(st.Uid)
}

// group names a file's group, likewise.
func (n *idNames) group(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return n.groupName(st.Gid)
}

func (n *idNames) userName(id uint32) string { return n.name(n.users, id, lookupUser) }

func (n *idNames) groupName(id uint32) string { return n.name(n.groups, id, lookupGroup) }

func lookupUser(id string) (string, error) {
	u, err := user.LookupId(id)
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

func lookupGroup(id string) (string, error) {
	g, err := user.LookupGroupId(id)
	if err != nil {
		return "", err
	}
	return g.Name, nil
}

// name returns id's name from cache, else looks it up once (unless the
// names are fixed) and remembers it; an id without a name is its number.
func (n *idNames) name(cache map[uint32]string, id uint32, lookup func(string) (string, error)) string {
	if name, ok := cache[id]; ok {
		return name
	}
	name := strconv.FormatUint(uint64(id), 10)
	if !n.fixed {
		if found, err := lookup(name); err == nil {
			name = found
		}
	}
	cache[id] = name
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
