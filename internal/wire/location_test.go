package wire

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FitLocation always gives a location a record holds, cut at a rune's
// start, and leaves one that fits alone.
func FuzzFitLocation(f *testing.F) {
	f.Add("file:///a/b", 10)
	f.Add("file:///"+strings.Repeat("%FF", 3000), 0)
	f.Add("file:///x!/"+strings.Repeat("é", 4000), 1)
	f.Fuzz(func(t *testing.T, loc string, repeat int) {
		if repeat = repeat % 64; repeat > 0 {
			loc = strings.Repeat(loc, repeat)
		}
		got, short := FitLocation(loc)
		require.LessOrEqual(t, len(got), MaxStringLen)
		require.Equal(t, len(loc) > MaxStringLen, short)
		if !short {
			require.Equal(t, loc, got)
		} else if utf8.ValidString(loc) {
			require.True(t, utf8.ValidString(got))
		}
	})
}
