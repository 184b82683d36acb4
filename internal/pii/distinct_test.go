package pii

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// splitmix64 is a fixed, well-mixed hash of i: the test's values.
func splitmix64(i uint64) uint64 {
	z := i + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// distinct counts exactly up to exactDistinct values, then estimates
// within a few percent with bounded memory: the hashes are dropped.
func TestDistinct(t *testing.T) {
	for _, n := range []int{0, 1, 1000, exactDistinct, exactDistinct + 1, 50_000, 200_000, 1_000_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var d distinct
			for i := range n {
				d.add(splitmix64(uint64(i)))
				d.add(splitmix64(uint64(i))) // a repeat is no new value
			}
			got := d.count(int64(2 * n))
			if n <= exactDistinct {
				require.Equal(t, int64(n), got, "exact")
				return
			}
			require.Nil(t, d.seen, "the hashes are dropped past exactDistinct")
			require.Len(t, d.hll, 1<<hllBits)
			require.InDelta(t, float64(n), float64(got), 0.05*float64(n), "an estimate within 5%% (standard error 1.6%%)")
			require.Greater(t, got, int64(exactDistinct), "never below what was counted exactly")
		})
	}
	// Never above the values seen.
	var d distinct
	for i := range exactDistinct + 10 {
		d.add(splitmix64(uint64(i)))
	}
	require.LessOrEqual(t, d.count(exactDistinct+10), int64(exactDistinct+10))
	require.False(t, math.IsNaN(float64(d.count(1))))
}

// A file of a million different addresses costs the aggregator a bounded
// sketch, and its result still counts them (distinct within 5%).
func TestAggregatorManyDistinct(t *testing.T) {
	a := NewAggregator(NewTokenizer([]byte("k")))
	const n = 300_000
	for i := range n {
		a.Add(Match{Type: TypeEmail, Category: CategoryContact, Confidence: High, Value: []byte(fmt.Sprintf("user%d@example.com", i)), Line: i + 1})
	}
	r := a.Results()
	require.Len(t, r, 1)
	require.Equal(t, int64(n), r[0].Count)
	require.InDelta(t, float64(n), float64(r[0].Distinct), 0.05*n)
	require.Len(t, r[0].Tokens, MaxTokens)
	require.Nil(t, a.types[TypeEmail].distinct.seen)
}

// A file counts the same in every run: the sketch's estimate, past the
// exact count, depends on the key, not on the process (before, each run
// drew its own hash seed and a 600,000-address file counted 361,305 then
// 364,256). Values differing in one byte, at any place, count apart.
func TestAggregatorDistinctIsDeterministic(t *testing.T) {
	count := func(key string) int64 {
		a := NewAggregator(NewTokenizer([]byte(key)))
		for i := range 100_000 {
			a.Add(Match{Type: TypeIPAddress, Category: CategoryNetwork, Confidence: Medium, Value: fmt.Appendf(nil, "10.%d.%d.%d", i>>16, i>>8&255, i&255), Line: 1})
		}
		return a.Results()[0].Distinct
	}
	first := count("k")
	require.Equal(t, first, count("k"))
	require.InDelta(t, 100_000, float64(first), 5_000)

	seen := map[uint64]bool{}
	base := []byte("anna.berg.1234@example.com")
	for i := range base {
		for _, c := range []byte{'0', 'z', '.', 0xff} {
			v := append([]byte(nil), base...)
			if v[i] == c {
				continue
			}
			v[i] = c
			seen[countHash(7, v)] = true
		}
	}
	n := 0
	for i := range base {
		for _, c := range []byte{'0', 'z', '.', 0xff} {
			if base[i] != c {
				n++
			}
		}
	}
	require.Len(t, seen, n, "no two one-byte changes collide")
}
