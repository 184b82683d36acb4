// Command image builds a container image of sightline-agent or
// sightline-collector without a Docker daemon (go-containerregistry): the
// static binary (and sightline-init, which the Helm chart's init
// containers run) in one layer on an empty base, run as a numeric
// non-root user, with no shell. It writes a docker-format tarball (docker
// load, podman load, kind load image-archive, crane push) and, with
// -oci-layout, an OCI image layout directory.
//
//	go run ./deploy/image -program collector -binary dist/linux-amd64/sightline-collector \
//	    -init dist/linux-amd64/sightline-init -out dist/sightline-collector.tar
//
// `make image` builds both programs' images.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("image", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o Options
	fl.StringVar(&o.Program, "program", "", "agent or collector")
	fl.StringVar(&o.Binary, "binary", "", "the program's static linux binary (CGO_ENABLED=0)")
	fl.StringVar(&o.Init, "init", "", "the static sightline-init binary (deploy/image/sightline-init); empty: left out")
	fl.StringVar(&o.CABundle, "ca-bundle", "", "PEM bundle of trusted roots to put at "+CABundlePath+"; empty: left out")
	fl.StringVar(&o.Version, "version", "dev", "version (image label and default tag)")
	fl.StringVar(&o.Arch, "arch", runtime.GOARCH, "GOARCH of the binaries")
	repo := fl.String("repository", "ghcr.io/sightline-dev", "registry and path the tag names")
	tag := fl.String("tag", "", "image reference recorded in the tarball (default REPOSITORY/sightline-PROGRAM:VERSION)")
	out := fl.String("out", "", "docker-format tarball to write")
	ociDir := fl.String("oci-layout", "", "also write an OCI image layout to this directory")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" && *ociDir == "" {
		return errors.New("want -out FILE.tar and/or -oci-layout DIR")
	}
	created, err := sourceDate(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	o.Created = created
	img, err := Build(o)
	if err != nil {
		return err
	}
	if *tag == "" {
		*tag = fmt.Sprintf("%s/sightline-%s:%s", *repo, o.Program, o.Version)
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", *tag, err)
	}
	if *out != "" {
		if err := tarball.WriteToFile(*out, ref, img); err != nil {
			return fmt.Errorf("writing %s: %w", *out, err)
		}
		fmt.Fprintf(stdout, "%s: %s\n", *out, ref)
	}
	if *ociDir != "" {
		p, err := layout.Write(*ociDir, empty.Index)
		if err != nil {
			return fmt.Errorf("writing %s: %w", *ociDir, err)
		}
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref.String()})); err != nil {
			return fmt.Errorf("writing %s: %w", *ociDir, err)
		}
		fmt.Fprintf(stdout, "%s: %s (OCI layout)\n", *ociDir, ref)
	}
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH (seconds), else the Unix epoch: the
// same binaries give the same image.
func sourceDate(v string) (time.Time, error) {
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", v)
	}
	return time.Unix(n, 0).UTC(), nil
}
