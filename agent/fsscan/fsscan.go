// Package fsscan walks directories, runs a pii.Detector over each text
// file and emits wire records: an asset and its pii records for each file
// with findings, then one scan record.
package fsscan

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/safeio"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options configures a scan.
type Options struct {
	Paths []string
	// Include, when set, holds filepath.Match globs a file's base name or
	// full path must match to be read (directories are always entered).
	Include []string
	// Exclude holds filepath.Match globs, matched against the base name and
	// the full path; a matching directory is not entered.
	Exclude     []string
	MaxFileSize int64 // default 100 MiB
	Detector    pii.Detector
	Tokenizer   *pii.Tokenizer
	Host        string
	AgentID     string
	Concurrency int
	// MaxBytesPerSec caps the read rate across all workers (0: no cap), so
	// a scan stays light on a busy host's disks.
	MaxBytesPerSec int64
	// MaxExpandedBytes bounds what one compressed file or archive may
	// expand to (default 1 GiB); past it the file is reported partial.
	MaxExpandedBytes int64
	// MaxMembers bounds the members read from one archive (default 10000).
	MaxMembers int
	// MaxDepth bounds archives inside archives (default 3: a zip inside a
	// tar.gz is read, a fourth layer is reported and not opened).
	MaxDepth int
	// MaxFileTime bounds the time spent on one file (default 5 minutes);
	// past it the file is reported partial.
	MaxFileTime time.Duration
	// CrossFilesystems lets the walk descend into other mounted file
	// systems (network shares, other disks); by default it stays on the
	// file system of each path, as find -xdev does.
	CrossFilesystems bool
	// Root is the directory read as the system's "/" (a node's file system
	// mounted into a container, or an image): Paths are walked under it,
	// locations, excludes and the skipped pseudo file systems are as the
	// system sees them (without the Root prefix), and owners and groups are
	// named from Root's /etc/passwd and /etc/group, not this process's.
	// Empty or "/": the running system.
	Root string
	// State, when set, makes the scan incremental: files whose size,
	// modification time and inode are unchanged are not read again, and
	// their last results are reported as current. The caller saves it.
	State  *State
	Now    func() time.Time
	Logger *slog.Logger

	hooks *scanHooks // tests only
}

// maxDevices bounds the file systems whose kind a walk remembers.
const maxDevices = 4096

// pseudo file systems never worth reading (by path; pseudoFSAt by kind).
var skipRoots = map[string]bool{"/proc": true, "/sys": true, "/dev": true}

type fileResult struct {
	path      string
	info      fs.FileInfo
	size      int64
	members   []content.Member
	unchanged bool
	linked    bool   // another hard link's read: no bytes read for it
	acl       []byte // its POSIX access ACL, read on the open file
	skipped   bool
	// skipReason, for a file the open refused (no longer a regular file,
	// swapped since the walk saw it), is reported with the path.
	skipReason string
	err        error
}

// walked is a file the walk found, with what it saw (an fstatat in the
// directory it was listed from), so the open can refuse a file swapped in
// between, and that directory, still open, for the open to be relative to
// it (nil for a root that is a file: opened by its path).
type walked struct {
	path string
	seen fs.FileInfo
	dir  *listedDir
}

// open opens the file the walk saw, relative to the directory it was
// listed from, and lets that directory go.
func (w walked) open() (*os.File, error) {
	if w.dir == nil {
		return safeio.OpenSeen(w.path, w.seen)
	}
	defer w.dir.release()
	return safeio.OpenAt(w.dir.f, w.seen.Name(), w.seen)
}

// drop lets the directory go without opening the file.
func (w walked) drop() {
	if w.dir != nil {
		w.dir.release()
	}
}

// scanHooks are test seams: listed runs for a file the walk listed, before
// its stat; opening before a worker opens it.
type scanHooks struct {
	listed, opening func(path string)
	stallAfter      time.Duration // replaces MaxFileTime+stallGrace when set
}

// Scan walks o.Paths, calling emit (from one goroutine at a time) for every
// record; it returns the scan record, which it has also emitted. It fails
// only when it cannot run: a cancelled context, emit failing, or bad options.
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	if o.Detector == nil || o.Tokenizer == nil {
		return nil, errors.New("fsscan: Detector and Tokenizer are required")
	}
	o = o.withDefaults()
	if o.Root != "" && o.Root != "/" {
		// Resolved once: systemPath runs for every file the walk sees.
		root, err := filepath.Abs(o.Root)
		if err != nil {
			return nil, fmt.Errorf("fsscan: root %q: %w", o.Root, err)
		}
		o.Root = root
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	for _, g := range append(append([]string(nil), o.Exclude...), o.Include...) {
		if _, err := filepath.Match(g, ""); err != nil {
			return nil, fmt.Errorf("fsscan: bad glob %q: %w", g, err)
		}
	}
	limiter := content.NewLimiter(o.MaxBytesPerSec)
	run := scanrun.Begin(scanrun.Options{Scanner: "fs", Source: wire.SourceFS, Host: o.Host, AgentID: o.AgentID, Now: o.Now})
	o.State.Begin()
	env := run.Record

	paths := make(chan walked, 64)
	results := make(chan fileResult, 64)
	walkErrs := make(chan string, 64)
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stallAfter := o.MaxFileTime + stallGrace
	if o.hooks != nil && o.hooks.stallAfter > 0 {
		stallAfter = o.hooks.stallAfter
	}
	ww := newWalkWatch(stallAfter, time.Now, paths)
	// report sends a walk problem, unless the scan is ending (the loop
	// below then no longer reads them) or the walk was left behind.
	report := func(msg string) { watchedSend(ctx, ww, walkErrs, msg) }

	var walkWG, workWG sync.WaitGroup
	var readable atomic.Int32 // paths that could be walked (the walk may outlive a stopped loop)
	walkWG.Add(1)
	go func() {
		defer func() {
			if !ww.finish() {
				walkWG.Done() // else the watch did, when it left the walk behind
			}
		}()
		for _, root := range o.Paths {
			if !ww.beat(root) {
				return
			}
			abs, err := o.realPath(root)
			if err != nil {
				report(fmt.Sprintf("%s: %v", root, err))
				continue
			}
			fi, err := os.Lstat(abs)
			if err != nil {
				report(err.Error())
				continue
			}
			if !fi.IsDir() && !fi.Mode().IsRegular() {
				report(fmt.Sprintf("%s: not scanned: %s, neither a directory nor a regular file (a symbolic link is not followed: give the path it leads to)", root, safeio.Kind(fi.Mode())))
				continue
			}
			if name := pseudoFSAt(abs); name != "" {
				report(fmt.Sprintf("%s: not scanned: a %s pseudo file system (the kernel's state, not files of data)", root, name))
				continue
			}
			readable.Add(1)
			rootDev, hasDev := device(abs)
			pseudoDevs := map[uint64]bool{rootDev: false} // other file systems met, pseudo or not
			// elsewhere reports whether the walk must pass by p, a
			// directory or file (a bind-mounted file is a mount point
			// too) on another file system than the root's: all of them
			// by default, pseudo ones (proc, sysfs ...) always. info is
			// an fstatat in the directory p was listed from.
			elsewhere := func(p string, info fs.FileInfo) bool {
				dev, ok := deviceOf(info)
				if !hasDev || !ok || dev == rootDev {
					return false
				}
				if !o.CrossFilesystems {
					return true
				}
				pseudo, known := pseudoDevs[dev]
				if !known && len(pseudoDevs) < maxDevices {
					pseudo = pseudoFSAt(p) != ""
					pseudoDevs[dev] = pseudo
				}
				return pseudo
			}
			_ = walkDir(ctx, abs, func(p string, d fs.DirEntry, err error) error {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if !ww.beat(p) {
					return fs.SkipAll // left behind: the scan ended without this walk
				}
				if err != nil {
					report(err.Error())
					if d != nil && d.IsDir() {
						return fs.SkipDir
					}
					return nil
				}
				if d.IsDir() {
					if sp := o.systemPath(p); p != abs && (skipRoots[sp] || excluded(o.Exclude, sp)) {
						return fs.SkipDir
					}
					if p == abs {
						return nil
					}
					// The device of the directory listed (an fstatat in
					// its parent), not of whatever its path leads to.
					info, err := d.Info()
					if err != nil {
						return fs.SkipDir // gone since listed
					}
					if elsewhere(p, info) {
						return fs.SkipDir // a mount point: another (or a pseudo) file system
					}
					return nil
				}
				// Symlinks are not followed (loops, escaping the tree);
				// sockets, devices and pipes are not files to read.
				sp := o.systemPath(p)
				if !d.Type().IsRegular() || excluded(o.Exclude, sp) || (len(o.Include) > 0 && !excluded(o.Include, sp)) {
					return nil
				}
				if o.hooks != nil && o.hooks.listed != nil {
					o.hooks.listed(p)
				}
				// An fstatat in the open directory listed, not a stat of p.
				seen, err := d.Info()
				if err != nil {
					return nil // gone since the directory was listed
				}
				if elsewhere(p, seen) {
					return nil // a file mounted from another (or a pseudo) file system
				}
				w := walked{p, seen, holdParent(d)}
				if !watchedSend(ctx, ww, paths, w) {
					w.drop()
					return fs.SkipAll // the scan is ending, or the walk was left behind
				}
				return nil
			})
		}
	}()
	lk := newLinks()
	watch := newStalls(stallAfter, time.Now)
	spawn := func() {
		workWG.Add(1)
		go func() {
			sl := watch.join()
			sc := content.NewScanner(o.content(limiter))
			for p := range paths {
				if ctx.Err() != nil {
					p.drop()
					continue // stopping: drain what the walk queued, read nothing
				}
				watch.start(sl, p.path)
				if o.hooks != nil && o.hooks.opening != nil {
					o.hooks.opening(p.path)
				}
				r := scanFile(ctx, p, o, sc, lk)
				if !watch.done(sl) {
					return // left behind (see stalls): counted done, replaced
				}
				select {
				case results <- r:
				case <-ctx.Done(): // stopping: r is not wanted; drain
				}
			}
			watch.leave(sl)
			workWG.Done()
		}()
	}
	for w := 0; w < o.Concurrency; w++ {
		spawn()
	}
	var stalledStop atomic.Bool
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		tick := time.NewTicker(min(max(stallAfter/4, 5*time.Millisecond), time.Second))
		defer tick.Stop()
		for {
			select {
			case <-finished:
				return
			case <-tick.C:
			}
			if ww.check() {
				walkWG.Done() // the walk's, which it will not do
			}
			n, over := watch.check()
			if over && !stalledStop.Swap(true) {
				cancel() // before the Dones below may end the scan
			}
			for range n {
				if !over {
					spawn() // before Done: the count never reaches 0 early
				}
				workWG.Done()
			}
		}
	}()
	go func() { walkWG.Wait(); workWG.Wait(); close(results); close(walkErrs) }()

	stats := run.Stats
	for _, k := range []string{"files", "bytes", "skipped", "assets_with_pii", "unchanged", "hard_links"} {
		stats[k] = 0
	}
	addErr := run.Problem
	var emitErr error
	names := newIDNames(o.Root)
loop:
	for results != nil || walkErrs != nil {
		select {
		case <-ctx.Done():
			// Cancelled, emit failed or too many reads stalled: what
			// is still under way is not wanted, and a worker in a read
			// that never returns must not hold the scan.
			break loop
		case msg, ok := <-walkErrs:
			if !ok {
				walkErrs = nil
				continue
			}
			addErr(msg)
		case r, ok := <-results:
			if !ok {
				results = nil
				continue
			}
			switch {
			case r.err != nil:
				addErr(r.err.Error())
				continue
			case r.skipped:
				stats["skipped"]++
				if r.skipReason != "" {
					addErr(r.skipReason)
				}
				continue
			}
			stats["files"]++
			remember(o.State, r.path, r.info, r.members)
			switch {
			case r.unchanged:
				stats["unchanged"]++
			case r.linked:
				stats["hard_links"]++
			default:
				stats["bytes"] += r.size
			}
			for _, m := range r.members {
				if m.Partial != "" {
					addErr(fmt.Sprintf("%s: partial: %s", wire.MemberLocation(o.systemPath(r.path), m.Name), m.Partial))
				}
			}
			if emitErr != nil {
				continue
			}
			n, err := emitFile(r, o, names, env, emit, addErr)
			stats["assets_with_pii"] += int64(n)
			if err != nil {
				emitErr = err
				cancel()
			}
		}
	}
	if emitErr != nil {
		return nil, emitErr
	}
	if err := parent.Err(); err != nil {
		return nil, fmt.Errorf("fs scan cancelled: %w", err)
	}
	for _, p := range watch.problems() {
		addErr(p)
	}
	if p := ww.problem(); p != "" {
		addErr(p)
	}
	if stalledStop.Load() {
		addErr(fmt.Sprintf("scan stopped: more than %d reads did not return (check the file systems named above)", maxStalled))
	}

	status := run.Status()
	if readable.Load() == 0 {
		status = wire.StatusFailed
	}
	return run.Finish(status, emit)
}

// realPath is where the system's path p is read: under Root when set.
func (o Options) realPath(p string) (string, error) {
	if o.Root == "" || o.Root == "/" {
		return filepath.Abs(p)
	}
	// Join cleans "..": a configured path cannot climb out of Root.
	return filepath.Join(o.Root, filepath.Join("/", p)), nil
}

// systemPath is the path the system knows a file read at p by: p without
// the Root prefix (Scan has made Root absolute).
func (o Options) systemPath(p string) string {
	if o.Root == "" || o.Root == "/" {
		return p
	}
	rel, err := filepath.Rel(o.Root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return p
	}
	return filepath.Join("/", rel)
}

// emitFile emits an asset and its pii records for the file itself and for
// each archive member with findings; it returns how many assets it emitted.
func emitFile(r fileResult, o Options, names *idNames, env func(string) wire.Record, emit func(*wire.Record) error, problem func(string)) (int, error) {
	n := 0
	var acl []aclReader
	aclRead := false
	for _, m := range r.members {
		if len(m.Results) == 0 {
			continue
		}
		loc := wire.FileLocation(o.systemPath(r.path))
		if m.Name != "" {
			loc = wire.MemberLocation(loc, m.Name)
		}
		loc, shortened := wire.FitLocation(loc)
		id := wire.AssetID(wire.SourceFS, o.Host, loc)
		asset := env(wire.KindAsset)
		asset.AssetID, asset.AssetType, asset.Location = id, "file", loc
		asset.Size = r.info.Size()
		mt := r.info.ModTime().UTC().Truncate(time.Second)
		asset.ModifiedAt = &mt
		mode := r.info.Mode().Perm()
		// A member is as readable as the archive holding it.
		asset.Owner = names.owner(r.info)
		asset.Attributes = map[string]string{
			"mode":           fmt.Sprintf("%04o", mode),
			"world_readable": strconv.FormatBool(mode&0o004 != 0),
		}
		if g := names.group(r.info); g != "" {
			asset.Attributes["group"] = g
		}
		if m.Partial != "" {
			asset.Attributes["partial"] = m.Partial
		}
		if shortened {
			asset.Attributes["location_shortened"] = "true"
			problem(fmt.Sprintf("%s: location longer than a record holds (%d bytes): reported shortened", loc, wire.MaxStringLen))
		}
		if err := emit(&asset); err != nil {
			return n, err
		}
		n++
		// Who can read it, by its mode bits: the owner, the group (whose
		// members the host scan reports) and everyone; and the users and
		// groups its POSIX ACL names (an archive member: the archive's).
		type readerBy struct {
			bit        fs.FileMode
			kind, name string
			via        string
		}
		readers := []readerBy{
			{0o400, "user", asset.Owner, "owner"},
			{0o040, "group", asset.Attributes["group"], "group"},
			{0o004, "everyone", "", "world-readable"},
		}
		if !aclRead {
			acl, aclRead = names.parseACL(r.acl), true
		}
		for _, a := range acl {
			readers = append(readers, readerBy{0o777, a.kind, a.name, "acl"})
		}
		for _, rd := range readers {
			if mode&rd.bit == 0 || (rd.kind != "everyone" && rd.name == "") {
				continue
			}
			e := env(wire.KindEntitlement)
			e.PrincipalID = wire.LocalPrincipalID(o.Host, rd.kind, rd.name)
			e.ResourceID, e.ResourceType, e.Permission, e.Via = id, "file", "read", []string{rd.via}
			if err := emit(&e); err != nil {
				return n, err
			}
		}
		if err := content.EmitFindings(env, id, loc, m.Results, emit); err != nil {
			return n, err
		}
	}
	return n, nil
}

// scanFile reads one file whole (bounded by MaxFileSize) and detects,
// through sc, which one worker reuses across files.
//
// The open never blocks and never follows a symlink, is relative to the
// open directory the walk listed the file from (a parent swapped for a
// symlink since does not lead it elsewhere), and what it opened must be
// the regular file the walk saw: a FIFO, device or symlink swapped in
// since is refused (skipped and reported), never read.
//
// A file with several hard links is read once (lk): its other links get
// that read's members.
func scanFile(ctx context.Context, w walked, o Options, sc *content.Scanner, lk *links) fileResult {
	p := w.path
	r := fileResult{path: p}
	f, err := w.open()
	if safeio.Skipped(err) {
		r.skipped, r.skipReason = true, err.Error()
		return r
	}
	if err != nil {
		r.err = err
		return r
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		r.err = err
		return r
	}
	r.info = info
	// A file larger than MaxFileSize is read up to it and reported
	// partial (as object scans sample a large object's first bytes): a
	// 20 GB log's first 100 MiB say whether it holds personal data.
	if !info.Mode().IsRegular() {
		r.skipped = true
		return r
	}
	if ms, ok := unchanged(o.State, p, info); ok {
		r.members, r.unchanged, r.size = ms, true, info.Size()
		if withResults(ms) {
			r.acl = readACL(f)
		}
		return r
	}
	lr, first := lk.claim(info)
	if lr != nil && !first {
		if ms, ok := lr.wait(ctx); ok {
			r.members, r.linked = ms, true
			r.skipped = len(ms) == 1 && ms[0].Binary()
			if withResults(ms) {
				r.acl = readACL(f)
			}
			return r
		}
		// That read came to nothing (or the scan is stopping): read it.
	}
	r.members, r.size, err = sc.Read(ctx, p, f, f, info.Size())
	if first {
		lr.finish(r.members, err == nil)
	}
	if withResults(r.members) {
		r.acl = readACL(f)
	}
	if len(r.members) == 1 && r.members[0].Binary() {
		r.skipped = true
	}
	if err != nil {
		r.err = fmt.Errorf("%s: %w", p, err)
	}
	return r
}

// withResults reports whether any member has findings (its file is
// reported, with who may read it).
func withResults(ms []content.Member) bool {
	for _, m := range ms {
		if len(m.Results) > 0 {
			return true
		}
	}
	return false
}

// excluded reports whether p's base name or full path matches a glob.
func excluded(globs []string, p string) bool {
	base := filepath.Base(p)
	for _, g := range globs {
		if ok, _ := filepath.Match(g, base); ok {
			return true
		}
		if ok, _ := filepath.Match(g, p); ok {
			return true
		}
	}
	return false
}

// withDefaults fills the limits a caller left at zero.
func (o Options) withDefaults() Options {
	o.MaxFileSize = defaults.Positive(o.MaxFileSize, 100<<20)
	o.Concurrency = defaults.Positive(o.Concurrency, 2)
	c := o.content(nil).WithDefaults()
	o.MaxExpandedBytes, o.MaxMembers, o.MaxDepth, o.MaxFileTime = c.MaxExpandedBytes, c.MaxMembers, c.MaxDepth, c.MaxFileTime
	return o
}

// content is what reading one file's content needs of the options.
func (o Options) content(limiter *rate.Limiter) content.Options {
	return content.Options{Detector: o.Detector, Tokenizer: o.Tokenizer, MaxFileSize: o.MaxFileSize, MaxExpandedBytes: o.MaxExpandedBytes,
		MaxMembers: o.MaxMembers, MaxDepth: o.MaxDepth, MaxFileTime: o.MaxFileTime, Limiter: limiter}
}
