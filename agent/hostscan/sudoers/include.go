package sudoers

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sightline-dev/sightline/internal/safeio"
)

// Reading files: logical lines (continuations, comments) and the
// #include and @includedir directives, resolved inside Options.Root.

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
