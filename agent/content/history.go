package content

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/sightline-dev/sightline/internal/pii"
)

// Shell histories hold passwords typed on command lines, where no key
// names them: mysql -pS3cret, sshpass -p 'S3cret', curl -u admin:S3cret,
// smbclient -U admin%S3cret, --password S3cret. A history file (by its
// name) is read line by line: each line as text, and its command's
// password arguments as passwords.

// historyFile reports whether a stream's name is a shell's or a client's
// command history.
func historyFile(name string) bool {
	switch baseName(name) {
	case ".bash_history", ".zsh_history", ".sh_history", ".history", ".ash_history", ".mysql_history",
		".psql_history", ".python_history", ".node_repl_history", "consolehost_history.txt":
		return true
	}
	return false
}

// history reads a history file a line at a time.
func (f *fileScan) history(name string, r io.Reader) error {
	mr := &meteredReader{f: f, r: r}
	agg := pii.NewAggregator(f.o.Tokenizer)
	line := 0
	add := func(pm pii.Match) {
		pm.Line = line
		agg.AddWhere(pm, "line "+strconv.Itoa(line))
	}
	err := eachLineOf(mr, func(text []byte) {
		line++
		f.o.Detector.Detect(text, add)
		for _, p := range commandPasswords(zshCommand(string(text))) {
			FieldDetect(f.o.Detector, "password", []byte(p), add)
		}
	})
	return f.end(name, mr, agg, err, "history", func(error) string { return "" })
}

// errLinesCut ends a line-by-line read that read the first chunkSize
// bytes of a longer line, skipped the rest of it and read on.
var errLinesCut = errors.New("a line longer than the chunk size was read in part")

// eachLineOf calls fn with each line of r (without its line end) in
// turn: a line longer than chunkSize is given cut there (the rest of it
// skipped) and the read goes on to the end, then returns errLinesCut; a
// read error ends it.
func eachLineOf(r io.Reader, fn func([]byte)) error {
	br := bufio.NewReaderSize(r, chunkSize)
	cut := false
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			fn(b)
			cut = true
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == nil {
				continue
			}
		} else if len(b) > 0 {
			fn(bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r")))
		}
		switch {
		case errors.Is(err, io.EOF) && cut:
			return errLinesCut
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
	}
}

// zshCommand strips zsh's extended-history prefix (": 1733150000:0;").
func zshCommand(line string) string {
	if strings.HasPrefix(line, ": ") {
		if i := strings.IndexByte(line, ';'); i > 0 && i < 32 {
			return line[i+1:]
		}
	}
	return line
}

// commandPasswords returns the passwords given as arguments on a command
// line, by the conventions of the clients that take them there. A
// --password=… or PGPASSWORD=… the text pass finds as key=value is not
// repeated here.
func commandPasswords(line string) []string {
	args := shellWords(line)
	var out []string
	cmd := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		if cmd == "" || a == "|" || a == "&&" || a == ";" || a == "||" {
			if a == "|" || a == "&&" || a == ";" || a == "||" {
				cmd = ""
				continue
			}
			switch a {
			case "sudo", "env", "time", "nohup", "exec", "command":
				continue // the command follows
			}
			if strings.Contains(a, "=") && !strings.HasPrefix(a, "-") {
				continue // VAR=value before the command
			}
			cmd = path.Base(a)
			continue
		}
		switch {
		case a == "--password" || a == "--passwd" || a == "--http-password" || a == "--ftp-password":
			out = append(out, next())
		case cmd == "sshpass" && a == "-p":
			out = append(out, next())
		case cmd == "sshpass" && strings.HasPrefix(a, "-p") && len(a) > 2:
			out = append(out, a[2:])
		case strings.HasPrefix(cmd, "mysql") || strings.HasPrefix(cmd, "mariadb"):
			// -pSECRET only: a bare -p prompts, and "-p x" names a database.
			if strings.HasPrefix(a, "-p") && len(a) > 2 && !strings.HasPrefix(a, "-port") {
				out = append(out, a[2:])
			}
		case (cmd == "curl" || cmd == "wget") && (a == "-u" || a == "--user" || a == "--proxy-user" || a == "-U"):
			out = append(out, afterSep(next(), ":"))
		case cmd == "curl" && strings.HasPrefix(a, "-u") && len(a) > 2:
			out = append(out, afterSep(a[2:], ":"))
		case (cmd == "smbclient" || cmd == "rpcclient" || cmd == "net") && (a == "-U" || a == "--user"):
			out = append(out, afterSep(next(), "%"))
		case strings.EqualFold(cmd, "ConvertTo-SecureString") || strings.EqualFold(a, "ConvertTo-SecureString"):
			// ConvertTo-SecureString "S3cret" -AsPlainText -Force
			if v := next(); v != "" && !strings.HasPrefix(v, "-") {
				out = append(out, v)
			}
		}
	}
	kept := out[:0]
	for _, p := range out {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return kept
}

// afterSep is what follows the first sep in s ("" when none).
func afterSep(s, sep string) string {
	_, v, _ := strings.Cut(s, sep)
	return v
}

// shellWords splits a command line into words as a POSIX shell does for
// quoting (single quotes literal, double quotes with backslash escapes,
// a backslash escaping the next byte), without expansions; a line of more
// than 256 words is cut there.
func shellWords(line string) []string {
	var words []string
	var b strings.Builder
	in := false
	flush := func() {
		if in {
			words = append(words, b.String())
			b.Reset()
			in = false
		}
	}
	for i := 0; i < len(line) && len(words) < 256; i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			flush()
		case c == '\'':
			in = true
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				b.WriteString(line[i+1:])
				i = len(line)
				break
			}
			b.WriteString(line[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			in = true
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) {
					i++
				}
				b.WriteByte(line[i])
			}
		case c == '\\' && i+1 < len(line):
			in = true
			i++
			b.WriteByte(line[i])
		case c == ';' || c == '|' || c == '&':
			flush()
			op := string(c)
			if i+1 < len(line) && (line[i+1] == '|' || line[i+1] == '&') {
				op += string(line[i+1])
				i++
			}
			words = append(words, op)
		default:
			in = true
			b.WriteByte(c)
		}
	}
	flush()
	return words
}
