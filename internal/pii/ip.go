package pii

import (
	"bytes"
	"net/netip"
	"strings"
)

// ---- IP addresses ----

// ipGlued reports whether an address candidate after p continues a token
// (a version such as v1.2.3.4, a path, 1.2.3.4.5).
func ipGlued(p byte) bool {
	return isAlnum(p) || p == '.' || p == ':' || p == '_' || p == '-' || p == '/'
}

// ipAt checks for an IPv4 address standing as a word or an IPv6 address in
// its RFC 5952 forms at i and returns where the next candidate may start.
// A range's second address (10.0.0.1-10.0.0.9, in firewall rules and DHCP
// pools) is checked too: a number after '-' starts no candidate.
func (s *scanner) ipAt(i int) int {
	for {
		j, end, found := s.ipOne(i)
		if !found || end+2 >= len(s.text) || s.text[end] != '-' || !isDigit(s.text[end+1]) {
			return j
		}
		i = end + 1
	}
}

// ipOne checks for an address at i; it returns where the next candidate
// may start, where the address ends and whether there was one.
func (s *scanner) ipOne(i int) (int, int, bool) {
	text := s.text
	n := len(text)
	// Cheap reject: an address has '.' or ':' within its first five
	// characters; most words and numbers do not.
	k := i
	for k < n && k-i < 5 && isHex(text[k]) {
		k++
	}
	if k == n || k-i == 5 || (text[k] != '.' && text[k] != ':') {
		return k + 1, 0, false
	}
	j := i
	dots, colons := 0, 0
	for j < n && (isHex(text[j]) || text[j] == '.' || text[j] == ':') {
		switch text[j] {
		case '.':
			dots++
		case ':':
			colons++
		}
		j++
	}
	tok := text[i:j]
	for len(tok) > 0 && (tok[len(tok)-1] == '.' || (tok[len(tok)-1] == ':' && colons < 2)) {
		tok = tok[:len(tok)-1] // sentence punctuation, "addr:"
	}
	colons, dots = bytes.Count(tok, []byte{':'}), bytes.Count(tok, []byte{'.'}) // "at 10.1.2.3:8080."
	// An IPv4 address with its port (10.0.3.15:8080), a Docker port
	// mapping (10.0.3.15:8080:80) or Go's dial error (dial tcp
	// 10.0.3.15:5432: connect: …): the address.
	if dots == 3 && colons > 0 {
		if c := bytes.IndexByte(tok, ':'); c > bytes.LastIndexByte(tok, '.') && portsTail(tok[c:]) {
			tok, colons = tok[:c], 0
		}
	}
	end := i + len(tok)
	// Glued to a word, or a zoned link-local address (fe80::1%eth0):
	// interface configuration, not an address someone used.
	if end < n && (isAlnum(text[end]) || text[end] == '_' || text[end] == '%') {
		return j, 0, false
	}
	if dots == 3 && colons == 0 && afterVersionWord(text, i) {
		return j, 0, false // version 2.14.0.11, Firmware 1.2.3.4
	}
	if dots == 3 && colons == 0 && end+1 < n && text[end] == '-' && isAlpha(text[end+1]) {
		return j, 0, false // a pre-release version, 1.2.3.4-beta, 2.4.10.1-SNAPSHOT (a range 10.0.0.1-10.0.0.9 is addresses)
	}
	if dots == 3 && colons == 0 && plainIPv4(tok) {
		// What the parse below would find and print, without its
		// string: the address as written is its canonical form.
		s.match(TypeIPAddress, CategoryNetwork, Medium, tok, i)
		return j, end, true
	}
	if (dots == 3 && colons == 0) || colons >= 2 {
		if addr, err := netip.ParseAddr(string(tok)); err == nil && addr.Zone() == "" {
			// ::ffff:10.1.2.3 is how a dual-stack server logs an IPv4
			// client: the same address, so the same token and sample.
			v := addr.Unmap().String()
			// One ending in :: (fe80::, 2001:db8::, ::; written so or in
			// full) is a prefix or the unspecified address, no host's:
			// judged on the canonical form, the one subject search
			// normalises to, so the two agree.
			if (addr.Is4() && dots == 3 || addr.Is6() && colons >= 2) && !strings.HasSuffix(v, "::") {
				s.match(TypeIPAddress, CategoryNetwork, Medium, []byte(v), i)
				return j, end, dots == 3 && colons == 0
			}
		}
	}
	return j, 0, false
}

// plainIPv4 reports whether tok is a dotted quad netip.ParseAddr takes
// and prints back the same: four decimal fields of one to three digits,
// none above 255, none with a leading zero.
func plainIPv4(tok []byte) bool {
	if len(tok) < 7 || len(tok) > 15 {
		return false
	}
	dots, v, n := 0, 0, 0 // v and n: the field's value and digits so far
	for _, c := range tok {
		if c == '.' {
			if n == 0 || dots == 3 {
				return false
			}
			dots, v, n = dots+1, 0, 0
			continue
		}
		if c-'0' >= 10 || n == 3 || n == 1 && v == 0 {
			return false // not a digit, a fourth digit, a digit after a leading 0
		}
		v, n = v*10+int(c-'0'), n+1
		if v > 255 {
			return false
		}
	}
	return dots == 3 && n > 0
}

// portsTail reports whether b is one or more ":port" (one to five
// digits), perhaps ending in a lone ':'.
func portsTail(b []byte) bool {
	for len(b) > 0 {
		if b[0] != ':' {
			return false
		}
		k := 1
		for k < len(b) && k <= 6 && isDigit(b[k]) {
			k++
		}
		if k > 6 || k == 1 && len(b) > 1 {
			return false
		}
		b = b[k:]
	}
	return true
}

// versionWords name a version (en, de, fr, es, it, nl): a dotted quad
// after one is a version, not an address.
var versionWords = [][]byte{[]byte("version"), []byte("versión"), []byte("versione"), []byte("versie"),
	[]byte("release"), []byte("build"), []byte("firmware"), []byte("ver"), []byte("rev")}

// afterVersionWord reports whether the word before i (past spaces, ':',
// '=' and '.') is a version word.
func afterVersionWord(text []byte, i int) bool {
	k := i
	for k > 0 && (text[k-1] == ' ' || text[k-1] == ':' || text[k-1] == '=' || text[k-1] == '.') && i-k < 4 {
		k--
	}
	// Every word ends in one of "nedrv" (n of version and versión):
	// before an address in a log (from, client=) the loop is spared.
	if k == 0 {
		return false
	}
	switch lower(text[k-1]) {
	case 'n', 'e', 'd', 'r', 'v':
	default:
		return false
	}
	for _, w := range versionWords {
		if k >= len(w) && hasPrefixFold(text[k-len(w):k], w) && (k == len(w) || !isWordByte(text[k-len(w)-1])) {
			return true
		}
	}
	return false
}

// ipv4Label reports whether the colon at i ends "ipv4" before a digit:
// gRPC writes a peer as ipv4:10.1.2.8:50051, and a number after a digit
// and a colon (a time's 10:13) starts no candidate.
func ipv4Label(text []byte, i int) bool {
	return i >= 4 && i+1 < len(text) && text[i-1] == '4' && isDigit(text[i+1]) && hasFold(text[i-4:i], "ipv4") &&
		(i == 4 || !isAlnum(text[i-5]))
}
