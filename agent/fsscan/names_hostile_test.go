package fsscan

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// TestHostileMemberNames: an archive's member names are whatever the
// archive says. On main they went into a location raw, as the file's own
// path does not (FileLocation escapes it): a byte that is not UTF-8
// reached the collector as U+FFFD, so the collector derived another
// asset id than the agent's (and the member's grants named an asset that
// does not exist), and a right-to-left override showed the console
// another name ("z.zip!/\u202egnp.exe" reads "…exe.png"). Such bytes are
// written %XX; an honest name stays as it is.
func TestHostileMemberNames(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range []string{"\u202egnp.exe", "bad\xff\xfe.txt", "line\nbreak\x00.txt", "résumé.txt"} {
		w, err := zw.Create(n)
		require.NoError(t, err)
		_, err = w.Write([]byte("mail ann@example.com\n"))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "z.zip"), b.Bytes(), 0o644))
	recs, _ := scan(t, Options{Paths: []string{dir}})

	var buf bytes.Buffer
	enc := wire.NewEncoder(&buf)
	var locs []string
	for i := range recs {
		if recs[i].Kind == wire.KindAsset {
			locs = append(locs, recs[i].Location)
		}
		require.NoError(t, enc.Encode(&recs[i]))
	}
	require.Len(t, locs, 4)
	require.Contains(t, locs, wire.FileLocation(filepath.Join(dir, "z.zip"))+"!/résumé.txt", "an honest name is kept as it is")
	for _, l := range locs {
		require.True(t, utf8.ValidString(l), "%q", l)
		for _, r := range l {
			require.False(t, unicode.IsControl(r) || unicode.Is(unicode.Cf, r), "%q shows another name", l)
		}
	}
	// As the collector reads them, every id is the one the agent derived.
	dec := wire.NewDecoder(&buf)
	for {
		var r wire.Record
		if dec.Decode(&r) != nil {
			break
		}
		loc := r.Location
		require.False(t, wire.DeriveIDs(&r), "the collector derives another id for %q", loc)
	}
}
