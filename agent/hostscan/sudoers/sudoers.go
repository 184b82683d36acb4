// Package sudoers parses sudoers(5) policy files: includes, aliases,
// Defaults, user specifications with runas lists, tags and command
// negation, escaped and quoted names ("%Domain\ Admins", "%Domain Users").
// A malformed line is reported with its file and line and skipped; the
// rest is still parsed.
package sudoers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/safeio"
)

// Options says where the policy lives.
type Options struct {
	// Root is the directory every path is resolved inside, as if it were
	// "/" (a mounted image, a fixture): includes such as "/../x" and
	// absolute symlinks stay inside it.
	Root string
	// Files, when set, is Root already opened (it then wins over Root).
	Files *safeio.Root
	// MaxIncludeDepth bounds nested includes (default 8).
	MaxIncludeDepth int
}

// Problem is a line that could not be used. Msg describes it without
// repeating the line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Member is one item of a user, host or runas list as written.
type Member struct {
	Name    string // without its prefix: "wheel" for %wheel
	Kind    string // user, group, nonunix_group, netgroup, uid, gid, alias, all
	Negated bool
}

// String renders a member as sudoers writes it.
func (m Member) String() string {
	p := map[string]string{"group": "%", "nonunix_group": "%:", "netgroup": "+", "uid": "#", "gid": "%#"}[m.Kind]
	s := p + m.Name
	if strings.ContainsAny(m.Name, " \t") {
		s = `"` + s + `"`
	}
	if m.Negated {
		s = "!" + s
	}
	return s
}

// Command is one command of a spec.
type Command struct {
	Path    string // a path, "ALL", "sudoedit", or an alias name
	Args    string
	Negated bool
	IsAlias bool
}

// Spec is a host list = command list part of a rule, one per command with
// the runas list and tags in effect for it.
type Spec struct {
	Hosts       []Member
	RunasUsers  []Member
	RunasGroups []Member
	HasRunas    bool
	Tags        map[string]bool
	Command     Command
}

// Rule is one user specification line.
type Rule struct {
	File  string
	Line  int
	Users []Member
	Specs []Spec
	Text  string // the rule normalised, for reasons shown to people
}

// Default is one Defaults setting.
type Default struct {
	File    string
	Line    int
	Binding string // "", "@host", ":user", ">runas", "!cmnd" as written
	Name    string
	Value   string
	Negated bool
}

// Alias is a named list.
type Alias struct {
	Kind    string // User_Alias, Runas_Alias, Host_Alias, Cmnd_Alias
	Members []Member
	Cmnds   []Command
}

// Policy is what Parse read.
type Policy struct {
	Rules    []Rule
	Defaults []Default
	Aliases  map[string]Alias // key: kind + " " + name
	Files    []string
	Problems []Problem

	read int64 // bytes read over all included files, bounded by maxPolicyBytes
}

// maxPolicyBytes bounds what one policy reads over all its includes, so
// a hostile include directory (thousands of files at the size cap) cannot
// keep a scan reading for minutes.
const maxPolicyBytes = 64 << 20

var errTooLong = errors.New("logical line longer than 64 KiB")

// Parse reads the policy at path (as seen on the host) under o.Root,
// following includes. Only an unreadable top-level file is an error.
func Parse(path string, o Options) (*Policy, error) {
	o.MaxIncludeDepth = defaults.Positive(o.MaxIncludeDepth, 8)
	if o.Files == nil {
		root, err := safeio.OpenRoot(o.Root)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		o.Files = root
	}
	p := &Policy{Aliases: map[string]Alias{}}
	data, err := o.Files.ReadFile(path, safeio.ConfigMaxSize)
	if err != nil {
		return nil, fmt.Errorf("reading sudoers %s: %w", path, err)
	}
	p.read = int64(len(data))
	p.parseFile(path, bytes.NewReader(data), o, 0, map[string]bool{path: true})
	return p, nil
}

// ParseReader parses one file's content; includes are reported, not read.
func ParseReader(name string, r io.Reader) (*Policy, error) {
	p := &Policy{Aliases: map[string]Alias{}}
	p.parseFile(name, r, Options{MaxIncludeDepth: -1}, 0, map[string]bool{name: true})
	return p, nil
}

func (p *Policy) problem(file string, line int, format string, a ...any) {
	p.Problems = append(p.Problems, Problem{file, line, fmt.Sprintf(format, a...)})
}
