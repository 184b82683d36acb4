package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fixtures and API readings several end-to-end tests share.

// writeFiles writes files (path relative to dir -> content), mode 0644
// whatever the umask.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		require.NoError(t, os.Chmod(p, 0o644))
	}
}

// subjectSearch posts a subject search (its JSON body) and returns, for
// each match, "LOCATION TYPE" -> the indexes of the identifiers it
// matched, with the raw answer (for assertNoRaw).
func (s *stack) subjectSearch(body string) (map[string][]int, string) {
	s.t.Helper()
	status, answer := s.post("/api/v1/subjects/search", body)
	require.Equal(s.t, 200, status, answer)
	var res struct {
		Matches []struct {
			Identifiers []int  `json:"identifiers"`
			Location    string `json:"location"`
			Type        string `json:"type"`
		} `json:"matches"`
	}
	require.NoError(s.t, json.Unmarshal([]byte(answer), &res))
	got := map[string][]int{}
	for _, m := range res.Matches {
		got[m.Location+" "+m.Type] = m.Identifiers
	}
	return got, answer
}

// impact posts a breach-impact query (its JSON body) and returns, for
// each type, [occurrences, people at least, people at most], with the
// raw answer.
func (s *stack) impact(body string) (map[string][3]int, string) {
	s.t.Helper()
	status, answer := s.post("/api/v1/incidents/impact", body)
	require.Equal(s.t, 200, status, answer)
	var im struct {
		Types []struct {
			Type  string `json:"type"`
			Occ   int    `json:"occurrences"`
			Least int    `json:"people_at_least"`
			Most  int    `json:"people_at_most"`
		} `json:"types"`
	}
	require.NoError(s.t, json.Unmarshal([]byte(answer), &im))
	got := map[string][3]int{}
	for _, ty := range im.Types {
		got[ty.Type] = [3]int{ty.Occ, ty.Least, ty.Most}
	}
	return got, answer
}

// readers returns who can read the asset at location: name -> the paths
// (via), sorted.
func (s *stack) readers(location string) map[string][]string {
	s.t.Helper()
	var out struct {
		Readers []struct {
			Name string   `json:"name"`
			Via  []string `json:"via"`
		} `json:"readers"`
	}
	require.Equal(s.t, 200, s.get("/api/v1/access/readers?location="+url.QueryEscape(location), &out))
	byName := map[string][]string{}
	for _, r := range out.Readers {
		sort.Strings(r.Via)
		byName[r.Name] = r.Via
	}
	return byName
}
