package fsscan

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
	"github.com/sightline-dev/sightline/internal/wire"
)

// writeCorpus renders every document in every format into dir.
func writeCorpus(t *testing.T, dir string, docs []evalcorpus.Doc) {
	t.Helper()
	for _, d := range docs {
		for _, f := range evalcorpus.Formats {
			name, data, err := evalcorpus.Render(d, f)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
		}
	}
}

var docFormat = regexp.MustCompile(`/(doc-\d+)\.([a-z0-9.]+?)(?:!/|$)`)

// TestPrecisionRecallAllFormats scans the evaluation corpus rendered in
// every format through the whole file scanner (format readers, structure,
// detectors) and scores each (format, type) by per-file counts against
// the labels: precision and recall ≥ 0.97 everywhere.
func TestPrecisionRecallAllFormats(t *testing.T) {
	evalAllFormats(t, evalcorpus.Generate(11, 8, 300), len(evalcorpus.RequiredTypes))
}

// TestPrecisionRecallAllTypesAllFormats is the same gate for every type,
// the "Next" ones and token credentials included, among all decoys.
func TestPrecisionRecallAllTypesAllFormats(t *testing.T) {
	evalAllFormats(t, evalcorpus.GenerateTypes(13, 8, 1500, evalcorpus.AllTypes), len(evalcorpus.AllTypes))
}

// evalAllFormats scans docs rendered in every format and scores each
// (format, type): ntypes types, precision and recall ≥ 0.97 everywhere.
func evalAllFormats(t *testing.T, docs []evalcorpus.Doc, ntypes int) {
	dir := t.TempDir()
	writeCorpus(t, dir, docs)
	recs, res := scan(t, Options{Paths: []string{dir}})
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)

	got := map[[3]string]int{} // doc, format, type
	for _, r := range recs {
		if r.Kind != wire.KindPII {
			continue
		}
		m := docFormat.FindStringSubmatch(r.Location)
		require.NotNil(t, m, r.Location)
		got[[3]string{m[1], m[2], r.Type}] += int(r.Count)
	}
	type score struct{ tp, fp, fn int }
	scores := map[[2]string]*score{} // format, type
	for _, f := range evalcorpus.Formats {
		for _, d := range docs {
			name := strings.TrimSuffix(d.Name, ".txt")
			want := d.Counts()
			types := map[string]bool{}
			for typ := range want {
				types[typ] = true
			}
			for k := range got {
				if k[0] == name && k[1] == f {
					types[k[2]] = true
				}
			}
			for typ := range types {
				s := scores[[2]string{f, typ}]
				if s == nil {
					s = &score{}
					scores[[2]string{f, typ}] = s
				}
				g, w := got[[3]string{name, f, typ}], want[typ]
				s.tp += min(g, w)
				s.fp += max(0, g-w)
				s.fn += max(0, w-g)
			}
		}
	}
	keys := make([][2]string, 0, len(scores))
	for k := range scores {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	var table strings.Builder
	fmt.Fprintf(&table, "%-10s %-16s %6s %5s %5s %9s %7s\n", "format", "type", "TP", "FP", "FN", "precision", "recall")
	for _, k := range keys {
		s := scores[k]
		p := float64(s.tp) / float64(max(1, s.tp+s.fp))
		r := float64(s.tp) / float64(max(1, s.tp+s.fn))
		fmt.Fprintf(&table, "%-10s %-16s %6d %5d %5d %9.4f %7.4f\n", k[0], k[1], s.tp, s.fp, s.fn, p, r)
	}
	t.Log("\n" + table.String())
	for _, k := range keys {
		s := scores[k]
		require.GreaterOrEqual(t, float64(s.tp)/float64(max(1, s.tp+s.fp)), 0.97, "%s %s precision: TP %d FP %d", k[0], k[1], s.tp, s.fp)
		require.GreaterOrEqual(t, float64(s.tp)/float64(max(1, s.tp+s.fn)), 0.97, "%s %s recall: TP %d FN %d", k[0], k[1], s.tp, s.fn)
		require.Greater(t, s.tp, 30, "%s %s: too few examples", k[0], k[1])
	}
	require.Len(t, keys, ntypes*len(evalcorpus.Formats))
}

// TestTablesAsPeopleSaveThem scans the German customer export saved in
// every dialect (';' as Excel writes it in continental locales, tab,
// pipe, comma) through the whole file scanner: each file reports each
// column's type exactly once per row, located in its own column.
func TestTablesAsPeopleSaveThem(t *testing.T) {
	dir := t.TempDir()
	tb := evalcorpus.GermanCustomers(3, 300)
	for _, d := range evalcorpus.Dialects {
		require.NoError(t, os.WriteFile(filepath.Join(dir, d.Name+"."+d.Ext), evalcorpus.RenderTable(tb, d), 0o644))
	}
	recs, res := scan(t, Options{Paths: []string{dir}})
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)
	column := map[string]string{}
	for c, typ := range tb.Want {
		if typ != "" {
			column[typ] = tb.Header[c]
		}
	}
	got := map[string]map[string]int{}
	for _, r := range recs {
		if r.Kind != wire.KindPII {
			continue
		}
		name := filepath.Base(strings.TrimPrefix(r.Location, "file://"))
		if got[name] == nil {
			got[name] = map[string]int{}
		}
		got[name][r.Type] += int(r.Count)
		require.NotEmpty(t, r.Where, "%s %s", name, r.Type)
		for _, w := range r.Where {
			require.True(t, strings.HasSuffix(w, ", column "+column[r.Type]), "%s %s found at %s", name, r.Type, w)
		}
	}
	want := map[string]int{}
	for typ := range column {
		want[typ] = len(tb.Rows)
	}
	require.Len(t, got, len(evalcorpus.Dialects))
	for _, d := range evalcorpus.Dialects {
		require.Equal(t, want, got[d.Name+"."+d.Ext], d.Name)
	}
}
