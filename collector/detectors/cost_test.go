package detectors_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/detectors"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/pii"
)

// TestCostlyPatternRefused: a pattern within pii's 512 bytes can still
// compile to a program so large that matching crawls: 32 times `\w{1000}`
// took 27 s of a core over one 64 KiB dry-run sample on main, and saved,
// it would go to every agent through the policy channel and run over
// every file. Such patterns are refused on dry run, create and update,
// naming the field; the patterns of real identifiers pass.
func TestCostlyPatternRefused(t *testing.T) {
	ctx := context.Background()
	svc := detectors.New(storetest.New(t), nil)
	costly := []string{
		strings.Repeat(`\w{1000}`, 32) + "!",
		`\w{1000}!`,
		`(?:[\x{0}-\x{10FFFF}]{1000})(?:[\x{0}-\x{10FFFF}]{1000})`,
		`(?:\w{100}){10}(?:\w{100}){10}(?:\w{100}){10}`,
		`(?i)(?:[\p{L}\p{N}]{100}){10}x`,
	}
	for i, p := range costly {
		def := pii.Definition{ID: "costly_" + string(rune('a'+i)), Category: "personal", Pattern: p}
		_, err := detectors.DryRun(def, "", strings.Repeat("a", detectors.MaxSampleBytes))
		require.ErrorIs(t, err, detectors.ErrInvalid, p)
		require.ErrorContains(t, err, "pattern: compiles to")
		_, err = svc.Create(ctx, def, "admin")
		require.ErrorIs(t, err, detectors.ErrInvalid, p)
	}
	ok := pii.Definition{ID: "iban_like", Category: "financial", Pattern: `\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b`}
	_, err := svc.Create(ctx, ok, "admin")
	require.NoError(t, err)
	ok.Pattern = strings.Repeat(`\w{1000}`, 2)
	_, err = svc.Update(ctx, ok.ID, ok, "admin")
	require.ErrorIs(t, err, detectors.ErrInvalid, "an update is checked as a create")
	ok.Pattern = `\b\w{120}\b`
	_, err = detectors.DryRun(ok, "", "x")
	require.NoError(t, err, "a long but bounded identifier is within the bound")
}
