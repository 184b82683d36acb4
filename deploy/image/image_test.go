package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/require"
)

// goBuild builds pkg as `make image` does: static (CGO_ENABLED=0), for
// linux on this machine's architecture, so the test can run the result.
func goBuild(t *testing.T, pkg, out string) {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-trimpath",
		"-ldflags", "-s -w -X github.com/sightline-dev/sightline/internal/version.Version=imagetest",
		"-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
}

// shells are names no image may hold, anywhere.
var shells = []string{"sh", "bash", "ash", "dash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox", "toybox"}

type entry struct {
	hdr  *tar.Header
	data []byte
}

// filesOf reads every layer of img back: path (no leading /) → entry.
func filesOf(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	layers, err := img.Layers()
	require.NoError(t, err)
	out := map[string]entry{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		require.NoError(t, err)
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			data, err := io.ReadAll(tr)
			require.NoError(t, err)
			out[strings.TrimSuffix(h.Name, "/")] = entry{hdr: h, data: data}
		}
		require.NoError(t, rc.Close())
	}
	return out
}

func TestImages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the images hold linux binaries, run here to check them")
	}
	bins := t.TempDir()
	initBin := filepath.Join(bins, "sightline-init")
	goBuild(t, "github.com/sightline-dev/sightline/deploy/image/sightline-init", initBin)
	caBundle := filepath.Join(bins, "ca.pem")
	require.NoError(t, os.WriteFile(caBundle, []byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), 0o644))

	for _, program := range []string{"agent", "collector"} {
		t.Run(program, func(t *testing.T) {
			bin := filepath.Join(bins, "sightline-"+program)
			goBuild(t, "github.com/sightline-dev/sightline/"+program, bin)
			dir := t.TempDir()
			tarPath := filepath.Join(dir, "image.tar")
			ociDir := filepath.Join(dir, "oci")
			var stdout bytes.Buffer
			tag := "example.test/sightline-" + program + ":imagetest"
			require.NoError(t, run([]string{"-program", program, "-binary", bin, "-init", initBin, "-ca-bundle", caBundle,
				"-version", "imagetest", "-tag", tag, "-out", tarPath, "-oci-layout", ociDir}, &stdout, io.Discard))

			ref, err := name.NewTag(tag)
			require.NoError(t, err)
			img, err := tarball.ImageFromPath(tarPath, &ref)
			require.NoError(t, err)
			checkImage(t, img, program)

			// The OCI layout holds the same image.
			idx, err := layout.ImageIndexFromPath(ociDir)
			require.NoError(t, err)
			im, err := idx.IndexManifest()
			require.NoError(t, err)
			require.Len(t, im.Manifests, 1)
			require.Equal(t, tag, im.Manifests[0].Annotations["org.opencontainers.image.ref.name"])
			fromLayout, err := idx.Image(im.Manifests[0].Digest)
			require.NoError(t, err)
			// The docker tarball has no manifest of its own (a reader makes
			// one up), so compare what both hold: config and layers.
			wantCfg, err := img.ConfigName()
			require.NoError(t, err)
			gotCfg, err := fromLayout.ConfigName()
			require.NoError(t, err)
			require.Equal(t, wantCfg, gotCfg, "tarball and OCI layout hold the same config")
			mt, err := fromLayout.MediaType()
			require.NoError(t, err)
			require.Equal(t, types.OCIManifestSchema1, mt)
			checkImage(t, fromLayout, program)
		})
	}
}

func checkImage(t *testing.T, img v1.Image, program string) {
	t.Helper()
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	require.Equal(t, "linux", cf.OS)
	require.Equal(t, runtime.GOARCH, cf.Architecture)

	// Non-root, numeric: uid and gid.
	uid, gid, ok := strings.Cut(cf.Config.User, ":")
	require.True(t, ok, cf.Config.User)
	for _, id := range []string{uid, gid} {
		n, err := strconv.Atoi(id)
		require.NoErrorf(t, err, "user %q is not numeric", cf.Config.User)
		require.NotZero(t, n, "the image runs as root")
	}
	binPath := "/usr/local/bin/sightline-" + program
	require.Equal(t, []string{binPath}, cf.Config.Entrypoint, "the entrypoint runs the binary, not a shell")
	require.Equal(t, Programs[program], cf.Config.Cmd)

	files := filesOf(t, img)
	// Exactly these: no shell, no package manager, nothing else.
	want := []string{"usr", "usr/local", "usr/local/bin", "usr/local/bin/sightline-" + program, "usr/local/bin/sightline-init",
		"etc", "etc/ssl", "etc/ssl/certs", "etc/ssl/certs/ca-certificates.crt", "tmp"}
	got := make([]string, 0, len(files))
	for p, e := range files {
		got = append(got, p)
		require.NotContainsf(t, shells, path.Base(p), "the image holds a shell: %s", p)
		require.Equal(t, 0, e.hdr.Uid, "files belong to root: the image's user cannot change them")
		require.NotEqual(t, byte(tar.TypeSymlink), e.hdr.Typeflag, "no links (to a shell or elsewhere): %s", p)
	}
	require.ElementsMatch(t, want, got)
	for _, p := range []string{"bin/sh", "usr/bin/sh", "bin"} {
		_, ok := files[p]
		require.False(t, ok, p)
	}
	b := files[strings.TrimPrefix(binPath, "/")]
	require.Equal(t, byte(tar.TypeReg), b.hdr.Typeflag)
	require.Equal(t, int64(0o755), b.hdr.Mode)
	require.Equal(t, int64(0o1777), files["tmp"].hdr.Mode)

	// The binary in the image is static and runs: extract it and ask for
	// its version (the programs' command is `version`).
	dir := t.TempDir()
	for _, p := range []string{"sightline-" + program, "sightline-init"} {
		e := files["usr/local/bin/"+p]
		require.NoError(t, checkStatic(p, e.data))
		require.NoError(t, os.WriteFile(filepath.Join(dir, p), e.data, 0o755))
	}
	out, err := exec.Command(filepath.Join(dir, "sightline-"+program), "--version").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "sightline-"+program+" imagetest\n", string(out))
	out, err = exec.Command(filepath.Join(dir, "sightline-init"), "copy-secret").CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 2, exit.ExitCode(), string(out))
	require.Contains(t, string(out), "want: copy-secret --from FILE --to FILE")
}

func TestBuildRefuses(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "script")
	require.NoError(t, os.WriteFile(notELF, []byte("#!/bin/sh\necho hi\n"), 0o755))
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"unknown program", Options{Program: "shell", Binary: notELF, Arch: "amd64"}, "want agent or collector"},
		{"no binary", Options{Program: "agent", Arch: "amd64"}, "binary"},
		{"not an executable", Options{Program: "agent", Binary: notELF, Arch: "amd64"}, "not a Linux executable"},
		{"missing file", Options{Program: "agent", Binary: filepath.Join(dir, "nope"), Arch: "amd64"}, "reading"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.o)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// A dynamically linked binary cannot start on an empty base.
	if runtime.GOOS == "linux" {
		if ls, err := exec.LookPath("ls"); err == nil {
			_, err := Build(Options{Program: "agent", Binary: ls, Arch: runtime.GOARCH})
			if err != nil { // ls is dynamic on every common distribution
				require.ErrorContains(t, err, "dynamically linked")
			}
		}
	}
}

func TestSourceDate(t *testing.T) {
	d, err := sourceDate("")
	require.NoError(t, err)
	require.Equal(t, int64(0), d.Unix())
	d, err = sourceDate("1700000000")
	require.NoError(t, err)
	require.Equal(t, int64(1700000000), d.Unix())
	_, err = sourceDate("yesterday")
	require.Error(t, err)
}
