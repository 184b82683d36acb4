package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/files"
)

// Where the packages put things. The units and example configs are the
// repository's own files (deploy/systemd, deploy/examples), not copies, so
// a manual install and a package run the same definition.
const (
	binDir    = "/usr/bin"
	unitDir   = "/usr/lib/systemd/system"
	configDir = "/etc/sightline"
	docDir    = "/usr/share/doc"
)

// program is one package: sightline-agent or sightline-collector.
type program struct {
	short       string // agent, collector
	summary     string
	description string
	scripts     map[string]string // nfpm script field → file under deploy/package/scripts
}

func (p program) name() string { return "sightline-" + p.short }

var programs = []program{
	{
		short:   "agent",
		summary: "Sightline agent: finds personal data and access on a host, read-only",
		description: "Scans file systems, host accounts, LDAP, S3 and IAM for personal data and\n" +
			"who can reach it, and ships only keyed tokens to a Sightline collector.\n" +
			"The systemd unit runs it with read-only access to what it scans.",
		scripts: map[string]string{
			"postinstall": "agent-postinstall.sh",
			"preremove":   "agent-preremove.sh",
			"postremove":  "agent-postremove.sh",
		},
	},
	{
		short:   "collector",
		summary: "Sightline collector: ingest, API and console over ClickHouse",
		description: "Receives findings from Sightline agents, stores them in ClickHouse and\n" +
			"serves the API. Runs as its own system user, sightline.",
		scripts: map[string]string{
			"preinstall":  "collector-preinstall.sh",
			"postinstall": "collector-postinstall.sh",
			"preremove":   "collector-preremove.sh",
			"postremove":  "collector-postremove.sh",
		},
	},
}

// info describes one program's package for one architecture. Each call
// returns a fresh value: nfpm's packagers rewrite Contents in place.
func info(p program, o Options, arch string) *nfpm.Info {
	repo := func(rel string) string { return filepath.Join(o.Repo, filepath.FromSlash(rel)) }
	scripts := nfpm.Scripts{
		PreInstall:  scriptPath(o, p.scripts["preinstall"]),
		PostInstall: scriptPath(o, p.scripts["postinstall"]),
		PreRemove:   scriptPath(o, p.scripts["preremove"]),
		PostRemove:  scriptPath(o, p.scripts["postremove"]),
	}
	// gzip: what every dpkg and rpm reads (zstd needs dpkg 1.21.18+).
	// nfpm's default level 9 is slow for ~20 MB binaries and barely smaller.
	level := o.GzipLevel
	if level == 0 {
		level = 6
	}
	gzip := fmt.Sprintf("gzip:%d", level)
	mode := func(m os.FileMode) *files.ContentFileInfo { return &files.ContentFileInfo{Mode: m} }
	in := &nfpm.Info{
		Name:     p.name(),
		Arch:     arch,
		Platform: "linux",
		Version:  packageVersion(o.Version),
		Release:  "1",
		// packageVersion already writes a version both formats order
		// right; nfpm's semver mode would re-split it its own way.
		VersionSchema:   "none",
		Section:         "admin",
		Priority:        "optional",
		Maintainer:      "Sightline maintainers <sightline@users.noreply.github.com>",
		Vendor:          "Sightline",
		Homepage:        "https://github.com/sightline-dev/sightline",
		License:         "Proprietary", // the repository has no LICENSE file yet
		Description:     p.summary + "\n" + p.description,
		DisableGlobbing: true,
		MTime:           o.MTime,
		Overridables: nfpm.Overridables{
			Umask: 0o022,
			Contents: files.Contents{
				{Source: filepath.Join(o.Dist, "linux-"+arch, p.name()), Destination: binDir + "/" + p.name(), FileInfo: mode(0o755)},
				{Source: repo("deploy/systemd/" + p.name() + ".service"), Destination: unitDir + "/" + p.name() + ".service", FileInfo: mode(0o644)},
				{Destination: configDir, Type: files.TypeDir, FileInfo: mode(0o755)},
				// noreplace: rpm keeps an edited file and writes the new one
				// as .rpmnew; dpkg treats every config type as a conffile
				// (an edited one is kept, the new one offered as .dpkg-dist).
				{Source: repo("deploy/examples/" + p.short + ".yaml"), Destination: configDir + "/" + p.short + ".yaml", Type: files.TypeConfigNoReplace, FileInfo: mode(0o644)},
				{Source: repo("deploy/package/doc/" + p.name() + ".README"), Destination: docDir + "/" + p.name() + "/README", FileInfo: mode(0o644)},
			},
			Scripts: scripts,
			RPM: nfpm.RPM{
				Summary:     p.summary,
				Group:       "System Environment/Daemons",
				Compression: gzip,
			},
			Deb: nfpm.Deb{Compression: gzip},
		},
	}
	return nfpm.WithDefaults(in)
}

func scriptPath(o Options, name string) string {
	if name == "" {
		return ""
	}
	return filepath.Join(o.Repo, "deploy", "package", "scripts", name)
}

var (
	// v1.2.3, v1.2.3-rc.1 (a pre-release)
	releaseRe = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+)(?:-([0-9A-Za-z.]+))?$`)
	// git describe past a tag: v1.2.3-5-gabc1234
	describeRe = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+)-([0-9]+)-g([0-9a-f]+)$`)
	notVersion = regexp.MustCompile(`[^0-9A-Za-z.]+`)
)

// packageVersion turns internal/version.Version (the Makefile's git
// describe) into a version dpkg and rpm both order correctly: a
// pre-release sorts before its release (~), a build past a tag after it (+),
// and an untagged build ("dev", a bare commit) before every release
// (0.0.0~…). Only [0-9A-Za-z.+~] survive: "-" would split the version in
// both formats.
func packageVersion(v string) string {
	v = strings.TrimSpace(v)
	// git describe --dirty: uncommitted changes on top of what it names.
	clean, dirty := strings.CutSuffix(v, "-dirty")
	if m := describeRe.FindStringSubmatch(clean); m != nil {
		s := m[1] + "+git" + m[2] + ".g" + m[3]
		if dirty {
			s += ".dirty"
		}
		return s
	}
	if m := releaseRe.FindStringSubmatch(clean); m != nil {
		s := m[1]
		if m[2] != "" {
			s += "~" + m[2]
		}
		if dirty {
			s += "+dirty"
		}
		return s
	}
	s := strings.Trim(notVersion.ReplaceAllString(v, "."), ".")
	if s == "" {
		s = "dev"
	}
	return "0.0.0~" + s
}
