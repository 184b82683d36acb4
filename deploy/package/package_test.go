package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	rpmutils "github.com/sassoftware/go-rpmutils"
	"github.com/stretchr/testify/require"
)

const repoRoot = "../.."

func TestPackageVersion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"v1.2.3-rc.1", "1.2.3~rc.1"},
		{"v1.2.3-dirty", "1.2.3+dirty"},
		{"v1.2.3-5-gabc1234", "1.2.3+git5.gabc1234"},
		{"v1.2.3-5-gabc1234-dirty", "1.2.3+git5.gabc1234.dirty"},
		{"9bed577-dirty", "0.0.0~9bed577.dirty"},
		{"abc1234", "0.0.0~abc1234"},
		{"dev", "0.0.0~dev"},
		{"", "0.0.0~dev"},
		{"  ", "0.0.0~dev"},
		{"weird/version name", "0.0.0~weird.version.name"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := packageVersion(tc.in)
			require.Equal(t, tc.want, got)
			// Both formats: starts with a digit, no "-" (it would split
			// off a release/revision), nothing outside [0-9A-Za-z.+~].
			require.Regexp(t, `^[0-9][0-9A-Za-z.+~]*$`, got)
		})
	}
}

// dpkg's own comparison: a pre-release before its release, a build past a
// tag after it, an untagged build before any release.
func TestPackageVersionOrdersForDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg is not installed: cannot check version ordering (Debian has it)")
	}
	for _, tc := range [][2]string{
		{"dev", "v0.0.1"},
		{"9bed577", "v0.1.0"},
		{"v1.2.3-rc.1", "v1.2.3"},
		{"v1.2.3", "v1.2.3-5-gabc1234"},
		{"v1.2.3-5-gabc1234", "v1.2.4-rc.1"},
		{"v1.2.3", "v1.10.0"},
	} {
		lo, hi := packageVersion(tc[0]), packageVersion(tc[1])
		out, err := exec.Command("dpkg", "--compare-versions", lo, "lt", hi).CombinedOutput()
		require.NoError(t, err, "dpkg says %s is not older than %s: %s", lo, hi, out)
	}
}

// serviceKeys reads the [Service] section of a unit: key → values.
func serviceKeys(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	keys := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: not key=value: %q", path, line)
		if section == "[Service]" {
			keys[k] = append(keys[k], v)
		}
	}
	require.NoError(t, sc.Err())
	return keys
}

func TestUnitsConfineThePrograms(t *testing.T) {
	for _, tc := range []struct {
		unit string
		want map[string]string // key → its only value
	}{
		{"sightline-agent.service", map[string]string{
			"ExecStart":             "/usr/bin/sightline-agent run --config /etc/sightline/agent.yaml",
			"Nice":                  "10",
			"IOSchedulingClass":     "idle",
			"CPUQuota":              "50%",
			"ProtectSystem":         "strict",
			"CapabilityBoundingSet": "CAP_DAC_READ_SEARCH",
			"StateDirectory":        "sightline-agent",
			"StateDirectoryMode":    "0700",
			"NoNewPrivileges":       "true",
			"PrivateDevices":        "true",
		}},
		{"sightline-collector.service", map[string]string{
			"ExecStart":             "/usr/bin/sightline-collector serve --config /etc/sightline/collector.yaml",
			"User":                  "sightline",
			"Group":                 "sightline",
			"ProtectSystem":         "strict",
			"ProtectHome":           "true",
			"CapabilityBoundingSet": "",
			"StateDirectory":        "sightline-collector",
			"StateDirectoryMode":    "0700",
			"NoNewPrivileges":       "true",
			"PrivateDevices":        "true",
		}},
	} {
		t.Run(tc.unit, func(t *testing.T) {
			keys := serviceKeys(t, filepath.Join(repoRoot, "deploy", "systemd", tc.unit))
			for k, v := range tc.want {
				require.Equal(t, []string{v}, keys[k], "%s in %s", k, tc.unit)
			}
			// Nothing may reopen what ProtectSystem=strict closes, other than
			// the StateDirectory.
			require.Empty(t, keys["ReadWritePaths"], "ReadWritePaths in %s", tc.unit)
			for _, v := range keys["AmbientCapabilities"] {
				require.Empty(t, v, "AmbientCapabilities in %s", tc.unit)
			}
		})
	}
}

// wantFile is one regular file a package must hold.
type wantFile struct {
	path   string // installed path
	mode   os.FileMode
	config bool   // a conffile (deb) / %config(noreplace) (rpm)
	src    string // repository file it must equal byte for byte; "" for the binary
}

func wantFiles(p program) []wantFile {
	return []wantFile{
		{path: "/usr/bin/" + p.name(), mode: 0o755},
		{path: "/usr/lib/systemd/system/" + p.name() + ".service", mode: 0o644, src: "deploy/systemd/" + p.name() + ".service"},
		{path: "/etc/sightline/" + p.short + ".yaml", mode: 0o644, config: true, src: "deploy/examples/" + p.short + ".yaml"},
		{path: "/usr/share/doc/" + p.name() + "/README", mode: 0o644, src: "deploy/package/doc/" + p.name() + ".README"},
	}
}

func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", name, strings.Join(args, " "), out)
	return string(out)
}

// buildBinaries builds both programs for this machine's architecture the
// way the Makefile does, reporting version v.
func buildBinaries(t *testing.T, dist, v string) {
	t.Helper()
	for _, p := range programs {
		cmd := exec.Command("go", "build", "-trimpath",
			"-ldflags", "-s -w -X github.com/sightline-dev/sightline/internal/version.Version="+v,
			"-o", filepath.Join(dist, "linux-"+runtime.GOARCH, p.name()), "./"+p.short)
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go build %s:\n%s", p.short, out)
	}
}

// byName finds the package of one program among Build's paths.
func byName(t *testing.T, paths []string, name, ext string) string {
	t.Helper()
	for _, p := range paths {
		base := filepath.Base(p)
		rest, ok := strings.CutPrefix(base, name)
		// deb: NAME_VERSION…; rpm: NAME-VERSION…, a version starts with a digit
		if ok && strings.HasSuffix(base, ext) && len(rest) > 1 && (rest[0] == '_' || rest[0] == '-') && rest[1] >= '0' && rest[1] <= '9' {
			return p
		}
	}
	t.Fatalf("no %s package for %s in %v", ext, name, paths)
	return ""
}

// TestPackages builds real packages from real binaries and reads them back
// with dpkg-deb and an RPM reader; as root, it also installs, upgrades,
// removes and purges the .debs in a scratch root.
func TestPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building packages takes a minute")
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb is not installed (Debian: apt-get install dpkg): cannot read the .deb packages")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the packages are for Linux; building them runs their binaries here")
	}
	ctx := context.Background()
	tmp := t.TempDir()
	dist1 := filepath.Join(tmp, "dist1")
	buildBinaries(t, dist1, "v1.0.0")
	v1, err := Build(ctx, Options{
		Repo: repoRoot, Dist: dist1, Out: filepath.Join(tmp, "out1"), Version: "v1.0.0",
		Arches: []string{runtime.GOARCH}, Formats: []string{"deb", "rpm"}, GzipLevel: 1,
	})
	require.NoError(t, err)
	require.Len(t, v1, 4)

	t.Run("deb", func(t *testing.T) {
		for _, p := range programs {
			checkDeb(t, byName(t, v1, p.name(), ".deb"), p, "1.0.0-1", "v1.0.0")
		}
	})
	t.Run("rpm", func(t *testing.T) {
		for _, p := range programs {
			checkRPM(t, byName(t, v1, p.name(), ".rpm"), p, "1.0.0", "v1.0.0")
		}
	})
	if os.Geteuid() != 0 {
		t.Skip("installing into a scratch root (dpkg --root, rpm --root) needs root: it sets file owners")
	}
	v2 := nextRelease(t, tmp)
	t.Run("deb install upgrade remove purge", func(t *testing.T) {
		if _, err := exec.LookPath("dpkg"); err != nil {
			t.Skip("dpkg is not installed")
		}
		installCycle(t, tmp, v1, v2)
	})
	t.Run("rpm install upgrade erase", func(t *testing.T) {
		if _, err := exec.LookPath("rpm"); err != nil {
			t.Skip("rpm is not installed (Debian: apt-get install rpm; make test installs it)")
		}
		rpmCycle(t, filepath.Join(tmp, "rpmroot"), v1, v2)
	})
	t.Run("scripts with rpm arguments", func(t *testing.T) { rpmScriptArgs(t, filepath.Join(tmp, "scriptroot")) })
}

func checkDeb(t *testing.T, deb string, p program, pkgVersion, binVersion string) {
	t.Helper()
	fields := command(t, "dpkg-deb", "--field", deb, "Package", "Version", "Architecture")
	debArch := runtime.GOARCH // Debian's names for amd64 and arm64 are Go's
	require.Equal(t, "Package: "+p.name()+"\nVersion: "+pkgVersion+"\nArchitecture: "+debArch+"\n", fields)

	// Regular files, their modes and owners, nothing else.
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(command(t, "dpkg-deb", "--contents", deb)), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 6, "dpkg-deb --contents line %q", line)
		path := strings.TrimPrefix(f[5], ".")
		if strings.HasPrefix(f[0], "d") {
			if path == "/etc/sightline/" {
				require.Equal(t, "drwxr-xr-x root/root", f[0]+" "+f[1])
			}
			continue
		}
		got[path] = f[0] + " " + f[1]
	}
	want := map[string]string{}
	var conffiles []string
	for _, w := range wantFiles(p) {
		want[w.path] = w.mode.String() + " root/root"
		if w.config {
			conffiles = append(conffiles, w.path)
		}
	}
	require.Equal(t, want, got, "files in %s", deb)
	require.Equal(t, strings.Join(conffiles, "\n")+"\n", command(t, "dpkg-deb", "--info", deb, "conffiles"))

	// Maintainer scripts: exactly ours.
	info := command(t, "dpkg-deb", "--info", deb)
	for field, script := range p.scripts {
		name := map[string]string{"preinstall": "preinst", "postinstall": "postinst", "preremove": "prerm", "postremove": "postrm"}[field]
		require.Contains(t, info, " "+name+" ", "%s in %s", name, deb)
		wantScript, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "package", "scripts", script))
		require.NoError(t, err)
		require.Equal(t, string(wantScript), command(t, "dpkg-deb", "--info", deb, name), "%s in %s", name, deb)
	}

	// The contents are the repository's files, and the binary runs.
	dir := t.TempDir()
	command(t, "dpkg-deb", "-x", deb, dir)
	checkExtracted(t, dir, p, binVersion, true)
}

// checkExtracted compares unpacked files with the repository's and runs
// the binary. modes: whether the unpacker kept file modes (go-rpmutils'
// does not; the RPM header's modes are checked instead).
func checkExtracted(t *testing.T, dir string, p program, binVersion string, modes bool) {
	t.Helper()
	for _, w := range wantFiles(p) {
		fi, err := os.Stat(filepath.Join(dir, w.path))
		require.NoError(t, err)
		if modes {
			require.Equal(t, w.mode, fi.Mode().Perm(), w.path)
		} else {
			require.NoError(t, os.Chmod(filepath.Join(dir, w.path), w.mode))
		}
		if w.src != "" {
			want, err := os.ReadFile(filepath.Join(repoRoot, w.src))
			require.NoError(t, err)
			got, err := os.ReadFile(filepath.Join(dir, w.path))
			require.NoError(t, err)
			require.Equal(t, string(want), string(got), "%s must be %s, not a copy that drifts", w.path, w.src)
		}
	}
	require.Equal(t, p.name()+" "+binVersion+"\n", command(t, filepath.Join(dir, "usr", "bin", p.name()), "version"))
}

func checkRPM(t *testing.T, path string, p program, version, binVersion string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := rpmutils.ReadRpm(f)
	require.NoError(t, err)
	h := r.Header
	str := func(tag int) string {
		s, err := h.GetString(tag)
		require.NoError(t, err)
		return s
	}
	rpmArch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	require.Equal(t, []string{p.name(), version, "1", rpmArch},
		[]string{str(rpmutils.NAME), str(rpmutils.VERSION), str(rpmutils.RELEASE), str(rpmutils.ARCH)})

	files, err := h.GetFiles()
	require.NoError(t, err)
	type entry struct {
		Mode   os.FileMode
		Owner  string
		Config bool
	}
	got := map[string]entry{}
	for _, fi := range files {
		if fi.Mode()&0o170000 != 0o100000 { // regular files only
			continue
		}
		const noreplace = rpmutils.RPMFILE_CONFIG | rpmutils.RPMFILE_NOREPLACE
		config := fi.Flags()&noreplace == noreplace
		if !config {
			require.Zero(t, fi.Flags()&rpmutils.RPMFILE_CONFIG, "%s: config without noreplace", fi.Name())
		}
		got[fi.Name()] = entry{os.FileMode(fi.Mode()).Perm(), fi.UserName() + ":" + fi.GroupName(), config}
	}
	want := map[string]entry{}
	for _, w := range wantFiles(p) {
		want[w.path] = entry{w.mode, "root:root", w.config}
	}
	require.Equal(t, want, got, "files in %s", path)

	for tag, field := range map[int]string{rpmutils.PREIN: "preinstall", rpmutils.POSTIN: "postinstall", rpmutils.PREUN: "preremove", rpmutils.POSTUN: "postremove"} {
		script, ok := p.scripts[field]
		if !ok {
			require.False(t, h.HasTag(tag), "%s: unexpected %s script", path, field)
			continue
		}
		want, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "package", "scripts", script))
		require.NoError(t, err)
		require.Equal(t, string(want), str(tag), "%s script in %s", field, path)
	}

	dir := t.TempDir()
	require.NoError(t, r.ExpandPayload(dir))
	checkExtracted(t, dir, p, binVersion, false)
}

// scratchRoot is an empty system for dpkg --root: a package database and
// the account files useradd edits.
func scratchRoot(t *testing.T, dir string) string {
	t.Helper()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	for name, content := range map[string]string{
		"var/lib/dpkg/status": "",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":           "root:x:0:\n",
		"etc/shadow":          "root:*:19000:0:99999:7:::\n",
		"etc/gshadow":         "root:*::\n",
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

// dpkg runs dpkg on the scratch root. Maintainer scripts run outside a
// chroot with DPKG_ROOT set (the root has no shell); ours honour it and
// leave the host's systemd and accounts alone.
func dpkg(t *testing.T, root string, args ...string) string {
	t.Helper()
	return command(t, "dpkg", append([]string{"--root=" + root, "--force-script-chrootless", "--log=/dev/null"}, args...)...)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

func exists(path string) bool { _, err := os.Lstat(path); return err == nil }

// copyRepo copies what Build reads from the repository, so a test can
// make a "next release" with a changed example config.
func copyRepo(t *testing.T, dst string) {
	t.Helper()
	for _, d := range []string{"deploy/systemd", "deploy/examples", "deploy/package/scripts", "deploy/package/doc"} {
		ents, err := os.ReadDir(filepath.Join(repoRoot, d))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dst, d), 0o755))
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(repoRoot, d, e.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dst, d, e.Name()), b, 0o644))
		}
	}
}

// nextRelease builds v1.1.0 packages: new binaries, and both example
// configs changed (a line added), from a copy of the repository in tmp/repo2.
func nextRelease(t *testing.T, tmp string) []string {
	t.Helper()
	repo2 := filepath.Join(tmp, "repo2")
	copyRepo(t, repo2)
	for _, f := range []string{"agent.yaml", "collector.yaml"} {
		p := filepath.Join(repo2, "deploy/examples", f)
		require.NoError(t, os.WriteFile(p, []byte(read(t, p)+"# new in 1.1.0\n"), 0o644))
	}
	dist2 := filepath.Join(tmp, "dist2")
	buildBinaries(t, dist2, "v1.1.0")
	v2, err := Build(context.Background(), Options{
		Repo: repo2, Dist: dist2, Out: filepath.Join(tmp, "out2"), Version: "v1.1.0",
		Arches: []string{runtime.GOARCH}, Formats: []string{"deb", "rpm"}, GzipLevel: 1,
	})
	require.NoError(t, err)
	return v2
}

func installCycle(t *testing.T, tmp string, v1, v2 []string) {
	hostPasswd := read(t, "/etc/passwd")
	root := scratchRoot(t, filepath.Join(tmp, "root"))
	agentDeb, collectorDeb := byName(t, v1, "sightline-agent", ".deb"), byName(t, v1, "sightline-collector", ".deb")
	out := dpkg(t, root, "-i", agentDeb, collectorDeb)

	// The postinstall tells how to enroll without the secret in history.
	require.Contains(t, out, "--enroll-secret-file")
	require.Contains(t, out, "SIGHTLINE_ENROLL_SECRET")
	require.Contains(t, out, "systemctl enable --now sightline-agent")
	for _, p := range programs {
		for _, w := range wantFiles(p) {
			fi, err := os.Stat(filepath.Join(root, w.path))
			require.NoError(t, err)
			require.Equal(t, w.mode, fi.Mode().Perm(), w.path)
		}
		require.Equal(t, p.name()+" v1.0.0\n", command(t, filepath.Join(root, "usr/bin", p.name()), "--version"))
	}

	// The collector's system user: no login, its state dir as home.
	var user []string
	for _, line := range strings.Split(read(t, filepath.Join(root, "etc/passwd")), "\n") {
		if strings.HasPrefix(line, "sightline:") {
			user = strings.Split(line, ":")
		}
	}
	require.Len(t, user, 7, "no user sightline in the scratch root's /etc/passwd")
	require.Equal(t, []string{"Sightline collector", "/var/lib/sightline-collector", "/usr/sbin/nologin"}, user[4:])
	require.Regexp(t, `^[0-9]{1,3}$`, user[2], "a system uid (below 1000)")
	require.Contains(t, read(t, filepath.Join(root, "etc/group")), "\nsightline:x:"+user[3]+":")
	require.Equal(t, hostPasswd, read(t, "/etc/passwd"), "the scripts touched the host's /etc/passwd")

	t.Run("systemd-analyze verify", func(t *testing.T) { verifyUnits(t, root) })

	// Local state and edits, as a running system would have them.
	agentYAML := filepath.Join(root, "etc/sightline/agent.yaml")
	edited := read(t, agentYAML) + "# edited on this host\n"
	require.NoError(t, os.WriteFile(agentYAML, []byte(edited), 0o644))
	state := map[string]string{
		"var/lib/sightline-agent/credentials.json": `{"agent_id":"a1"}`,
		"var/lib/sightline-collector/keys.json":    `{"keys":[]}`,
	}
	for p, c := range state {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), []byte(c), 0o600))
	}

	repo2 := filepath.Join(tmp, "repo2")
	// What unattended upgrades do (apt -o Dpkg::Options::=--force-confold):
	// keep an edited conffile, take an unedited one.
	out = dpkg(t, root, "--force-confdef", "--force-confold", "-i", byName(t, v2, "sightline-agent", ".deb"), byName(t, v2, "sightline-collector", ".deb"))
	require.NotContains(t, out, "is installed, not enrolled", "an upgrade repeats the first-install message")
	for _, p := range programs {
		require.Equal(t, p.name()+" v1.1.0\n", command(t, filepath.Join(root, "usr/bin", p.name()), "version"))
	}
	require.Equal(t, edited, read(t, agentYAML), "the upgrade lost the local edit")
	require.Contains(t, read(t, agentYAML+".dpkg-dist"), "# new in 1.1.0", "the new example is offered beside it")
	require.Equal(t, read(t, filepath.Join(repo2, "deploy/examples/collector.yaml")), read(t, filepath.Join(root, "etc/sightline/collector.yaml")),
		"an unedited config follows the package")
	for p, c := range state {
		require.Equal(t, c, read(t, filepath.Join(root, p)), "the upgrade lost %s", p)
	}
	require.Equal(t, 1, strings.Count(read(t, filepath.Join(root, "etc/passwd")), "\nsightline:"), "the upgrade added the user again")

	// Remove: programs go, configuration and data stay.
	dpkg(t, root, "-r", "sightline-agent", "sightline-collector")
	for _, p := range programs {
		require.False(t, exists(filepath.Join(root, "usr/bin", p.name())), "%s still installed", p.name())
		require.False(t, exists(filepath.Join(root, "usr/lib/systemd/system", p.name()+".service")))
	}
	require.Equal(t, edited, read(t, agentYAML))
	for p, c := range state {
		require.Equal(t, c, read(t, filepath.Join(root, p)), "removal deleted %s", p)
	}

	// Purge: configuration goes, the agent's state too (it re-enrolls);
	// the collector's keys stay (no table holds them).
	out = dpkg(t, root, "-P", "sightline-agent", "sightline-collector")
	require.Contains(t, out, "kept /var/lib/sightline-collector")
	require.False(t, exists(agentYAML))
	require.False(t, exists(filepath.Join(root, "etc/sightline/collector.yaml")))
	require.False(t, exists(filepath.Join(root, "var/lib/sightline-agent")))
	require.Equal(t, state["var/lib/sightline-collector/keys.json"], read(t, filepath.Join(root, "var/lib/sightline-collector/keys.json")))
	require.Equal(t, hostPasswd, read(t, "/etc/passwd"))
}

// verifyUnits runs systemd-analyze verify on the installed units inside the
// scratch root: unknown keys, bad values and a missing ExecStart binary are
// all reported, and any report fails the test.
func verifyUnits(t *testing.T, root string) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed: units not verified")
	}
	// The units reach multi-user.target, network-online.target and so on:
	// give the root the host's targets, and /bin/kill (ExecReload), and
	// take them away afterwards so the removal checks see only dpkg's work.
	hostTargets, err := filepath.Glob("/usr/lib/systemd/system/*.target")
	require.NoError(t, err)
	require.NotEmpty(t, hostTargets, "no systemd targets on this host")
	unitDir := filepath.Join(root, "usr/lib/systemd/system")
	var added []string
	for _, src := range hostTargets {
		dst := filepath.Join(unitDir, filepath.Base(src))
		if exists(dst) {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil { // a dangling alias: not needed
			continue
		}
		require.NoError(t, os.WriteFile(dst, b, 0o644))
		added = append(added, dst)
	}
	kill := filepath.Join(root, "bin/kill")
	require.NoError(t, os.MkdirAll(filepath.Dir(kill), 0o755))
	require.NoError(t, os.WriteFile(kill, []byte("#!/bin/sh\n"), 0o755))
	added = append(added, kill, filepath.Dir(kill))
	t.Cleanup(func() {
		sort.Sort(sort.Reverse(sort.StringSlice(added)))
		for _, p := range added {
			_ = os.Remove(p)
		}
	})
	for _, p := range programs {
		cmd := exec.Command("systemd-analyze", "verify", "--man=no", "--root="+root, p.name()+".service")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "systemd-analyze verify %s:\n%s", p.name(), out)
		require.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify %s has remarks", p.name())
	}
}

// rpmCycle installs, upgrades and erases the .rpms with rpm --root. rpm runs
// scriptlets chrooted into the root, which has no shell, so --noscripts:
// this checks what rpm itself does (files, modes, %config(noreplace)); the
// scripts' rpm arguments are checked by rpmScriptArgs.
func rpmCycle(t *testing.T, root string, v1, v2 []string) {
	require.NoError(t, os.MkdirAll(root, 0o755))
	rpm := func(args ...string) string {
		t.Helper()
		return command(t, "rpm", append([]string{"--root", root, "--noscripts", "--nodeps"}, args...)...)
	}
	command(t, "rpm", "--root", root, "--initdb")
	rpm("-i", byName(t, v1, "sightline-agent", ".rpm"), byName(t, v1, "sightline-collector", ".rpm"))
	for _, p := range programs {
		for _, w := range wantFiles(p) {
			fi, err := os.Stat(filepath.Join(root, w.path))
			require.NoError(t, err)
			require.Equal(t, w.mode, fi.Mode().Perm(), w.path)
		}
		require.Equal(t, p.name()+" v1.0.0\n", command(t, filepath.Join(root, "usr/bin", p.name()), "--version"))
	}
	agentYAML := filepath.Join(root, "etc/sightline/agent.yaml")
	edited := read(t, agentYAML) + "# edited on this host\n"
	require.NoError(t, os.WriteFile(agentYAML, []byte(edited), 0o644))

	rpm("-U", byName(t, v2, "sightline-agent", ".rpm"), byName(t, v2, "sightline-collector", ".rpm"))
	require.Equal(t, "sightline-agent-1.1.0-1\nsightline-collector-1.1.0-1\n",
		command(t, "rpm", "--root", root, "-q", "--qf", "%{NAME}-%{VERSION}-%{RELEASE}\\n", "sightline-agent", "sightline-collector"))
	for _, p := range programs {
		require.Equal(t, p.name()+" v1.1.0\n", command(t, filepath.Join(root, "usr/bin", p.name()), "version"))
	}
	require.Equal(t, edited, read(t, agentYAML), "the upgrade lost the local edit")
	require.Contains(t, read(t, agentYAML+".rpmnew"), "# new in 1.1.0", "the new example is offered beside it")
	require.Contains(t, read(t, filepath.Join(root, "etc/sightline/collector.yaml")), "# new in 1.1.0", "an unedited config follows the package")

	rpm("-e", "sightline-agent", "sightline-collector")
	for _, p := range programs {
		require.False(t, exists(filepath.Join(root, "usr/bin", p.name())), "%s still installed", p.name())
	}
	require.Equal(t, edited, read(t, agentYAML+".rpmsave"), "erasing lost the edited config")
}

// rpmScriptArgs runs the maintainer scripts the way rpm calls them (%pre
// and %post get 1 on install, 2 on upgrade; %preun and %postun 0 on erase,
// 1 on upgrade), against a scratch root through DPKG_ROOT, which keeps them
// off the host's systemd and accounts.
func rpmScriptArgs(t *testing.T, root string) {
	scratchRoot(t, root)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "var/lib/sightline-agent"), 0o700))
	creds := filepath.Join(root, "var/lib/sightline-agent/credentials.json")
	require.NoError(t, os.WriteFile(creds, []byte("{}"), 0o600))
	script := func(name, arg string) string {
		t.Helper()
		cmd := exec.Command("sh", filepath.Join(repoRoot, "deploy/package/scripts", name), arg)
		cmd.Env = append(os.Environ(), "DPKG_ROOT="+root)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s %s:\n%s", name, arg, out)
		return string(out)
	}
	require.Contains(t, script("agent-postinstall.sh", "1"), "--enroll-secret-file", "install: the enrollment message")
	require.Empty(t, script("agent-postinstall.sh", "2"), "upgrade: no message")
	require.Empty(t, script("collector-preinstall.sh", "1"))
	require.Contains(t, read(t, filepath.Join(root, "etc/passwd")), "\nsightline:")
	require.Empty(t, script("collector-preinstall.sh", "2"), "upgrade: the user exists already")
	require.Equal(t, 1, strings.Count(read(t, filepath.Join(root, "etc/passwd")), "\nsightline:"))
	require.Contains(t, script("collector-postinstall.sh", "1"), "token create --role agent-enroll")
	require.Empty(t, script("collector-postinstall.sh", "2"))
	for _, name := range []string{"agent-preremove.sh", "agent-postremove.sh", "collector-preremove.sh", "collector-postremove.sh"} {
		for _, arg := range []string{"1", "0"} {
			require.Empty(t, script(name, arg), "%s %s", name, arg)
		}
	}
	require.Equal(t, "{}", read(t, creds), "rpm has no purge: erasing keeps the agent's state")
}
