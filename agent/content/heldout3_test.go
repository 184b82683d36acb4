package content

import (
	"bytes"
	"context"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHeldOut3Files reads the third round's files (an HTML table, a CSV
// with line breaks inside quoted fields, a pipe-separated .txt, nested
// JSON people, appsettings.json, a service-account key inside a JSON
// string) through the format readers and scores each type by its count
// per file.
func TestHeldOut3Files(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut3Files())
}

// scoreHeldOutFiles reads files through the scanner, logs every file
// whose count of a type differs from what it holds, prints the scores
// and requires precision and recall of 0.97 per type.
func scoreHeldOutFiles(t *testing.T, files []evalcorpus.HeldOutFile) {
	t.Helper()
	sc := NewScanner(options())
	scores := map[string]*evalcorpus.Score{}
	for _, f := range files {
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
	out := make([]evalcorpus.Score, 0, len(scores))
	for _, s := range scores {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	evalcorpus.Print(os.Stdout, out)
	require.NotEmpty(t, out)
	for _, s := range out {
		require.GreaterOrEqual(t, s.Precision(), 0.97, "%s precision (TP %d, FP %d)", s.Type, s.TP, s.FP)
		require.GreaterOrEqual(t, s.Recall(), 0.97, "%s recall (TP %d, FN %d)", s.Type, s.TP, s.FN)
	}
}
