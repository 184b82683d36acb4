package safeio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxSymlinks bounds the symlinks followed in one resolution, as Linux
// does (40); past it the name is refused with ELOOP.
const maxSymlinks = 40

// maxComponents bounds the work one resolution may do, whatever the
// symlinks expand to.
const maxComponents = 4096

// lookupFunc reports whether p, a clean absolute path inside the root
// ("/" is the root), is a symlink and if so its target. It is called for
// each prefix of the path being resolved, shortest first, and only once
// every shorter prefix was found not to be a symlink.
type lookupFunc func(p string) (target string, isLink bool, err error)

// resolve resolves name inside a root as the kernel would if the root
// were "/" (chroot, openat2 RESOLVE_IN_ROOT): component by component,
// ".." never climbs above the root, an absolute name or symlink target
// starts again at the root, a relative target continues from the link's
// directory. It returns a clean absolute path with no "." or ".."
// components and no symlink in any component as lookup saw them.
func resolve(name string, lookup lookupFunc) (string, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return "", syscall.EINVAL
	}
	var done []string // resolved components, none a symlink
	todo := components(name)
	links, steps := 0, 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		if steps++; steps > maxComponents {
			return "", syscall.ENAMETOOLONG
		}
		switch c {
		case ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		p := "/" + strings.Join(append(done, c), "/")
		target, isLink, err := lookup(p)
		if err != nil {
			return "", err
		}
		if !isLink {
			done = append(done, c)
			continue
		}
		if links++; links > maxSymlinks {
			return "", syscall.ELOOP
		}
		if target == "" {
			return "", syscall.ENOENT // as the kernel answers an empty symlink
		}
		if isAbsTarget(target) {
			done = done[:0]
		}
		todo = append(components(target), todo...)
	}
	return "/" + strings.Join(done, "/"), nil
}

// components splits a name on every path separator, dropping empty ones
// and a Windows volume name (an absolute target names the root's volume).
func components(name string) []string {
	name = name[len(filepath.VolumeName(name)):]
	return strings.FieldsFunc(name, func(r rune) bool { return r < 0x80 && os.IsPathSeparator(uint8(r)) })
}

func isAbsTarget(t string) bool {
	return filepath.VolumeName(t) != "" || (t != "" && os.IsPathSeparator(t[0]))
}

// errNoOpenat2 says the kernel resolver is not available: use resolve.
var errNoOpenat2 = errors.New("openat2 unavailable")
