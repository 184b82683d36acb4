// Package sudoers parses sudoers(5) policy files: includes, aliases,
// Defaults, user specifications with runas lists, tags and command
// negation, escaped and quoted names ("%Domain\ Admins", "%Domain Users").
// A malformed line is reported with its file and line and skipped; the
// rest is still parsed.
package sudoers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

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
	if o.MaxIncludeDepth <= 0 {
		o.MaxIncludeDepth = 8
	}
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

func (p *Policy) parseFile(name string, r io.Reader, o Options, depth int, open map[string]bool) {
	p.Files = append(p.Files, name)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	var logical strings.Builder
	start, n := 0, 0
	for {
		ok := sc.Scan()
		if !ok {
			if errors.Is(sc.Err(), bufio.ErrTooLong) {
				p.problem(name, n+1, "line longer than 64 KiB; the rest of the file is not read")
			}
			break
		}
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if logical.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(line, `\`) && !strings.HasSuffix(line, `\\`) {
			logical.WriteString(line[:len(line)-1])
			if logical.Len() > 64<<10 {
				p.problem(name, start, "%v", errTooLong)
				logical.Reset()
			}
			continue
		}
		logical.WriteString(line)
		text := logical.String()
		logical.Reset()
		p.parseLine(name, start, text, o, depth, open)
	}
}

// stripComment cuts a '#' comment: a '#' at a token start not followed by
// a digit (#1000 is a uid) and not escaped.
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '#':
			if (i == 0 || s[i-1] == ' ' || s[i-1] == '\t' || s[i-1] == ',' || s[i-1] == '=') && (i+1 >= len(s) || s[i+1] < '0' || s[i+1] > '9') {
				return s[:i]
			}
		}
	}
	return s
}

func (p *Policy) parseLine(file string, line int, text string, o Options, depth int, open map[string]bool) {
	t := strings.TrimSpace(text)
	for _, d := range []string{"#includedir", "@includedir", "#include", "@include"} {
		if strings.HasPrefix(t, d) && (len(t) == len(d) || t[len(d)] == ' ' || t[len(d)] == '\t') {
			p.include(file, line, strings.TrimSpace(t[len(d):]), strings.HasSuffix(d, "dir"), o, depth, open)
			return
		}
	}
	t = strings.TrimSpace(stripComment(t))
	if t == "" {
		return
	}
	l := &lexer{s: t}
	var err error
	switch w := l.peekWord(); {
	case w == "User_Alias" || w == "Runas_Alias" || w == "Host_Alias" || w == "Cmnd_Alias" || w == "Cmd_Alias":
		err = p.parseAlias(l)
	case strings.HasPrefix(w, "Defaults"):
		err = p.parseDefaults(file, line, l)
	default:
		err = p.parseRule(file, line, l)
	}
	if err != nil {
		p.problem(file, line, "%v", err)
	}
}

func (p *Policy) include(file string, line int, arg string, dir bool, o Options, depth int, open map[string]bool) {
	path, err := unquote(arg)
	if err != nil || path == "" {
		p.problem(file, line, "include without a path")
		return
	}
	path = strings.ReplaceAll(path, "%h", "localhost")
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(file), path)
	}
	if o.MaxIncludeDepth < 0 {
		p.problem(file, line, "include of %s not followed", path)
		return
	}
	if depth >= o.MaxIncludeDepth {
		p.problem(file, line, "includes nested deeper than %d; %s not read", o.MaxIncludeDepth, path)
		return
	}
	files := []string{path}
	if dir {
		entries, err := o.Files.ReadDir(path)
		if err != nil {
			p.problem(file, line, "include directory %s unreadable", path)
			return
		}
		files = files[:0]
		for _, e := range entries {
			// sudo skips names ending in '~' or holding a '.' (editor
			// backups, package manager leftovers).
			if n := e.Name; !e.Type.IsDir() && !strings.HasSuffix(n, "~") && !strings.Contains(n, ".") {
				files = append(files, filepath.Join(path, n))
			}
		}
		sort.Strings(files)
	}
	for _, f := range files {
		if open[f] {
			p.problem(file, line, "include loop: %s includes itself", f)
			continue
		}
		data, err := o.Files.ReadFile(f, safeio.ConfigMaxSize)
		switch {
		case errors.Is(err, safeio.ErrNotRegular):
			p.problem(file, line, "included file %s skipped: not a regular file", f)
			continue
		case errors.Is(err, safeio.ErrTooLarge):
			p.problem(file, line, "included file %s skipped: larger than the 4 MiB limit", f)
			continue
		case err != nil:
			p.problem(file, line, "included file %s unreadable", f)
			continue
		}
		if p.read += int64(len(data)); p.read > maxPolicyBytes {
			p.problem(file, line, "includes exceed %d MiB in all; %s and the rest not read", maxPolicyBytes>>20, f)
			return
		}
		open[f] = true
		p.parseFile(f, bytes.NewReader(data), o, depth+1, open)
		delete(open, f)
	}
}

func unquote(s string) (string, error) {
	l := &lexer{s: strings.TrimSpace(s)}
	w, err := l.word()
	if err != nil {
		return "", err
	}
	return w, nil
}

// ---- lexer ----

type lexer struct {
	s string
	i int
}

func (l *lexer) skipSpace() {
	for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t') {
		l.i++
	}
}

func (l *lexer) eof() bool { l.skipSpace(); return l.i >= len(l.s) }

// next reports the next punctuation character, or 0 before a word.
func (l *lexer) peek() byte {
	l.skipSpace()
	if l.i >= len(l.s) {
		return 0
	}
	return l.s[l.i]
}

func (l *lexer) accept(c byte) bool {
	if l.peek() == c {
		l.i++
		return true
	}
	return false
}

func (l *lexer) peekWord() string {
	save := l.i
	w, _ := l.word()
	l.i = save
	return w
}

// word reads a name: up to whitespace or , : = ( ) !, with backslash
// escapes and double-quoted parts; "%:" at the start stays in the word.
func (l *lexer) word() (string, error) {
	l.skipSpace()
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == '\\' && l.i+1 < len(l.s):
			b.WriteByte(l.s[l.i+1])
			l.i += 2
			continue
		case c == '"':
			end := strings.IndexByte(l.s[l.i+1:], '"')
			if end < 0 {
				return "", errors.New("unterminated quote")
			}
			b.WriteString(l.s[l.i+1 : l.i+1+end])
			l.i += end + 2
			continue
		case c == ':' && b.String() == "%":
		case c == ' ' || c == '\t' || c == ',' || c == ':' || c == '=' || c == '(' || c == ')' || (c == '!' && b.Len() == 0):
			if b.Len() == 0 {
				return "", fmt.Errorf("expected a name at column %d", l.i+1)
			}
			return b.String(), nil
		}
		b.WriteByte(c)
		l.i++
	}
	if b.Len() == 0 {
		return "", errors.New("expected a name at the end of the line")
	}
	return b.String(), nil
}

func isAliasName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func member(w string, negated bool) Member {
	m := Member{Name: w, Kind: "user", Negated: negated}
	switch {
	case w == "ALL":
		m.Kind = "all"
	case strings.HasPrefix(w, "%:"):
		m.Name, m.Kind = w[2:], "nonunix_group"
	case strings.HasPrefix(w, "%#"):
		m.Name, m.Kind = w[2:], "gid"
	case strings.HasPrefix(w, "%"):
		m.Name, m.Kind = w[1:], "group"
	case strings.HasPrefix(w, "+"):
		m.Name, m.Kind = w[1:], "netgroup"
	case strings.HasPrefix(w, "#"):
		m.Name, m.Kind = w[1:], "uid"
	case isAliasName(w):
		m.Kind = "alias"
	}
	return m
}

// list reads "a, !b, %c".
func (l *lexer) list() ([]Member, error) {
	var out []Member
	for {
		neg := false
		for l.accept('!') {
			neg = !neg
		}
		w, err := l.word()
		if err != nil {
			return nil, err
		}
		out = append(out, member(w, neg))
		if !l.accept(',') {
			return out, nil // the caller checks what follows
		}
	}
}

// ---- aliases, defaults, rules ----

func (p *Policy) parseAlias(l *lexer) error {
	kind, _ := l.word()
	if kind == "Cmd_Alias" {
		kind = "Cmnd_Alias"
	}
	for {
		name, err := l.word()
		if err != nil {
			return err
		}
		if !isAliasName(name) {
			return fmt.Errorf("%s name must be upper case letters, digits and _", kind)
		}
		if !l.accept('=') {
			return fmt.Errorf("%s %s: expected '='", kind, name)
		}
		a := Alias{Kind: kind}
		if kind == "Cmnd_Alias" {
			for {
				c, err := l.command()
				if err != nil {
					return err
				}
				a.Cmnds = append(a.Cmnds, c)
				if !l.accept(',') {
					break
				}
			}
		} else if a.Members, err = l.list(); err != nil {
			return err
		}
		p.Aliases[kind+" "+name] = a
		if !l.accept(':') {
			if !l.eof() {
				return fmt.Errorf("unexpected text after %s %s", kind, name)
			}
			return nil
		}
	}
}

func (p *Policy) parseDefaults(file string, line int, l *lexer) error {
	l.skipSpace()
	rest := l.s[l.i+len("Defaults"):]
	binding := ""
	if len(rest) > 0 && strings.ContainsRune("@:!>", rune(rest[0])) {
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			return errors.New("Defaults binding without settings")
		}
		binding, rest = rest[:end], rest[end:]
	}
	l2 := &lexer{s: rest}
	for !l2.eof() {
		neg := false
		for l2.accept('!') {
			neg = !neg
		}
		name, err := l2.word()
		if err != nil {
			return err
		}
		d := Default{File: file, Line: line, Binding: binding, Name: name, Negated: neg}
		if l2.peek() == '+' || l2.peek() == '-' {
			l2.i++
		}
		if l2.accept('=') {
			l2.skipSpace()
			if l2.peek() == '"' {
				end := strings.IndexByte(l2.s[l2.i+1:], '"')
				if end < 0 {
					return errors.New("unterminated quote in Defaults")
				}
				d.Value = l2.s[l2.i+1 : l2.i+1+end]
				l2.i += end + 2
			} else if d.Value, err = l2.word(); err != nil {
				return err
			}
		}
		p.Defaults = append(p.Defaults, d)
		if !l2.accept(',') && !l2.eof() {
			return fmt.Errorf("Defaults: unexpected text at column %d", l2.i+1)
		}
	}
	return nil
}

var tagNames = map[string]bool{"NOPASSWD": true, "PASSWD": true, "NOEXEC": true, "EXEC": true, "SETENV": true,
	"NOSETENV": true, "LOG_INPUT": true, "NOLOG_INPUT": true, "LOG_OUTPUT": true, "NOLOG_OUTPUT": true,
	"MAIL": true, "NOMAIL": true, "FOLLOW": true, "NOFOLLOW": true, "INTERCEPT": true, "NOINTERCEPT": true}

var optionNames = map[string]bool{"ROLE": true, "TYPE": true, "CWD": true, "CHROOT": true, "TIMEOUT": true,
	"NOTBEFORE": true, "NOTAFTER": true, "APPARMOR_PROFILE": true, "PRIVS": true, "LIMITPRIVS": true}

// command reads [!]path [args] up to an unescaped ',' or ':' or the end.
func (l *lexer) command() (Command, error) {
	neg := false
	for l.accept('!') {
		neg = !neg
	}
	l.skipSpace()
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		if c == '\\' && l.i+1 < len(l.s) {
			b.WriteByte(l.s[l.i+1])
			l.i += 2
			continue
		}
		if c == ',' || c == ':' {
			break
		}
		b.WriteByte(c)
		l.i++
	}
	text := strings.TrimSpace(b.String())
	if text == "" {
		return Command{}, errors.New("missing command")
	}
	path, args, _ := strings.Cut(text, " ")
	cmd := Command{Path: path, Args: strings.TrimSpace(args), Negated: neg}
	cmd.IsAlias = isAliasName(path) && path != "ALL"
	if !cmd.IsAlias && path != "ALL" && path != "sudoedit" && !strings.HasPrefix(path, "/") {
		return Command{}, fmt.Errorf("command %q is not a full path", path)
	}
	return cmd, nil
}

func (p *Policy) parseRule(file string, line int, l *lexer) error {
	users, err := l.list()
	if err != nil {
		return err
	}
	r := Rule{File: file, Line: line, Users: users}
	for {
		hosts, err := l.list()
		if err != nil {
			return err
		}
		if !l.accept('=') {
			return errors.New("expected '=' after the host list")
		}
		var runU, runG []Member
		hasRunas := false
		tags := map[string]bool{}
		for {
			if l.accept('(') {
				hasRunas = true
				runU, runG = nil, nil
				if l.peek() != ':' && l.peek() != ')' {
					if runU, err = l.list(); err != nil {
						return err
					}
				}
				if l.accept(':') && l.peek() != ')' {
					if runG, err = l.list(); err != nil {
						return err
					}
				}
				if !l.accept(')') {
					return errors.New("runas list not closed with ')'")
				}
			}
			// options (ROLE=x) and tags (NOPASSWD:) and digests (sha256:...)
			for {
				save := l.i
				w, werr := l.word()
				if werr != nil {
					l.i = save
					break
				}
				switch {
				case optionNames[w] && l.accept('='):
					if _, err := l.word(); err != nil {
						return err
					}
					continue
				case tagNames[w] && l.accept(':'):
					tags[w] = true
					if w == "PASSWD" {
						delete(tags, "NOPASSWD")
					} else if w == "NOPASSWD" {
						delete(tags, "PASSWD")
					}
					continue
				case strings.HasPrefix(w, "sha") && l.accept(':'):
					if _, err := l.word(); err != nil {
						return err
					}
					continue
				}
				l.i = save
				break
			}
			cmd, err := l.command()
			if err != nil {
				return err
			}
			t := make(map[string]bool, len(tags))
			for k := range tags {
				t[k] = true
			}
			r.Specs = append(r.Specs, Spec{Hosts: hosts, RunasUsers: runU, RunasGroups: runG, HasRunas: hasRunas, Tags: t, Command: cmd})
			if !l.accept(',') {
				break
			}
		}
		if !l.accept(':') {
			break
		}
	}
	if !l.eof() {
		return fmt.Errorf("unexpected text at column %d", l.i+1)
	}
	r.Text = render(r)
	p.Rules = append(p.Rules, r)
	return nil
}

func render(r Rule) string {
	names := func(ms []Member) string {
		s := make([]string, len(ms))
		for i, m := range ms {
			s[i] = m.String()
		}
		return strings.Join(s, ", ")
	}
	var b strings.Builder
	b.WriteString(names(r.Users))
	prevHosts, prevRunas, prevTags := "", "", ""
	for i, sp := range r.Specs {
		hosts := names(sp.Hosts)
		runas := ""
		if sp.HasRunas {
			runas = "(" + names(sp.RunasUsers)
			if len(sp.RunasGroups) > 0 {
				runas += " : " + names(sp.RunasGroups)
			}
			runas += ") "
		}
		var tags []string
		for t := range sp.Tags {
			tags = append(tags, t+":")
		}
		sort.Strings(tags)
		tagText := ""
		if len(tags) > 0 {
			tagText = strings.Join(tags, " ") + " "
		}
		switch {
		case i == 0:
			b.WriteString(" " + hosts + " = ")
		case hosts != prevHosts || sp.Hosts == nil:
			b.WriteString(" : " + hosts + " = ")
			prevRunas, prevTags = "", ""
		default:
			b.WriteString(", ")
		}
		// Runas lists and tags carry over within a list: shown once.
		if runas != prevRunas {
			b.WriteString(runas)
		}
		if tagText != prevTags {
			b.WriteString(tagText)
		}
		prevHosts, prevRunas, prevTags = hosts, runas, tagText
		if sp.Command.Negated {
			b.WriteString("!")
		}
		b.WriteString(sp.Command.Path)
		if sp.Command.Args != "" {
			b.WriteString(" " + sp.Command.Args)
		}
	}
	return b.String()
}
