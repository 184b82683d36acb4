package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/config"
)

func TestNextDelay(t *testing.T) {
	s := config.Schedule{Interval: time.Hour, Jitter: 0.1}
	require.Equal(t, 54*time.Minute, NextDelay(s, 0))
	require.Equal(t, time.Hour, NextDelay(s, 0.5))
	require.InDelta(t, float64(66*time.Minute), float64(NextDelay(s, 0.99999)), float64(time.Second))
	require.Equal(t, time.Second, NextDelay(config.Schedule{Interval: time.Millisecond}, 0.5), "never busy-loops")
}
