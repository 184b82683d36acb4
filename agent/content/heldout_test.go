package content

import (
	"testing"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHeldOutFiles reads the held-out structured files (an Excel-German
// HR export with "sep=;", a French CRM JSON, a Spanish XML contact list,
// an Italian patient CSV, a Dutch payroll TSV, NDJSON events: other
// layouts, headers and languages than the generated corpus) through the
// format readers and scores each type by its count per file.
func TestHeldOutFiles(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOutFiles())
}

func merge(a, b map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
