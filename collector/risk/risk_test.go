package risk

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
)

func TestAssess(t *testing.T) {
	s := Assess(store.AssetExposure{Categories: []string{"contact", "government_id"}, Occurrences: 1000, Distinct: 999,
		Attributes: map[string]string{"public": "true", "encrypted": "false"}, Readers: 3})
	require.Equal(t, []Factor{
		{"holds government_id data", 30},
		{"1000 occurrences", 11},
		{"up to 999 distinct values", 11},
		{"public (anyone on the internet can read it)", 30},
		{"3 principals hold a read grant", 2},
		{"stored unencrypted", 5},
	}, s.Factors)
	require.Equal(t, 89, s.Score)
	sum := 0
	for _, f := range s.Factors {
		sum += f.Points
	}
	require.Equal(t, s.Score, sum, "a score is the sum of its factors")

	small := Assess(store.AssetExposure{Categories: []string{"network"}, Occurrences: 1, Distinct: 1})
	require.Equal(t, 5+1+1, small.Score)
	huge := Assess(store.AssetExposure{Categories: []string{"credential"}, Occurrences: 1e9, Distinct: 1e9,
		Attributes: map[string]string{"public": "true"}, Readers: 1e6})
	require.Equal(t, 100, huge.Score, "capped")
}
