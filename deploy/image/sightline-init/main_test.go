package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCopySecret(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(src, []byte(`{"version":2}`), 0o440))
	dst := filepath.Join(dir, "out", "keys.json")
	require.NoError(t, os.Mkdir(filepath.Dir(dst), 0o700))
	// An older copy is replaced.
	require.NoError(t, os.WriteFile(dst, []byte("old"), 0o644))

	code, err := run([]string{"copy-secret", "--from", src, "--to", dst}, &bytes.Buffer{}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Zero(t, code)
	got, err := os.ReadFile(dst)
	require.NoError(t, err)
	require.Equal(t, `{"version":2}`, string(got))
	fi, err := os.Stat(dst)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(filepath.Dir(dst))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")
}

func TestCopySecretRefuses(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	big := filepath.Join(dir, "big")
	require.NoError(t, os.WriteFile(big, make([]byte, maxSecretBytes+1), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"missing source", []string{"copy-secret", "--from", filepath.Join(dir, "nope"), "--to", filepath.Join(dir, "x")}, 1},
		{"empty source", []string{"copy-secret", "--from", empty, "--to", filepath.Join(dir, "x")}, 1},
		{"too big", []string{"copy-secret", "--from", big, "--to", filepath.Join(dir, "x")}, 1},
		{"no destination", []string{"copy-secret", "--from", empty}, 2},
		{"unknown command", []string{"sh"}, 2},
		{"no command", nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := run(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			require.Equal(t, tc.code, code)
			_, statErr := os.Stat(filepath.Join(dir, "x"))
			require.True(t, os.IsNotExist(statErr))
		})
	}
}

func TestUnlessExists(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "credentials.json")
	touch := filepath.Join(dir, "ran")
	// The test binary stands in for the program: re-run with an env var
	// that makes it create touch and exit 3.
	self, err := os.Executable()
	require.NoError(t, err)
	t.Setenv("SIGHTLINE_INIT_TEST_TOUCH", touch)
	argv := []string{"unless-exists", marker, "--", self, "-test.run=TestHelperProgram"}

	var out bytes.Buffer
	code, err := run(argv, &out, &out)
	require.Error(t, err, "the program's failure is reported")
	require.Equal(t, 3, code, "with the program's exit code")
	_, err = os.Stat(touch)
	require.NoError(t, err, "the program ran: the file did not exist")

	require.NoError(t, os.Remove(touch))
	require.NoError(t, os.WriteFile(marker, []byte("{}"), 0o600))
	code, err = run(argv, &out, &out)
	require.NoError(t, err)
	require.Zero(t, code)
	_, err = os.Stat(touch)
	require.True(t, os.IsNotExist(err), "the program did not run: the file exists")

	code, err = run([]string{"unless-exists", marker, self}, &out, &out)
	require.Error(t, err)
	require.Equal(t, 2, code)
}

// TestHelperProgram is the program TestUnlessExists runs.
func TestHelperProgram(t *testing.T) {
	p := os.Getenv("SIGHTLINE_INIT_TEST_TOUCH")
	if p == "" {
		t.Skip("run by TestUnlessExists")
	}
	require.NoError(t, os.WriteFile(p, nil, 0o600))
	os.Exit(3)
}
