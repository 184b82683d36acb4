//go:build linux

package fsscan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"golang.org/x/sys/unix"

	"github.com/sightline-dev/sightline/internal/wire"
)

// deepTree makes levels nested directories named d under dir (relative
// opens: the path soon exceeds PATH_MAX) and writes content to a file in
// the deepest; it returns that file's path.
func deepTree(t *testing.T, dir string, levels int, content string) string {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	require.NoError(t, err)
	for i := 0; i < levels; i++ {
		require.NoError(t, unix.Mkdirat(fd, "d", 0o755))
		next, err := unix.Openat(fd, "d", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		require.NoError(t, err)
		unix.Close(fd)
		fd = next
	}
	defer unix.Close(fd)
	f, err := unix.Openat(fd, "deep.txt", unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o644)
	require.NoError(t, err)
	_, err = unix.Write(f, []byte(content))
	require.NoError(t, err)
	require.NoError(t, unix.Close(f))
	return dir + strings.Repeat("/d", levels) + "/deep.txt"
}

// A tree 3,000 levels deep holds files whose paths (6 KB) are longer than
// PATH_MAX: a walk that opens each directory by its path stops at the
// 2,000th level with ENAMETOOLONG and never reads them. The walk reaches
// and reports them, as a file at the top is.
func TestScanReachesFilesPastPathMax(t *testing.T) {
	dir := t.TempDir()
	deep := deepTree(t, dir, 3000, "contact ann@example.com\n")
	require.Greater(t, len(deep), unix.PathMax)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "top.txt"), []byte("bob@example.org\n"), 0o644))

	recs, res := scan(t, Options{Paths: []string{dir}})
	require.Len(t, res.Errors, 1, "its location is shortened (TestLongLocationsAreReportedShortened)")
	require.Contains(t, res.Errors[0], "reported shortened")
	require.Equal(t, map[string]int64{"top.txt email": 1, "deep.txt email": 1}, piiCounts(recs))
	ids := map[string]string{}
	for _, r := range recs {
		if r.Kind == wire.KindAsset {
			ids[r.AssetID] = r.Location
		}
	}
	fit, short := wire.FitLocation(wire.FileLocation(deep))
	require.True(t, short)
	loc := ids[wire.AssetID(wire.SourceFS, "host-1", fit)]
	require.True(t, strings.HasSuffix(loc, "/d/d/deep.txt"), "the deep file is reported under the id of the location it carries (the collector derives it again)")
}

// A location longer than a record may hold (4 KiB) makes the collector
// refuse the whole batch the record is in, losing every other file's
// findings with it. Three ways a file's location gets there: a path past
// PATH_MAX (TestScanReachesFilesPastPathMax), a path within it whose bytes
// are escaped three for one in the URI, and an archive member's name (a
// zip allows 64 KiB). Each is reported, with a location a record holds,
// under the asset id of its whole location.
func TestLongLocationsAreReportedShortened(t *testing.T) {
	dir := t.TempDir()
	escaped := dir
	for i := 0; i < 8; i++ { // 8 names of 200 bytes 0xff: 4.8 KB escaped
		escaped = filepath.Join(escaped, strings.Repeat("\xff", 200))
	}
	require.NoError(t, os.MkdirAll(escaped, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(escaped, "esc.txt"), []byte("contact ann@example.com\n"), 0o644))
	member := strings.Repeat("m", 6000) + ".txt"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "long.zip"), zipOf(t, map[string][]byte{member: []byte("SSN: 123-45-6780\n")}), 0o644))

	recs, res := scan(t, Options{Paths: []string{dir}})
	found := map[string]bool{}
	for _, r := range recs {
		require.LessOrEqual(t, len(r.Location), wire.MaxStringLen)
		if r.Kind == wire.KindPII {
			found[r.Type] = true
		}
		if r.Kind == wire.KindAsset {
			require.Equal(t, "true", r.Attributes["location_shortened"], r.Location)
		}
	}
	require.Equal(t, map[string]bool{"email": true, "us_ssn": true}, found)
	require.Len(t, res.Errors, 2, "each shortening is a problem")
}

// A pseudo file system (proc, sysfs, ...) holds the kernel's state, not
// data, and files whose read never ends (/proc/kmsg blocks a read for
// ever, so a scan of /proc never finished). Given as a path to scan, it is
// refused with a problem; mounted inside the tree (a bind mount of /proc)
// it is not entered even when the walk crosses file systems.
func TestPseudoFileSystemsAreNotRead(t *testing.T) {
	t.Run("a path to scan", func(t *testing.T) {
		for _, p := range []string{"/proc/self/fdinfo", "/sys/kernel"} {
			recs, res := scan(t, Options{Paths: []string{p}, CrossFilesystems: true})
			require.EqualValues(t, 0, res.Stats["files"], p)
			require.Empty(t, piiCounts(recs))
			require.Len(t, res.Errors, 1, p)
			require.Contains(t, res.Errors[0], "pseudo file system", p)
			require.Equal(t, wire.StatusFailed, res.Status, "nothing could be scanned")
		}
	})
	t.Run("mounted in the tree", func(t *testing.T) {
		dir := t.TempDir()
		mnt := filepath.Join(dir, "p")
		require.NoError(t, os.Mkdir(mnt, 0o755))
		if out, err := exec.Command("mount", "-t", "proc", "proc", mnt).CombinedOutput(); err != nil {
			t.Skipf("cannot mount proc here (%v: %s)", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
		require.NoError(t, os.WriteFile(filepath.Join(dir, "here.txt"), []byte("a@example.com\n"), 0o644))
		// Only the status files, so that the scan before this change ended.
		_, res := scan(t, Options{Paths: []string{dir}, CrossFilesystems: true, Include: []string{"status", "*.txt"}})
		require.EqualValues(t, 1, res.Stats["files"])
		require.Empty(t, res.Errors)
	})
}

// A file hard-linked many times (a farm of links, a backup tool's
// snapshots) is one file: it is read once, and each link is reported as
// the file it is (its own location, the same findings), so a 100 MB file
// linked 10,000 times is 100 MB read, not 1 TB.
func TestHardLinksAreReadOnce(t *testing.T) {
	dir := t.TempDir()
	body := "email\n" + strings.Repeat("ann@example.com\n", 4096)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "base.csv"), []byte(body), 0o644))
	const links = 200
	for i := 0; i < links; i++ {
		require.NoError(t, os.Link(filepath.Join(dir, "base.csv"), filepath.Join(dir, fmt.Sprintf("l%03d.csv", i))))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.csv"), []byte(body), 0o644))

	for _, conc := range []int{1, 4} {
		recs, res := scan(t, Options{Paths: []string{dir}, Concurrency: conc})
		require.Empty(t, res.Errors)
		require.EqualValues(t, links+2, res.Stats["files"])
		require.EqualValues(t, links+2, res.Stats["assets_with_pii"], "every link is reported")
		require.EqualValues(t, 2*len(body), res.Stats["bytes"], "the linked file is read once, the other file once")
		require.EqualValues(t, links, res.Stats["hard_links"])
		counts := piiCounts(recs)
		require.Len(t, counts, links+2)
		for k, n := range counts {
			require.EqualValues(t, 4096, n, k)
		}
	}
}

// The owners of files under Root are named from Root's /etc/passwd and
// /etc/group, which are the image's, not to be trusted: a FIFO there
// blocked the scan for ever (an open that waits for a writer), and a
// symlink to the host's /etc/group named owners from this system's
// accounts. They are read confined to Root, as regular files of bounded
// size; one that is not is as if absent (ids stay numeric).
func TestRootAccountFilesAreReadConfined(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "data"), 0o755))
	require.NoError(t, unix.Mkfifo(filepath.Join(root, "etc", "passwd"), 0o644))
	outside := filepath.Join(t.TempDir(), "group")
	require.NoError(t, os.WriteFile(outside, []byte("hostonly:x:0:\n"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "etc", "group")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "data", "a.txt"), []byte("ann@example.com\n"), 0o644))

	done := make(chan []wire.Record, 1)
	go func() {
		recs, _ := scan(t, Options{Paths: []string{"/data"}, Root: root})
		done <- recs
	}()
	select {
	case recs := <-done:
		require.Equal(t, map[string]int64{"a.txt email": 1}, piiCounts(recs))
		for _, r := range recs {
			if r.Kind == wire.KindAsset {
				require.Equal(t, "0", r.Owner, "the FIFO passwd names no one")
				require.Equal(t, "0", r.Attributes["group"], "the group file outside Root names no one")
			}
		}
	case <-time.After(20 * time.Second):
		// Not a timing assertion: the scan blocks for ever on the FIFO.
		require.FailNow(t, "the scan is blocked opening the FIFO /etc/passwd")
	}
}

// A path to scan that is not a directory or a regular file (a symlink, a
// FIFO, a device) was skipped without a word: the scan said "ok" having
// read nothing. It is a problem naming what the path is, and a scan that
// could read none of its paths failed. A symlink is not followed (it may
// have been planted since the path was configured).
func TestPathsThatAreNeitherFilesNorDirectories(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	require.NoError(t, os.Mkdir(data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "a.txt"), []byte("ann@example.com\n"), 0o644))
	link, fifo := filepath.Join(dir, "link"), filepath.Join(dir, "fifo")
	require.NoError(t, os.Symlink(data, link))
	require.NoError(t, unix.Mkfifo(fifo, 0o644))
	for _, tc := range []struct{ path, what string }{
		{link, "a symbolic link"},
		{fifo, "a FIFO"},
		{"/dev/null", "a character device"},
	} {
		recs, res := scan(t, Options{Paths: []string{tc.path}})
		require.Empty(t, piiCounts(recs))
		require.Len(t, res.Errors, 1, tc.path)
		require.Contains(t, res.Errors[0], tc.path+": not scanned: "+tc.what, tc.path)
		require.Equal(t, wire.StatusFailed, res.Status, tc.path)
	}
}

// A directory bind-mounted inside itself is a loop the kernel allows: 12
// recursive binds of a directory into its own subdirectories made the walk
// report one file 4,096 times (2^12), and more binds double it each. As
// find does, a directory that is one of its own ancestors (same device and
// inode) is not entered, and the loop is a problem.
func TestBindMountLoopsAreNotWalked(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	require.NoError(t, os.Mkdir(a, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(a, "f.txt"), []byte("ann@example.com\n"), 0o644))
	for i := 0; i < 6; i++ {
		m := filepath.Join(a, fmt.Sprintf("m%d", i))
		require.NoError(t, os.Mkdir(m, 0o755))
		if out, err := exec.Command("mount", "--rbind", a, m).CombinedOutput(); err != nil {
			t.Skipf("cannot bind-mount here (%v: %s)", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", "-R", "-l", m).Run() })
	}
	recs, res := scan(t, Options{Paths: []string{dir}})
	require.Equal(t, map[string]int64{"f.txt email": 1}, piiCounts(recs))
	require.EqualValues(t, 1, res.Stats["files"], "read once, not 2^6 times")
	require.Len(t, res.Errors, 6)
	for _, e := range res.Errors {
		require.Contains(t, e, "file system loop (the same directory as "+a+",")
	}
}

// A file can be a mount point too: /proc/kmsg bind-mounted over a file in
// the tree blocked the scan for ever (its read never ends), as the walk
// checked the file system of directories only. A file mounted from
// another file system is read only when the walk crosses file systems,
// and never from a pseudo one.
func TestFilesMountedFromOtherFileSystems(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "none", other).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", other).Run() })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "here.txt"), []byte("a@example.com\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(other, "there.txt"), []byte("b@example.com\n"), 0o644))
	for target, source := range map[string]string{"there.txt": filepath.Join(other, "there.txt"), "version.txt": "/proc/version"} {
		p := filepath.Join(dir, target)
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		if out, err := exec.Command("mount", "--bind", source, p).CombinedOutput(); err != nil {
			t.Skipf("cannot bind-mount a file here (%v: %s)", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", "-l", p).Run() })
	}
	recs, res := scan(t, Options{Paths: []string{dir}})
	require.Equal(t, map[string]int64{"here.txt email": 1}, piiCounts(recs))
	require.EqualValues(t, 1, res.Stats["files"], "neither mounted file is read")
	recs, res = scan(t, Options{Paths: []string{dir}, CrossFilesystems: true})
	require.Equal(t, map[string]int64{"here.txt email": 1, "there.txt email": 1}, piiCounts(recs))
	require.EqualValues(t, 2, res.Stats["files"], "the file from proc is not read")
}

// links keeps a file's findings only until its last link is met, and no
// more than maxLinked files' at once.
func TestLinksKeepFindingsUntilTheLastLink(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	require.NoError(t, os.Link(p, p+"2"))
	require.NoError(t, os.Link(p, p+"3"))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	lk := newLinks()
	r, first := lk.claim(fi)
	require.True(t, first)
	r.finish(nil, true)
	for i := 0; i < 2; i++ {
		again, first := lk.claim(fi)
		require.False(t, first)
		require.Same(t, r, again)
	}
	require.Empty(t, lk.m, "all 3 links met")

	single := filepath.Join(dir, "single")
	require.NoError(t, os.WriteFile(single, []byte("x"), 0o644))
	fi, err = os.Stat(single)
	require.NoError(t, err)
	r, first = lk.claim(fi)
	require.Nil(t, r, "a file of one link is not kept")
	require.False(t, first)
}

// A directory past PATH_MAX is opened a PATH_MAX piece at a time, each
// piece resolved by the kernel component by component: a chain of n
// directories costs n² lookups (20,000 levels: 48 s; 100,000: about 20
// min). The walk stops at maxWalkDepth levels (3,000 and more are
// reached: TestScanReachesFilesPastPathMax), and says so.
func TestWalkDirStopsAtMaxDepth(t *testing.T) {
	dir := t.TempDir()
	deepTree(t, dir, 60, "ann@example.com\n")
	var errs []string
	deepest := 0
	err := walkDirDeep(context.Background(), dir, maxPendingBytes, 50, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, err.Error())
			return fs.SkipDir
		}
		deepest = max(deepest, strings.Count(p[len(dir):], "/"))
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 50, deepest, "the 50th level is listed, not entered")
	require.Len(t, errs, 1)
	require.Contains(t, errs[0], "not walked: more than 50 levels below the path scanned")
	require.GreaterOrEqual(t, maxWalkDepth, 3000)
}
