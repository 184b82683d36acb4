package keys

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzSettingValues: the generation and rotation rows come from the
// database; whatever they hold is refused or read back exactly.
func FuzzSettingValues(f *testing.F) {
	fp := "0123456789abcdef0123456789abcdef"
	for _, s := range []string{"1:" + fp, "0:" + fp, "2:", ":", "", "4294967296:" + fp, "1:2:" + fp, "2:1:" + fp, "0:1:" + fp, "1:2", "a:b:c", "01:" + fp, "1:" + fp[1:] + "G"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if g, fp, err := parseGeneration(v); err == nil {
			require.NotZero(t, g)
			require.NotEmpty(t, fp)
			require.Equal(t, v, fmt.Sprintf("%d:%s", g, fp))
		}
		if from, to, fp, err := parseRotation(v); err == nil {
			require.Less(t, from, to)
			require.Equal(t, v, fmt.Sprintf("%d:%d:%s", from, to, fp))
		}
	})
}

func TestSettingValues(t *testing.T) {
	fp := "0123456789abcdef0123456789abcdef"
	g, got, err := parseGeneration("12:" + fp)
	require.NoError(t, err)
	require.Equal(t, uint32(12), g)
	require.Equal(t, fp, got)
	from, to, got, err := parseRotation("0:1:" + fp)
	require.NoError(t, err)
	require.Equal(t, [2]uint32{0, 1}, [2]uint32{from, to})
	require.Equal(t, fp, got)
	for _, bad := range []string{"0:" + fp, "01:" + fp, "1:" + fp + ":x", "1:FF"} {
		_, _, err := parseGeneration(bad)
		require.Error(t, err, bad)
	}
	for _, bad := range []string{"1:1:" + fp, "2:1:" + fp, "1:2", "-1:2:" + fp} {
		_, _, _, err := parseRotation(bad)
		require.Error(t, err, bad)
	}
}
