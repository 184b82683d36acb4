package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things are in an image. The chart (deploy/helm) relies on them.
const (
	BinDir   = "/usr/local/bin"
	InitPath = BinDir + "/sightline-init"
	// User is the user and group images run as: non-root, numeric (so a
	// runtime can check runAsNonRoot without an /etc/passwd).
	User = "65532:65532"
	// CABundlePath is where Go's crypto/x509 looks first on Linux.
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
)

// Programs are the programs an image can hold, with the arguments the
// image runs them with when none are given.
var Programs = map[string][]string{
	"agent":     {"run", "--config", "/etc/sightline/agent.yaml"},
	"collector": {"serve", "--config", "/etc/sightline/collector.yaml"},
}

// Options say what goes into one image.
type Options struct {
	// Program is "agent" or "collector".
	Program string
	// Binary is the static binary of the program (CGO_ENABLED=0).
	Binary string
	// Init is the static sightline-init binary; "" leaves it out.
	Init string
	// CABundle is a PEM bundle of trusted roots copied to CABundlePath
	// (for an OIDC issuer, S3, LDAP over public CAs); "" leaves it out.
	CABundle string
	Version  string
	// Arch is the GOARCH the binaries are built for.
	Arch string
	// Created is the image's and its files' time (SOURCE_DATE_EPOCH makes
	// builds reproducible).
	Created time.Time
}

// ProgramPath is where the image holds program's binary.
func ProgramPath(program string) string { return BinDir + "/sightline-" + program }

// Build assembles the image: one layer on an empty base (no shell, no
// package manager, no libc), run as User.
func Build(o Options) (v1.Image, error) {
	cmd, ok := Programs[o.Program]
	if !ok {
		return nil, fmt.Errorf("program %q: want agent or collector", o.Program)
	}
	if o.Binary == "" || o.Arch == "" {
		return nil, errors.New("a binary and its architecture are required")
	}
	files := []file{{path: ProgramPath(o.Program), src: o.Binary, mode: 0o755, static: true}}
	if o.Init != "" {
		files = append(files, file{path: InitPath, src: o.Init, mode: 0o755, static: true})
	}
	if o.CABundle != "" {
		files = append(files, file{path: CABundlePath, src: o.CABundle, mode: 0o644})
	}
	layerBytes, err := layerTar(files, o.Created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("building the layer: %w", err)
	}
	created := v1.Time{Time: o.Created.UTC()}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: created, CreatedBy: "deploy/image: sightline-" + o.Program + " " + o.Version},
	})
	if err != nil {
		return nil, fmt.Errorf("adding the layer: %w", err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", o.Arch, created
	cf.Config.User = User
	cf.Config.Entrypoint = []string{ProgramPath(o.Program)}
	cf.Config.Cmd = cmd
	cf.Config.WorkingDir = "/"
	cf.Config.Env = []string{"PATH=" + BinDir}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":   "sightline-" + o.Program,
		"org.opencontainers.image.version": o.Version,
		"org.opencontainers.image.source":  "https://github.com/sightline-dev/sightline",
	}
	return mutate.ConfigFile(img, cf)
}

type file struct {
	path, src string
	mode      int64
	static    bool // must be a statically linked ELF executable
}

// layerTar writes the layer: the files with their parent directories,
// owned by root (the image's user may run them, not change them), and
// /tmp for runtimes that give no tmpfs.
func layerTar(files []file, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	addDir := func(dir string, mode int64) error {
		if dir == "/" || dir == "." || dirs[dir] {
			return nil
		}
		dirs[dir] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir[1:] + "/", Mode: mode, ModTime: mtime, Format: tar.FormatPAX})
	}
	var parents func(p string) error
	parents = func(p string) error {
		d := path.Dir(p)
		if d == "/" {
			return nil
		}
		if err := parents(d); err != nil {
			return err
		}
		return addDir(d, 0o755)
	}
	for _, f := range files {
		data, err := os.ReadFile(f.src)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f.src, err)
		}
		if f.static {
			if err := checkStatic(f.src, data); err != nil {
				return nil, err
			}
		}
		if err := parents(f.path); err != nil {
			return nil, err
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.path[1:], Mode: f.mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := addDir("/tmp", 0o1777); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkStatic refuses a binary that needs a dynamic loader: the image has
// no libc, so it could not start.
func checkStatic(name string, data []byte) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s is not a Linux executable (ELF): %w; build with GOOS=linux", name, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked; build it with CGO_ENABLED=0 (make image does)", name)
		}
	}
	return nil
}
