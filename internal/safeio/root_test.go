package safeio

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// rootFixture builds an image whose symlinks and names all try to leave
// it, and an outside directory whose files hold a marker that must never
// be read through the root.
func rootFixture(t *testing.T) (root, outside, marker string) {
	t.Helper()
	outside = t.TempDir()
	marker = "OUTSIDE-MARKER-" + filepath.Base(outside)
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "etc"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "etc", "shadow"), []byte(marker+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "x"), []byte(marker+"\n"), 0o644))

	root = t.TempDir()
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	must(os.MkdirAll(filepath.Join(root, "etc", "sub"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "opt"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("inside-passwd\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "etc", "shadow"), []byte("inside-shadow\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "x"), []byte("inside-x\n"), 0o644))
	ln := func(target, name string) { t.Helper(); must(os.Symlink(target, filepath.Join(root, name))) }
	ln("/etc/passwd", "etc/abs")                           // absolute, inside: the image's passwd
	ln(filepath.Join(outside, "etc", "shadow"), "etc/out") // absolute, to a host path
	ln(strings.Repeat("../", 20)+"x", "etc/sub/up")        // climbs: clamped at the root
	ln("../passwd", "etc/sub/rel")                         // relative, inside
	ln("/", "etc/rootlink")                                // the root itself
	ln(outside, "opt/outdir")                              // a directory outside
	ln("loop2", "etc/loop1")
	ln("loop1", "etc/loop2")
	ln("/proc/self/root"+outside+"/x", "etc/magic")
	if runtime.GOOS != "windows" {
		must(makeFIFO(filepath.Join(root, "etc", "fifo")))
	}
	return root, outside, marker
}

func TestRootConfinesEveryName(t *testing.T) {
	root, outside, marker := rootFixture(t)
	tests := []struct {
		name    string
		want    string // content; "" means an error
		notReg  bool   // the error is a *NotRegularError
		missing bool   // the error is ErrNotExist
	}{
		{name: "/etc/passwd", want: "inside-passwd\n"},
		{name: "etc/passwd", want: "inside-passwd\n"},
		{name: "/../../etc/passwd", want: "inside-passwd\n"},
		{name: "/../x", want: "inside-x\n"},
		{name: "/etc/abs", want: "inside-passwd\n"},
		{name: "/etc/out", missing: true},
		{name: "/etc/sub/up", want: "inside-x\n"},
		{name: "/etc/sub/rel", want: "inside-passwd\n"},
		{name: "/etc/rootlink/etc/shadow", want: "inside-shadow\n"},
		{name: "/etc/rootlink/../../../x", want: "inside-x\n"},
		{name: outside + "/x", missing: true},
		{name: "/opt/outdir/x", missing: true},
		{name: "/etc/loop1"},
		{name: "/etc/magic"},
		{name: "/etc/fifo", notReg: true},
		{name: "/etc", notReg: true},
		{name: "/etc/passwd/x"},
	}
	for _, mode := range []string{"kernel", "resolver"} {
		t.Run(mode, func(t *testing.T) {
			r, err := OpenRoot(root)
			require.NoError(t, err)
			defer r.Close()
			if mode == "kernel" && !r.kernel {
				t.Skip("openat2 RESOLVE_IN_ROOT is not available here")
			}
			r.kernel = mode == "kernel"
			for _, tc := range tests {
				if tc.name == "/etc/fifo" && runtime.GOOS == "windows" {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					data, err := r.ReadFile(tc.name, 1<<20)
					require.NotContains(t, string(data), marker)
					if tc.want != "" {
						require.NoError(t, err)
						require.Equal(t, tc.want, string(data))
						return
					}
					require.Error(t, err)
					require.NotContains(t, err.Error(), marker)
					if tc.notReg {
						require.ErrorIs(t, err, ErrNotRegular)
					}
					if tc.missing {
						require.ErrorIs(t, err, fs.ErrNotExist)
					}
				})
			}
		})
	}
}

func TestRootGlobAndReadDirStayInside(t *testing.T) {
	root, outside, _ := rootFixture(t)
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "conf.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "conf.d", "evil.conf"), nil, 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc", "conf.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "conf.d", "a.conf"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "conf.d", "b.conf"), nil, 0o644))
	require.NoError(t, os.Symlink(filepath.Join(outside, "conf.d"), filepath.Join(root, "etc", "linked.d")))
	r, err := OpenRoot(root)
	require.NoError(t, err)
	defer r.Close()

	got, err := r.Glob("/etc/conf.d/*.conf")
	require.NoError(t, err)
	require.Equal(t, []string{"/etc/conf.d/a.conf", "/etc/conf.d/b.conf"}, got)
	got, err = r.Glob("/etc/linked.d/*.conf")
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = r.Glob("/etc/pass*")
	require.NoError(t, err)
	require.Equal(t, []string{"/etc/passwd"}, got)
	got, err = r.Glob("/etc/nonexistent")
	require.NoError(t, err)
	require.Empty(t, got)

	_, err = r.ReadDir("/etc/linked.d")
	require.ErrorIs(t, err, fs.ErrNotExist)
	entries, err := r.ReadDir("/etc/conf.d")
	require.NoError(t, err)
	require.Equal(t, []Entry{{Name: "a.conf"}, {Name: "b.conf"}}, entries)
	entries, err = r.ReadDir("/etc/sub")
	require.NoError(t, err)
	require.Equal(t, []Entry{{Name: "rel", Type: fs.ModeSymlink}, {Name: "up", Type: fs.ModeSymlink}}, entries)
	entries, err = r.ReadDir("/etc/rootlink/etc/../opt")
	require.NoError(t, err)
	require.Equal(t, []Entry{{Name: "outdir", Type: fs.ModeSymlink}}, entries)
}

// TestRootKernelAndResolverAgree opens the same names both ways and
// checks they reach the same file.
func TestRootKernelAndResolverAgree(t *testing.T) {
	root, _, _ := rootFixture(t)
	r, err := OpenRoot(root)
	require.NoError(t, err)
	defer r.Close()
	if !r.kernel {
		t.Skip("openat2 RESOLVE_IN_ROOT is not available here")
	}
	names := []string{"/etc/passwd", "/etc/abs", "/etc/sub/up", "/etc/sub/rel", "/etc/rootlink/etc/shadow",
		"/etc/sub/../sub/rel", "/etc/rootlink/etc/rootlink/x", "/etc/out", "/etc/loop1", "/nope", "/etc/passwd/"}
	for _, n := range names {
		r.kernel = true
		fk, errK := r.Open(n)
		r.kernel = false
		fr, errR := r.Open(n)
		require.Equal(t, errK == nil, errR == nil, "%s: kernel %v, resolver %v", n, errK, errR)
		if errK != nil {
			continue
		}
		a, _ := fk.Stat()
		b, _ := fr.Stat()
		require.True(t, os.SameFile(a, b), n)
		ka, _ := io.ReadAll(fk)
		kb, _ := io.ReadAll(fr)
		require.Equal(t, ka, kb)
		fk.Close()
		fr.Close()
	}
}
