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
