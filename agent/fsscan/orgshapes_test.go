package fsscan

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestPrecisionRecallOrgShapes scans the organisation-shapes corpus
// (evalcorpus/orgshapes.go: nested JSON/JSONL, YAML, INI, .env,
// .properties, XML, HTML, SQL dumps, e-mail, Markdown, nginx/syslog/Java
// logs, CSVs in every dialect with headers in six languages, letters,
// credentials files, decoys) through the whole file scanner and scores
// each type by per-file counts: precision and recall ≥ 0.97 per type.
func TestPrecisionRecallOrgShapes(t *testing.T) {
	evalOrgShapes(t, evalcorpus.OrgShapes(5, 12))
}

// evalOrgShapes scans files through the whole file scanner, logs every
// file whose count of a type differs and each shape's misses, and gates
// each type.
func evalOrgShapes(t *testing.T, files []evalcorpus.HeldOutFile) {
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, f.Data, 0o644))
	}
	recs, res := scan(t, Options{Paths: []string{dir}})
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)
	got := map[string]map[string]int{} // file, type
	for _, r := range recs {
		if r.Kind != wire.KindPII {
			continue
		}
		name := filepath.ToSlash(strings.TrimPrefix(strings.TrimPrefix(r.Location, "file://"), dir+"/"))
		if got[name] == nil {
			got[name] = map[string]int{}
		}
		got[name][r.Type] += int(r.Count)
	}
	scores := map[string]*evalcorpus.Score{}
	shape := map[[2]string][3]int{} // shape, type: tp fp fn
	var diffs []string
	for _, f := range files {
		types := map[string]bool{}
		for typ := range f.Want {
			types[typ] = true
		}
		for typ := range got[f.Name] {
			types[typ] = true
		}
		sh := f.Name[strings.IndexAny(f.Name, "-/")+1:]
		for typ := range types {
			s := scores[typ]
			if s == nil {
				s = &evalcorpus.Score{Type: typ}
				scores[typ] = s
			}
			g, w := got[f.Name][typ], f.Want[typ]
			s.TP += min(g, w)
			s.FP += max(0, g-w)
			s.FN += max(0, w-g)
			k := shape[[2]string{sh, typ}]
			shape[[2]string{sh, typ}] = [3]int{k[0] + min(g, w), k[1] + max(0, g-w), k[2] + max(0, w-g)}
			if g != w {
				diffs = append(diffs, fmt.Sprintf("%s: %s found %d, want %d", f.Name, typ, g, w))
			}
		}
	}
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Log(d)
	}
	var keys [][2]string
	for k, v := range shape {
		if v[1]+v[2] > 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		v := shape[k]
		t.Logf("shape %-24s %-16s TP %4d FP %3d FN %3d", k[0], k[1], v[0], v[1], v[2])
	}
	out := make([]evalcorpus.Score, 0, len(scores))
	for _, s := range scores {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	evalcorpus.Print(os.Stdout, out)
	for _, s := range out {
		require.GreaterOrEqual(t, s.Precision(), 0.97, "%s precision (TP %d, FP %d)", s.Type, s.TP, s.FP)
		require.GreaterOrEqual(t, s.Recall(), 0.97, "%s recall (TP %d, FN %d)", s.Type, s.TP, s.FN)
		require.Greater(t, s.TP, 30, "%s: too few examples to measure", s.Type)
	}
}
