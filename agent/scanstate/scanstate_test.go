package scanstate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/sightline-dev/sightline/internal/pii"
)

type item struct {
	Size    int64    `json:"size"`
	Members []string `json:"members,omitempty"`
}

var fsOptions = Options{Name: "sightline-state", Items: "files", Label: "scan state"}

func opts(path string) Options { o := fsOptions; o.Path = path; return o }

// A file written by the agents before this package (a struct with
// "fingerprint" first, then "files" or "objects") still loads.
func TestEarlierFilesLoad(t *testing.T) {
	tok := pii.NewTokenizer([]byte("0123456789abcdef"))
	tests := []struct {
		name, fpName, items string
	}{
		{"fs", "sightline-state", "files"},
		{"s3", "sightline-s3-state", "objects"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), tc.name+"-state.json")
			fp := tok.Token([]byte(tc.fpName + "/" + pii.DetectorVersion))
			old := `{"fingerprint":"` + fp + `","` + tc.items + `":{"a":{"size":7,"members":["x"]},"b":{"size":1}}}`
			require.NoError(t, os.WriteFile(p, []byte(old), 0o600))
			s, err := Load[item](Options{Path: p, Name: tc.fpName, Items: tc.items, Label: "state"}, tok)
			require.NoError(t, err)
			require.Equal(t, 2, s.Len())
			v, ok := s.Prev("a")
			require.True(t, ok)
			require.Equal(t, item{Size: 7, Members: []string{"x"}}, v)
		})
	}
}

func TestRoundTripAndForgetting(t *testing.T) {
	tok := pii.NewTokenizer([]byte("k"))
	p := filepath.Join(t.TempDir(), "sub", "fs-state.json")
	s, err := Load[item](opts(p), tok)
	require.NoError(t, err)
	require.Equal(t, 0, s.Len())
	s.Begin()
	s.Remember("a", item{Size: 1})
	s.Remember("b", item{Size: 2})
	require.NoError(t, s.Save())
	fi, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// The saved store is the next scan's start, in memory and on disk.
	v, ok := s.Prev("b")
	require.True(t, ok)
	require.Equal(t, int64(2), v.Size)
	again, err := Load[item](opts(p), tok)
	require.NoError(t, err)
	require.Equal(t, 2, again.Len())

	// An item not seen again is forgotten; a scan cut short before Begin
	// leaves nothing behind.
	again.Remember("stale", item{})
	again.Begin()
	again.Remember("a", item{Size: 3})
	require.NoError(t, again.Save())
	third, err := Load[item](opts(p), tok)
	require.NoError(t, err)
	require.Equal(t, 1, third.Len())
	_, ok = third.Prev("b")
	require.False(t, ok)

	var raw map[string]json.RawMessage
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &raw))
	require.Contains(t, raw, "files")
	require.Contains(t, raw, "fingerprint")
}

func TestEmptyWhenNotTheSameKeyOrDamaged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "fs-state.json")
	s, err := Load[item](opts(p), pii.NewTokenizer([]byte("old key")))
	require.NoError(t, err)
	s.Remember("a", item{Size: 1})
	require.NoError(t, s.Save())

	other, err := Load[item](opts(p), pii.NewTokenizer([]byte("new key")))
	require.NoError(t, err, "another key is not an error, only a full scan")
	require.Equal(t, 0, other.Len())

	s3, err := Load[item](Options{Path: p, Name: "sightline-s3-state", Items: "files"}, pii.NewTokenizer([]byte("old key")))
	require.NoError(t, err)
	require.Equal(t, 0, s3.Len(), "another scanner's state never matches")

	for _, bad := range []string{"{", `{"fingerprint":1}`, `{"fingerprint":"x","files":[]}`, "null", "{}"} {
		require.NoError(t, os.WriteFile(p, []byte(bad), 0o600))
		d, err := Load[item](opts(p), pii.NewTokenizer([]byte("old key")))
		if bad == "null" || bad == "{}" {
			require.NoError(t, err)
		} else {
			require.ErrorContains(t, err, "damaged", bad)
		}
		require.NotNil(t, d)
		require.Equal(t, 0, d.Len())
	}
}

// A FIFO at the state path is refused, not waited on; a symlink is not
// written through.
func TestLoadRefusesAFIFO(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "fs-state.json")
	require.NoError(t, unix.Mkfifo(p, 0o644))
	s, err := Load[item](opts(p), pii.NewTokenizer([]byte("k")))
	require.Error(t, err)
	require.NotNil(t, s)
}

func TestNilStore(t *testing.T) {
	var s *Store[item]
	s.Begin()
	s.Remember("a", item{})
	_, ok := s.Prev("a")
	require.False(t, ok)
	require.Equal(t, 0, s.Len())
	require.NoError(t, s.Save())
}

func TestReset(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"fs", "s3"} {
		s, err := Load[item](opts(Path(dir, n)), pii.NewTokenizer([]byte("k")))
		require.NoError(t, err)
		s.Remember("a", item{})
		require.NoError(t, s.Save())
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "credentials.json"), []byte("{}"), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "spool"), 0o700))

	require.NoError(t, Reset(dir))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	require.ElementsMatch(t, []string{"credentials.json", "spool"}, left)
	require.NoError(t, Reset(dir), "nothing left to reset is fine")
	require.NoError(t, Reset(filepath.Join(dir, "missing")))
}
