package fsscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/extract/docgen"
	"github.com/sightline-dev/sightline/internal/wire"
)

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, c := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(c)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func tarOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, c := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(c)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return b.Bytes()
}

func utf16Of(s string, big bool) []byte {
	var b bytes.Buffer
	var order binary.ByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	_ = binary.Write(&b, order, uint16(0xfeff))
	for _, u := range utf16.Encode([]rune(s)) {
		_ = binary.Write(&b, order, u)
	}
	return b.Bytes()
}

func doc(t *testing.T, write func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b))
	return b.Bytes()
}

// found is what a scan reported: (location relative to dir, type) →
// count, and → where.
func found(recs []wire.Record, dir string) (map[string]int64, map[string][]string, map[string]string) {
	counts, where, partial := map[string]int64{}, map[string][]string{}, map[string]string{}
	for _, r := range recs {
		rel := strings.TrimPrefix(r.Location, wire.FileLocation(dir)+"/")
		switch r.Kind {
		case wire.KindPII:
			counts[rel+" "+r.Type] = r.Count
			where[rel+" "+r.Type] = r.Where
		case wire.KindAsset:
			if r.Attributes["partial"] != "" {
				partial[rel] = r.Attributes["partial"]
			}
		}
	}
	return counts, where, partial
}

func TestFormats(t *testing.T) {
	dir := t.TempDir()
	inner := zipOf(t, map[string][]byte{"deep/contacts.txt": []byte("mail a@example.com\n")})
	nest := inner
	for i := 0; i < 4; i++ { // five zips deep
		nest = zipOf(t, map[string][]byte{"n.zip": nest})
	}
	files := map[string][]byte{
		"backup.tar":    tarOf(t, map[string][]byte{"etc/users.txt": []byte("b@example.com c@example.com\n"), "bin/x": {0, 1, 2}}),
		"backup.tar.gz": gzipBytes(t, string(tarOf(t, map[string][]byte{"home/notes.txt": []byte("d@example.com\n")}))),
		"outer.zip":     zipOf(t, map[string][]byte{"inner.zip": inner, "readme.txt": []byte("e@example.com\n")}),
		"nested5.zip":   nest,
		"letter.docx": doc(t, func(w io.Writer) error {
			return docgen.WriteDOCX(w, []string{"Dear customer,", "your card 4111 1111 1111 1111 was charged"})
		}),
		"deck.pptx": doc(t, func(w io.Writer) error {
			return docgen.WritePPTX(w, [][]string{{"title"}, {"contact f@example.com"}})
		}),
		"people.xlsx": doc(t, func(w io.Writer) error {
			return docgen.WriteXLSX(w, map[string][][]string{"Staff": {{"name", "SSN", "order_id"}, {"Ann", "123456780", "123-45-6780"}}})
		}),
		"report.pdf": doc(t, func(w io.Writer) error {
			return docgen.WritePDF(w, []string{"summary", "contact g@example.com\nIBAN DE89 3704 0044 0532 0130 00"})
		}),
		"utf16le.txt":   utf16Of("SSN: 123-45-6780 h@example.com\n", false),
		"utf16be.txt":   utf16Of("i@example.com\n", true),
		"latin1.txt":    []byte("caf\xe9 r@example.com\n"),
		"photo.jpg":     append([]byte("\xff\xd8\xff\xe0\x10\x11JFIF\x01\x01\x01\x01\x01"), "s@example.com\n"...),
		"prog.exe":      append([]byte("MZ\x90\x01\x02\x03"), "t@example.com\n"...),
		"hr.csv":        []byte("name,ssn,order_id\nAnn,123456780,123-45-6780\nBob,234567891,x\n"),
		"users.json":    []byte(`{"users":[{"email":"j@example.com","phone":"030 12345678","dob":"1985-03-12"},{"email":"k@example.com"}]}`),
		"events.ndjson": []byte(`{"user":{"email":"l@example.com"}}` + "\n" + `{"ip":"10.1.2.3","tags":["m@example.com"]}` + "\n"),
		"bad.json":      []byte(`{"email":"n@example.com", "x": tru`),
		"syntax.json":   []byte(`{"email":"o@example.com" "x"}`),
		"people.xml": []byte(`<?xml version="1.0"?><people><person id="1"><ssn>123456780</ssn><mail>p@example.com</mail></person>` +
			`<person contact="q@example.com"><ssn>234567891</ssn><order_id>123-45-6780</order_id></person></people>`),
	}
	for name, c := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), c, 0o644))
	}
	recs, res := scan(t, Options{Paths: []string{dir}})
	counts, where, partial := found(recs, dir)
	for key, want := range map[string]int64{
		"backup.tar!/etc/users.txt email":               2,
		"backup.tar.gz!/home/notes.txt email":           1,
		"outer.zip!/inner.zip!/deep/contacts.txt email": 1,
		"outer.zip!/readme.txt email":                   1,
		"letter.docx credit_card":                       1,
		"deck.pptx email":                               1,
		"people.xlsx us_ssn":                            1,
		"report.pdf email":                              1,
		"report.pdf iban":                               1,
		"utf16le.txt us_ssn":                            1,
		"utf16le.txt email":                             1,
		"utf16be.txt email":                             1,
		"hr.csv us_ssn":                                 2,
		"users.json email":                              2,
		"users.json phone_number":                       1,
		"users.json date_of_birth":                      1,
		"events.ndjson email":                           2,
		"events.ndjson ip_address":                      1,
		"bad.json email":                                1,
		"syntax.json email":                             1,
		"people.xml us_ssn":                             2,
		"people.xml email":                              2,
		"latin1.txt email":                              1,
	} {
		require.Equal(t, want, counts[key], key)
	}
	require.Len(t, counts, 23, "nothing else is found: %v", counts)
	for key, want := range map[string][]string{
		"letter.docx credit_card":  {"paragraph 2"},
		"deck.pptx email":          {"slide 2"},
		"people.xlsx us_ssn":       {"Staff!B2"},
		"report.pdf iban":          {"page 2, line 2"}, // the page's second line (the PDF reader no longer starts a page with an empty line)
		"hr.csv us_ssn":            {"row 2, column ssn", "row 3, column ssn"},
		"users.json email":         {"$.users[0].email", "$.users[1].email"},
		"users.json date_of_birth": {"$.users[0].dob"},
		"events.ndjson email":      {"record 1 $.user.email", "record 2 $.tags[0]"},
		"utf16le.txt us_ssn":       {"line 1"},
		"people.xml us_ssn":        {"/people/person/ssn", "/people/person[2]/ssn"},
		"people.xml email":         {"/people/person/mail", "/people/person[2]/@contact"},
	} {
		require.Equal(t, want, where[key], key)
	}
	// A partial member with no findings is reported in the scan's errors.
	require.Contains(t, strings.Join(res.Errors, "\n"), "nested5.zip!/n.zip!/n.zip!/n.zip!/n.zip: partial: nesting limit reached")
	require.Equal(t, "json: truncated", partial["bad.json"])
	require.Equal(t, "json syntax error at byte 25", partial["syntax.json"])
	require.Equal(t, wire.StatusPartial, res.Status)
}

// A header row that is really data does not become a location.
func TestLocationsCarryNoValues(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "noheader.csv"), []byte("a@example.com,x\nb@example.com,y\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "map.json"), []byte(`{"c@example.com":{"card":"4111111111111111"}}`), 0o644))
	recs, _ := scan(t, Options{Paths: []string{dir}})
	_, where, _ := found(recs, dir)
	require.Equal(t, []string{"row 1, column 1", "row 2, column 1"}, where["noheader.csv email"])
	require.Equal(t, []string{"$.*.card"}, where["map.json credit_card"])
}

// Hostile shapes: a 10 GB sparse file is skipped by size without being
// read; a 5 MiB line without a newline is cut into chunks, not held whole,
// and what sits inside each chunk is still found.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	sparse, err := os.Create(filepath.Join(dir, "sparse.img"))
	require.NoError(t, err)
	require.NoError(t, sparse.Truncate(10<<30))
	require.NoError(t, sparse.Close())
	line := "x@example.com " + strings.Repeat("y", 5<<20) + " z@example.com"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "oneline.txt"), []byte(line), 0o644))

	recs, res := scan(t, Options{Paths: []string{dir}})
	counts, _, _ := found(recs, dir)
	require.EqualValues(t, 1, res.Stats["skipped"], "the sparse file is over the size limit")
	require.Equal(t, int64(2), counts["oneline.txt email"])
	require.Less(t, res.Stats["bytes"], int64(6<<20), "the 10 GB were not read")
}

// Each file with findings names who may read it by its mode bits, with
// the principal ids the host scan uses for the same accounts.
func TestReaders(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "private.txt"), []byte("a@example.com\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "team.txt"), []byte("b@example.com\n"), 0o640))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "open.txt"), []byte("c@example.com\n"), 0o644))
	for _, n := range []string{"private.txt", "team.txt", "open.txt"} { // umask
		require.NoError(t, os.Chmod(filepath.Join(dir, n), map[string]os.FileMode{"private.txt": 0o600, "team.txt": 0o640, "open.txt": 0o644}[n]))
	}
	recs, _ := scan(t, Options{Paths: []string{dir}})
	owners := map[string]wire.Record{}
	readers := map[string][]string{}
	for _, r := range recs {
		if r.Kind == wire.KindAsset {
			owners[r.AssetID] = r
		}
	}
	for _, r := range recs {
		if r.Kind == wire.KindEntitlement {
			a := owners[r.ResourceID]
			var who string
			switch r.PrincipalID {
			case wire.LocalPrincipalID("host-1", "user", a.Owner):
				who = "owner"
			case wire.LocalPrincipalID("host-1", "group", a.Attributes["group"]):
				who = "group"
			case wire.LocalPrincipalID("host-1", "everyone", ""):
				who = "everyone"
			}
			require.Equal(t, "read", r.Permission)
			require.Equal(t, []string{map[string]string{"owner": "owner", "group": "group", "everyone": "world-readable"}[who]}, r.Via)
			readers[filepath.Base(a.Location)] = append(readers[filepath.Base(a.Location)], who)
		}
	}
	require.Equal(t, map[string][]string{
		"private.txt": {"owner"},
		"team.txt":    {"owner", "group"},
		"open.txt":    {"owner", "group", "everyone"},
	}, readers)
}
