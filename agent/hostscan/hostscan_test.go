package hostscan

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

func scanRoot(t *testing.T, root string) ([]wire.Record, *wire.Record) {
	t.Helper()
	no := false
	var recs []wire.Record
	res, err := Scan(context.Background(), Options{Root: root, Host: "h1", Inventory: &no,
		Now: func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) }}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		recs = append(recs, *r)
		return nil
	})
	require.NoError(t, err)
	return recs, res
}

func TestFixtureHost(t *testing.T) {
	recs, res := scanRoot(t, "testdata/host")
	names := map[string]string{}
	for _, r := range recs {
		if r.Kind == wire.KindPrincipal {
			names[r.PrincipalID] = r.Name
		}
		if r.Kind == wire.KindAsset {
			names[r.AssetID] = "host"
		}
	}
	names[wire.LocalPrincipalID("h1", "everyone", "")] = "everyone"
	var principals, ents []string
	for _, r := range recs {
		switch r.Kind {
		case wire.KindPrincipal:
			if r.Privileged {
				principals = append(principals, fmt.Sprintf("%s (%s): %s", r.Name, r.PrincipalType, strings.Join(r.PrivilegedVia, " | ")))
			}
		case wire.KindEntitlement:
			if r.Permission != "member" || r.Privileged {
				ents = append(ents, fmt.Sprintf("%s -%s-> %s %s", names[r.PrincipalID], r.Permission, names[r.ResourceID], strings.Join(r.Via, " | ")))
			}
		}
	}
	sort.Strings(principals)
	sort.Strings(ents)
	require.Equal(t, []string{
		"Domain Admins (group): sudo /etc/sudoers.d/50-team:1: \"%Domain Admins\" ALL = (ALL) NOPASSWD: ALL",
		"alice (user): member of sudo: group sudo: may run any command as root through sudo on Debian and Ubuntu | member of sudo: sudo /etc/sudoers:3: %sudo ALL = (ALL : ALL) ALL",
		"bob (user): member of docker: group docker: can start a container with the host's root file system mounted",
		"carol (user): member of Domain Admins: sudo /etc/sudoers.d/50-team:1: \"%Domain Admins\" ALL = (ALL) NOPASSWD: ALL",
		"docker (group): group docker: can start a container with the host's root file system mounted",
		"root (group): group root: owns system files and devices",
		"root (user): member of root: group root: owns system files and devices | sudo /etc/sudoers:2: root ALL = (ALL : ALL) ALL | uid 0",
		"sudo (group): group sudo: may run any command as root through sudo on Debian and Ubuntu | sudo /etc/sudoers:3: %sudo ALL = (ALL : ALL) ALL",
		"toor (user): member of root: group root: owns system files and devices | uid 0",
		"www (service): sudo /etc/sudoers.d/50-team:3: www ALL = (ALL) ALL, !/bin/sh (the negated commands do not stop a shell escape)",
	}, principals)
	require.Equal(t, []string{
		"Domain Admins -sudo:all-> host sudoers /etc/sudoers.d/50-team:1: \"%Domain Admins\" ALL = (ALL) NOPASSWD: ALL | runas root | ALL commands | no password (NOPASSWD or !authenticate)",
		"alice -member-> sudo ",
		"alice -ssh_key-> host /home/alice/.ssh/authorized_keys:1 ssh-ed25519 256 SHA256:lbmsoA0yIEcEiVDRnMWuzm+nV+3ZEEpVIURqFoeSspg",
		"bob -member-> docker ",
		"carol -member-> Domain Admins ",
		"dave -sudo:commands-> host sudoers /etc/sudoers.d/50-team:2: dave ALL = (root) /usr/bin/systemctl restart nginx | runas root",
		"root -member-> root primary group",
		"root -ssh_key-> host /root/.ssh/authorized_keys:1 ssh-ed25519 256 SHA256:lbmsoA0yIEcEiVDRnMWuzm+nV+3ZEEpVIURqFoeSspg | forced command | from=10.0.0.0/8",
		"root -sudo:all-> host sudoers /etc/sudoers:2: root ALL = (ALL : ALL) ALL | runas root | ALL commands",
		"sudo -sudo:all-> host sudoers /etc/sudoers:3: %sudo ALL = (ALL : ALL) ALL | runas root | ALL commands",
		"toor -member-> root primary group",
		"toor -ssh_key-> host /root/.ssh/authorized_keys:1 ssh-ed25519 256 SHA256:lbmsoA0yIEcEiVDRnMWuzm+nV+3ZEEpVIURqFoeSspg | forced command | from=10.0.0.0/8",
		"www -sudo:all-but-negated-> host sudoers /etc/sudoers.d/50-team:3: www ALL = (ALL) ALL, !/bin/sh | runas root | ALL commands | negated /bin/sh (bypassable)",
	}, ents)
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Equal(t, []string{"sudoers: /etc/sudoers.d/50-team:4: expected '=' after the host list"}, res.Errors,
		"the broken line is reported with file and line; the rules around it still count")
	require.EqualValues(t, 8, res.Stats["users"])
}

// The live machine: the scan runs through and emits the host and its
// accounts; problems are only what the machine itself has.
func TestLiveHost(t *testing.T) {
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Skip("no /etc/passwd on this platform")
	}
	yes := true
	var n int
	res, err := Scan(context.Background(), Options{Inventory: &yes}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		n++
		return nil
	})
	require.NoError(t, err)
	require.NotEqual(t, wire.StatusFailed, res.Status)
	require.Positive(t, res.Stats["users"])
	if os.Geteuid() == 0 {
		require.Equal(t, wire.StatusOK, res.Status, "as root every source is readable: %v", res.Errors)
	}
}
