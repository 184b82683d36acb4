package pii

import (
	"bytes"
)

// ---- email ----

// emailAt checks the address around the '@' at at and returns where the
// pass goes on.
func (s *scanner) emailAt(at int) int {
	// A URL's host after an empty user (jdbc:oracle:thin:@//10.8.3.21).
	if text := s.text; at+3 < len(text) && text[at+1] == '/' && text[at+2] == '/' && isDigit(text[at+3]) && at+3 >= s.ipNext {
		s.ipNext = s.ipAt(at + 3)
		return at + 1
	}
	return s.emailSplit(at, at+1)
}

// emailSplit checks the address whose local part ends at le and whose
// domain starts at ds: one '@' between them, or its escaped forms (%40 in
// a URL, &#64; or &#x40; in HTML), and returns where the pass goes on.
func (s *scanner) emailSplit(le, ds int) int {
	text := s.text
	at := le
	st := at
	for st > 0 && at-st < 64 && (isLocalChar(text[st-1]) ||
		// an apostrophe between letters: o'neil@example.ie
		text[st-1] == '\'' && st >= 2 && isAlpha(text[st-2]) && st < at && isAlpha(text[st])) {
		st--
	}
	e := ds
	for e < len(text) && e-ds < 254 && isDomainChar(text[e]) {
		e++
	}
	// A sentence's full stop or a hyphen is not part of the domain.
	for e > ds && (text[e-1] == '.' || text[e-1] == '-') {
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
		// A token as the password (https://oauth2:glpat-…@gitlab.com) is
		// found as the token.
		if c := bytes.IndexByte(text[u:at], ':'); c >= 0 {
			if p := text[u+c+1 : at]; validPassword(p) && !tokenPrefixed(p) {
				s.match(TypePassword, CategoryCredential, High, p, u)
			}
		}
		return at + 1
	}
	if fileTLD(text[ds:e]) || (e+1 < len(text) && text[e] == ':' && (text[e+1] == '/' || isAlnum(text[e+1]))) {
		// A file name (logo@2x.png) or a remote of scp and git
		// (git@github.com:org/repo.git).
		return at + 1
	}
	if !validLocal(text[st:at]) || !validDomain(text[ds:e]) || messageID(text, st) {
		return at + 1
	}
	buf := s.val[:0]
	if at-st+1+e-ds > len(s.val) {
		buf = nil
	}
	buf = append(append(append(buf, text[st:at]...), '@'), text[ds:e]...)
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

// messageIDHeaders name a message's own id and its references in a mail
// header or a mail server's log: "<local@host>" there is no address.
var messageIDHeaders = []string{"message-id", "in-reply-to", "references", "content-id", "msgid"}

// messageID reports whether the address starting at st is in angle
// brackets under a message-id header (Message-ID: <…>, In-Reply-To:,
// References: over folded lines, postfix's message-id=<…>).
func messageID(text []byte, st int) bool {
	// The id's local part may hold '=' and '/' (Gmail's
	// <CAF4x…+9Zq=Vb3…@mail.gmail.com>): back to its '<'.
	b := st
	for b > 0 && st-b < 128 && text[b-1] > ' ' && text[b-1] != '<' && text[b-1] != '>' && text[b-1] != '"' {
		b--
	}
	if b == 0 || text[b-1] != '<' {
		return false
	}
	k := b - 1
	for lines := 0; lines < 8 && k > 0 && st-k < 4096; {
		c := text[k-1]
		if c == '\n' {
			if k < len(text) && text[k] != ' ' && text[k] != '\t' {
				break // the header's own line, not a folded one
			}
			lines++
		}
		if (c == ':' || c == '=') && k >= 2 {
			e := k - 1
			b := e
			for b > 0 && (isAlpha(text[b-1]) || text[b-1] == '-') {
				b--
			}
			name := text[b:e]
			for _, h := range messageIDHeaders {
				// X-Original-Message-ID, Resent-Message-Id: by the end.
				if len(name) >= len(h) && hasPrefixFold(name[len(name)-len(h):], []byte(h)) {
					return true
				}
			}
		}
		k--
	}
	return false
}

// tokenPrefixed reports whether v starts like a token the pass finds on
// its own (GitHub, GitLab, Slack, Stripe).
func tokenPrefixed(v []byte) bool {
	for _, p := range []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "sk_live_", "rk_live_"} {
		if bytes.HasPrefix(v, []byte(p)) {
			return true
		}
	}
	return false
}
