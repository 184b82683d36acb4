package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// maxDirEntries bounds what ReadDir returns (an include directory, a
// glob): enough for any real configuration.
const maxDirEntries = 10000

// Root is a directory that every name is resolved inside, as if it were
// "/": the way to read a mounted image or a fixture without a symlink or
// an include leading the agent out of it. Root "/" is the live system.
// A Root is safe for concurrent use.
type Root struct {
	dir string
	f   *os.File // held open: resolution is relative to it, not to a name
	// kernel is true when openat2 RESOLVE_IN_ROOT works here; decided once
	// when the Root is opened.
	kernel bool
}

// Entry is one directory entry; Type is its type bits (fs.ModeDir,
// fs.ModeSymlink, ... ; 0 for a regular file) as the directory lists it.
type Entry struct {
	Name string
	Type fs.FileMode
}

// OpenRoot opens dir as a root.
func OpenRoot(dir string) (*Root, error) {
	if dir == "" {
		dir = "/"
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening root directory %s: %w", dir, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("root %s is not a directory", dir)
	}
	r := &Root{dir: dir, f: f}
	r.kernel = r.probeKernel()
	return r, nil
}

// Dir is the directory the Root was opened on.
func (r *Root) Dir() string { return r.dir }

// Close releases the root directory.
func (r *Root) Close() error { return r.f.Close() }

// Open opens name (a path as seen inside the root, such as /etc/passwd)
// for reading. Symlinks are followed but stay inside the root (an absolute
// target is taken from the root, ".." stops at it), so configuration that
// is legitimately a symlink (NixOS, alternatives) is still read. The open
// never blocks and what is not a regular file is refused with a
// *NotRegularError.
func (r *Root) Open(name string) (*os.File, error) {
	return r.open(name, false)
}

// ReadFile reads name inside the root, refusing a file over limit bytes.
func (r *Root) ReadFile(name string, limit int64) ([]byte, error) {
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, limit)
}

// ReadDir lists the directory name inside the root, sorted by name, at
// most 10000 entries.
func (r *Root) ReadDir(name string) ([]Entry, error) {
	d, err := r.open(name, true)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	// Names only, then types relative to the open directory: os.File's
	// ReadDir would lstat by the image path on the host (where the file
	// system gives no type), outside the root.
	names, err := d.Readdirnames(maxDirEntries)
	if err != nil && len(names) == 0 && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("listing %s: %w", name, err)
	}
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		out = append(out, Entry{Name: n, Type: entryType(d, n)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Glob returns the names inside the root matching pattern (path.Match
// syntax in any component; relative patterns are from the root), sorted.
// Each directory is listed through the root, so a symlinked directory
// cannot lead the match outside it.
func (r *Root) Glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
	}
	cands := []string{"/"}
	for _, c := range components(filepath.ToSlash(pattern)) {
		var next []string
		for _, dir := range cands {
			if !hasMeta(c) {
				next = append(next, path.Join(dir, c))
				continue
			}
			entries, err := r.ReadDir(dir)
			if err != nil {
				continue // not a directory, or unreadable: no match here
			}
			for _, e := range entries {
				if ok, _ := path.Match(c, e.Name); ok && (e.Name[0] != '.' || c[0] == '.') {
					next = append(next, path.Join(dir, e.Name))
				}
			}
		}
		if len(next) > maxDirEntries {
			next = next[:maxDirEntries]
		}
		cands = next
	}
	var out []string
	for _, p := range cands {
		if _, err := r.resolvePath(p); err == nil {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }
