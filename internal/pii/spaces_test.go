package pii

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// Numbers grouped by the spaces of word processors and web pages are
// read as numbers grouped by spaces, in text and in a table's cells.
func TestWideSpacesGroupNumbers(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"IBAN, no-break spaces", "IBAN : FR76\u00a03000\u00a06000\u00a00112\u00a03456\u00a07890\u00a0189", "iban=FR7630006000011234567890189"},
		{"IBAN, narrow no-break", "IBAN : FR76\u202f3000\u202f6000\u202f0112\u202f3456\u202f7890\u202f189", "iban=FR7630006000011234567890189"},
		{"card, thin spaces", "card 5555\u20095555\u20095555\u20094444 ok", "credit_card=5555555555554444"},
		{"SSN, figure spaces", "SSN 123\u200745\u20076780", "us_ssn=123456780"},
		{"plain spaces as before", "IBAN : FR76 3000 6000 0112 3456 7890 189", "iban=FR7630006000011234567890189"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			NewDefault().Detect([]byte(tc.text), func(m Match) { got = append(got, m.Type+"="+string(m.Value)) })
			require.Equal(t, []string{tc.want}, got)
		})
	}
	var got []string
	NewDefault().(FieldDetector).DetectField([]byte("IBAN"), []byte("DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000"), func(m Match) { got = append(got, m.Type) })
	require.Equal(t, []string{TypeIBAN}, got)
}

func TestPlainSpaces(t *testing.T) {
	same := []byte("no wide spaces here, just é and “quotes” — and a dash\n")
	require.Same(t, &same[0], &plainSpaces(same, nil)[0], "not copied")
	require.Equal(t, "a b c d\ne f", string(plainSpaces([]byte("a\u00a0b\u202fc\u2009d\ne\u2002f"), nil)))
	require.Equal(t, "cut \xc2", string(plainSpaces([]byte("cut \xc2"), nil)), "a lead byte at the end is kept")
	require.Equal(t, "x\u200by", string(plainSpaces([]byte("x\u200by"), nil)), "a zero-width space is not a space")
}

func FuzzPlainSpaces(f *testing.F) {
	f.Add([]byte("FR76\u00a03000\u202f6000"))
	f.Add([]byte("\xe2\x80\xc2\xa0\xe2"))
	f.Fuzz(func(t *testing.T, text []byte) {
		out := plainSpaces(text, nil)
		require.Equal(t, bytes.Count(text, []byte{'\n'}), bytes.Count(out, []byte{'\n'}), "lines kept")
		require.LessOrEqual(t, len(out), len(text))
		require.Equal(t, out, plainSpaces(out, nil), "nothing left to replace")
	})
}

// mayHaveWideSpace is false only for text without a byte of 0xC2 or
// more, wherever in the text (the vector chunks or the tail) it is; true
// always without the vector code.
func TestMayHaveWideSpace(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 129, 255, 256, 1000, 4096} {
		text := bytes.Repeat([]byte("a1 =\n"), n/5+1)[:n]
		require.Equal(t, !haveCandMasks, mayHaveWideSpace(text), "n=%d", n)
		for _, at := range []int{0, n / 2, n - 1} {
			if at < 0 || at >= n {
				continue
			}
			for _, c := range []byte{0xC2, 0xE2, 0xFF} {
				b := bytes.Clone(text)
				b[at] = c
				require.True(t, mayHaveWideSpace(b), "n=%d at=%d c=%x", n, at, c)
			}
			b := bytes.Clone(text)
			b[at] = 0xC1 // below every wide space's lead: the scans need not run
			require.Equal(t, !haveCandMasks, mayHaveWideSpace(b), "n=%d at=%d", n, at)
		}
	}
}
