package defaults

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPositive(t *testing.T) {
	require.Equal(t, 5, Positive(5, 7))
	require.Equal(t, 7, Positive(0, 7))
	require.Equal(t, 7, Positive(-1, 7))
	require.Equal(t, int64(1<<20), Positive(int64(0), 1<<20))
	require.Equal(t, 0.5, Positive(0.5, 2))
	require.Equal(t, 2.0, Positive(-0.5, 2))
	require.Equal(t, time.Second, Positive(time.Second, time.Minute))
	require.Equal(t, time.Minute, Positive(time.Duration(0), time.Minute))
}
