package evalcorpus

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
)

// TestPrecisionRecall is the detectors' accuracy gate: every type at
// precision and recall ≥ 0.97 on the generated corpus.
func TestPrecisionRecall(t *testing.T) {
	gate(t, Evaluate(pii.NewDefault(), Generate(1, 40, 500)), RequiredTypes)
}

// TestPrecisionRecallAllTypes is the same gate over every type, the
// "Next" ones and token credentials included, with their decoys.
func TestPrecisionRecallAllTypes(t *testing.T) {
	gate(t, Evaluate(pii.NewDefault(), GenerateTypes(2, 40, 1500, AllTypes)), AllTypes)
}

// gate requires every scored type at precision and recall ≥ 0.97 with
// enough examples, and every one of want scored.
func gate(t *testing.T, scores []Score, want []string) {
	t.Helper()
	Print(os.Stdout, scores)
	types := map[string]bool{}
	for _, s := range scores {
		types[s.Type] = true
		require.GreaterOrEqual(t, s.Precision(), 0.97, "%s precision (TP %d, FP %d)", s.Type, s.TP, s.FP)
		require.GreaterOrEqual(t, s.Recall(), 0.97, "%s recall (TP %d, FN %d)", s.Type, s.TP, s.FN)
		require.Greater(t, s.TP, 100, "%s: too few examples to measure", s.Type)
	}
	for _, typ := range want {
		require.True(t, types[typ], "no %s in the corpus", typ)
	}
}

func TestDeterministic(t *testing.T) {
	a, b := Generate(7, 2, 50), Generate(7, 2, 50)
	require.Equal(t, a, b)
}
