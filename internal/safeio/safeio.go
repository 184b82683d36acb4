// Package safeio opens files the agent does not trust: files under a
// user's home, configuration in a mounted image, anything a scan walks.
// Such a file may be a FIFO that blocks an open or read for ever, a
// device that never ends (a symlink to /dev/urandom), a symlink that leads
// out of the tree being scanned, or something swapped between the walk
// that saw it and the open that reads it. Every open here
//
//   - never blocks: FIFOs are opened non-blocking and then refused;
//   - refuses what is not a regular file (FIFO, device, socket,
//     directory) with a *NotRegularError, checked on the open descriptor
//     (fstat), not on the name;
//   - can compare the opened file with what a walk saw (ErrChanged);
//   - reads with a size cap (ReadFile): a file over the cap is reported
//     with a *TooLargeError, never read whole.
//
// Root confines name resolution to a directory (a mounted image): "..",
// absolute names and absolute symlinks all stay inside it, as if the
// directory were "/" (openat2 RESOLVE_IN_ROOT on Linux, a careful
// component-by-component resolver elsewhere).
package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ConfigMaxSize is the cap for configuration-like files (passwd, group,
// shadow, sudoers, sshd_config, authorized_keys): real ones are far
// smaller, and a bigger one is a mistake or an attack.
const ConfigMaxSize = 4 << 20

// ErrNotRegular is matched (errors.Is) by every *NotRegularError.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is matched (errors.Is) by every *TooLargeError.
var ErrTooLarge = errors.New("file larger than the read limit")

// ErrChanged reports that the file opened is not the one a walk saw: it was
// replaced between the two (a swap to a symlink, a hard link, a new file).
var ErrChanged = errors.New("file changed between the walk and the open")

// NotRegularError reports a FIFO, device, socket, directory or symlink
// where a regular file was expected. It says what the file is, never what
// it holds.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: skipped: %s, not a regular file", e.Path, kind(e.Mode))
}

// Is makes errors.Is(err, ErrNotRegular) true.
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// TooLargeError reports a file over a ReadFile cap.
type TooLargeError struct {
	Path  string
	Size  int64 // at least this many bytes
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: skipped: %d bytes or more, over the %d-byte limit for this kind of file", e.Path, e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Skipped reports whether err means the file was deliberately not read (not
// a regular file, too large, changed under the walk), as opposed to missing
// or unreadable.
func Skipped(err error) bool {
	return errors.Is(err, ErrNotRegular) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrChanged)
}

// Kind names what a file of mode m is ("a FIFO", "a symbolic link", ...)
// for a message; a regular file is "a regular file".
func Kind(m fs.FileMode) string {
	if m.IsRegular() {
		return "a regular file"
	}
	return kind(m)
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}

// Open opens path for reading without following a symlink in its last
// component and without blocking, and refuses anything but a regular file.
func Open(path string) (*os.File, error) {
	return openFile(path)
}

// OpenDir opens the directory path to list it, without following a
// symlink in its last component: a directory a walk listed and that was
// swapped for a symlink since is refused, not entered.
func OpenDir(path string) (*os.File, error) {
	return openDir(path)
}

// OpenSeen is Open that also refuses, with ErrChanged, a file that is not
// the one seen (by os.Lstat or a DirEntry's Info during a walk).
func OpenSeen(path string, seen fs.FileInfo) (*os.File, error) {
	f, err := openFile(path)
	if err != nil || seen == nil {
		return f, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !sameFile(seen, fi) {
		f.Close()
		return nil, fmt.Errorf("%s: skipped: %w", path, ErrChanged)
	}
	return f, nil
}

// ReadFile reads a regular file of at most limit bytes (Open's checks).
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, limit)
}

// ReadAll reads an opened file of at most limit bytes: the size on the
// descriptor is checked first, and the read stops one byte past the limit,
// so a file that grows while read is still refused, not read whole.
func ReadAll(f *os.File, limit int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, &TooLargeError{Path: f.Name(), Size: fi.Size(), Limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: f.Name(), Size: int64(len(data)), Limit: limit}
	}
	return data, nil
}

// WriteFileAtomic replaces path with data: a new temporary file with a
// random name in path's directory (created O_EXCL, so a symlink or file
// planted at a predictable name is never followed or reused), fsync'd,
// then renamed over path (rename replaces a symlink at path, it does not
// write through it), and the directory fsync'd.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s (check that the directory exists and is writable): %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err == nil {
		if err = f.Chmod(perm); err == nil || runtime.GOOS == "windows" {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable where directories can be fsync'd; a
// failure only weakens durability after a power cut, so it is not fatal.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
