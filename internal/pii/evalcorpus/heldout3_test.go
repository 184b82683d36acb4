package evalcorpus

import (
	"bytes"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
)

// TestHeldOut3 scores the detectors on the third held-out corpus
// (heldout3.go: HTML, Markdown, e-mail, SQL dumps, configs, Apache logs,
// stack traces, credentials, six languages), naming every miss and false
// finding by document and line.
func TestHeldOut3(t *testing.T) {
	scoreHeldOut(t, HeldOut3())
}

// scoreHeldOut scores the detectors on labelled documents, logs every
// miss and false finding by document and line, prints the scores and
// requires precision and recall of 0.97 per type.
func scoreHeldOut(t *testing.T, docs []Doc) {
	t.Helper()
	det := pii.NewDefault()
	var misses []string
	for _, d := range docs {
		got := map[Key]int{}
		det.Detect(d.Text, func(m pii.Match) { got[Key{m.Line, m.Type}]++ })
		lines := bytes.Split(d.Text, []byte("\n"))
		for k, n := range got {
			if n > d.Want[k] {
				misses = append(misses, "FP "+d.Name+": "+k.Type+" on: "+string(lines[k.Line-1]))
			}
		}
		for k, n := range d.Want {
			if got[k] < n {
				misses = append(misses, "FN "+d.Name+": "+k.Type+" on: "+string(lines[k.Line-1]))
			}
		}
	}
	sort.Strings(misses)
	for _, m := range misses {
		t.Log(m)
	}
	scores := Evaluate(det, docs)
	Print(os.Stdout, scores)
	for _, s := range scores {
		require.GreaterOrEqual(t, s.Precision(), 0.97, "%s precision (TP %d, FP %d)", s.Type, s.TP, s.FP)
		require.GreaterOrEqual(t, s.Recall(), 0.97, "%s recall (TP %d, FN %d)", s.Type, s.TP, s.FN)
	}
}
