//go:build unix

package safeio

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// StatAt returns what the open directory dir holds as name (one path
// component), not following a symlink: fstatat(AT_SYMLINK_NOFOLLOW) on
// dir's descriptor, so whatever dir's path leads to now (a parent renamed
// and replaced by a symlink since dir was opened), the answer is about the
// directory that was opened. Its Sys is a *unix.Stat_t.
func StatAt(dir *os.File, name string) (fs.FileInfo, error) {
	if err := checkName(name); err != nil {
		return nil, &fs.PathError{Op: "fstatat", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	info := &statInfo{name: name}
	var err error
	cerr := control(dir, func(fd int) {
		for {
			if err = unix.Fstatat(fd, name, &info.st, unix.AT_SYMLINK_NOFOLLOW); err != unix.EINTR {
				return
			}
		}
	})
	if cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, &fs.PathError{Op: "fstatat", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return info, nil
}

// OpenAt opens name (one path component) in the open directory dir with
// Open's guarantees — openat(O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC|O_NOCTTY) on
// dir's descriptor, then fstat: a regular file or a *NotRegularError — and,
// when seen is not nil (StatAt, os.Lstat, a DirEntry's Info), refuses with
// ErrChanged a file whose device and inode are not seen's. Like StatAt it
// never resolves dir's path again. The file is named dir's name + name.
func OpenAt(dir *os.File, name string, seen fs.FileInfo) (*os.File, error) {
	path := filepath.Join(dir.Name(), name)
	if err := checkName(name); err != nil {
		return nil, &fs.PathError{Op: "openat", Path: path, Err: err}
	}
	var want *FileID
	if seen != nil {
		id, ok := idOfInfo(seen)
		if !ok {
			return nil, &fs.PathError{Op: "openat", Path: path, Err: errNoIdentity}
		}
		want = &id
	}
	fd := -1
	var err error
	cerr := control(dir, func(dfd int) { fd, err = openAtNoFollow(dfd, name, path, fileFlags) })
	if cerr != nil {
		return nil, &fs.PathError{Op: "openat", Path: path, Err: cerr}
	}
	if err != nil {
		return nil, err
	}
	return regularFileID(fd, path, want)
}

// idOfStat is a stat's identity.
func idOfStat(st *unix.Stat_t) FileID {
	return FileID{uint64(st.Dev), uint64(st.Ino)} //nolint:unconvert // Dev and Ino vary in type across platforms
}

// idOfInfo is the identity of a FileInfo from os (Sys a *syscall.Stat_t)
// or from StatAt (a *unix.Stat_t).
func idOfInfo(fi fs.FileInfo) (FileID, bool) {
	switch st := fi.Sys().(type) {
	case *unix.Stat_t:
		return idOfStat(st), true
	case *syscall.Stat_t:
		return FileID{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert // as idOfStat
	}
	return FileID{}, false
}

// sameFile is os.SameFile that also knows StatAt's FileInfo.
func sameFile(a, b fs.FileInfo) bool {
	ia, oka := idOfInfo(a)
	ib, okb := idOfInfo(b)
	if oka && okb {
		return ia == ib
	}
	return os.SameFile(a, b)
}

// statInfo is StatAt's fs.FileInfo.
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (i *statInfo) Name() string { return i.name }
func (i *statInfo) Size() int64  { return int64(i.st.Size) } //nolint:unconvert // int64 on most platforms
func (i *statInfo) IsDir() bool  { return i.Mode().IsDir() }
func (i *statInfo) Sys() any     { return &i.st }

func (i *statInfo) ModTime() time.Time {
	sec, nsec := i.st.Mtim.Unix()
	return time.Unix(sec, nsec)
}

func (i *statInfo) Mode() fs.FileMode {
	m := uint32(i.st.Mode) //nolint:unconvert // uint16 on some platforms
	mode := fs.FileMode(m & 0o777)
	if m&unix.S_IFMT != unix.S_IFREG {
		mode |= modeOf(m)
	}
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}
