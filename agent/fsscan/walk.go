package fsscan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/sightline-dev/sightline/internal/safeio"
)

// dirBatch is how many entries walkDir reads of a directory at a time.
const dirBatch = 512

// maxPendingBytes bounds the names of the directories a walk has found and
// not yet entered (about a million at typical lengths); past it, a
// directory is reported and not walked rather than held.
const maxPendingBytes = 64 << 20

// errPending is the error a directory not walked for maxPendingBytes gets.
var errPending = errors.New("not walked: more directories waiting to be walked than the walk keeps (64 MiB of names)")

// walkDir is filepath.WalkDir without its memory: WalkDir reads a whole
// directory, sorted, before it visits any entry of it, so a maildir or a
// cache of ten million files is held whole (about a gigabyte). walkDir
// reads dirBatch entries at a time and visits them as they come (in the
// directory's order), keeping only the directories still to walk, depth
// first; a directory is opened without following a symlink
// (safeio.OpenDir), so one swapped for a symlink after it was listed is
// not entered, and must be the directory its parent held when listed
// (safeio.ChildID), so one reached through a parent swapped for a symlink
// is not entered either (fn gets safeio.ErrChanged for it). An entry's
// Info is an fstatat on the descriptor of the directory it was listed
// from, never a stat of its path (see listedEntry), and holdParent keeps
// that directory open for opening the file later (safeio.OpenAt). fn is
// called as WalkDir calls it: for root, for each entry,
// and again with the error for a directory that cannot be read (then its
// entries already visited stay visited). fs.SkipDir from fn for a
// directory skips it; fs.SkipAll ends the walk; any other error ends it
// and is returned. ctx ending ends it with ctx's error.
func walkDir(ctx context.Context, root string, fn fs.WalkDirFunc) error {
	return walkDirHolding(ctx, root, maxPendingBytes, fn)
}

// maxWalkDepth bounds how many levels below its root a walk enters. A
// directory past PATH_MAX is opened a piece at a time (safeio.OpenDir),
// which the kernel resolves component by component: a chain of n levels
// costs n² lookups (20,000 levels took 48 s), so a tree made deep to stall
// a scan is cut here, far below any real one and above PATH_MAX's ~2,000.
const maxWalkDepth = 4096

// walkDirHolding is walkDir keeping at most limit bytes of pending
// directory names.
func walkDirHolding(ctx context.Context, root string, limit int, fn fs.WalkDirFunc) error {
	return walkDirDeep(ctx, root, limit, maxWalkDepth, fn)
}

// walkDirDeep is walkDirHolding entering at most maxDepth levels below
// root: a directory deeper is visited, reported to fn and not entered.
func walkDirDeep(ctx context.Context, root string, limit, maxDepth int, fn fs.WalkDirFunc) error {
	info, err := os.Lstat(root)
	if err != nil {
		return skipAll(fn(root, nil, err))
	}
	d := fs.FileInfoToDirEntry(info)
	if err := fn(root, d, nil); err != nil || !d.IsDir() {
		return skipAll(skipDir(err))
	}
	type pending struct {
		path  string
		d     fs.DirEntry
		id    safeio.FileID // what the parent held when listed
		known bool          // id was told
		up    *ancestor     // the directories above it
		depth int           // levels below root
	}
	stack := []pending{{path: root, d: d}}
	held := 0
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		held -= len(dir.path) + pendingOverhead
		var want *safeio.FileID
		if dir.known {
			want = &dir.id
		}
		err := readDir(ctx, dir.path, want, dir.up, dir.depth, func(parent *os.File, here *ancestor, e *listedEntry) error {
			p := filepath.Join(dir.path, e.Name())
			if err := fn(p, e, nil); err != nil {
				if errors.Is(err, fs.SkipDir) && e.IsDir() {
					return nil // not entered
				}
				return err // SkipDir at a file: the rest of dir is skipped
			}
			if !e.IsDir() {
				return nil
			}
			id, known := safeio.ChildID(parent, e.Name())
			if a := here.find(id, known); a != nil {
				above := a.pathOf(p, dir.depth+1)
				return skipDir(fn(p, e, fmt.Errorf("%s: not walked: %w (the same directory as %s, mounted inside itself)", p, errLoop, above)))
			}
			if dir.depth+1 >= maxDepth {
				return skipDir(fn(p, e, fmt.Errorf("%s: not walked: more than %d levels below the path scanned", p, maxDepth)))
			}
			if held+len(p)+pendingOverhead > limit {
				return skipDir(fn(p, e, fmt.Errorf("%s: %w", p, errPending)))
			}
			// The entry as listed, not its wrapper: that would keep its
			// whole batch (and directory) alive while pending.
			stack = append(stack, pending{p, e.DirEntry, id, known, here, dir.depth + 1})
			held += len(p) + pendingOverhead
			return nil
		})
		var visitErr visitError
		switch {
		case err == nil:
		case errors.As(err, &visitErr) && errors.Is(visitErr.err, fs.SkipDir):
			// fn skipped the rest of the directory at one of its files.
		case errors.As(err, &visitErr):
			return skipAll(visitErr.err)
		default:
			// The directory could not be (fully) read: fn decides.
			if err := skipDir(fn(dir.path, dir.d, err)); err != nil {
				return skipAll(err)
			}
		}
	}
	return nil
}

// errLoop is the error a directory that is one of its own ancestors gets.
var errLoop = errors.New("a file system loop")

// ancestor is a directory above the one being read, as a chain up to the
// walk's root: a directory bind-mounted inside itself (a loop the kernel
// allows, each bind doubling what a walk would see) has the identity of
// one of them, and is not entered, as find does.
// A node holds no path (the chain of a tree 30,000 levels deep would hold
// gigabytes of them): an ancestor's path is the one below cut (depth).
type ancestor struct {
	id    safeio.FileID
	depth int
	up    *ancestor
}

// pathOf is a's path, given p, the path of a directory depth levels deep.
func (a *ancestor) pathOf(p string, depth int) string {
	for ; depth > a.depth; depth-- {
		p = filepath.Dir(p)
	}
	return p
}

// find returns the ancestor (a itself or above) whose identity is id, or
// nil (also for an id not known).
func (a *ancestor) find(id safeio.FileID, known bool) *ancestor {
	for ; known && a != nil; a = a.up {
		if a.id == id {
			return a
		}
	}
	return nil
}

// visitError carries an error fn returned for an entry out of readDir, apart
// from the directory's own read errors.
type visitError struct{ err error }

func (e visitError) Error() string { return e.err.Error() }

// pendingOverhead is what a pending directory holds besides its path,
// counting the ancestor node it may keep alive (one per directory with
// pending children, so at most one per pending directory).
const pendingOverhead = 64

// readDir calls visit for each entry of dir, dirBatch at a time, with dir
// open. When want is set, dir must be that directory: one reached through
// an earlier component of its path swapped for a symlink since it was
// listed is another, refused with safeio.ErrChanged.
//
// visit gets dir (depth levels below the walk's root) as the nearest
// ancestor of its entries, above up (up itself when dir's identity cannot
// be told).
func readDir(ctx context.Context, dir string, want *safeio.FileID, up *ancestor, depth int, visit func(*os.File, *ancestor, *listedEntry) error) error {
	f, err := safeio.OpenDir(dir)
	if err != nil {
		return err
	}
	ld := &listedDir{f: f}
	ld.refs.Store(1) // the walk's, while it reads the directory
	defer ld.release()
	got, ok := safeio.OpenedID(f)
	if want != nil && (!ok || got != *want) {
		return fmt.Errorf("%s: not walked: %w", dir, safeio.ErrChanged)
	}
	here := up
	if ok {
		here = &ancestor{got, depth, up}
	}
	for {
		if err := ctx.Err(); err != nil {
			return visitError{err}
		}
		entries, err := f.ReadDir(dirBatch)
		listed := make([]listedEntry, len(entries)) // one allocation a batch
		for i, e := range entries {
			listed[i] = listedEntry{e, ld}
			if verr := visit(f, here, &listed[i]); verr != nil {
				return visitError{verr}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// listedDir is a directory the walk has open. Its entries' Info and the
// opening of its files go through its descriptor (safeio.StatAt,
// safeio.OpenAt), never through its path again: a parent renamed and
// replaced by a symlink after the listing cannot lead them out of the
// tree. It is closed when the walk has read it and every file handed on
// from it (holdParent) has been opened (release), so the directories held
// open are the one being read plus one per file queued past the walk and
// not yet opened — bounded by that queue, whatever the tree's shape.
type listedDir struct {
	f    *os.File
	refs atomic.Int32
}

// release drops one hold; the last closes the directory.
func (d *listedDir) release() {
	if d.refs.Add(-1) == 0 {
		d.f.Close()
	}
}

// listedEntry is an entry as walkDir lists it: its Info is an fstatat
// (no symlink followed) in the open directory it was listed from. fn must
// not keep it past its call (Info then fails: the directory may be closed).
type listedEntry struct {
	fs.DirEntry
	dir *listedDir
}

// Info is what the listing directory holds as the entry's name now.
func (e *listedEntry) Info() (fs.FileInfo, error) { return safeio.StatAt(e.dir.f, e.Name()) }

// holdParent returns the open directory d was listed from, held open until
// the caller releases it (after safeio.OpenAt), or nil for an entry not
// listed from an open directory (a walk's root). Only from fn, during its
// call: the walk holds the directory then.
func holdParent(d fs.DirEntry) *listedDir {
	e, ok := d.(*listedEntry)
	if !ok {
		return nil
	}
	e.dir.refs.Add(1)
	return e.dir
}

// skipDir is err without fs.SkipDir (it has been acted on).
func skipDir(err error) error {
	if errors.Is(err, fs.SkipDir) {
		return nil
	}
	return err
}

// skipAll is err without fs.SkipAll, which ends a walk without an error.
func skipAll(err error) error {
	if errors.Is(err, fs.SkipAll) {
		return nil
	}
	return err
}
