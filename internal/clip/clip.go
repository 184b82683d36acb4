// Package clip shortens strings that came from outside (an agent's error
// message, a caller's parameter, a value that failed validation) before
// they go into an error, a log line, an audit entry or a stored row, so
// garbage of any size costs a bounded number of bytes. It is the one
// definition: every package bounds such text through it.
//
// Cuts fall on a rune boundary, so a clipped string is valid UTF-8
// whenever the input was (a byte cut in the middle of "é" would leave
// half a character that JSON encoders turn into U+FFFD).
package clip

import "unicode/utf8"

// Ellipsis marks a string that String shortened.
const Ellipsis = "…"

// String returns s when it is at most n bytes long, else its longest
// prefix of at most n bytes that ends on a rune boundary, followed by
// Ellipsis (so the result may be up to n+3 bytes).
func String(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return Prefix(s, n) + Ellipsis
}

// Prefix returns s when it is at most n bytes long, else its longest
// prefix of at most n bytes that ends on a rune boundary, unmarked: for
// values stored or compared as they are.
func Prefix(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Middle returns s when it is at most n bytes long, else its start and
// its end, about n/2 bytes each on rune boundaries, joined by Ellipsis:
// for messages that name a thing first and say what went wrong last
// ("open /a/very/long/path…: file name too long"), so a cut keeps both.
func Middle(s string, n int) string {
	if len(s) <= n {
		return s
	}
	head := Prefix(s, n/2)
	tail := len(s) - (n - len(head))
	for tail < len(s) && !utf8.RuneStart(s[tail]) {
		tail++
	}
	return head + Ellipsis + s[tail:]
}
