// Package version reports the build's version, set by the Makefile with
// -ldflags "-X github.com/sightline-dev/sightline/internal/version.Version=…".
package version

// Version is the release or git description of this build.
var Version = "dev"
