// Command package builds the .deb and .rpm packages of the agent and the
// collector with nfpm as a library (`make package`): no tool to download.
//
//	go run -ldflags "-X …/internal/version.Version=$(VERSION)" ./deploy/package \
//	    -dist dist -out dist/packages -arch "amd64 arm64"
//
// The binaries come from DIST/linux-ARCH/sightline-{agent,collector} (the
// Makefile builds them); the package version from internal/version, the
// same string the binaries report.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager

	sharedconfig "github.com/sightline-dev/sightline/internal/config"
	"github.com/sightline-dev/sightline/internal/version"
)

// Options says what to package and from where.
type Options struct {
	Repo    string    // repository root: deploy/systemd, deploy/examples, deploy/package
	Dist    string    // holds linux-ARCH/sightline-agent and linux-ARCH/sightline-collector
	Out     string    // where the packages go (created)
	Version string    // internal/version.Version of the binaries
	Arches  []string  // Go architectures: amd64, arm64
	Formats []string  // deb, rpm
	MTime   time.Time // file times in the packages; zero: SOURCE_DATE_EPOCH, else now
	// GzipLevel compresses the payload, 1 (fast) to 9 (small); 0: 6.
	GzipLevel int
	Logger    *slog.Logger
}

func main() {
	log := sharedconfig.Logger("info", os.Stderr)
	if err := run(context.Background(), os.Args[1:], os.Stdout, log); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	o := Options{Logger: log, Version: version.Version}
	fs.StringVar(&o.Repo, "repo", ".", "repository root")
	fs.StringVar(&o.Dist, "dist", "dist", "directory with linux-ARCH/sightline-{agent,collector}")
	fs.StringVar(&o.Out, "out", "dist/packages", "output directory")
	fs.IntVar(&o.GzipLevel, "gzip-level", 6, "payload compression, 1 (fast) to 9 (small)")
	arches := fs.String("arch", "amd64 arm64", "Go architectures, space or comma separated")
	formats := fs.String("format", "deb rpm", "package formats, space or comma separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Arches = fields(*arches)
	o.Formats = fields(*formats)
	paths, err := Build(ctx, o)
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return err
}

func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// Build writes one package per program, architecture and format into
// o.Out and returns their paths.
func Build(ctx context.Context, o Options) ([]string, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.GzipLevel < 0 || o.GzipLevel > 9 {
		return nil, fmt.Errorf("package: gzip level %d is not 1 to 9", o.GzipLevel)
	}
	if len(o.Arches) == 0 || len(o.Formats) == 0 {
		return nil, errors.New("package: no architecture or no format given (-arch amd64, -format deb)")
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("package: creating the output directory: %w", err)
	}
	var paths []string
	for _, arch := range o.Arches {
		for _, p := range programs {
			bin := filepath.Join(o.Dist, "linux-"+arch, p.name())
			if _, err := os.Stat(bin); err != nil {
				return paths, fmt.Errorf("package: %s for linux/%s is missing (run make package, or build it with GOOS=linux GOARCH=%s): %w", p.name(), arch, arch, err)
			}
			for _, format := range o.Formats {
				if err := ctx.Err(); err != nil {
					return paths, err
				}
				path, err := buildOne(p, o, arch, format)
				if err != nil {
					return paths, err
				}
				o.Logger.Info("built package", "path", path, "version", o.Version)
				paths = append(paths, path)
			}
		}
	}
	return paths, nil
}

func buildOne(p program, o Options, arch, format string) (path string, err error) {
	pkgr, err := nfpm.Get(format)
	if err != nil {
		return "", fmt.Errorf("package: format %q (this build has deb and rpm): %w", format, err)
	}
	in := info(p, o, arch)
	if err := nfpm.Validate(in); err != nil {
		return "", fmt.Errorf("package: %s %s: %w", p.name(), format, err)
	}
	path = filepath.Join(o.Out, pkgr.ConventionalFileName(in))
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("package: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("package: writing %s: %w", path, cerr)
		}
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	// A fresh Info: ConventionalFileName may have normalised the arch, and
	// Package rewrites Contents.
	if err := pkgr.Package(info(p, o, arch), f); err != nil {
		return "", fmt.Errorf("package: building %s for %s: %w", format, p.name(), err)
	}
	return path, nil
}
