//go:build unix

package safeio

import (
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

func (r *Root) fd() int { return int(r.f.Fd()) }

// open opens name inside the root: with the kernel's resolver where it
// works, else with resolve and then component by component with
// O_NOFOLLOW from the root's descriptor, so a component swapped for a
// symlink after resolution fails instead of leading elsewhere.
func (r *Root) open(name string, dir bool) (*os.File, error) {
	flags := fileFlags &^ unix.O_NOFOLLOW // symlinks are followed, inside the root
	if dir {
		flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC | unix.O_NOCTTY
	}
	var fd int
	err := errNoOpenat2
	if r.kernel {
		fd, err = r.openat2(name, flags)
	}
	if err == errNoOpenat2 {
		fd, err = r.walkOpen(name, flags)
	}
	if err != nil {
		if _, ok := err.(*NotRegularError); ok {
			return nil, err
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if dir {
		return os.NewFile(uintptr(fd), name), nil
	}
	return regularFile(fd, name)
}

// resolvePath resolves name with lookups relative to the root descriptor.
func (r *Root) resolvePath(name string) (string, error) {
	rootfd := r.fd()
	return resolve(name, func(p string) (string, bool, error) {
		rel := p[1:]
		var st unix.Stat_t
		if err := unix.Fstatat(rootfd, rel, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return "", false, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			return "", false, nil
		}
		buf := make([]byte, 4096)
		n, err := unix.Readlinkat(rootfd, rel, buf)
		if err != nil {
			return "", false, err
		}
		if n == len(buf) {
			return "", false, unix.ENAMETOOLONG
		}
		return string(buf[:n]), true, nil
	})
}

func (r *Root) walkOpen(name string, flags int) (int, error) {
	p, err := r.resolvePath(name)
	if err != nil {
		return -1, err
	}
	rootfd := r.fd()
	comps := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if p == "/" {
		comps = []string{"."}
	}
	dfd := rootfd
	defer func() {
		if dfd != rootfd {
			unix.Close(dfd)
		}
	}()
	for _, c := range comps[:len(comps)-1] {
		nfd, err := openat(dfd, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC)
		if err != nil {
			return -1, err
		}
		if dfd != rootfd {
			unix.Close(dfd)
		}
		dfd = nfd
	}
	last := comps[len(comps)-1]
	if strings.HasSuffix(name, "/") && p != "/" {
		last += "/" // as the kernel: a trailing slash wants a directory
	}
	fd, err := openat(dfd, last, flags|unix.O_NOFOLLOW)
	if err == unix.ELOOP || err == unix.EMLINK {
		// resolve saw no symlink here: it was swapped in since.
		return -1, &NotRegularError{Path: name, Mode: fs.ModeSymlink}
	}
	return fd, err
}

func openat(dfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// entryType is the type of name in the open directory d, not following
// a symlink (fs.ModeIrregular when it cannot be told).
func entryType(d *os.File, name string) fs.FileMode {
	var st unix.Stat_t
	if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fs.ModeIrregular
	}
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		return 0
	}
	return modeOf(uint32(st.Mode))
}
