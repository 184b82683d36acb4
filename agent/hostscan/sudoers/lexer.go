package sudoers

import (
	"errors"
	"fmt"
	"strings"
)

func unquote(s string) (string, error) {
	l := &lexer{s: strings.TrimSpace(s)}
	w, err := l.word()
	if err != nil {
		return "", err
	}
	return w, nil
}

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
