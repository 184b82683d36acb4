package sudoers

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The statements of a line: aliases, Defaults and user specifications.

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
