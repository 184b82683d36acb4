// Package sshkeys reads authorized_keys files (key type, size, SHA256
// fingerprint, options such as command= and from=) and the sshd settings
// that decide who may log in how (PermitRootLogin, PasswordAuthentication,
// AuthorizedKeysFile).
package sshkeys

import (
	"bufio"
	"bytes"
	"crypto/dsa" //nolint:staticcheck // DSA keys still exist on hosts and must be reported
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sightline-dev/sightline/internal/safeio"
)

// Problem is a line that could not be used; Msg never quotes it.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Key is one authorized key.
type Key struct {
	Line        int
	Type        string
	Bits        int
	Fingerprint string // SHA256:..., as ssh-keygen -l prints
	Comment     string
	Options     map[string]string // flags map to ""
	Command     string            // forced command
	From        string            // source address patterns
	Restricted  bool              // "restrict" or no-pty/no-*-forwarding
}

// AuthorizedKeys parses an authorized_keys file.
func AuthorizedKeys(file string, r io.Reader) ([]Key, []Problem) {
	var keys []Key
	var probs []Problem
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		pub, comment, opts, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			probs = append(probs, Problem{file, n, "not a valid public key line"})
			continue
		}
		k := Key{Line: n, Type: pub.Type(), Bits: bits(pub), Fingerprint: ssh.FingerprintSHA256(pub), Comment: comment, Options: map[string]string{}}
		for _, o := range opts {
			name, val, hasVal := strings.Cut(o, "=")
			name = strings.ToLower(name)
			if hasVal {
				if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				val = strings.ReplaceAll(val, `\"`, `"`)
			}
			k.Options[name] = val
			switch name {
			case "command":
				k.Command = val
			case "from":
				k.From = val
			case "restrict", "no-pty", "no-port-forwarding":
				k.Restricted = true
			}
		}
		keys = append(keys, k)
	}
	if sc.Err() != nil {
		probs = append(probs, Problem{file, 0, "unreadable after a line longer than 64 KiB"})
	}
	return keys, probs
}

func bits(pub ssh.PublicKey) int {
	ck, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return 0
	}
	switch k := ck.CryptoPublicKey().(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	case *dsa.PublicKey:
		return k.P.BitLen()
	}
	if strings.Contains(pub.Type(), "ed25519") {
		return 256
	}
	return 0
}

// SSHD is the effective global sshd configuration that access depends on.
type SSHD struct {
	PermitRootLogin        string // yes, no, prohibit-password, forced-commands-only
	PasswordAuthentication bool
	PubkeyAuthentication   bool
	AuthorizedKeysFile     []string
	Problems               []Problem
}

// RootLogin reports whether root may log in at all, and with a password.
func (s *SSHD) RootLogin() (allowed, withPassword bool) {
	switch s.PermitRootLogin {
	case "no":
		return false, false
	case "yes":
		return true, s.PasswordAuthentication
	}
	return true, false
}

// ReadSSHD reads sshd_config at path inside root; the first value of a
// setting wins, as in sshd; Include globs are followed (inside root);
// Match blocks are conditional and do not change the global answer. A
// missing file gives OpenSSH's defaults; a file that is not a regular
// file or is over 4 MiB is skipped and reported.
func ReadSSHD(root *safeio.Root, path string) *SSHD {
	s := &SSHD{PermitRootLogin: "prohibit-password", PasswordAuthentication: true, PubkeyAuthentication: true,
		AuthorizedKeysFile: []string{".ssh/authorized_keys", ".ssh/authorized_keys2"}}
	seen := map[string]bool{}
	// All included files together are bounded too: Include globs could
	// name thousands of files at the size cap.
	budget := int64(64 << 20)
	var read func(p string, depth int)
	read = func(p string, depth int) {
		if budget <= 0 {
			s.Problems = append(s.Problems, Problem{p, 0, "not read: the included files exceed 64 MiB in all"})
			return
		}
		data, err := root.ReadFile(p, safeio.ConfigMaxSize)
		budget -= int64(len(data))
		switch {
		case errors.Is(err, safeio.ErrNotRegular):
			s.Problems = append(s.Problems, Problem{p, 0, "skipped: not a regular file"})
			return
		case errors.Is(err, safeio.ErrTooLarge):
			s.Problems = append(s.Problems, Problem{p, 0, "skipped: larger than the 4 MiB limit"})
			return
		case err != nil:
			if depth > 0 {
				s.Problems = append(s.Problems, Problem{p, 0, "included file unreadable"})
			}
			return
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		inMatch := false
		for n := 1; sc.Scan(); n++ {
			fields := strings.Fields(strings.SplitN(sc.Text(), "#", 2)[0])
			if len(fields) == 0 {
				continue
			}
			key := strings.ToLower(fields[0])
			if len(fields) < 2 {
				s.Problems = append(s.Problems, Problem{p, n, "setting without a value"})
				continue
			}
			switch {
			case key == "match":
				inMatch = true
				continue
			case key == "include" && depth < 8:
				for _, pat := range fields[1:] {
					if !filepath.IsAbs(pat) {
						pat = filepath.Join("/etc/ssh", pat)
					}
					matches, _ := root.Glob(filepath.ToSlash(pat))
					for _, m := range matches {
						read(m, depth+1)
					}
				}
				continue
			case inMatch || seen[key]:
				continue
			}
			seen[key] = true
			v := strings.ToLower(fields[1])
			switch key {
			case "permitrootlogin":
				if v == "without-password" {
					v = "prohibit-password"
				}
				s.PermitRootLogin = v
			case "passwordauthentication":
				s.PasswordAuthentication = v == "yes"
			case "pubkeyauthentication":
				s.PubkeyAuthentication = v == "yes"
			case "authorizedkeysfile":
				s.AuthorizedKeysFile = fields[1:]
			}
		}
	}
	read(path, 0)
	return s
}

// KeyFiles expands AuthorizedKeysFile patterns for a user: %h home, %u
// user, %% a percent; relative paths are under the home directory.
func KeyFiles(patterns []string, user, home string) []string {
	var out []string
	for _, p := range patterns {
		if strings.EqualFold(p, "none") {
			continue
		}
		p = strings.NewReplacer("%%", "%", "%h", home, "%u", user).Replace(p)
		if !filepath.IsAbs(p) {
			p = filepath.Join(home, p)
		}
		out = append(out, p)
	}
	return out
}
