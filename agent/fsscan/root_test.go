//go:build unix

package fsscan

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// A node's file system mounted into a container at Root: the agent reports
// what the node sees — /srv/…, not ROOT/srv/… — names owners from the
// node's /etc/passwd and /etc/group, and a configured path cannot climb
// out of Root.
func TestRootIsReadAsTheSystem(t *testing.T) {
	root := t.TempDir()
	// As root, give the file ids this machine has no names for, so only
	// Root's files can name them; otherwise the test user's own ids.
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		uid, gid = 4242, 4343
	}
	write := func(rel, body string, mode os.FileMode) {
		p := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), mode))
	}
	write("etc/passwd", fmt.Sprintf("root:x:0:0:root:/root:/bin/bash\nnodeuser:x:%d:%d::/home/nodeuser:/bin/sh\n", uid, gid), 0o644)
	write("etc/group", fmt.Sprintf("root:x:0:\nnodegroup:x:%d:\n", gid), 0o644)
	write("srv/app/customers.csv", "name,email\nAnn,ann.smith@example.com\n", 0o644)
	write("srv/app/skip.log", "bob@example.com\n", 0o644)
	if os.Getuid() == 0 {
		require.NoError(t, os.Chown(filepath.Join(root, "srv/app/customers.csv"), uid, gid))
	}
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("eve@example.com\n"), 0o644))

	recs, res := scan(t, Options{Root: root, Paths: []string{"/srv", "/../" + filepath.Base(outside)},
		Exclude: []string{"/srv/app/*.log"}})
	var assets []wire.Record
	for _, r := range recs {
		if r.Kind == wire.KindAsset {
			assets = append(assets, r)
		}
	}
	require.Len(t, assets, 1, "the excluded file (matched as the system sees it) and the path outside Root are not read")
	a := assets[0]
	require.Equal(t, "file:///srv/app/customers.csv", a.Location)
	require.Equal(t, "nodeuser", a.Owner, "the owner is named from Root's /etc/passwd")
	require.Equal(t, "nodegroup", a.Attributes["group"])
	for _, r := range recs {
		require.NotContains(t, r.Location, root, "no record names the mount point")
	}
	require.Equal(t, wire.StatusPartial, res.Status, "the climbing path is reported missing under Root")
}

func TestSystemPath(t *testing.T) {
	for _, c := range []struct{ root, p, want string }{
		{"", "/srv/a", "/srv/a"},
		{"/", "/srv/a", "/srv/a"},
		{"/host", "/host/srv/a", "/srv/a"},
		{"/host", "/host", "/"},
		{"/host", "/elsewhere/a", "/elsewhere/a"},
	} {
		require.Equal(t, c.want, Options{Root: c.root}.systemPath(c.p), "%+v", c)
	}
	p, err := Options{Root: "/host"}.realPath("../../etc/shadow")
	require.NoError(t, err)
	require.Equal(t, "/host/etc/shadow", p, "a path cannot climb out of Root")
}
