package content

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
)

func gz(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return out.Bytes()
}

func zipped(t testing.TB, name string, b []byte) []byte {
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	f, err := w.Create(name)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return out.Bytes()
}

func options() Options {
	return Options{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("0123456789abcdef"))}
}

// types lists member name → finding types, and member name → partial.
func types(ms []Member) (map[string][]string, map[string]string) {
	found, partial := map[string][]string{}, map[string]string{}
	for _, m := range ms {
		for _, r := range m.Results {
			found[m.Name] = append(found[m.Name], r.Type)
		}
		if m.Partial != "" {
			partial[m.Name] = m.Partial
		}
	}
	return found, partial
}

func TestRead(t *testing.T) {
	text := []byte("write to jane.doe@example.com\n")
	nested := gz(t, zipped(t, "inner.txt", text))
	tests := []struct {
		name, stream string
		data         []byte
		limits       func(*Options)
		found        map[string][]string
		partial      map[string]string
		binary       bool
	}{
		{name: "plain text", stream: "notes.txt", data: text, found: map[string][]string{"": {"email"}}},
		{name: "gzip, any name", stream: "blob", data: gz(t, text), found: map[string][]string{"": {"email"}}},
		{name: "zip member", stream: "a.zip", data: zipped(t, "dir/x.txt", text), found: map[string][]string{"dir/x.txt": {"email"}}},
		{name: "zip in gzip", stream: "a.zip.gz", data: nested, found: map[string][]string{"inner.txt": {"email"}}},
		{name: "nesting limit", stream: "a.zip.gz", data: gz(t, zipped(t, "inner.zip", zipped(t, "x.txt", text))), limits: func(o *Options) { o.MaxDepth = 1 },
			partial: map[string]string{"inner.zip": "nesting limit reached: zip inside 2 archives not opened"}},
		{name: "expansion limit", stream: "big.gz", data: gz(t, bytes.Repeat(text, 10000)), limits: func(o *Options) { o.MaxExpandedBytes = 1000 },
			found: map[string][]string{"": {"email"}}, partial: map[string]string{"": "expanded-size limit reached"}},
		{name: "csv by name: the header is context", stream: "people.csv", data: []byte("name,email\nJane,jane@example.com\n"),
			found: map[string][]string{"": {"email"}}},
		{name: "binary", stream: "x.bin", data: []byte("\x00\x01\x02jane@example.com"), binary: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := options()
			if tc.limits != nil {
				tc.limits(&o)
			}
			for _, ra := range []bool{false, true} {
				var at *bytes.Reader
				if ra {
					at = bytes.NewReader(tc.data)
				}
				ms, read, err := NewScanner(o).Read(context.Background(), tc.stream, bytes.NewReader(tc.data), readerAt(at), int64(len(tc.data)))
				require.NoError(t, err)
				require.GreaterOrEqual(t, read, int64(0))
				found, partial := types(ms)
				if tc.found == nil {
					tc.found = map[string][]string{}
				}
				if tc.partial == nil {
					tc.partial = map[string]string{}
				}
				require.Equal(t, tc.found, found)
				require.Equal(t, tc.partial, partial)
				require.Equal(t, tc.binary, len(ms) == 1 && ms[0].Binary())
			}
		})
	}
}

// readerAt keeps a nil *bytes.Reader a nil interface.
func readerAt(r *bytes.Reader) interface {
	ReadAt([]byte, int64) (int, error)
} {
	if r == nil {
		return nil
	}
	return r
}

func TestScanStream(t *testing.T) {
	res, n, err := ScanStream(context.Background(), "k/people.zip", bytes.NewReader(zipped(t, "a.txt", []byte("SSN 123-45-6780 jane@example.com\n"))), options())
	require.NoError(t, err)
	require.Positive(t, n)
	require.Len(t, res, 1)
	require.Equal(t, "a.txt", res[0].Member)
	require.NotEmpty(t, res[0].Results)
	for _, r := range res[0].Results {
		for _, s := range r.Samples {
			require.NotContains(t, s, "jane@example.com", "samples are masked")
		}
	}

	res, _, err = ScanStream(context.Background(), "k/x.bin", bytes.NewReader([]byte("\x00\x00bin")), options())
	require.NoError(t, err)
	require.Empty(t, res, "binary content gives no results")

	_, _, err = ScanStream(context.Background(), "k", bytes.NewReader(nil), Options{})
	require.Error(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = ScanStream(ctx, "k.txt", bytes.NewReader(bytes.Repeat([]byte("a\n"), 1<<20)), options())
	require.ErrorContains(t, err, "scan stopped")
}

// FuzzRead feeds arbitrary bytes, under names that pick the plain, CSV,
// TSV, JSON, NDJSON and XML readers, through format detection,
// decompression and detection, with and without random access: no panic,
// bounded results.
func FuzzRead(f *testing.F) {
	names := []string{"f", "f.csv", "f.json", "f.ndjson", "f.tsv", "f.xml"}
	f.Add(uint8(0), []byte("mail jane@example.com\n"))
	f.Add(uint8(1), []byte("a,\"b\nc\",\"d\"\"\n"))
	f.Add(uint8(2), []byte(`{"a":[1,{"b":"c@example.com"}],"d":null}`))
	f.Add(uint8(3), []byte("{\"email\":\"x@example.com\"}\n{\n"))
	f.Add(uint8(5), []byte(`<r><email>x@example.com</email><a b="c"/></r>`))
	f.Add(uint8(0), gz(f, []byte("x@example.com")))
	f.Add(uint8(0), zipped(f, "a.csv", []byte("email\nx@example.com\n")))
	o := options()
	o.MaxFileSize, o.MaxExpandedBytes, o.MaxMembers = 1<<20, 1<<20, 50
	sc := NewScanner(o)
	f.Fuzz(func(t *testing.T, name uint8, data []byte) {
		for _, ra := range []bool{false, true} {
			var at *bytes.Reader
			if ra {
				at = bytes.NewReader(data)
			}
			ms, _, err := sc.Read(context.Background(), names[int(name)%len(names)], bytes.NewReader(data), readerAt(at), int64(len(data)))
			require.NoError(t, err)
			for _, m := range ms {
				for _, r := range m.Results {
					require.LessOrEqual(t, len(r.Samples), pii.MaxSamples)
					require.LessOrEqual(t, len(r.Where), pii.MaxWhere)
				}
			}
		}
	})
}
