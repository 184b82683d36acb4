package content

import (
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/sightline-dev/sightline/internal/pii"
)

// Credential files whose layout names their values without the "key=" or
// "key:" the text pass reads: .netrc (machine h login u password p) and
// PostgreSQL's .pgpass (host:port:database:user:password). Read by their
// names, each value detected under the name its position gives it.

// credentialKind names the credential file format of a stream's name, or "".
func credentialKind(name string) string {
	switch baseName(name) {
	case ".netrc", "_netrc":
		return "netrc"
	case ".pgpass", "pgpass.conf":
		return "pgpass"
	}
	return ""
}

// credentialFile reads a .netrc or .pgpass line by line.
func (f *fileScan) credentialFile(name, kind string, r io.Reader) error {
	mr := &meteredReader{f: f, r: r}
	agg := pii.NewAggregator(f.o.Tokenizer)
	line := 0
	emit := func(field, v string) {
		FieldDetect(f.o.Detector, field, []byte(v), func(pm pii.Match) {
			agg.AddWhere(pm, "line "+strconv.Itoa(line))
		})
	}
	inMacro := false
	err := eachLineOf(mr, func(b []byte) {
		line++
		text := string(b)
		switch kind {
		case "netrc":
			// Tokens are separated by white space and may run over lines;
			// a macdef's body runs to the next empty line.
			if inMacro {
				inMacro = strings.TrimSpace(text) != ""
				return
			}
			fields := strings.Fields(text)
			for i := 0; i < len(fields); i++ {
				switch fields[i] {
				case "login", "password", "account":
					if i+1 < len(fields) {
						emit(fields[i], fields[i+1])
						i++
					}
				case "macdef":
					inMacro = true
					i = len(fields)
				}
			}
		case "pgpass":
			if strings.HasPrefix(strings.TrimSpace(text), "#") {
				return
			}
			parts := splitPgpass(text)
			if len(parts) == 5 {
				emit("user", parts[3])
				emit("password", parts[4])
			}
		}
	})
	return f.end(name, mr, agg, err, kind, func(error) string { return "" })
}

// splitPgpass splits a .pgpass line at its unescaped colons, unescaping
// "\:" and "\\" (PostgreSQL's libpq rules).
func splitPgpass(line string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			b.WriteByte(line[i])
		case c == ':' && len(parts) < 4:
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, b.String())
}

// baseName is the lower-cased last element of a stream's name, whether its
// path uses / or \ (C:\Users\jd\_netrc).
func baseName(name string) string {
	return strings.ToLower(path.Base(strings.ReplaceAll(name, `\`, "/")))
}
