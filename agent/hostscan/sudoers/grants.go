package sudoers

import (
	"fmt"
	"sort"
	"strings"
)

// Grant is what one rule gives one principal, aliases expanded.
type Grant struct {
	Principal       Member   // a user, group, … as written; never an alias
	Hosts           []string // as written, aliases expanded
	RunasRoot       bool     // may run commands as root
	AllCommands     bool     // ALL granted (negations below do not contain it)
	NegatedCommands []string // "ALL, !/bin/sh": bypassable by any shell-out
	Commands        []string
	NoPassword      bool // NOPASSWD, or Defaults !authenticate for it
	Rule            string
	File            string
	Line            int
}

// Reason is the grant's rule for a person: "file:line: rule".
func (g Grant) Reason() string { return fmt.Sprintf("%s:%d: %s", g.File, g.Line, g.Rule) }

// expand resolves aliases of kind in ms, recursively and cycle-safe; a
// negated alias negates what it holds.
func (p *Policy) expand(kind string, ms []Member, seen map[string]bool) []Member {
	var out []Member
	for _, m := range ms {
		a, ok := p.Aliases[kind+" "+m.Name]
		if m.Kind != "alias" || !ok {
			out = append(out, m)
			continue
		}
		if seen[m.Name] {
			p.Problems = append(p.Problems, Problem{Msg: fmt.Sprintf("%s %s refers to itself", kind, m.Name)})
			continue
		}
		seen[m.Name] = true
		for _, x := range p.expand(kind, a.Members, seen) {
			x.Negated = x.Negated != m.Negated
			out = append(out, x)
		}
		delete(seen, m.Name)
	}
	return out
}

func (p *Policy) expandCmnds(cs []Command, seen map[string]bool) []Command {
	var out []Command
	for _, c := range cs {
		a, ok := p.Aliases["Cmnd_Alias "+c.Path]
		if !c.IsAlias || !ok {
			out = append(out, c)
			continue
		}
		if seen[c.Path] {
			p.Problems = append(p.Problems, Problem{Msg: fmt.Sprintf("Cmnd_Alias %s refers to itself", c.Path)})
			continue
		}
		seen[c.Path] = true
		for _, x := range p.expandCmnds(a.Cmnds, seen) {
			x.Negated = x.Negated != c.Negated
			out = append(out, x)
		}
		delete(seen, c.Path)
	}
	return out
}

// noAuth reports whether Defaults turn authentication off for m: globally
// or bound to m (":alice", ":%wheel", ":ADMINS").
func (p *Policy) noAuth(m Member) bool {
	off := false
	for _, d := range p.Defaults {
		if d.Name != "authenticate" {
			continue
		}
		switch {
		case d.Binding == "":
		case strings.HasPrefix(d.Binding, ":"):
			l := &lexer{s: d.Binding[1:]}
			bound, err := l.list()
			if err != nil {
				continue
			}
			hit := false
			for _, b := range p.expand("User_Alias", bound, map[string]bool{}) {
				if !b.Negated && (b.Kind == "all" || (b.Kind == m.Kind && b.Name == m.Name)) {
					hit = true
				}
			}
			if !hit {
				continue
			}
		default:
			continue // host, runas and command bindings do not apply to every use
		}
		off = d.Negated
	}
	return off
}

// Grants returns, for each rule and each principal it names, what the rule
// gives that principal.
func (p *Policy) Grants() []Grant {
	var out []Grant
	for _, r := range p.Rules {
		users := p.expand("User_Alias", r.Users, map[string]bool{})
		for _, u := range users {
			if u.Negated {
				continue
			}
			g := Grant{Principal: u, Rule: r.Text, File: r.File, Line: r.Line}
			nopw := p.noAuth(u)
			for _, sp := range r.Specs {
				for _, h := range p.expand("Host_Alias", sp.Hosts, map[string]bool{}) {
					if !h.Negated && !contains(g.Hosts, h.String()) {
						g.Hosts = append(g.Hosts, h.String())
					}
				}
				root := !sp.HasRunas || (len(sp.RunasUsers) == 0 && len(sp.RunasGroups) == 0)
				for _, ru := range p.expand("Runas_Alias", sp.RunasUsers, map[string]bool{}) {
					if !ru.Negated && (ru.Kind == "all" || ru.Name == "root" || (ru.Kind == "uid" && ru.Name == "0")) {
						root = true
					}
				}
				if !sp.HasRunas || len(sp.RunasUsers) == 0 && len(sp.RunasGroups) > 0 {
					// (:wheel) runs as the invoking user with another group
					root = !sp.HasRunas
				}
				for _, c := range p.expandCmnds([]Command{sp.Command}, map[string]bool{}) {
					name := c.Path
					if c.Args != "" {
						name += " " + c.Args
					}
					switch {
					case c.Negated:
						g.NegatedCommands = append(g.NegatedCommands, name)
					case c.Path == "ALL":
						g.AllCommands = true
						g.RunasRoot = g.RunasRoot || root
					default:
						g.Commands = append(g.Commands, name)
						g.RunasRoot = g.RunasRoot || root
					}
				}
				if sp.Tags["NOPASSWD"] {
					nopw = true
				}
			}
			g.NoPassword = nopw
			sort.Strings(g.Commands)
			out = append(out, g)
		}
	}
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
