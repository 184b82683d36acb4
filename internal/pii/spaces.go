package pii

import "bytes"

// plainSpaces returns text with the Unicode spaces that documents put
// between the groups of a number — no-break (U+00A0), en to hair spaces
// (U+2002–U+200A, the figure and thin spaces among them) and narrow
// no-break (U+202F, French typography's) — written as ASCII spaces, so an
// IBAN, a card or an SSN grouped by them reads as one grouped by spaces.
// Text without them (nearly all) is returned as it is, not copied; the
// copy, when made, goes to buf. Lines are unchanged, so a match's line is.
func plainSpaces(text, buf []byte) []byte {
	if !mayHaveWideSpace(text) {
		return text
	}
	first := -1
	for _, lead := range []byte{0xC2, 0xE2} {
		for k := 0; ; {
			i := bytes.IndexByte(text[k:], lead)
			if i < 0 {
				break
			}
			if n := wideSpace(text[k+i:]); n > 0 {
				if first < 0 || k+i < first {
					first = k + i
				}
				break
			}
			k += i + 1
		}
	}
	if first < 0 {
		return text
	}
	out := append(buf[:0], text[:first]...)
	for i := first; i < len(text); {
		if n := wideSpace(text[i:]); n > 0 {
			out = append(out, ' ')
			i += n
			continue
		}
		out = append(out, text[i])
		i++
	}
	return out
}

// wideSpace is the length of the space plainSpaces replaces at the start
// of b, 0 when there is none.
func wideSpace(b []byte) int {
	switch {
	case len(b) >= 2 && b[0] == 0xC2 && b[1] == 0xA0:
		return 2
	case len(b) >= 3 && b[0] == 0xE2 && b[1] == 0x80 && (b[2] >= 0x82 && b[2] <= 0x8A || b[2] == 0xAF):
		return 3
	}
	return 0
}

// singleSpaces returns a copy of text with each run of spaces made one.
func singleSpaces(text []byte) []byte {
	out := make([]byte, 0, len(text))
	for k, c := range text {
		if c == ' ' && k > 0 && text[k-1] == ' ' {
			continue
		}
		out = append(out, c)
	}
	return out
}

// oneNumber reports whether a value may be one phone number: digits and
// the marks numbers are written with, at most 15 digits (E.164's most).
func oneNumber(v []byte) bool {
	n := 0
	for _, c := range v {
		switch {
		case isDigit(c):
			n++
		case c == ' ' || c == '+' || c == '(' || c == ')' || c == '-' || c == '/' || c == '.':
		default:
			return false
		}
	}
	return n > 0 && n <= 15
}
