package safeio

import (
	"errors"
	"path"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeFS is a tree where every name exists (as a directory) unless it is
// listed as a symlink or is deeper than 12 components.
type fakeFS map[string]string

func (f fakeFS) lookup(calls *[]string) lookupFunc {
	return func(p string) (string, bool, error) {
		*calls = append(*calls, p)
		if t, ok := f[p]; ok {
			return t, true, nil
		}
		if strings.Count(p, "/") > 12 {
			return "", false, syscall.ENOENT
		}
		return "", false, nil
	}
}

func TestResolve(t *testing.T) {
	fsys := fakeFS{"/etc/abs": "/etc/passwd", "/etc/up": "../../../../x", "/a": "b", "/b": "a", "/r": "/", "/e": ""}
	tests := []struct {
		name, want string
		err        error
	}{
		{"/etc/passwd", "/etc/passwd", nil},
		{"etc/passwd", "/etc/passwd", nil},
		{"", "/", nil},
		{"/", "/", nil},
		{"/../../..", "/", nil},
		{"/etc/../../etc/./passwd", "/etc/passwd", nil},
		{"/etc/abs", "/etc/passwd", nil},
		{"/etc/up", "/x", nil},
		{"/etc/abs/..", "/etc", nil},
		{"/r/r/r/etc", "/etc", nil},
		{"/a", "", syscall.ELOOP},
		{"/e", "", syscall.ENOENT},
		{"/x\x00y", "", syscall.EINVAL},
	}
	for _, tc := range tests {
		var calls []string
		got, err := resolve(tc.name, fsys.lookup(&calls))
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}

// FuzzResolve checks, over any name and any symlinks, that resolution
// ends, stays inside the root and returns a clean path none of whose
// prefixes is a symlink.
func FuzzResolve(f *testing.F) {
	f.Add("/etc/passwd", "/etc/passwd=/x")
	f.Add("/../../x", "")
	f.Add("/a/b/c", "/a=../../..;/a/b=/a")
	f.Add("/l/l/l/l", "/l=/l/.././l")
	f.Add("x/../y", "/y=y/..;/x=.")
	f.Add("/home/u/.ssh/authorized_keys", "/home/u/.ssh=/../../root/.ssh;/root=/")
	f.Fuzz(func(t *testing.T, name, links string) {
		fsys := fakeFS{}
		for _, kv := range strings.Split(links, ";") {
			k, v, ok := strings.Cut(kv, "=")
			if ok && strings.HasPrefix(k, "/") && path.Clean(k) == k && k != "/" {
				fsys[k] = v
			}
		}
		var calls []string
		got, err := resolve(name, fsys.lookup(&calls))
		if err != nil {
			if !(errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOENT) ||
				errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENAMETOOLONG)) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !strings.HasPrefix(got, "/") || path.Clean(got) != got {
			t.Fatalf("%q resolved to %q: not clean and absolute", name, got)
		}
		for _, c := range strings.Split(got, "/") {
			if c == ".." || c == "." {
				t.Fatalf("%q resolved to %q: holds %q", name, got, c)
			}
		}
		for p := got; p != "/"; p = path.Dir(p) {
			if _, isLink := fsys[p]; isLink {
				t.Fatalf("%q resolved to %q, whose prefix %q is a symlink", name, got, p)
			}
		}
		for _, c := range calls {
			if !strings.HasPrefix(c, "/") || path.Clean(c) != c {
				t.Fatalf("looked up %q: not clean and absolute", c)
			}
		}
	})
}
