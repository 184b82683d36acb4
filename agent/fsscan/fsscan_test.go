package fsscan

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/spool"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

var raws = []string{"ann@example.com", "bob@example.org", "4111111111111111", "123-45-6780"}

func tree(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"a.csv":           "email,card\nann@example.com,4111111111111111\nbob@example.org,x\nann@example.com,y\n",
		"sub/notes.txt":   "SSN: 123-45-6780\n",
		"sub/clean.txt":   "nothing here 1.2.3\n",
		"bin.dat":         "ann@example.com\x00\x01\x02",
		"skip/secret.csv": "ann@example.com\n",
		"big.log":         strings.Repeat("x", 2048) + "bob@example.org\n",
		"excluded.tmp":    "bob@example.org\n",
	}
	for name, c := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(c), 0o640))
	}
	require.NoError(t, os.Symlink(dir, filepath.Join(dir, "sub", "loop")))
	return dir
}

func scan(t *testing.T, o Options) ([]wire.Record, *wire.Record) {
	t.Helper()
	if o.Detector == nil {
		o.Detector = pii.NewDefault()
	}
	if o.Tokenizer == nil {
		o.Tokenizer = pii.NewTokenizer([]byte("0123456789abcdef"))
	}
	o.Host = "host-1"
	var recs []wire.Record
	res, err := Scan(context.Background(), o, func(r *wire.Record) error {
		wiretest.RequireValid(t, r, "every record validates")
		recs = append(recs, *r)
		return nil
	})
	require.NoError(t, err)
	return recs, res
}

func TestScan(t *testing.T) {
	dir := tree(t)
	recs, res := scan(t, Options{Paths: []string{dir}, Exclude: []string{"*.tmp", filepath.Join(dir, "skip")}, MaxFileSize: 1024})

	type key struct{ file, typ string }
	got := map[key][2]int64{}
	assets := map[string]wire.Record{}
	var lastAsset string
	for _, r := range recs {
		rel := strings.TrimPrefix(r.Location, wire.FileLocation(dir)+"/")
		switch r.Kind {
		case wire.KindAsset:
			assets[rel] = r
			lastAsset = r.AssetID
		case wire.KindPII:
			require.Equal(t, lastAsset, r.AssetID, "a file's pii records follow its asset")
			got[key{rel, r.Type}] = [2]int64{r.Count, r.Distinct}
		}
		require.Equal(t, res.ScanID, r.ScanID)
	}
	require.Equal(t, map[key][2]int64{
		{"a.csv", "email"}: {3, 2}, {"a.csv", "credit_card"}: {1, 1}, {"sub/notes.txt", "us_ssn"}: {1, 1},
	}, got)
	require.Len(t, assets, 2)
	a := assets["a.csv"]
	require.Equal(t, "file", a.AssetType)
	require.Equal(t, "0640", a.Attributes["mode"])
	require.Equal(t, "false", a.Attributes["world_readable"])
	require.NotEmpty(t, a.Owner)
	require.Equal(t, wire.StableID("fs", "host-1", a.Location), a.AssetID)

	require.Equal(t, wire.StatusPartial, res.Status, "big.log was read only up to MaxFileSize")
	require.Equal(t, res, &recs[len(recs)-1], "the scan record comes last")
	// a.csv, notes.txt, clean.txt scanned; big.log (larger than
	// MaxFileSize) read up to it — its e-mail lies past it — and reported
	// partial; bin.dat (binary) skipped.
	require.EqualValues(t, 4, res.Stats["files"])
	require.EqualValues(t, 1, res.Stats["skipped"])
	require.EqualValues(t, 2, res.Stats["assets_with_pii"])
	require.Contains(t, res.Errors, filepath.Join(dir, "big.log")+": partial: file-size limit reached: the first 1024 bytes read")

	out, err := json.Marshal(recs)
	require.NoError(t, err)
	for _, raw := range raws {
		require.False(t, strings.Contains(string(out), raw), "a raw value leaked into records")
	}
}

func TestScanMissingPath(t *testing.T) {
	dir := tree(t)
	_, res := scan(t, Options{Paths: []string{dir, filepath.Join(dir, "nope")}})
	require.Equal(t, wire.StatusPartial, res.Status)
	require.EqualValues(t, 1, res.Stats["errors"])
	require.Contains(t, res.Errors[0], "nope")

	_, res = scan(t, Options{Paths: []string{filepath.Join(dir, "nope")}})
	require.Equal(t, wire.StatusFailed, res.Status)
}

func TestScanEmitErrorStops(t *testing.T) {
	dir := tree(t)
	boom := errors.New("spool closed")
	_, err := Scan(context.Background(), Options{Paths: []string{dir}, Detector: pii.NewDefault(),
		Tokenizer: pii.NewTokenizer([]byte("k")), Now: time.Now}, func(*wire.Record) error { return boom })
	require.ErrorIs(t, err, boom)
}

func TestScanBadGlob(t *testing.T) {
	_, err := Scan(context.Background(), Options{Paths: []string{"."}, Exclude: []string{"["},
		Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}, func(*wire.Record) error { return nil })
	require.ErrorContains(t, err, "bad glob")
}

// Include globs narrow the scan to matching files; excludes still apply.
func TestInclude(t *testing.T) {
	dir := tree(t)
	recs, _ := scan(t, Options{Paths: []string{dir}, Include: []string{"*.csv"}, Exclude: []string{"skip"}})
	require.Equal(t, map[string]int64{"a.csv email": 3, "a.csv credit_card": 1}, piiCounts(recs))
}

func piiCounts(recs []wire.Record) map[string]int64 {
	out := map[string]int64{}
	for _, r := range recs {
		if r.Kind == wire.KindPII {
			out[filepath.Base(r.Location)+" "+r.Type] = r.Count
		}
	}
	return out
}

func TestIncrementalState(t *testing.T) {
	dir := tree(t)
	statePath := filepath.Join(t.TempDir(), "state.json")
	tok := pii.NewTokenizer([]byte("0123456789abcdef"))
	run := func(tok *pii.Tokenizer) ([]wire.Record, *wire.Record) {
		st, err := LoadState(statePath, tok, "")
		require.NoError(t, err)
		recs, res := scan(t, Options{Paths: []string{dir}, Tokenizer: tok, State: st, MaxFileSize: 1024,
			Exclude: []string{"*.tmp", filepath.Join(dir, "skip")}})
		require.NoError(t, st.Save())
		return recs, res
	}
	first, res := run(tok)
	require.EqualValues(t, 0, res.Stats["unchanged"])
	want := piiCounts(first)

	second, res := run(tok)
	require.Equal(t, res.Stats["files"], res.Stats["unchanged"], "nothing changed, nothing read")
	require.EqualValues(t, 0, res.Stats["bytes"])
	require.Equal(t, want, piiCounts(second), "unchanged files still report their findings")

	// A changed file is read again; a deleted one is forgotten.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.csv"), []byte("email\nann@example.com\n"), 0o640))
	require.NoError(t, os.Remove(filepath.Join(dir, "sub", "notes.txt")))
	third, res := run(tok)
	require.Equal(t, map[string]int64{"a.csv email": 1}, piiCounts(third))
	require.EqualValues(t, 2, res.Stats["unchanged"], "only clean.txt and big.log are unchanged")

	// Another token key (re-enrollment) invalidates every cached result.
	_, res = run(pii.NewTokenizer([]byte("another key")))
	require.EqualValues(t, 0, res.Stats["unchanged"])

	raw, err := os.ReadFile(statePath)
	require.NoError(t, err)
	for _, v := range raws {
		require.False(t, strings.Contains(string(raw), v), "a raw value leaked into the state file")
	}
}

func TestDamagedStateMeansFullScan(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(p, []byte("{not json"), 0o600))
	st, err := LoadState(p, pii.NewTokenizer([]byte("k")), "")
	require.ErrorContains(t, err, "damaged")
	require.NotNil(t, st)
	_, res := scan(t, Options{Paths: []string{tree(t)}, State: st})
	require.EqualValues(t, 0, res.Stats["unchanged"])
}

// A file several chunks long: counts and line numbers must be what a
// whole-file read gives, with matches on both sides of chunk cuts.
func TestLargeFileStreamsInChunks(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	emails := 0
	for i := 1; b.Len() < 3*(1<<20)+12345; i++ {
		if i%997 == 0 {
			fmt.Fprintf(&b, "line %d user%d@example.com and 4111 1111 1111 1111\n", i, i)
			emails++
		} else {
			fmt.Fprintf(&b, "line %d %s\n", i, strings.Repeat("filler ", 30)) // ~4,800 lines a chunk
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.log"), []byte(b.String()), 0o644))
	recs, res := scan(t, Options{Paths: []string{dir}})
	require.EqualValues(t, b.Len(), res.Stats["bytes"])
	for _, r := range recs {
		if r.Kind != wire.KindPII {
			continue
		}
		require.EqualValues(t, emails, r.Count, r.Type)
		require.Len(t, r.Where, 10)
		for k, w := range r.Where { // these span the first three chunks
			require.Equal(t, fmt.Sprintf("line %d", 997*(k+1)), w)
		}
	}
	require.Equal(t, map[string]int64{"big.log email": int64(emails), "big.log credit_card": int64(emails)}, piiCounts(recs))
}

// TestNoRawValueLeavesTheScanner scans the whole evaluation corpus, in
// every format, and checks that none of its planted values appears in the
// records, the log, the incremental state file or the spool, raw or
// JSON-escaped.
func TestNoRawValueLeavesTheScanner(t *testing.T) {
	dir := t.TempDir()
	docs := evalcorpus.Generate(3, 10, 300)
	writeCorpus(t, dir, docs) // in every format
	var logBuf strings.Builder
	statePath := filepath.Join(t.TempDir(), "state.json")
	tok := pii.NewTokenizer([]byte("0123456789abcdef"))
	st, err := LoadState(statePath, tok, "")
	require.NoError(t, err)
	recs, res := scan(t, Options{Paths: []string{dir}, Tokenizer: tok, State: st,
		Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, st.Save())
	require.EqualValues(t, len(docs)*len(evalcorpus.Formats), res.Stats["assets_with_pii"])

	out, err := json.Marshal(recs)
	require.NoError(t, err)
	state, err := os.ReadFile(statePath)
	require.NoError(t, err)
	// The records through the agent's spool, as run mode writes them.
	spoolDir := filepath.Join(t.TempDir(), "spool")
	sp, err := spool.Open(context.Background(), spool.Options{Dir: spoolDir})
	require.NoError(t, err)
	for _, r := range recs {
		line, err := json.Marshal(r)
		require.NoError(t, err)
		require.NoError(t, sp.Append(context.Background(), append(line, '\n')))
	}
	require.NoError(t, sp.Flush(context.Background()))
	require.NoError(t, sp.Close())
	var spooled strings.Builder
	require.NoError(t, filepath.WalkDir(spoolDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, rerr := os.ReadFile(p)
			spooled.Write(b)
			return rerr
		}
		return err
	}))
	require.Greater(t, spooled.Len(), len(out)/2, "the spool holds the records")
	checked := 0
	for _, d := range docs {
		for _, v := range d.Values {
			escaped, _ := json.Marshal(v)
			for name, text := range map[string]string{"records": string(out), "log": logBuf.String(), "state": string(state), "spool": spooled.String()} {
				if strings.Contains(text, v) || strings.Contains(text, string(escaped[1:len(escaped)-1])) {
					t.Fatalf("a planted %d-byte value leaked into the %s", len(v), name)
				}
			}
			checked++
		}
	}
	require.Greater(t, checked, 500)
}

// The walk stays on the file system of its path unless told otherwise. A
// tmpfs is mounted inside the tree (root only; skipped where mounting is not
// allowed).
func TestStaysOnOneFilesystem(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	require.NoError(t, os.MkdirAll(mnt, 0o755))
	if out, err := exec.Command("mount", "-t", "tmpfs", "none", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "here.txt"), []byte("a@example.com\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(mnt, "there.txt"), []byte("b@example.com\n"), 0o644))

	recs, _ := scan(t, Options{Paths: []string{dir}})
	require.Equal(t, map[string]int64{"here.txt email": 1}, piiCounts(recs))
	recs, _ = scan(t, Options{Paths: []string{dir}, CrossFilesystems: true})
	require.Equal(t, map[string]int64{"here.txt email": 1, "there.txt email": 1}, piiCounts(recs))
}

func gzipBytes(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func TestCompressedAndArchived(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.log.gz"), gzipBytes(t, "x\nuser a@example.com\nuser b@example.com\n"), 0o644))
	full := gzipBytes(t, strings.Repeat("line with c@example.com\n", 1000))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cut.log.gz"), full[:len(full)/2], 0o644))

	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, content := range map[string]string{
		"export/people.csv": "email,card\nd@example.com,4111111111111111\n",
		"export/blob.bin":   "e@example.com\x00\x01",
		"notes.txt":         "nothing here\n",
	} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(content))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dump.zip"), zb.Bytes(), 0o640))

	recs, res := scan(t, Options{Paths: []string{dir}})
	got := map[string]int64{}
	partial := map[string]string{}
	for _, r := range recs {
		rel := strings.TrimPrefix(r.Location, wire.FileLocation(dir)+"/")
		if r.Kind == wire.KindPII {
			got[rel+" "+r.Type] = r.Count
		}
		if r.Kind == wire.KindAsset && r.Attributes["partial"] != "" {
			partial[rel] = r.Attributes["partial"]
		}
	}
	require.Equal(t, int64(2), got["app.log.gz email"])
	require.Equal(t, int64(1), got["dump.zip!/export/people.csv email"])
	require.Equal(t, int64(1), got["dump.zip!/export/people.csv credit_card"])
	require.NotContains(t, got, "dump.zip!/export/blob.bin email", "binary members are skipped")
	// The truncated gzip keeps what could be read and says why it stopped.
	require.Positive(t, got["cut.log.gz email"])
	require.Less(t, got["cut.log.gz email"], int64(1000))
	require.Contains(t, partial["cut.log.gz"], "truncated")
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Contains(t, strings.Join(res.Errors, "\n"), "cut.log.gz")
}

// A zip bomb stops at the expanded-size bound with a reason; memory stays
// at the streaming chunks.
func TestZipBombStopsAtLimit(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "bomb.zip"))
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	w, err := zw.Create("big.txt")
	require.NoError(t, err)
	line := []byte("filler text with f@example.com in it\n")
	for written := 0; written < 16<<20; written += len(line) { // 16 MiB expanded, ~30 KB on disk
		_, err = w.Write(line)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())

	recs, res := scan(t, Options{Paths: []string{dir}, MaxExpandedBytes: 4 << 20})
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Contains(t, strings.Join(res.Errors, "\n"), "expanded-size limit")
	var count int64
	for _, r := range recs {
		if r.Kind == wire.KindPII {
			count = r.Count
		}
	}
	require.InDelta(t, (4<<20)/len(line), count, 2, "what was read before the limit is still reported")
}

// FuzzScanFile feeds arbitrary bytes, under names that select the plain,
// CSV and JSON readers, through format detection (gzip, zip, tar, Office,
// PDF, UTF-16), decompression and detection: no panic, bounded work.
func FuzzScanFile(f *testing.F) {
	names := []string{"f", "f.csv", "f.json", "f.ndjson", "f.tsv"}
	docs := evalcorpus.Generate(5, 1, 20)
	for _, format := range evalcorpus.Formats {
		_, data, err := evalcorpus.Render(docs[0], format)
		require.NoError(f, err)
		for k := range names {
			if k == 0 || format == "csv" || format == "json" || format == "ndjson" {
				f.Add(uint8(k), data)
			}
		}
	}
	f.Add(uint8(1), []byte("a,\"b\nc\",\"d\"\"\n"))
	f.Add(uint8(2), []byte(`{"a":[1,{"b":"c@example.com"}],"d":null}`))
	o := Options{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k")), MaxFileSize: 1 << 20,
		MaxExpandedBytes: 1 << 20, MaxMembers: 50, MaxDepth: 3, MaxFileTime: 10 * time.Second}
	f.Fuzz(func(t *testing.T, name uint8, data []byte) {
		p := filepath.Join(t.TempDir(), names[int(name)%len(names)])
		require.NoError(t, os.WriteFile(p, data, 0o600))
		r := scanFile(context.Background(), walked{path: p}, o, content.NewScanner(o.content(nil)), newLinks())
		for _, m := range r.members {
			for _, res := range m.Results {
				require.LessOrEqual(t, len(res.Samples), pii.MaxSamples)
				require.LessOrEqual(t, len(res.Where), pii.MaxWhere)
			}
		}
	})
}
