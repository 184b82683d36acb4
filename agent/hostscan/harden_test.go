//go:build unix

package hostscan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/sightline-dev/sightline/internal/wire"
)

// hostileRoot builds an image whose files try to stall or mislead the
// scan: FIFOs and a device where files belong, includes and symlinks that
// lead out of the image to files holding marker. It returns the image.
func hostileRoot(t *testing.T) (root, marker string) {
	t.Helper()
	base := t.TempDir()
	root, outside := filepath.Join(base, "image"), filepath.Join(base, "outside")
	marker = "MARKER" + strings.ReplaceAll(filepath.Base(base), "-", "")
	write := func(dir, name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	link := func(target, name string) {
		t.Helper()
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.Symlink(target, p))
	}
	fifo := func(name string) {
		t.Helper()
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, unix.Mkfifo(p, 0o644))
	}

	// Outside the image: what must never be read.
	write(outside, "sudoers", marker+" ALL=(ALL) NOPASSWD: ALL\n")
	write(outside, "sudoers.d/evil", marker+"2 ALL=(ALL) NOPASSWD: ALL\n")
	write(outside, "etc/shadow", "alice::19000:0:99999:7:::\nbob::19000:0:99999:7:::\n# "+marker+"\n")
	write(outside, "authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHbbI7tqJZqM5n1B7Cq2wH6yDdQvxv3vAl2sS1SG2LlW "+marker+"\n")

	write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"+
		"alice:x:1000:1000::/home/alice:/bin/bash\n"+
		"bob:x:1001:1001::/home/bob:/bin/bash\n"+
		"carol:x:1002:1002::/home/carol:/bin/bash\n")
	write(root, "etc/group", "root:x:0:\nsudo:x:27:alice\nalice:x:1000:\nbob:x:1001:\ncarol:x:1002:\n")
	// The image's shadow is an absolute symlink: resolved inside the image,
	// where it does not exist, never to the host's path.
	link(filepath.Join(outside, "etc", "shadow"), "etc/shadow")
	// sudoers climbs out with "/..", relative and absolute includes.
	rel, err := filepath.Rel(root, outside)
	require.NoError(t, err)
	write(root, "etc/sudoers", "root ALL=(ALL:ALL) ALL\n"+
		"@include /../"+filepath.Base(outside)+"/sudoers\n"+
		"#include "+rel+"/sudoers\n"+
		"@include "+filepath.Join(outside, "sudoers")+"\n"+
		"#includedir /../../../../"+filepath.Base(outside)+"/sudoers.d\n"+
		"@includedir /etc/sudoers.d\n")
	link(filepath.Join(outside, "sudoers.d"), "etc/sudoers.d/../linked.d") // a directory symlink out
	write(root, "etc/sudoers.d/10-ok", "%sudo ALL=(ALL:ALL) ALL\n")
	fifo("etc/sudoers.d/20-fifo")
	link("/../../../../"+filepath.Base(base)+"/outside/sudoers", "etc/sudoers.d/30-link")
	write(root, "etc/ssh/sshd_config", "Include /../"+filepath.Base(outside)+"/*\nInclude /etc/ssh/fifo\nPermitRootLogin no\n")
	fifo("etc/ssh/fifo")

	fifo("home/alice/.ssh/authorized_keys")
	link("/dev/urandom", "home/bob/.ssh/authorized_keys")
	// Inside the image, /dev/urandom is a real device when the test may
	// make one (root); otherwise the link leads nowhere, which is also
	// not a read.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "dev"), 0o755))
	_ = unix.Mknod(filepath.Join(root, "dev", "urandom"), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 9)))
	link(filepath.Join(outside, "authorized_keys"), "home/carol/.ssh/authorized_keys")
	return root, marker
}

func TestHostileRootNeitherStallsNorLeaves(t *testing.T) {
	root, marker := hostileRoot(t)
	type result struct {
		recs []wire.Record
		res  *wire.Record
		err  error
	}
	done := make(chan result, 1)
	go func() {
		no := false
		var r result
		r.res, r.err = Scan(context.Background(), Options{Root: root, Host: "h1", Inventory: &no}, func(rec *wire.Record) error {
			r.recs = append(r.recs, *rec)
			return nil
		})
		done <- r
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second): // a hang guard, not a speed check
		t.Fatal("host scan blocked on a FIFO or a device")
	}
	require.NoError(t, r.err)
	require.Equal(t, wire.StatusPartial, r.res.Status)

	all := strings.Join(r.res.Errors, "\n")
	for _, rec := range r.recs {
		b, err := wire.Marshal(&rec)
		require.NoError(t, err)
		require.NotContains(t, string(b), marker, "a record holds what is outside the image")
		if rec.Kind == wire.KindEntitlement {
			require.NotEqual(t, "ssh_key", rec.Permission, "a key was read: %v", rec.Via)
		}
		if rec.Kind == wire.KindPrincipal && rec.PrincipalType == "user" {
			_, hasPassword := rec.Attributes["password"]
			require.False(t, hasPassword, "%s: the shadow file outside the image was read", rec.Name)
		}
	}
	require.Contains(t, all, "/home/alice/.ssh/authorized_keys: skipped: a FIFO, not a regular file")
	if _, err := os.Lstat(filepath.Join(root, "dev", "urandom")); err == nil {
		require.Contains(t, all, "/home/bob/.ssh/authorized_keys: skipped: a character device, not a regular file")
	}
	require.Contains(t, all, "/etc/sudoers.d/20-fifo skipped: not a regular file")
	require.Contains(t, all, "/etc/ssh/fifo:0: skipped: not a regular file")
	require.Contains(t, all, "/etc/shadow:0: unreadable (missing)")
	require.GreaterOrEqual(t, r.res.Stats["skipped"], int64(3))

	// The rules inside the image are still read.
	var sudo []string
	for _, rec := range r.recs {
		if rec.Kind == wire.KindEntitlement && strings.HasPrefix(rec.Permission, "sudo") {
			sudo = append(sudo, rec.Via[0])
		}
	}
	require.ElementsMatch(t, []string{"sudoers /etc/sudoers:1: root ALL = (ALL : ALL) ALL",
		"sudoers /etc/sudoers.d/10-ok:1: %sudo ALL = (ALL : ALL) ALL"}, sudo)
}

func TestScanStopsWhenCancelled(t *testing.T) {
	root, _ := hostileRoot(t)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	no := false
	_, err := Scan(ctx, Options{Root: root, Host: "h1", Inventory: &no}, func(rec *wire.Record) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
}
