package pii

import (
	"bytes"

	"github.com/nyaruka/phonenumbers"
)

// Type and category of phone numbers.
const TypePhoneNumber = "phone_number"

// phoneRegions are the numbering plans national numbers are checked
// against (pii-types.md), in order.
var phoneRegions = []string{"US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "AU", "BR"}

// phoneWords are context words that let a national-format number count.
var phoneWords = [][]byte{[]byte("phone"), []byte("tel"), []byte("mobile"), []byte("cell"), []byte("fax"),
	[]byte("handy"), []byte("téléphone"), []byte("teléfono"), []byte("telefono"), []byte("call")}

func isPhoneChar(c byte) bool {
	return isDigit(c) || c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/'
}

func validPhone(text []byte, start int, cand []byte, fieldCtx bool) ([]byte, string, bool) {
	if looksLikeDate(cand) {
		return nil, "", false
	}
	if cand[0] == '+' {
		if v, ok := parsePhone(cand, "ZZ"); ok {
			return v, High, true
		}
		return nil, "", false
	}
	ctx := fieldCtx || contextBefore(text, start, 40, phoneWords)
	shaped := cand[0] == '(' && bytes.IndexByte(cand, ')') == 4
	if !ctx && !shaped {
		return nil, "", false
	}
	for _, region := range phoneRegions {
		if v, ok := parsePhone(cand, region); ok {
			if ctx {
				return v, High, true
			}
			return v, Medium, true
		}
	}
	return nil, "", false
}

// parsePhone validates a candidate for a region and returns it in E.164.
func parsePhone(cand []byte, region string) ([]byte, bool) {
	num, err := phonenumbers.Parse(string(cand), region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return nil, false
	}
	return []byte(phonenumbers.Format(num, phonenumbers.E164)), true
}

// looksLikeDate rejects 2026-11-01, 01.11.2026, 11/01/2026 shapes.
func looksLikeDate(c []byte) bool {
	var groups []int
	run := 0
	for _, b := range c {
		if isDigit(b) {
			run++
			continue
		}
		if run > 0 {
			groups = append(groups, run)
		}
		run = 0
	}
	if run > 0 {
		groups = append(groups, run)
	}
	if len(groups) != 3 {
		return false
	}
	return (groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2) || (groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4)
}

// contextBefore reports whether one of words (lower-case) appears in the
// window bytes (at most contextMax) before pos on the same line,
// case-insensitively.
func contextBefore(text []byte, pos, window int, words [][]byte) bool {
	from := max(pos-min(window, contextMax), 0)
	if nl := bytes.LastIndexByte(text[from:pos], '\n'); nl >= 0 {
		from += nl + 1 // context is on the candidate's own line
	}
	var w [contextMax]byte
	win := w[:0]
	for _, c := range text[from:pos] {
		if c-'A' < 26 {
			c += 32
		}
		win = append(win, c)
	}
	for _, word := range words {
		if bytes.Contains(win, word) {
			return true
		}
	}
	return false
}

// contextMax bounds a context window (a stack buffer holds it lower-cased).
const contextMax = 64

// NormalizePhone returns a phone number in E.164, trying an international
// form first and then the national plans of phoneRegions.
func NormalizePhone(s string) (string, bool) {
	b := bytes.TrimSpace([]byte(s))
	if len(b) == 0 {
		return "", false
	}
	if b[0] == '+' {
		v, ok := parsePhone(b, "ZZ")
		return string(v), ok
	}
	for _, r := range phoneRegions {
		if v, ok := parsePhone(b, r); ok {
			return string(v), true
		}
	}
	return "", false
}
