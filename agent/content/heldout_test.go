package content

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHeldOutFiles reads the held-out structured files (an Excel-German
// HR export with "sep=;", a French CRM JSON, a Spanish XML contact list,
// an Italian patient CSV, a Dutch payroll TSV, NDJSON events: other
// layouts, headers and languages than the generated corpus) through the
// format readers and scores each type by its count per file.
func TestHeldOutFiles(t *testing.T) {
	sc := NewScanner(options())
	scores := map[string]*evalcorpus.Score{}
	for _, f := range evalcorpus.HeldOutFiles() {
		ms, _, err := sc.Read(context.Background(), f.Name, bytes.NewReader(f.Data), nil, int64(len(f.Data)))
		require.NoError(t, err, f.Name)
		got := map[string]int{}
		for _, m := range ms {
			require.Empty(t, m.Partial, f.Name)
			for _, r := range m.Results {
				got[r.Type] += int(r.Count)
			}
		}
		for typ := range merge(got, f.Want) {
			s := scores[typ]
			if s == nil {
				s = &evalcorpus.Score{Type: typ}
				scores[typ] = s
			}
			g, w := got[typ], f.Want[typ]
			s.TP += min(g, w)
			s.FP += max(0, g-w)
			s.FN += max(0, w-g)
			if g != w {
				t.Logf("%s: %s found %d, want %d", f.Name, typ, g, w)
			}
		}
	}
	var out []evalcorpus.Score
	for _, s := range scores {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	evalcorpus.Print(os.Stdout, out)
	for _, s := range out {
		require.GreaterOrEqual(t, s.Precision(), 0.97, "%s precision (TP %d, FP %d)", s.Type, s.TP, s.FP)
		require.GreaterOrEqual(t, s.Recall(), 0.97, "%s recall (TP %d, FN %d)", s.Type, s.TP, s.FN)
	}
	require.NotEmpty(t, fmt.Sprint(out))
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
