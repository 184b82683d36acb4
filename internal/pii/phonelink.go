package pii

// Phone numbers in links. A tel:, sms: or callto: link's number is a
// phone number like any other, but links write it in ways the pass does
// not read as one: percent-escaped (tel:+49%2030%201234567, what an
// editor makes of spaces), after "//" (callto://+4930…), or as a
// WhatsApp chat's digits (https://wa.me/491701234567,
// api.whatsapp.com/send?phone=491701234567: the international number
// without its '+'). linkPhoneAt reads these at the scheme's colon and
// validates the number as validPhone does any other; a link the pass
// reads already (tel:+44-20-7946-0958, tel:020 7946 0958) is left to it.

// phoneSchemes are the URI schemes whose value is a phone number.
var phoneSchemes = [][]byte{[]byte("tel"), []byte("sms"), []byte("callto"), []byte("skype"), []byte("facetime")}

// whatsAppHosts are the URL forms of a chat with a phone number, after
// "//": the number follows the host's path directly (WhatsApp's wa.me/,
// Telegram's t.me/+, Signal's signal.me/#p/+) or as its phone parameter.
var whatsAppHosts = [][]byte{[]byte("wa.me/"), []byte("t.me/"), []byte("signal.me/#p/"), []byte("api.whatsapp.com/send"),
	[]byte("web.whatsapp.com/send"), []byte("send")} // whatsapp://send?phone=

// linkPhoneAt looks at the colon at i as a link's scheme's and returns
// where the pass goes on (i+1 when it was no such link).
func (s *scanner) linkPhoneAt(i int) int {
	text := s.text
	if i < 3 || i+3 >= len(text) {
		return i + 1
	}
	switch lower(text[i-1]) { // the schemes' last letters: most keys end in others
	case 'l', 's', 'o', 'e', 'p':
	default:
		return i + 1
	}
	scheme := schemeBefore(text, i)
	if scheme == nil {
		return i + 1
	}
	j := i + 1
	slashes := j+1 < len(text) && text[j] == '/' && text[j+1] == '/'
	switch {
	case hasWordFold(scheme, phoneSchemes):
		if slashes {
			j += 2
		}
		var buf [40]byte
		b, end, escaped := unescapePhone(text, j, buf[:0])
		if !slashes && !escaped {
			return i + 1 // the pass reads it
		}
		return s.linkPhone(j, end, b)
	case slashes && (hasFold(scheme, "https") || hasFold(scheme, "http") || hasFold(scheme, "whatsapp")):
		j += 2
		for _, h := range whatsAppHosts {
			if !hasPrefixFold(text[j:], h) || string(h) == "send" && !hasFold(scheme, "whatsapp") {
				continue
			}
			k := j + len(h)
			if h[len(h)-1] != '/' {
				// send?phone=, send/?phone=: the parameter among the first few
				q := k
				for q < len(text) && q-k < 64 && text[q] != ' ' && text[q] != '"' && text[q] != '\'' && text[q] != '\n' &&
					!(hasPrefixFold(text[q:], []byte("phone=")) && (text[q-1] == '?' || text[q-1] == '&')) {
					q++
				}
				if !hasPrefixFold(text[q:], []byte("phone=")) {
					return i + 1
				}
				k = q + len("phone=")
			}
			if h[0] == 't' && (k >= len(text) || text[k] != '+') {
				return i + 1 // t.me/name, t.me/+AbC… (an invite): no number without its '+'
			}
			var buf [24]byte
			b := append(buf[:0], '+')
			end := k
			if end+2 < len(text) && text[end] == '%' && text[end+1] == '2' && lower(text[end+2]) == 'b' {
				end += 3 // phone=%2B49…
			} else if end < len(text) && text[end] == '+' {
				end++
			}
			for end < len(text) && isDigit(text[end]) && len(b) < len(buf) {
				b = append(b, text[end])
				end++
			}
			if end < len(text) && (isAlnum(text[end]) || text[end] == '_') {
				return i + 1
			}
			return s.linkPhone(k, end, b)
		}
	}
	return i + 1
}

// linkPhone validates the number b a link holds at text[start:end] and
// returns where the pass goes on: past it, so its digits start nothing
// else.
func (s *scanner) linkPhone(start, end int, b []byte) int {
	digits := 0
	for _, c := range b {
		if isDigit(c) {
			digits++
		}
	}
	if digits < 7 || digits > 15 || end < len(s.text) && (isAlnum(s.text[end]) || s.text[end] == '_' || s.text[end] == '@') {
		return start
	}
	if v, conf, ok := s.validPhone(start, b); ok {
		s.match(TypePhoneNumber, CategoryContact, conf, v, start)
	}
	s.phoneNext, s.runNext = max(s.phoneNext, end), max(s.runNext, end)
	return end
}

// unescapePhone reads a link's number at j: '+', digits and the
// separators a number has, each perhaps percent-escaped (%20 %2B %2D %28
// %29 %2E), into b; it returns b with its trailing separators cut, where
// the number ends and whether it held an escape.
func unescapePhone(text []byte, j int, b []byte) ([]byte, int, bool) {
	escaped := false
	end := j
	for j < len(text) && len(b) < cap(b) {
		c := text[j]
		w := 1
		if c == '%' && j+2 < len(text) {
			switch uint16(text[j+1])<<8 | uint16(lower(text[j+2])) {
			case '2'<<8 | '0':
				c = ' '
			case '2'<<8 | 'b':
				c = '+'
			case '2'<<8 | 'd':
				c = '-'
			case '2'<<8 | '8':
				c = '('
			case '2'<<8 | '9':
				c = ')'
			case '2'<<8 | 'e':
				c = '.'
			default:
				c = 0
			}
			w = 3
			escaped = escaped || c != 0
		}
		if !(isPhoneChar(c) && c != '/' || c == '+' && len(b) == 0) || c == ' ' && w == 1 && escaped {
			break
		}
		b = append(b, c)
		j += w
		if isDigit(c) || c == ')' {
			end = j
		}
	}
	for len(b) > 0 && !isDigit(b[len(b)-1]) && b[len(b)-1] != ')' {
		b = b[:len(b)-1]
	}
	return b, end, escaped
}

// schemeBefore returns the word of letters before the colon at i (at
// most eight), nil when there is none or it continues a longer token.
func schemeBefore(text []byte, i int) []byte {
	k := i
	for k > 0 && i-k < 9 && isAlpha(text[k-1]) {
		k--
	}
	if k == i || i-k > 8 || k > 0 && (isAlnum(text[k-1]) || text[k-1] == '-' || text[k-1] == '_' || text[k-1] >= 0x80) {
		return nil
	}
	return text[k:i]
}

// hasFold reports whether w equals s (lower case), ASCII case folded.
func hasFold(w []byte, s string) bool {
	return len(w) == len(s) && hasPrefixFold(w, []byte(s))
}

// hasWordFold reports whether w equals one of words, case folded.
func hasWordFold(w []byte, words [][]byte) bool {
	for _, x := range words {
		if len(w) == len(x) && hasPrefixFold(w, x) {
			return true
		}
	}
	return false
}
