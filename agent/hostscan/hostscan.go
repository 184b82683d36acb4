// Package hostscan answers "who is an administrator here, by which rule,
// and who can log in how": it reads the local accounts, sudoers, the
// root-equivalent groups and SSH keys under a root directory and emits
// asset (the host), principal (accounts, groups) and entitlement records
// (group membership, sudo rights, SSH keys). On the live system (root "/")
// it adds the inventory: OS, kernel, addresses, listening services.
package hostscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/agent/hostscan/accounts"
	"github.com/sightline-dev/sightline/agent/hostscan/sshkeys"
	"github.com/sightline-dev/sightline/agent/hostscan/sudoers"
	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/internal/safeio"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options configures a host scan.
type Options struct {
	Root    string // "" is "/": the live system
	Host    string // default: the hostname
	AgentID string
	// Inventory adds OS, kernel, addresses and listening services of the
	// running system (default: only when Root is "/").
	Inventory *bool
	Now       func() time.Time
	Logger    *slog.Logger
}

// rootEquivalent are groups whose members can become root or read what
// only root should, and why.
var rootEquivalent = map[string]string{
	"root":   "group root: owns system files and devices",
	"sudo":   "group sudo: may run any command as root through sudo on Debian and Ubuntu",
	"wheel":  "group wheel: may run any command as root through sudo or su on Red Hat-like systems",
	"admin":  "group admin: administrators through sudo on older Ubuntu",
	"docker": "group docker: can start a container with the host's root file system mounted",
	"lxd":    "group lxd: can start a privileged container with the host's root file system mounted",
	"disk":   "group disk: raw read and write access to block devices, so to every file",
	"shadow": "group shadow: can read /etc/shadow password hashes",
	"adm":    "group adm: can read system logs, which may hold secrets",
}

// privilegedGroups are the root-equivalent groups that make a member
// privileged (adm and shadow expose data but do not give root).
var privilegedGroups = map[string]bool{"root": true, "sudo": true, "wheel": true, "admin": true, "docker": true, "lxd": true, "disk": true}

// Scan reads the host and calls emit for every record; it returns the
// scan record, which it has also emitted. Problems in the sources (a
// malformed line, an unreadable file) become the scan's errors; only a
// missing /etc/passwd or a failing emit fail the scan.
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
	}
	live := filepath.Clean(o.Root) == "/"
	if o.Inventory == nil {
		o.Inventory = &live
	}
	run := scanrun.Begin(scanrun.Options{Scanner: "host", Source: wire.SourceHost, Host: o.Host, AgentID: o.AgentID, Now: o.Now})
	env, problem, stats := run.Record, run.Problem, run.Stats
	stats["skipped"] = 0
	finish := func(status string) (*wire.Record, error) { return run.Finish(status, emit) }

	cancelled := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("host scan cancelled: %w", err)
		}
		return nil
	}
	if err := cancelled(); err != nil {
		return nil, err
	}
	// Every file is read through root: names resolve inside it (a mounted
	// image's symlinks and includes cannot lead out), nothing blocks on a
	// FIFO or reads a device, and sizes are capped.
	root, err := safeio.OpenRoot(o.Root)
	if err != nil {
		problem(err.Error())
		return finish(wire.StatusFailed)
	}
	defer root.Close()
	skipped := func(msg string) {
		stats["skipped"]++
		problem(msg)
	}

	db, err := accounts.Load(accounts.Options{Root: o.Root, Files: root, Now: o.Now})
	switch {
	case err != nil && live && runtime.GOOS == "windows":
		// Local accounts of Windows come from the SAM, not yet read: the
		// host and its inventory are still reported.
		db = &accounts.DB{}
	case err != nil:
		problem(err.Error())
		return finish(wire.StatusFailed)
	}
	for _, p := range db.Problems {
		if strings.Contains(p.Msg, "skipped") {
			skipped(p.String())
			continue
		}
		problem(p.String())
	}
	policy, err := sudoers.Parse("/etc/sudoers", sudoers.Options{Root: o.Root, Files: root})
	var grants []sudoers.Grant
	switch {
	case err == nil:
		for _, p := range policy.Problems {
			if strings.Contains(p.Msg, "skipped") {
				skipped("sudoers: " + p.String())
				continue
			}
			problem("sudoers: " + p.String())
		}
		grants = policy.Grants()
	case errors.Is(err, os.ErrNotExist):
	case safeio.Skipped(err):
		skipped(err.Error())
	default:
		problem("sudoers unreadable: run the agent as root to see sudo rights")
	}
	sshd := sshkeys.ReadSSHD(root, "/etc/ssh/sshd_config")
	for _, p := range sshd.Problems {
		if strings.Contains(p.Msg, "skipped") {
			skipped("sshd_config: " + p.String())
			continue
		}
		problem("sshd_config: " + p.String())
	}
	if err := cancelled(); err != nil {
		return nil, err
	}

	hostRec := env(wire.KindAsset)
	hostRec.AssetType, hostRec.Location = "host", wire.HostLocation(o.Host)
	hostRec.AssetID = wire.AssetID(wire.SourceHost, o.Host, hostRec.Location)
	hostRec.Attributes = map[string]string{}
	rootLogin, rootPassword := sshd.RootLogin()
	hostRec.Attributes["ssh_permit_root_login"] = sshd.PermitRootLogin
	hostRec.Attributes["ssh_root_login"] = strconv.FormatBool(rootLogin)
	hostRec.Attributes["ssh_root_password_login"] = strconv.FormatBool(rootPassword)
	hostRec.Attributes["ssh_password_authentication"] = strconv.FormatBool(sshd.PasswordAuthentication)
	if *o.Inventory {
		for k, v := range inventory(ctx, o.Logger) {
			hostRec.Attributes[k] = v
		}
	}
	if err := emit(&hostRec); err != nil {
		return nil, err
	}
	hostID := hostRec.AssetID

	userID := func(n string) string { return wire.LocalPrincipalID(o.Host, "user", n) }
	groupID := func(n string) string { return wire.LocalPrincipalID(o.Host, "group", n) }
	everyone := wire.LocalPrincipalID(o.Host, "everyone", "")

	// Why each principal is privileged, from sudo and group membership.
	via := map[string][]string{}
	groupOf := map[string]accounts.Group{}
	for _, g := range db.Groups {
		groupOf[g.Name] = g
	}
	var sudoEnts []wire.Record
	for _, g := range grants {
		var pid string
		switch g.Principal.Kind {
		case "user":
			pid = userID(g.Principal.Name)
		case "group", "nonunix_group":
			pid = groupID(g.Principal.Name)
		case "all":
			pid = everyone
		case "uid":
			for _, u := range db.Users {
				if strconv.Itoa(u.UID) == g.Principal.Name {
					pid = userID(u.Name)
				}
			}
		case "gid":
			for _, gr := range db.Groups {
				if strconv.Itoa(gr.GID) == g.Principal.Name {
					pid = groupID(gr.Name)
				}
			}
		}
		if pid == "" {
			continue // a netgroup or an unknown id: nothing local to attach it to
		}
		full := g.RunasRoot && g.AllCommands
		perm := "sudo"
		switch {
		case full && len(g.NegatedCommands) > 0:
			perm = "sudo:all-but-negated"
		case full:
			perm = "sudo:all"
		case g.RunasRoot:
			perm = "sudo:commands"
		}
		e := env(wire.KindEntitlement)
		e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = pid, hostID, "host", perm
		// The rule, then its flags: what a reviewer checks first.
		e.Via = []string{"sudoers " + g.Reason()}
		if g.RunasRoot {
			e.Via = append(e.Via, "runas root")
		}
		if g.AllCommands {
			e.Via = append(e.Via, "ALL commands")
		}
		for _, n := range g.NegatedCommands {
			e.Via = append(e.Via, "negated "+n+" (bypassable)")
		}
		if g.NoPassword {
			e.Via = append(e.Via, "no password (NOPASSWD or !authenticate)")
		}
		e.Privileged = full
		sudoEnts = append(sudoEnts, e)
		if full {
			why := "sudo " + g.Reason()
			if len(g.NegatedCommands) > 0 {
				why += " (the negated commands do not stop a shell escape)"
			}
			via[pid] = append(via[pid], why)
		}
	}

	// Groups.
	for _, g := range db.Groups {
		pid := groupID(g.Name)
		if reason, ok := rootEquivalent[g.Name]; ok && privilegedGroups[g.Name] {
			via[pid] = append(via[pid], reason)
		}
	}
	for _, g := range db.Groups {
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType = groupID(g.Name), g.Name, "group"
		r.Privileged, r.PrivilegedVia = len(via[r.PrincipalID]) > 0, capList(via[r.PrincipalID], 32)
		r.Attributes = map[string]string{"gid": strconv.Itoa(g.GID), "members": strconv.Itoa(len(g.Members) + len(g.Primary))}
		if reason, ok := rootEquivalent[g.Name]; ok {
			r.Attributes["root_equivalent"] = reason
		}
		if err := emit(&r); err != nil {
			return nil, err
		}
		stats["groups"]++
	}

	// Users, their memberships and keys.
	for _, u := range db.Users {
		// Users are where the time goes (a file per user and key file):
		// a stop is honoured between them.
		if err := cancelled(); err != nil {
			return nil, err
		}
		pid := userID(u.Name)
		pvia := append([]string(nil), via[pid]...)
		if u.UID0 {
			pvia = append(pvia, "uid 0")
		}
		for _, gname := range u.Groups {
			for _, why := range via[groupID(gname)] {
				pvia = append(pvia, "member of "+gname+": "+why)
			}
		}
		for _, why := range via[everyone] {
			pvia = append(pvia, "everyone: "+why)
		}
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name = pid, u.Name
		r.PrincipalType = "user"
		if u.System && !u.LoginShell {
			r.PrincipalType = "service"
		}
		enabled := u.LoginShell && !u.Expired
		r.Enabled = &enabled
		r.Privileged, r.PrivilegedVia = len(pvia) > 0, capList(pvia, 32)
		r.PasswordLastSet = u.LastChanged
		a := map[string]string{
			"uid": strconv.Itoa(u.UID), "gid": strconv.Itoa(u.GID), "home": u.Home, "shell": u.Shell,
			"system": strconv.FormatBool(u.System), "human": strconv.FormatBool(u.Human),
		}
		if u.HasShadow {
			a["password"] = map[bool]string{true: "locked", false: "set"}[u.Locked]
			if u.NoPassword {
				a["password"] = "none" // login without a password
			}
			if u.PasswordAge >= 0 {
				a["password_age_days"] = strconv.Itoa(u.PasswordAge)
			}
			a["must_change_password"] = strconv.FormatBool(u.MustChange)
			a["expired"] = strconv.FormatBool(u.Expired)
		}
		if u.UID0 && u.Name != "root" {
			a["hygiene"] = "uid 0 account other than root"
		}
		keys := 0
		if u.Home != "" {
			for _, kf := range sshkeys.KeyFiles(sshd.AuthorizedKeysFile, u.Name, u.Home) {
				data, err := root.ReadFile(kf, safeio.ConfigMaxSize)
				if safeio.Skipped(err) {
					// A FIFO, a device, a huge file: reported by path,
					// never read.
					skipped(err.Error())
					continue
				}
				if err != nil {
					continue // no such file, or not readable: no keys
				}
				ks, probs := sshkeys.AuthorizedKeys(kf, bytes.NewReader(data))
				for _, p := range probs {
					problem(p.String())
				}
				for _, k := range ks {
					keys++
					e := env(wire.KindEntitlement)
					e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = pid, hostID, "host", "ssh_key"
					e.Via = []string{fmt.Sprintf("%s:%d %s %d %s", kf, k.Line, k.Type, k.Bits, k.Fingerprint)}
					if k.Command != "" {
						e.Via = append(e.Via, "forced command")
					}
					if k.From != "" {
						e.Via = append(e.Via, "from="+k.From)
					}
					e.Privileged = u.UID0 && rootLogin
					if err := emit(&e); err != nil {
						return nil, err
					}
				}
			}
		}
		a["ssh_keys"] = strconv.Itoa(keys)
		r.Attributes = a
		if err := emit(&r); err != nil {
			return nil, err
		}
		stats["users"]++
		if r.Privileged {
			stats["privileged"]++
		}
		for _, gname := range u.Groups {
			e := env(wire.KindEntitlement)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = pid, groupID(gname), "group", "member"
			if gname == u.PrimaryGroup {
				e.Via = []string{"primary group"}
			}
			e.Privileged = len(via[groupID(gname)]) > 0
			if err := emit(&e); err != nil {
				return nil, err
			}
		}
	}
	for i := range sudoEnts {
		if err := emit(&sudoEnts[i]); err != nil {
			return nil, err
		}
		stats["sudo_rules"]++
	}
	return finish(run.Status())
}

func capList(s []string, n int) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i > 0 && v == s[i-1] {
			continue
		}
		out = append(out, v)
	}
	if len(out) > n {
		out = out[:n]
	}
	return out
}
