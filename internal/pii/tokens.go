package pii

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"hash/crc32"
)

// Credential types beyond aws_access_key and private_key: widely leaked
// tokens recognised by their issuers' documented formats.
const (
	TypeGitHubToken     = "github_token"
	TypeGitLabToken     = "gitlab_token"
	TypeSlackToken      = "slack_token"
	TypeStripeKey       = "stripe_key"
	TypeGCPServiceKey   = "gcp_service_account_key"
	TypeAzureStorageKey = "azure_storage_key"
	TypeJWT             = "jwt"
)

func isBase62(c byte) bool { return isAlnum(c) }

// tokenEnd returns the end of a run of token bytes from i (at most max).
func tokenEnd(text []byte, i, limit int, ok func(byte) bool) int {
	j := i
	for j < len(text) && j-i < limit && ok(text[j]) {
		j++
	}
	return j
}

// endsToken reports whether a token ending at j stands alone: no letter,
// digit or token byte glued after it.
func endsToken(text []byte, j int) bool {
	return j >= len(text) || !(isAlnum(text[j]) || text[j] == '_' || text[j] == '-')
}

// diverse reports whether v has at least n distinct bytes: a documentation
// placeholder (ghp_xxxxxxxx…, sk_live_000…) has few.
func diverse(v []byte, n int) bool {
	var seen [256]bool
	k := 0
	for _, c := range v {
		if !seen[c] {
			seen[c] = true
			k++
			if k >= n {
				return true
			}
		}
	}
	return false
}

// tokenAt checks the credential prefixes at a lower-case word start i and
// returns where the pass goes on (i+1 when nothing matched).
func (s *scanner) tokenAt(i int) int {
	text := s.text
	rest := text[i:]
	switch {
	case len(rest) >= 40 && rest[0] == 'g' && rest[1] == 'h' && rest[3] == '_' && indexByte("pousr", rest[2]) >= 0:
		// ghp_ (personal), gho_ (OAuth), ghu_ (user-to-server), ghs_
		// (server-to-server), ghr_ (refresh): 36 base62, the last six the
		// base62 CRC32 of the first thirty.
		j := tokenEnd(text, i+4, 37, isBase62)
		if j-i == 40 && endsToken(text, j) && githubChecksum(text[i+4:j]) {
			s.match(TypeGitHubToken, CategoryCredential, High, text[i:j], i)
			return j
		}
	case bytes.HasPrefix(rest, []byte("github_pat_")):
		// Fine-grained: 22 base62, '_', 59 base62.
		a := tokenEnd(text, i+11, 23, isBase62)
		if a-i == 33 && a < len(text) && text[a] == '_' {
			b := tokenEnd(text, a+1, 60, isBase62)
			if b-a == 60 && endsToken(text, b) && diverse(text[i+11:b], 12) {
				s.match(TypeGitHubToken, CategoryCredential, High, text[i:b], i)
				return b
			}
		}
	case bytes.HasPrefix(rest, []byte("glpat-")):
		// 20 characters of [0-9A-Za-z_-]; newer tokens are longer and may
		// carry dot-separated routing parts.
		j := tokenEnd(text, i+6, 81, func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' })
		for j > i+6 && text[j-1] == '.' {
			j--
		}
		if j-i-6 >= 20 && j-i-6 <= 80 && endsToken(text, j) && diverse(text[i+6:j], 10) {
			s.match(TypeGitLabToken, CategoryCredential, High, text[i:j], i)
			return j
		}
	case len(rest) > 5 && rest[0] == 'x' && rest[1] == 'o' && rest[2] == 'x' && rest[4] == '-' && indexByte("baprs", rest[3]) >= 0:
		if j, ok := slackToken(text, i); ok {
			s.match(TypeSlackToken, CategoryCredential, High, text[i:j], i)
			return j
		}
	case (rest[0] == 's' || rest[0] == 'r') && bytes.HasPrefix(rest[1:], []byte("k_live_")):
		j := tokenEnd(text, i+8, 248, isBase62)
		if j-i-8 >= 24 && endsToken(text, j) && diverse(text[i+8:j], 10) {
			s.match(TypeStripeKey, CategoryCredential, High, text[i:j], i)
			return j
		}
	case bytes.HasPrefix(rest, []byte("eyJ")):
		if j, ok := jwtAt(text, i); ok {
			s.match(TypeJWT, CategoryCredential, High, text[i:j], i)
			return j
		}
	}
	return i + 1
}

const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// githubChecksum checks a classic token's body: 30 random base62
// characters and their CRC32 (IEEE) in base62, left-padded with '0' to 6.
func githubChecksum(body []byte) bool {
	if len(body) != 36 {
		return false
	}
	want := base62CRC(body[:30])
	return bytes.Equal(body[30:], want[:])
}

// base62CRC is the six-character base62 CRC32 of b.
func base62CRC(b []byte) [6]byte {
	c := crc32.ChecksumIEEE(b)
	var out [6]byte
	for k := 5; k >= 0; k-- {
		out[k] = base62Digits[c%62]
		c /= 62
	}
	return out
}

// slackToken reads xox[baprs]-: dash-separated groups, all digits but the
// last, which has at least 24 letters and digits (xoxb-…-…-24 base62,
// xoxp-…-…-…-32 hex).
func slackToken(text []byte, i int) (int, bool) {
	j := tokenEnd(text, i+5, 250, func(c byte) bool { return isAlnum(c) || c == '-' })
	for j > i+5 && text[j-1] == '-' {
		j--
	}
	body := text[i+5 : j]
	if len(body) < 30 || !endsToken(text, j) {
		return 0, false
	}
	last := bytes.LastIndexByte(body, '-')
	if last < 0 || len(body)-last-1 < 24 || !diverse(body[last+1:], 10) {
		return 0, false
	}
	groups := 0
	for _, g := range bytes.Split(body[:last], []byte("-")) {
		if len(g) == 0 {
			return 0, false
		}
		for _, c := range g {
			if !isDigit(c) {
				return 0, false
			}
		}
		groups++
	}
	return j, groups >= 2 || (groups == 1 && len(body[:last]) >= 8)
}

func isBase64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// jwtAt reads a signed JWT (JWS compact form) at i: three base64url parts,
// the header a JSON object whose alg is not "none", the payload a JSON
// object (it starts eyJ too), and a non-empty signature.
func jwtAt(text []byte, i int) (int, bool) {
	h := tokenEnd(text, i, 2048, isBase64URL)
	if h-i < 10 || h >= len(text) || text[h] != '.' {
		return 0, false
	}
	if !bytes.HasPrefix(text[h+1:], []byte("eyJ")) {
		return 0, false
	}
	p := tokenEnd(text, h+1, 16<<10, isBase64URL)
	if p >= len(text) || text[p] != '.' {
		return 0, false
	}
	sig := tokenEnd(text, p+1, 2048, isBase64URL)
	if sig-p-1 < 16 || !endsToken(text, sig) || (sig < len(text) && text[sig] == '.') {
		return 0, false
	}
	var buf [1536]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], bytes.TrimRight(text[i:h], "="))
	if err != nil || h-i > 2048 {
		return 0, false
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(buf[:n], &hdr) != nil || hdr.Alg == "" || bytes.EqualFold([]byte(hdr.Alg), []byte("none")) {
		return 0, false
	}
	return sig, true
}
