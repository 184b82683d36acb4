package detectors_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/detectors"
	"github.com/sightline-dev/sightline/internal/pii"
)

func TestDryRun(t *testing.T) {
	def := pii.Definition{ID: "customer_no", Category: "financial", Pattern: `\bC\d{11}\b`, Checksum: pii.ChecksumLuhn}
	r, err := detectors.DryRun(def, "", "C79927398713 C79927398713\nC79927398710")
	require.NoError(t, err)
	require.Equal(t, 2, r.Count, "the Luhn-invalid one does not count")
	require.Equal(t, 1, r.Distinct)
	require.Equal(t, "**********13", r.Matches[0].Masked)
	require.Equal(t, pii.Medium, r.Definition.Confidence, "answered as checked")

	ctx := pii.Definition{ID: "badge_id", Category: "personal", Pattern: `\bB\d{4}\b`, ContextWords: []string{"badge"}}
	r, err = detectors.DryRun(ctx, "Badge", "B1234")
	require.NoError(t, err)
	require.Equal(t, 1, r.Count, "the field name is context")

	many := strings.Repeat("B1234 badge ", 200)
	r, err = detectors.DryRun(ctx, "", many)
	require.NoError(t, err)
	require.Equal(t, 199, r.Count, "the first has no context before it")
	require.Len(t, r.Matches, 100, "matches listed are bounded")

	_, err = detectors.DryRun(def, "", strings.Repeat("x", detectors.MaxSampleBytes+1))
	require.ErrorIs(t, err, detectors.ErrInvalid)
	_, err = detectors.DryRun(pii.Definition{ID: "x_y", Category: "personal", Pattern: `a|`}, "", "a")
	require.ErrorIs(t, err, detectors.ErrInvalid)
	require.ErrorContains(t, err, "pattern")
}
