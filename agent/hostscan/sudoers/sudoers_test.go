package sudoers

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/safeio"
)

// brief renders a grant as one comparable line.
func brief(g Grant) string {
	flags := []string{}
	if g.RunasRoot {
		flags = append(flags, "root")
	}
	if g.AllCommands {
		flags = append(flags, "ALL")
	}
	if g.NoPassword {
		flags = append(flags, "nopasswd")
	}
	s := fmt.Sprintf("%s [%s] hosts=%s", g.Principal, strings.Join(flags, ","), strings.Join(g.Hosts, ","))
	if len(g.Commands) > 0 {
		s += " cmds=" + strings.Join(g.Commands, ";")
	}
	if len(g.NegatedCommands) > 0 {
		s += " not=" + strings.Join(g.NegatedCommands, ";")
	}
	return s + fmt.Sprintf(" @%s:%d", filepath.Base(g.File), g.Line)
}

func TestFixture(t *testing.T) {
	p, err := Parse("/etc/sudoers", Options{Root: "testdata/basic"})
	require.NoError(t, err)
	var got []string
	for _, g := range p.Grants() {
		got = append(got, brief(g))
	}
	require.Equal(t, []string{
		`root [root,ALL] hosts=ALL @sudoers:14`,
		`%sudo [root,ALL] hosts=ALL @sudoers:15`,
		`"%Domain Admins" [root,ALL,nopasswd] hosts=ALL @sudoers:16`,
		`"%Domain Users" [root] hosts=ALL cmds=/usr/bin/systemctl status * @sudoers:17`,
		`"%:Linux Ops" [root,ALL] hosts=ALL not=/bin/sh;/bin/bash @sudoers:18`,
		// runas DBA (postgres, mysql): not root; NOPASSWD for psql only
		`dave [nopasswd] hosts=ALL cmds=/usr/bin/pg_dump;/usr/bin/psql @sudoers:19`,
		// NESTED = ADMINS (alice, %wheel, ops1 over a continued line) + carol
		`alice [root] hosts=web1,web2,db1 cmds=/usr/bin/apt;/usr/bin/dpkg;/usr/bin/less /var/log/syslog @sudoers:20`,
		`%wheel [root] hosts=web1,web2,db1 cmds=/usr/bin/apt;/usr/bin/dpkg;/usr/bin/less /var/log/syslog @sudoers:20`,
		`ops1 [root] hosts=web1,web2,db1 cmds=/usr/bin/apt;/usr/bin/dpkg;/usr/bin/less /var/log/syslog @sudoers:20`,
		`carol [root] hosts=web1,web2,db1 cmds=/usr/bin/apt;/usr/bin/dpkg;/usr/bin/less /var/log/syslog @sudoers:20`,
		// Defaults:bob !authenticate
		`bob [root,nopasswd] hosts=ALL cmds=/usr/bin/id @sudoers:21`,
		`#1001 [root] hosts=ALL cmds=/usr/bin/whoami @sudoers:22`,
		`erin [root,nopasswd] hosts=ALL cmds=/usr/bin/vi "" @sudoers:23`,
		`ALL [root] hosts=ALL cmds=/usr/bin/uptime @sudoers:24`,
		`frank [root,ALL,nopasswd] hosts=ALL @10-admins:1`,
		// read through @include from 10-admins and again by @includedir,
		// as sudo reads it
		`grace [root,ALL] hosts=ALL @20-more:1`,
		`grace [root,ALL] hosts=ALL @20-more:1`,
	}, got)
	var probs []string
	for _, pr := range p.Problems {
		probs = append(probs, pr.String())
	}
	require.Equal(t, []string{
		"/etc/sudoers.d/10-admins:2: runas list not closed with ')'",
		"/etc/sudoers.d/10-admins:3: User_Alias name must be upper case letters, digits and _",
		"/etc/sudoers.d/20-more:2: include loop: /etc/sudoers.d/20-more includes itself",
		"/etc/sudoers.d/20-more:2: include loop: /etc/sudoers.d/20-more includes itself",
	}, probs)
	require.Equal(t, []string{"/etc/sudoers", "/etc/sudoers.d/10-admins", "/etc/sudoers.d/20-more", "/etc/sudoers.d/20-more"}, p.Files,
		"old~ and x.bak are skipped by @includedir")
}

func TestLines(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		problems int
	}{
		{"comment after rule", "amy ALL = /bin/ls # list\n", []string{"amy [root] hosts=ALL cmds=/bin/ls @x:1"}, 0},
		{"uid user not a comment", "#0 ALL = ALL\n", []string{"#0 [root,ALL] hosts=ALL @x:1"}, 0},
		{"runas group only", "amy ALL = (:wheel) /bin/ls\n", []string{"amy [] hosts=ALL cmds=/bin/ls @x:1"}, 0},
		{"runas by uid", "amy ALL = (#0) /bin/ls\n", []string{"amy [root] hosts=ALL cmds=/bin/ls @x:1"}, 0},
		{"tags carry over, PASSWD resets", "amy ALL = NOPASSWD: /bin/a, /bin/b, PASSWD: /bin/c\n", []string{"amy [root,nopasswd] hosts=ALL cmds=/bin/a;/bin/b;/bin/c @x:1"}, 0},
		{"negated user in list", "ALL, !amy ALL = /bin/ls\n", []string{"ALL [root] hosts=ALL cmds=/bin/ls @x:1"}, 0},
		{"global !authenticate", "Defaults !authenticate\namy ALL = /bin/ls\n", []string{"amy [root,nopasswd] hosts=ALL cmds=/bin/ls @x:2"}, 0},
		{"alias cycle", "User_Alias A = B\nUser_Alias B = A\nA ALL = /bin/ls\n", nil, 1},
		{"relative command", "amy ALL = ls\n", nil, 1},
		{"garbage then a good line", "))) ((( ===\namy ALL = /bin/ls\n", []string{"amy [root] hosts=ALL cmds=/bin/ls @x:2"}, 1},
		{"unterminated quote", "\"%Domain Users ALL = ALL\n", nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseReader("x", strings.NewReader(tc.in))
			require.NoError(t, err)
			var got []string
			for _, g := range p.Grants() {
				got = append(got, brief(g))
			}
			require.Equal(t, tc.want, got)
			require.Len(t, p.Problems, tc.problems, "%v", p.Problems)
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/basic/etc/sudoers", "testdata/basic/etc/sudoers.d/10-admins"} {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(string(b))
	}
	f.Add("User_Alias A = B, !C : B = A\nA ALL = (A : B) NOPASSWD: ALL, !/bin/sh \\\n, /x\n")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseReader("f", strings.NewReader(in))
		require.NoError(t, err)
		_ = p.Grants()
	})
}

func TestIncludesAreBoundedInAll(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc", "sudoers.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc", "sudoers"), []byte("@includedir /etc/sudoers.d\n"), 0o644))
	for i := range 20 { // 20 files at the 4 MiB cap: 80 MiB (sparse on disk)
		f, err := os.Create(filepath.Join(root, "etc", "sudoers.d", fmt.Sprintf("f%02d", i)))
		require.NoError(t, err)
		require.NoError(t, f.Truncate(safeio.ConfigMaxSize))
		require.NoError(t, f.Close())
	}
	p, err := Parse("/etc/sudoers", Options{Root: root})
	require.NoError(t, err)
	require.Less(t, len(p.Files), 20)
	var msgs []string
	for _, pr := range p.Problems {
		msgs = append(msgs, pr.Msg)
	}
	require.Contains(t, strings.Join(msgs, "\n"), "includes exceed 64 MiB in all")
}
