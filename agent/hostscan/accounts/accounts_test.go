package accounts

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var now = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) // day 20779

func TestLoad(t *testing.T) {
	db, err := Load(Options{Root: "testdata/host", Now: func() time.Time { return now }})
	require.NoError(t, err)
	type row struct {
		Name                                         string
		UID                                          int
		System, Human, Login, UID0                   bool
		Locked, NoPassword, Set, MustChange, Expired bool
		Age                                          int
		Groups                                       string
	}
	var got []row
	for _, u := range db.Users {
		got = append(got, row{u.Name, u.UID, u.System, u.Human, u.LoginShell, u.UID0,
			u.Locked, u.NoPassword, u.PasswordSet, u.MustChange, u.Expired, u.PasswordAge, strings.Join(u.Groups, ",")})
	}
	require.Equal(t, []row{
		{"root", 0, true, false, true, true, false, false, true, false, false, 779, "root"},
		{"daemon", 1, true, false, false, false, true, false, false, false, false, 779, "daemon"},
		{"toor", 0, true, false, true, true, false, false, true, false, false, 779, "root"},
		{"alice", 1000, false, true, true, false, false, false, true, false, false, 379, "alice,adm,sudo"},
		{"bob", 1001, false, true, true, false, false, false, true, true, false, -1, "bob,docker,sudo"},
		{"locked", 1002, false, true, true, false, true, false, false, false, false, 779, ""},
		{"nopass", 1003, false, true, true, false, false, true, false, false, false, 779, ""},
		{"expired", 1004, false, true, true, false, false, false, true, false, true, 779, ""},
		{"svc", 998, true, false, false, false, true, false, false, false, false, 779, "adm"},
		{"nobody", 65534, true, false, false, false, false, false, false, false, false, -1, ""},
	}, got)
	var probs []string
	for _, p := range db.Problems {
		probs = append(probs, p.String())
	}
	require.Equal(t, []string{
		"/etc/passwd:10: user name empty or uid/gid not a number",
		"/etc/passwd:11: expected 7 fields, got 3",
		"/etc/shadow:10: expected 9 fields, got 5",
		"/etc/group:8: expected 4 fields, got 3",
	}, probs)
	require.NotContains(t, fmt.Sprintf("%+v", db), "SECRETHASH", "no hash is kept anywhere")
	for _, g := range db.Groups {
		if g.Name == "sudo" {
			require.Equal(t, []string{"alice", "bob"}, g.Members)
		}
	}
}

func TestMissingShadow(t *testing.T) {
	db, err := Load(Options{Root: "testdata/noshadow"})
	require.NoError(t, err)
	require.Len(t, db.Users, 1)
	require.False(t, db.Users[0].HasShadow)
	require.Equal(t, "/etc/shadow:0: unreadable (missing): password state unknown", db.Problems[0].String())
	_, err = Load(Options{Root: t.TempDir()})
	require.ErrorContains(t, err, "passwd")
}

func FuzzPasswd(f *testing.F) {
	f.Add("root:x:0:0:root:/root:/bin/bash\n+::::::\n")
	f.Fuzz(func(t *testing.T, in string) { _, _ = ParsePasswd("p", strings.NewReader(in)) })
}

func FuzzShadow(f *testing.F) {
	f.Add("root:$6$a$b:20000:0:99999:7:::\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, probs := parseShadow("s", strings.NewReader(in))
		for _, p := range probs {
			require.NotContains(t, p.Msg, "$")
		}
		var u User
		for _, e := range m {
			e.apply(&u, now)
		}
	})
}

func FuzzGroup(f *testing.F) {
	f.Add("sudo:x:27:alice, bob\n")
	f.Fuzz(func(t *testing.T, in string) { _, _ = ParseGroup("g", strings.NewReader(in)) })
}
