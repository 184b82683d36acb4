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
		{"3 principals can read it", 2},
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

func TestAssessReadersAndJurisdiction(t *testing.T) {
	base := store.AssetExposure{Categories: []string{"contact"}, Occurrences: 9, Distinct: 9, Readers: 4}
	names := func(s Score) map[string]int {
		out := map[string]int{}
		for _, f := range s.Factors {
			out[f.Name] = f.Points
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		unpriv    uint64
		jur, home string
		want      map[string]int // factors beyond the base ones
	}{
		{"privileged readers only, no home", 0, "US", "", map[string]int{}},
		{"ordinary accounts among the readers", 3, "", "", map[string]int{"3 of them not privileged": 5}},
		{"stored at home", 0, "eu", "EU", map[string]int{}},
		{"stored elsewhere", 0, "US", "EU", map[string]int{"stored in US, outside EU (cross-border)": 10}},
		{"jurisdiction unknown", 0, "unknown", "EU", map[string]int{}},
		{"both", 1, "US", "EU", map[string]int{"1 of them not privileged": 5, "stored in US, outside EU (cross-border)": 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := base
			e.UnprivilegedReaders, e.Jurisdiction = tc.unpriv, tc.jur
			got := names(AssessIn(e, tc.home))
			want := map[string]int{"holds contact data": 10, "9 occurrences": 4, "up to 9 distinct values": 4, "4 principals can read it": 2}
			for k, v := range tc.want {
				want[k] = v
			}
			require.Equal(t, want, got)
		})
	}
	require.Equal(t, Assess(base), AssessIn(base, ""), "Assess is AssessIn without a home")
}
