package pii

import (
	"bytes"
)

// ---- email ----

// emailAt checks the address around the '@' at at and returns where the
// pass goes on.
func (s *scanner) emailAt(at int) int {
	text := s.text
	st := at
	for st > 0 && at-st < 64 && (isLocalChar(text[st-1]) ||
		// an apostrophe between letters: o'neil@example.ie
		text[st-1] == '\'' && st >= 2 && isAlpha(text[st-2]) && st < at && isAlpha(text[st])) {
		st--
	}
	e := at + 1
	for e < len(text) && e-at < 255 && isDomainChar(text[e]) {
		e++
	}
	// A sentence's full stop or a hyphen is not part of the domain.
	for e > at+1 && (text[e-1] == '.' || text[e-1] == '-') {
		e--
	}
	// Inside a longer token (a@b@c, or a local part cut at 64 bytes).
	if st > 0 && (text[st-1] == '@' || isLocalChar(text[st-1])) {
		return at + 1
	}
	if e < len(text) && text[e] == '@' {
		return at + 1
	}
	if u, ok := urlUserinfo(text, at); ok {
		// A URL's user information is no e-mail address; a password in
		// it (postgres://app:secret@db/shop) is a password.
		if c := bytes.IndexByte(text[u:at], ':'); c >= 0 {
			if p := text[u+c+1 : at]; validPassword(p) {
				s.match(TypePassword, CategoryCredential, High, p, u)
			}
		}
		return at + 1
	}
	if fileTLD(text[at+1:e]) || (e+1 < len(text) && text[e] == ':' && (text[e+1] == '/' || isAlnum(text[e+1]))) {
		// A file name (logo@2x.png) or a remote of scp and git
		// (git@github.com:org/repo.git).
		return at + 1
	}
	if !validLocal(text[st:at]) || !validDomain(text[at+1:e]) {
		return at + 1
	}
	buf := append(s.val[:0], text[st:e]...)
	if len(text[st:e]) > len(s.val) {
		buf = append([]byte(nil), text[st:e]...)
	}
	for k, c := range buf {
		if c-'A' < 26 {
			buf[k] = c + 32
		}
	}
	s.match(TypeEmail, CategoryContact, High, buf, st)
	return e
}

// fileTLD reports whether a domain ends in a file name extension that is
// no top-level domain (logo@2x.png). A switch over strings compiles to a
// search by length and value: it runs at every '@'.
func fileTLD(domain []byte) bool {
	tld := domain[bytes.LastIndexByte(domain, '.')+1:]
	if len(tld) < 2 || len(tld) > 5 {
		return false
	}
	var lb [5]byte
	for k, c := range tld {
		lb[k] = lower(c)
	}
	switch string(lb[:len(tld)]) {
	case "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "css", "js", "mjs", "cjs", "jsx",
		"tsx", "json", "yaml", "yml", "xml", "html", "htm", "php", "aspx", "jsp", "txt", "log", "csv", "pdf", "doc",
		"docx", "xls", "xlsx", "ppt", "pptx", "exe", "dll", "tmp", "bak", "gz", "tgz", "bz2", "tar", "rar", "jar",
		"war", "class", "lock":
		return true
	}
	return false
}

// urlUserinfo reports whether the '@' at at ends a URL's user
// information (https://key@host/…, ftp://user:pass@host) and where that
// starts.
func urlUserinfo(text []byte, at int) (int, bool) {
	for k := at - 1; k >= 0 && at-k <= 256; k-- {
		switch text[k] {
		case '/':
			return k + 1, k > 0 && text[k-1] == '/' && k+1 < at
		case ' ', '\t', '\n', '"', '\'', '<', '>', '?', '=', '&', ',', ';', '(', '[', '@':
			return 0, false
		}
	}
	return 0, false
}
