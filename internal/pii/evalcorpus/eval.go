package evalcorpus

import (
	"fmt"
	"io"
	"sort"

	"github.com/sightline-dev/sightline/internal/pii"
)

// Score is one type's confusion counts.
type Score struct {
	Type       string
	TP, FP, FN int
}

// Precision is TP / (TP + FP); 1 when nothing was found.
func (s Score) Precision() float64 {
	if s.TP+s.FP == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FP)
}

// Recall is TP / (TP + FN); 1 when nothing was expected.
func (s Score) Recall() float64 {
	if s.TP+s.FN == 0 {
		return 1
	}
	return float64(s.TP) / float64(s.TP+s.FN)
}

// Evaluate runs det over docs and scores each type by (line, type) cells.
func Evaluate(det pii.Detector, docs []Doc) []Score {
	scores := map[string]*Score{}
	get := func(t string) *Score {
		if scores[t] == nil {
			scores[t] = &Score{Type: t}
		}
		return scores[t]
	}
	for _, d := range docs {
		got := map[Key]int{}
		det.Detect(d.Text, func(m pii.Match) { got[Key{m.Line, m.Type}]++ })
		for k, n := range got {
			want := d.Want[k]
			s := get(k.Type)
			s.TP += min(n, want)
			s.FP += max(0, n-want)
		}
		for k, want := range d.Want {
			get(k.Type).FN += max(0, want-got[k])
		}
	}
	out := make([]Score, 0, len(scores))
	for _, s := range scores {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Print writes the scores as a table.
func Print(w io.Writer, scores []Score) {
	fmt.Fprintf(w, "%-16s %7s %7s %7s %9s %7s\n", "type", "TP", "FP", "FN", "precision", "recall")
	for _, s := range scores {
		fmt.Fprintf(w, "%-16s %7d %7d %7d %9.4f %7.4f\n", s.Type, s.TP, s.FP, s.FN, s.Precision(), s.Recall())
	}
}
