//go:build !unix

package safeio

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

func (r *Root) probeKernel() bool { return false }

// resolvePath resolves name with Lstat and Readlink under the root
// directory's name (Windows has no openat).
func (r *Root) resolvePath(name string) (string, error) {
	return resolve(name, func(p string) (string, bool, error) {
		full := filepath.Join(r.dir, filepath.FromSlash(p))
		fi, err := os.Lstat(full)
		if err != nil {
			return "", false, err
		}
		// Junctions and mount points are reparse points too.
		if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) == 0 {
			return "", false, nil
		}
		t, err := os.Readlink(full)
		if err != nil {
			return "", false, err
		}
		return t, true, nil
	})
}

func (r *Root) open(name string, dir bool) (*os.File, error) {
	p, err := r.resolvePath(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	full := filepath.Join(r.dir, filepath.FromSlash(p))
	if !dir {
		f, err := openFile(full)
		if nr, ok := err.(*NotRegularError); ok {
			nr.Path = name
		}
		return f, err
	}
	d, err := os.Open(full)
	if err != nil {
		return nil, err
	}
	if fi, err := d.Stat(); err != nil || !fi.IsDir() {
		d.Close()
		return nil, fmt.Errorf("%s: not a directory", name)
	}
	return d, nil
}

// entryType is the type of name in d, opened by its full host path here.
func entryType(d *os.File, name string) fs.FileMode {
	fi, err := os.Lstat(filepath.Join(d.Name(), name))
	if err != nil {
		return fs.ModeIrregular
	}
	return fi.Mode().Type()
}
