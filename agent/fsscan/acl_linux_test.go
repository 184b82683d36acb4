//go:build linux

package fsscan

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/sightline-dev/sightline/internal/wire"
)

func aclBytes(entries ...[3]uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 2)
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint16(b, uint16(e[0]))
		b = binary.LittleEndian.AppendUint16(b, uint16(e[1]))
		b = binary.LittleEndian.AppendUint32(b, e[2])
	}
	return b
}

func TestParseACL(t *testing.T) {
	n := newIDNames("")
	got := n.parseACL(aclBytes(
		[3]uint32{0x01, 6, 0xffffffff}, // owner
		[3]uint32{0x02, 4, 0},          // user root: read
		[3]uint32{0x02, 2, 1},          // user 1: write only
		[3]uint32{0x08, 4, 0},          // group root: read
		[3]uint32{0x04, 4, 0xffffffff}, // owning group
		[3]uint32{0x10, 4, 0xffffffff}, // mask: read
		[3]uint32{0x20, 0, 0xffffffff}, // other
	))
	require.Equal(t, []aclReader{{"user", "root"}, {"group", "root"}}, got)
	// A mask without read takes it from every named entry.
	require.Empty(t, n.parseACL(aclBytes([3]uint32{0x02, 4, 0}, [3]uint32{0x10, 2, 0xffffffff})))
	require.Empty(t, n.parseACL([]byte{1, 2, 3}))
}

// A file whose ACL lets user daemon (uid 1) read it lists daemon as a
// reader, via "acl".
func TestACLReaders(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "acl.txt")
	require.NoError(t, os.WriteFile(p, []byte("a@example.com\n"), 0o600))
	err := unix.Setxattr(p, "system.posix_acl_access", aclBytes(
		[3]uint32{0x01, 6, 0xffffffff}, [3]uint32{0x02, 4, 1}, [3]uint32{0x04, 0, 0xffffffff},
		[3]uint32{0x10, 4, 0xffffffff}, [3]uint32{0x20, 0, 0xffffffff}), 0)
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) {
		t.Skipf("no POSIX ACLs on this file system: %v", err)
	}
	require.NoError(t, err)
	n := newIDNames("")
	want := aclReader{"user", n.userName(1)}
	recs, _ := scan(t, Options{Paths: []string{dir}})
	var vias []string
	for _, r := range recs {
		if r.Kind == wire.KindEntitlement && r.PrincipalID == wire.LocalPrincipalID("host-1", want.kind, want.name) {
			vias = append(vias, r.Via...)
		}
	}
	require.Equal(t, []string{"acl"}, vias)
}

// The ACL is read on the file the scan opened, whole: an ACL of 200 named
// users (1.6 KB, more than a 1 KiB buffer holds) lists its readers, and so
// does the ACL of a file past PATH_MAX, which no call by path reaches.
func TestACLReadersOfLargeACLsAndDeepFiles(t *testing.T) {
	entries := [][3]uint32{{0x01, 6, 0xffffffff}} // in the kernel's order: by tag, then id
	for uid := uint32(5000); uid < 5200; uid++ {
		entries = append(entries, [3]uint32{0x02, 4, uid})
	}
	entries = append(entries, [3]uint32{0x04, 0, 0xffffffff}, [3]uint32{0x10, 4, 0xffffffff}, [3]uint32{0x20, 0, 0xffffffff})
	acl := aclBytes(entries...)
	require.Greater(t, len(acl), 1024)
	dir := t.TempDir()
	deep := deepTree(t, dir, 2100, "contact ann@example.com\n")
	require.Greater(t, len(deep), unix.PathMax)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.txt"), []byte("bob@example.org\n"), 0o600))
	for _, p := range []string{filepath.Join(dir, "big.txt"), deep} {
		f, err := openLong(t, p)
		require.NoError(t, err)
		err = unix.Fsetxattr(int(f.Fd()), "system.posix_acl_access", acl, 0)
		f.Close()
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EPERM) {
			t.Skipf("no POSIX ACLs on this file system: %v", err)
		}
		require.NoError(t, err)
	}
	last := wire.LocalPrincipalID("host-1", "user", newIDNames("").userName(5199))
	recs, _ := scan(t, Options{Paths: []string{dir}})
	readers := map[string]int{} // asset id: ACL readers
	for _, r := range recs {
		if r.Kind == wire.KindEntitlement && r.PrincipalID == last {
			readers[r.ResourceID]++
		}
	}
	require.Len(t, readers, 2, "both files list uid 5199 as a reader")
}

// openLong opens a path past PATH_MAX a directory at a time.
func openLong(t *testing.T, p string) (*os.File, error) {
	t.Helper()
	fd := unix.AT_FDCWD
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if part == "" && i == 0 {
			part = "/"
		}
		if part == "" {
			continue
		}
		next, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if fd != unix.AT_FDCWD {
			unix.Close(fd)
		}
		if err != nil {
			return nil, err
		}
		fd = next
	}
	return os.NewFile(uintptr(fd), p), nil
}
