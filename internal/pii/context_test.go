package pii

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// contextBeforeRef is the plain definition of a context lookup: a
// lower-cased copy of the window searched for each word.
func contextBeforeRef(text []byte, pos, window int, words [][]byte) bool {
	from := max(pos-min(window, contextMax), 0)
	if nl := bytes.LastIndexByte(text[from:pos], '\n'); nl >= 0 {
		from += nl + 1
	}
	win := bytes.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		return r
	}, text[from:pos])
	if len(win) != pos-from { // bytes.Map re-encodes invalid UTF-8
		win = make([]byte, 0, pos-from)
		for _, c := range text[from:pos] {
			win = append(win, lower(c))
		}
	}
	for _, w := range words {
		if bytes.Contains(win, w) {
			return true
		}
	}
	return false
}

// phoneContextRef is contextBeforeRef for the phone words: phoneWords
// anywhere, phoneStartWords only where the byte before them (in the whole
// text) is not a letter, phoneWholeWords only where neither that byte nor
// the one after them is.
func phoneContextRef(text []byte, pos int) bool {
	if contextBeforeRef(text, pos, phoneContextWindow, phoneWords) {
		return true
	}
	from := max(pos-phoneContextWindow, 0)
	if nl := bytes.LastIndexByte(text[from:pos], '\n'); nl >= 0 {
		from += nl + 1
	}
	for k := from; k < pos; k++ {
		if k > 0 && isWordByte(text[k-1]) && !(isUpper(text[k]) && text[k-1] >= 'a' && text[k-1] <= 'z') {
			continue
		}
		for _, w := range phoneStartWords {
			if k+len(w) <= pos && hasPrefixFold(text[k:pos], w) {
				return true
			}
		}
		for _, w := range phoneWholeWords {
			if k+len(w) <= pos && hasPrefixFold(text[k:pos], w) && (k+len(w) == len(text) || !isWordByte(text[k+len(w)])) {
				return true
			}
		}
	}
	return false
}

// anotherLabel is the plain definition of a label between a context
// word at w and a number at pos: a value came and then another label (a
// word before ':' or '=').
func anotherLabel(text []byte, w, pos int) bool {
	value := false
	for k := w; k < pos; k++ {
		c := text[k]
		switch {
		case isDigit(c):
			value = true
		case (c == ':' || c == '=') && value:
			j := k
			for j > w && text[j-1] == ' ' {
				j--
			}
			if j > w && isWordByte(text[j-1]) {
				return true
			}
		}
	}
	return false
}

// phoneLabelContextRef is phoneContextAt by definition: the last context
// word in the window (phoneContextRef says there is one), and no other
// label after a value between it and pos.
func phoneLabelContextRef(text []byte, pos int) bool {
	general := phoneWordSet
	general.pairs = nil
	w, _ := general.lastWordIn(text, max(pos-phoneContextWindow, 0), pos)
	if (w >= 0) != phoneContextRef(text, pos) {
		panic("the general scan and the plain definition of phone context disagree")
	}
	if w >= 0 && !anotherLabel(text, w, pos) {
		return true
	}
	// A number that starts its line, under a line that is a phone label
	// alone.
	k := pos - 1
	for k >= 0 && pos-k <= phoneContextWindow && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r') {
		k--
	}
	return k >= 0 && pos-k <= phoneContextWindow && text[k] == '\n' && labelLine(text, k)
}

// The one-pass lookups give the plain definition's answer at every
// position.
func TestContextLookups(t *testing.T) {
	pieces := []string{"phone", "PHONE", "Tel", "téléphone", "cell", "ca", "ll", "mobile", "fax", "x", " ", "=", "\n", "12345678",
		"Hotel", "recall", "Mobil", "Immobilie", "Tél", "tfno", "telefoon", "Diensthandy", "é", "home", "Tel", "egram", "Tlf", ".",
		"ssn", "Social Security", "passport", "BSN", "tax id", "t", "e", "l", "ph", "one", "telefono", "\xe9", "Handy",
		":", ": ", "Kundennr", "7", ", ", "id=", "ts", "  "}
	lists := map[string][][]byte{"phone anywhere": phoneWords, "ssn": ssnWords, "bsn": bsnWords, "passport": passportWords,
		"tax": taxIDWords, "aadhaar": aadhaarWords, "health": healthWords, "patient": patientWords, "one byte": {[]byte("x"), []byte("tel")}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		var b []byte
		for range 5 + r.IntN(60) {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		for name, words := range lists {
			for _, window := range []int{8, 40, 48, 64, 100} {
				for pos := 0; pos <= len(b); pos++ {
					require.Equal(t, contextBeforeRef(b, pos, window, words), contextBefore(b, pos, window, words), "%s window %d pos %d in %q", name, window, pos, b)
				}
			}
		}
		for pos := 0; pos <= len(b); pos++ {
			require.Equal(t, phoneLabelContextRef(b, pos), phoneContextAt(b, pos), "pos %d in %q", pos, b)
		}
	}
}

// The one-lookup-per-byte scan of a set with its pairs finds the word
// the general scan finds, at the same place, and the same newline.
func TestLastWordInPairs(t *testing.T) {
	general := phoneWordSet
	general.pairs = nil
	pieces := []string{"phone", "Tel", "tél", "cell", "mobil", "Immobilie", "fax", "x", " ", "=", "\n", "1234", "path", "trace",
		"retries", "Handy", "\xe9", "é", "ph", "t", "l", "rückruf", "GSM", "hotline", "Hotel", "fijo", "_", "T"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		var b []byte
		for range 1 + r.IntN(40) {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		for to := 0; to <= len(b); to++ {
			for _, from := range []int{0, max(to-40, 0), max(to-3, 0), to} {
				k1, nl1 := general.lastWordIn(b, from, to)
				k2, nl2 := phoneWordSet.lastWordIn(b, from, to)
				require.Equal(t, []any{k1, nl1}, []any{k2, nl2}, "from %d to %d in %q", from, to, b)
			}
		}
	}
}

func TestLooksLikeDate(t *testing.T) {
	for c, want := range map[string]bool{"2026-11-01": true, "01.11.2026": true, "11/01/2026": true, "1/1/2026": true,
		"2026-11-01-3": false, "1061.311": false, "12345678": false, "030 1234 5678": false, "(030) 12 2026": false, "2026 1 1": true} {
		require.Equal(t, want, looksLikeDate([]byte(c)), c)
	}
}
