//go:build unix

package safeio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// fileFlags never block (a FIFO with no writer), never follow a final
// symlink, never become a controlling terminal, never leak into children.
const fileFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NOCTTY

func openFile(path string) (*os.File, error) {
	fd, err := openNoFollow(path, fileFlags)
	if err != nil {
		return nil, err
	}
	return regularFile(fd, path)
}

// openNoFollow opens path with flags (which hold O_NOFOLLOW), retrying an
// interrupted open; a symlink met is a NotRegularError.
func openNoFollow(path string, flags int) (int, error) {
	return openAtNoFollow(unix.AT_FDCWD, path, path, flags)
}

// openAtNoFollow is openNoFollow of name relative to the open directory
// dirfd (openat); path names the file in errors.
func openAtNoFollow(dirfd int, name, path string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ELOOP || err == unix.EMLINK: // O_NOFOLLOW met a symlink (EMLINK on FreeBSD)
			return -1, &NotRegularError{Path: path, Mode: fs.ModeSymlink}
		case err != nil:
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

// regularFile checks an open descriptor is a regular file, puts it back in
// blocking mode (O_NONBLOCK was only for the open) and wraps it.
func regularFile(fd int, name string) (*os.File, error) {
	return regularFileID(fd, name, nil)
}

// regularFileID is regularFile that, when want is set, also refuses with
// ErrChanged a file whose device and inode are not want's.
func regularFileID(fd int, name string, want *FileID) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, &NotRegularError{Path: name, Mode: modeOf(uint32(st.Mode))}
	}
	if want != nil && idOfStat(&st) != *want {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: skipped: %w", name, ErrChanged)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "fcntl", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

func modeOf(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}

// dirFlags open a directory only (O_DIRECTORY), never through a final
// symlink: a directory swapped for a symlink after it was listed is not
// entered.
const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

func openDir(path string) (*os.File, error) {
	fd, err := openNoFollow(path, dirFlags)
	if errors.Is(err, unix.ENAMETOOLONG) {
		fd, err = openDirLong(path)
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// openDirLong opens a directory whose path is longer than PATH_MAX (a tree
// thousands of levels deep), which no single open takes: it opens the path
// a piece shorter than PATH_MAX at a time, each piece relative to the
// directory the last one opened (openat), the final component as openDir
// does (no symlink followed). Earlier components resolve as they would in
// one open of the whole path.
func openDirLong(path string) (int, error) {
	dirfd, rest := unix.AT_FDCWD, path
	defer func() {
		if dirfd != unix.AT_FDCWD {
			unix.Close(dirfd)
		}
	}()
	for {
		piece, flags := rest, dirFlags
		if len(rest) >= unix.PathMax {
			cut := strings.LastIndexByte(rest[:unix.PathMax-1], '/')
			if cut <= 0 {
				return -1, &fs.PathError{Op: "open", Path: path, Err: unix.ENAMETOOLONG}
			}
			piece, rest = rest[:cut], rest[cut+1:]
			flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
		} else {
			rest = ""
		}
		fd, err := openAtNoFollow(dirfd, piece, path, flags)
		if err != nil {
			return -1, err
		}
		if dirfd != unix.AT_FDCWD {
			unix.Close(dirfd)
		}
		dirfd = fd
		if rest == "" {
			dirfd = unix.AT_FDCWD // handed to the caller, not closed
			return fd, nil
		}
	}
}

// FileID is a file's identity: its device and inode.
type FileID struct{ Dev, Ino uint64 }

// ChildID returns the identity of name in the open directory dir, not
// following a symlink: what the directory holds now, whatever its path
// leads to. ok is false when it cannot be told.
func ChildID(dir *os.File, name string) (id FileID, ok bool) {
	var st unix.Stat_t
	var err error
	cerr := control(dir, func(fd int) { err = unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) })
	if cerr != nil || err != nil {
		return FileID{}, false
	}
	return FileID{uint64(st.Dev), uint64(st.Ino)}, true
}

// OpenedID returns the identity of the open file f.
func OpenedID(f *os.File) (id FileID, ok bool) {
	var st unix.Stat_t
	var err error
	cerr := control(f, func(fd int) { err = unix.Fstat(fd, &st) })
	if cerr != nil || err != nil {
		return FileID{}, false
	}
	return FileID{uint64(st.Dev), uint64(st.Ino)}, true
}

// control runs fn with f's descriptor (without f.Fd's switch to
// blocking mode).
func control(f *os.File, fn func(fd int)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) })
}
