package clip

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 40, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc…"},
		{"", 0, ""},
		{"é", 1, "…"},    // never half a rune
		{"aé", 2, "a…"},  // é is 2 bytes: cut before it
		{"日本語", 4, "日…"}, // 3-byte runes
		{strings.Repeat("x", 100), 64, strings.Repeat("x", 64) + "…"},
	} {
		require.Equal(t, tc.want, String(tc.in, tc.n), "String(%q, %d)", tc.in, tc.n)
	}
}

func TestPrefix(t *testing.T) {
	require.Equal(t, "abc", Prefix("abcdef", 3))
	require.Equal(t, "abc", Prefix("abc", 3))
	require.Equal(t, "", Prefix("é", 1))
	require.Equal(t, "", Prefix("abc", -1))
}

func FuzzString(f *testing.F) {
	f.Add("héllo wörld", 4)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		p := Prefix(s, n)
		require.LessOrEqual(t, len(p), n)
		require.True(t, strings.HasPrefix(s, p))
		if utf8.ValidString(s) {
			require.True(t, utf8.ValidString(String(s, n)))
		}
	})
}

func TestMiddle(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"open /aaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbb: file name too long", 24, "open /aaaaaa" + Ellipsis + "ame too long"},
		// Cuts on rune boundaries: 4 bytes of head, the last 5 of the end.
		{"ééééééééé: end", 9, "éé" + Ellipsis + ": end"},
		{"é: ééééééééé", 9, "é: " + Ellipsis + "éé"},
		{"", 0, ""},
	} {
		got := Middle(tc.in, tc.n)
		require.Equal(t, tc.want, got, "%q %d", tc.in, tc.n)
		require.True(t, utf8.ValidString(got))
		require.LessOrEqual(t, len(got), tc.n+len(Ellipsis))
	}
}
