//go:build unix

package fsscan

import (
	"bytes"
	"io"
	"io/fs"
	"os/user"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sightline-dev/sightline/agent/hostscan/accounts"
	"github.com/sightline-dev/sightline/internal/safeio"
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
// root's /etc/passwd and /etc/group, read confined to root (safeio.Root: a
// symlink cannot lead to this system's files, a FIFO is not waited on)
// and of bounded size; unreadable files leave ids numeric.
func newIDNames(root string) *idNames {
	n := &idNames{users: map[uint32]string{}, groups: map[uint32]string{}}
	if root == "" || root == "/" {
		return n
	}
	n.fixed = true
	r, err := safeio.OpenRoot(root)
	if err != nil {
		return n
	}
	defer r.Close()
	readNames(n.users, r, "passwd", accounts.ParsePasswd, func(u accounts.User) (int, string) { return u.UID, u.Name })
	readNames(n.groups, r, "group", accounts.ParseGroup, func(g accounts.Group) (int, string) { return g.GID, g.Name })
	return n
}

// readNames adds to names the ids and names of root's /etc/file, read by
// parse: the first entry of an id wins; an unreadable file adds nothing.
func readNames[E any](names map[uint32]string, root *safeio.Root, file string, parse func(string, io.Reader) ([]E, []accounts.Problem), idName func(E) (int, string)) {
	data, err := root.ReadFile("/etc/"+file, safeio.ConfigMaxSize)
	if err != nil {
		return
	}
	entries, _ := parse("/etc/"+file, bytes.NewReader(data))
	for _, e := range entries {
		if id, name := idName(e); id >= 0 {
			if _, dup := names[uint32(id)]; !dup {
				names[uint32(id)] = name
			}
		}
	}
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

// linkKeyOf is the identity and content version of a file with more than
// one hard link, and how many it has (ok false for one link).
func linkKeyOf(info fs.FileInfo) (linkKey, uint64, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink < 2 {
		return linkKey{}, 0, false
	}
	return linkKey{uint64(st.Dev), uint64(st.Ino), info.Size(), info.ModTime().UnixNano()}, uint64(st.Nlink), true //nolint:unconvert // as deviceOf
}

// deviceOf is the file system a FileInfo's file is on (from os, a
// *syscall.Stat_t, or safeio.StatAt, a *unix.Stat_t).
func deviceOf(info fs.FileInfo) (uint64, bool) {
	switch st := info.Sys().(type) {
	case *syscall.Stat_t:
		return uint64(st.Dev), true //nolint:unconvert // Dev is int32 on some platforms
	case *unix.Stat_t:
		return uint64(st.Dev), true //nolint:unconvert // as above
	}
	return 0, false
}

// device is the file system a path is on.
func device(p string) (uint64, bool) {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		return 0, false
	}
	return uint64(st.Dev), true //nolint:unconvert // Dev is int32 on some platforms
}
