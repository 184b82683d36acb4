package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIngestAdmissionKeys(t *testing.T) {
	c, err := Load(write(t, "ingest:\n  memory_budget_bytes: 67108864\n  max_inflight: 8\n  max_ratio: 0\n  ratio_grace_bytes: 4096\n  agent_rate: 0\n  agent_burst: 0\n"))
	require.NoError(t, err)
	require.Equal(t, int64(64<<20), c.Ingest.MemoryBudgetBytes)
	require.Equal(t, 8, c.Ingest.MaxInflight)
	require.Zero(t, c.Ingest.MaxRatio, "0 turns the ratio check off")
	require.Equal(t, int64(4096), c.Ingest.RatioGraceBytes)
	require.Zero(t, c.Ingest.AgentRate)

	d := Default().Ingest
	require.Equal(t, int64(256<<20), d.MemoryBudgetBytes)
	require.Equal(t, 64, d.MaxInflight)
	require.Equal(t, float64(100), d.MaxRatio)
	require.Equal(t, float64(10000), d.AgentRate)
	require.Equal(t, 100000, d.AgentBurst)

	for _, tc := range []struct{ yaml, want string }{
		{"ingest:\n  memory_budget_bytes: 1024\n", "ingest.memory_budget_bytes"},
		{"ingest:\n  max_inflight: 0\n", "ingest.max_inflight"},
		{"ingest:\n  max_ratio: 2\n", "ingest.max_ratio"},
		{"ingest:\n  max_ratio: -1\n", "ingest.max_ratio"},
		{"ingest:\n  ratio_grace_bytes: -1\n", "ingest.ratio_grace_bytes"},
		{"ingest:\n  agent_rate: -5\n", "ingest.agent_rate"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, err := Load(write(t, tc.yaml))
			require.ErrorContains(t, err, tc.want)
		})
	}
}
