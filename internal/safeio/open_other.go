//go:build !unix

package safeio

import (
	"fmt"
	"os"
)

// openFile on systems without O_NOFOLLOW/O_NONBLOCK opens (Windows has no
// FIFOs or devices in the file namespace) and checks, on both the name and
// the handle, that the file is a regular file and the same one.
func openFile(path string) (*os.File, error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !lfi.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Mode: lfi.Mode()}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	if !os.SameFile(lfi, fi) {
		f.Close()
		return nil, fmt.Errorf("%s: skipped: %w", path, ErrChanged)
	}
	return f, nil
}

// openDir opens a directory that is one by its name (Lstat: no symlink)
// and is the same one when open.
func openDir(path string) (*os.File, error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !lfi.IsDir() {
		return nil, &NotRegularError{Path: path, Mode: lfi.Mode()}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || !os.SameFile(lfi, fi) {
		f.Close()
		return nil, fmt.Errorf("%s: skipped: %w", path, ErrChanged)
	}
	return f, nil
}

// FileID is a file's identity; not told on this platform.
type FileID struct{ Dev, Ino uint64 }

// ChildID cannot tell a directory entry's identity here: ok is false.
func ChildID(*os.File, string) (FileID, bool) { return FileID{}, false }

// OpenedID cannot tell an open file's identity here: ok is false.
func OpenedID(*os.File) (FileID, bool) { return FileID{}, false }
