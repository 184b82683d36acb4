// Package accounts reads a host's local account databases (/etc/passwd,
// /etc/shadow, /etc/group, /etc/login.defs) from files under a root. It
// never asks NSS: on a directory-joined host that would enumerate the whole
// LDAP or AD directory. Password hashes are read only to classify them and
// are never kept.
package accounts

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/internal/safeio"
)

// Options says where to read and what "now" is (password ages, expiry).
type Options struct {
	Root string // "" is "/"
	// Files, when set, is Root already opened: every name is resolved
	// inside it (symlinks and ".." cannot leave it) and read with a size
	// cap, never blocking on a FIFO or a device.
	Files *safeio.Root
	Now   func() time.Time
}

// Problem is a line that could not be used; Msg never quotes the line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// LoginDefs holds the login.defs values that classify accounts.
type LoginDefs struct {
	UIDMin, UIDMax, PassMaxDays int
}

// User is one passwd entry with what its shadow entry says.
type User struct {
	Name          string
	UID, GID      int
	Gecos         string
	Home, Shell   string
	System        bool // below UID_MIN (root included) or nobody
	Human         bool // UID_MIN..UID_MAX and not nobody
	LoginShell    bool // not nologin/false/sync/shutdown/halt
	UID0          bool
	HasShadow     bool
	Locked        bool // the hash starts with ! or * (no password login)
	NoPassword    bool // empty hash field: login without a password
	PasswordSet   bool
	MustChange    bool // last change 0: change at next login
	LastChanged   *time.Time
	PasswordAge   int // days; -1 when unknown
	MaxDays       int // -1 when empty
	Expires       *time.Time
	Expired       bool
	Groups        []string // primary group first, then supplementary, sorted
	PrimaryGroup  string
	Supplementary []string
}

// Group is one /etc/group entry.
type Group struct {
	Name    string
	GID     int
	Members []string // listed members
	Primary []string // users whose passwd GID is this group
}

// DB is what Load read.
type DB struct {
	Users     []User
	Groups    []Group
	LoginDefs LoginDefs
	Problems  []Problem
}

// Load reads the databases. Only an unreadable passwd file is an error;
// a missing shadow (not root, or a container) or group file is a Problem.
func Load(o Options) (*DB, error) {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	root := o.Files
	if root == nil {
		var err error
		if root, err = safeio.OpenRoot(o.Root); err != nil {
			return nil, err
		}
		defer root.Close()
	}
	db := &DB{LoginDefs: LoginDefs{UIDMin: 1000, UIDMax: 60000, PassMaxDays: -1}}
	read := func(name string, fn func(r io.Reader) []Problem) error {
		data, err := root.ReadFile(name, safeio.ConfigMaxSize)
		if err != nil {
			return err
		}
		db.Problems = append(db.Problems, fn(bytes.NewReader(data))...)
		return nil
	}
	if err := read("/etc/login.defs", func(r io.Reader) []Problem { db.LoginDefs = ParseLoginDefs(r, db.LoginDefs); return nil }); err != nil && !errors.Is(err, fs.ErrNotExist) {
		db.Problems = append(db.Problems, Problem{"/etc/login.defs", 0, "unreadable: " + errKind(err)})
	}
	var users []User
	if err := read("/etc/passwd", func(r io.Reader) (p []Problem) { users, p = ParsePasswd("/etc/passwd", r); return }); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(o.Root, "/etc/passwd"), err)
	}
	var shadow map[string]shadowEntry
	if err := read("/etc/shadow", func(r io.Reader) (p []Problem) { shadow, p = parseShadow("/etc/shadow", r); return }); err != nil {
		db.Problems = append(db.Problems, Problem{"/etc/shadow", 0, "unreadable (" + errKind(err) + "): password state unknown"})
	}
	var groups []Group
	if err := read("/etc/group", func(r io.Reader) (p []Problem) { groups, p = ParseGroup("/etc/group", r); return }); err != nil {
		db.Problems = append(db.Problems, Problem{"/etc/group", 0, "unreadable: " + errKind(err)})
	}
	now := o.Now()
	byGID := map[int]int{}
	for i, g := range groups {
		if _, dup := byGID[g.GID]; !dup {
			byGID[g.GID] = i
		}
	}
	member := map[string][]string{}
	for _, g := range groups {
		for _, m := range g.Members {
			member[m] = append(member[m], g.Name)
		}
	}
	for i := range users {
		u := &users[i]
		u.UID0 = u.UID == 0
		u.System = u.UID < db.LoginDefs.UIDMin || u.UID == 65534
		u.Human = !u.System && u.UID <= db.LoginDefs.UIDMax
		u.LoginShell = loginShell(u.Shell)
		u.PasswordAge, u.MaxDays = -1, -1
		if gi, ok := byGID[u.GID]; ok {
			u.PrimaryGroup = groups[gi].Name
			groups[gi].Primary = append(groups[gi].Primary, u.Name)
		}
		sup := map[string]bool{}
		for _, g := range member[u.Name] {
			if g != u.PrimaryGroup {
				sup[g] = true
			}
		}
		for g := range sup {
			u.Supplementary = append(u.Supplementary, g)
		}
		sort.Strings(u.Supplementary)
		if u.PrimaryGroup != "" {
			u.Groups = append(u.Groups, u.PrimaryGroup)
		}
		u.Groups = append(u.Groups, u.Supplementary...)
		if s, ok := shadow[u.Name]; ok {
			s.apply(u, now)
		}
	}
	db.Users, db.Groups = users, groups
	return db, nil
}

func errKind(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, safeio.ErrNotRegular):
		return "skipped: not a regular file"
	case errors.Is(err, safeio.ErrTooLarge):
		return "skipped: larger than the 4 MiB limit"
	}
	return "read error"
}

func loginShell(sh string) bool {
	switch filepath.Base(sh) {
	case "nologin", "false", "sync", "shutdown", "halt":
		return false
	}
	return true // an empty shell is /bin/sh (passwd(5))
}

// lines calls fn for each non-blank, non-comment line with its number,
// bounding line length so a hostile file cannot exhaust memory.
func lines(r io.Reader, fn func(n int, line string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		fn(n, line)
	}
}

// ParsePasswd reads passwd(5) lines.
func ParsePasswd(file string, r io.Reader) ([]User, []Problem) {
	var out []User
	var probs []Problem
	lines(r, func(n int, line string) {
		if line[0] == '+' || line[0] == '-' {
			return // NIS compat marker: the directory's users, not local ones
		}
		f := strings.Split(line, ":")
		if len(f) != 7 {
			probs = append(probs, Problem{file, n, fmt.Sprintf("expected 7 fields, got %d", len(f))})
			return
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || f[0] == "" {
			probs = append(probs, Problem{file, n, "user name empty or uid/gid not a number"})
			return
		}
		out = append(out, User{Name: f[0], UID: uid, GID: gid, Gecos: f[4], Home: f[5], Shell: f[6]})
	})
	return out, probs
}

// ParseGroup reads group(5) lines.
func ParseGroup(file string, r io.Reader) ([]Group, []Problem) {
	var out []Group
	var probs []Problem
	lines(r, func(n int, line string) {
		if line[0] == '+' || line[0] == '-' {
			return
		}
		f := strings.Split(line, ":")
		if len(f) != 4 {
			probs = append(probs, Problem{file, n, fmt.Sprintf("expected 4 fields, got %d", len(f))})
			return
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil || f[0] == "" {
			probs = append(probs, Problem{file, n, "group name empty or gid not a number"})
			return
		}
		g := Group{Name: f[0], GID: gid}
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.Members = append(g.Members, m)
			}
		}
		out = append(out, g)
	})
	return out, probs
}

// shadowEntry is what a shadow line says, without the hash.
type shadowEntry struct {
	locked, empty, set bool
	lastChange         int // days since 1970; -1 empty
	maxDays            int
	expire             int
}

func parseShadow(file string, r io.Reader) (map[string]shadowEntry, []Problem) {
	out := map[string]shadowEntry{}
	var probs []Problem
	num := func(s string) (int, bool) {
		if s == "" {
			return -1, true
		}
		v, err := strconv.Atoi(s)
		return v, err == nil
	}
	lines(r, func(n int, line string) {
		f := strings.Split(line, ":")
		if len(f) < 8 {
			probs = append(probs, Problem{file, n, fmt.Sprintf("expected 9 fields, got %d", len(f))})
			return
		}
		hash := f[1]
		e := shadowEntry{
			empty:  hash == "",
			locked: strings.HasPrefix(hash, "!") || strings.HasPrefix(hash, "*"),
		}
		e.set = !e.empty && !e.locked
		var ok1, ok2, ok3 bool
		e.lastChange, ok1 = num(f[2])
		e.maxDays, ok2 = num(f[4])
		e.expire, ok3 = num(f[7])
		if !ok1 || !ok2 || !ok3 {
			probs = append(probs, Problem{file, n, "a date or age field is not a number"})
			return
		}
		out[f[0]] = e
	})
	return out, probs
}

func (e shadowEntry) apply(u *User, now time.Time) {
	u.HasShadow, u.Locked, u.NoPassword, u.PasswordSet = true, e.locked, e.empty, e.set
	u.MaxDays = e.maxDays
	day := func(d int) *time.Time { t := time.Unix(int64(d)*86400, 0).UTC(); return &t }
	switch {
	case e.lastChange == 0:
		u.MustChange = true
	case e.lastChange > 0:
		u.LastChanged = day(e.lastChange)
		u.PasswordAge = int(now.Sub(*u.LastChanged).Hours() / 24)
	}
	if e.expire >= 0 {
		u.Expires = day(e.expire)
		u.Expired = now.After(*u.Expires)
	}
}

// ParseLoginDefs reads UID_MIN, UID_MAX and PASS_MAX_DAYS over defaults.
func ParseLoginDefs(r io.Reader, d LoginDefs) LoginDefs {
	lines(r, func(_ int, line string) {
		f := strings.Fields(line)
		if len(f) < 2 {
			return
		}
		v, err := strconv.Atoi(f[1])
		if err != nil {
			return
		}
		switch f[0] {
		case "UID_MIN":
			d.UIDMin = v
		case "UID_MAX":
			d.UIDMax = v
		case "PASS_MAX_DAYS":
			d.PassMaxDays = v
		}
	})
	return d
}
