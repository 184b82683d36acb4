//go:build !unix

package safeio

import (
	"io/fs"
	"os"
	"path/filepath"
)

// StatAt, without the *at calls (Windows), is os.Lstat of dir's name +
// name: the path is resolved again, so a parent swapped since dir was
// opened is not noticed here (Windows needs privileges for symlinks).
func StatAt(dir *os.File, name string) (fs.FileInfo, error) {
	path := filepath.Join(dir.Name(), name)
	if err := checkName(name); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: path, Err: err}
	}
	return os.Lstat(path)
}

// OpenAt, without the *at calls (Windows), is OpenSeen of dir's name +
// name, by path like StatAt.
func OpenAt(dir *os.File, name string, seen fs.FileInfo) (*os.File, error) {
	path := filepath.Join(dir.Name(), name)
	if err := checkName(name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return OpenSeen(path, seen)
}

// sameFile is os.SameFile here.
func sameFile(a, b fs.FileInfo) bool { return os.SameFile(a, b) }
