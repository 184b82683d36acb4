package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAgentStaleAfter(t *testing.T) {
	c, err := Load(write(t, ""))
	require.NoError(t, err)
	require.Equal(t, 24*time.Hour, c.AgentStaleAfter)

	c, err = Load(write(t, "agent_stale_after: 90m\n"))
	require.NoError(t, err)
	require.Equal(t, 90*time.Minute, c.AgentStaleAfter)

	for _, bad := range []string{"agent_stale_after: 0s\n", "agent_stale_after: -1h\n"} {
		_, err = Load(write(t, bad))
		require.ErrorContains(t, err, "agent_stale_after", bad)
	}
}
