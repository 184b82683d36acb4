package s3scan

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/agent/s3scan/s3test"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// hostileListing is an S3 endpoint whose ListObjectsV2 never ends: every
// page says IsTruncated with the continuation token token(n) and holds
// keys(n); every other request is AccessDenied (the scan notes it and
// goes on). It counts the listing requests.
func hostileListing(t *testing.T, token func(n int64) string, keys func(n int64) []string) (string, *atomic.Int64) {
	var pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("list-type") != "2" {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied</Message></Error>`)
			return
		}
		n := pages.Add(1)
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated><NextContinuationToken>%s</NextContinuationToken>`, token(n))
		for _, k := range keys(n) {
			fmt.Fprintf(&b, `<Contents><Key>%s</Key><Size>0</Size><ETag>"e"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>`, k)
		}
		b.WriteString(`</ListBucketResult>`)
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, b.String())
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &pages
}

// TestHostileListing: a listing that never ends (the same token again, or
// a fresh one with nothing in it each time) ends the bucket's listing as
// partial with the reason; the scan finishes and keeps the bucket.
func TestHostileListing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token func(int64) string
		keys  func(int64) []string
		want  string
	}{
		{"same token, empty pages", func(int64) string { return "again" }, func(int64) []string { return nil }, "repeated a page token"},
		{"fresh token, empty pages", func(n int64) string { return fmt.Sprint("t", n) }, func(int64) []string { return nil }, "pages in a row with nothing in them"},
		{"same token, folders only", func(int64) string { return "again" }, func(n int64) []string { return []string{fmt.Sprint("dir", n, "/")} }, "repeated a page token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, pages := hostileListing(t, tc.token, tc.keys)
			// The deadline is only a safety net: without a guard the
			// listing runs until it.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var buckets []wire.Record
			res, err := Scan(ctx, Options{Client: s3test.Client(url), Buckets: []string{"b"}, Account: "111111111111",
				Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}}, func(r *wire.Record) error {
				if r.Kind == wire.KindAsset && r.AssetType == "bucket" {
					buckets = append(buckets, *r)
				}
				return nil
			})
			require.NoError(t, err, "after %d listing pages", pages.Load())
			require.Equal(t, wire.StatusPartial, res.Status)
			require.Len(t, buckets, 1, "the bucket is still reported")
			partial := buckets[0].Attributes["partial"]
			require.Contains(t, partial, "listing objects: ")
			require.Contains(t, partial[strings.Index(partial, "listing objects: "):], tc.want)
			require.LessOrEqual(t, pages.Load(), int64(objscan.MaxEmptyPages))
		})
	}
}

// TestHostileKeys: object keys no store allows (longer than S3's 1,024
// bytes, with control characters) never make a record the collector
// refuses (which would take the rest of its batch with it): the object is
// left out, the bucket partial with the reason; a key with "../" is only
// a name.
func TestHostileKeys(t *testing.T) {
	long := strings.Repeat("k", 5000)
	objects := map[string][]byte{long: []byte("ann@example.com\n"), "../../etc/passwd": []byte("bob@example.com\n"), "ok.txt": []byte("carol@example.com\n")}
	url := objectServer(t, objects, "text/plain")
	var locs []string
	var bucket wire.Record
	res, err := Scan(context.Background(), Options{Client: s3test.Client(url), Buckets: []string{"b"}, Account: "111111111111",
		Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r, "what the collector checks")
		if r.Kind == wire.KindAsset && r.AssetType == "object" {
			locs = append(locs, r.Location)
		}
		if r.Kind == wire.KindAsset && r.AssetType == "bucket" {
			bucket = *r
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, wire.StatusPartial, res.Status)
	sort.Strings(locs)
	require.Equal(t, []string{"s3://b/../../etc/passwd", "s3://b/ok.txt"}, locs)
	require.Contains(t, bucket.Attributes["partial"], "1 object keys longer than any store allows (the longest 5000 bytes): not read")
	require.Contains(t, res.Errors, "s3://b: 1 object keys longer than any store allows (the longest 5000 bytes): not read")
}

// TestHostileBucketNames: a bucket name longer than a record may hold (S3
// allows 63 characters) is left out and counted.
func TestHostileBucketNames(t *testing.T) {
	long := strings.Repeat("b", 5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		switch {
		case r.URL.Path == "/":
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets>`+
				`<Bucket><Name>ok</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket><Bucket><Name>%s</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>`+
				`</Buckets></ListAllMyBucketsResult>`, long)
		case r.URL.Query().Get("list-type") == "2":
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>ok</Name><IsTruncated>false</IsTruncated></ListBucketResult>`)
		default:
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied</Message></Error>`)
		}
	}))
	t.Cleanup(srv.Close)
	var buckets []string
	res, err := Scan(context.Background(), Options{Client: s3test.Client(srv.URL), Account: "111111111111",
		Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r, "what the collector checks")
		if r.Kind == wire.KindAsset && r.AssetType == "bucket" {
			buckets = append(buckets, r.Location)
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"s3://ok"}, buckets)
	require.Contains(t, res.Errors, "1 bucket names longer than a record may hold: left out")
}

// TestHostileObjectBodies: an object body that never ends (the range
// ignored) is read to the sample's size; one that stalls ends at the object
// timeout, that object partial; the scan goes on to the next object.
func TestHostileObjectBodies(t *testing.T) {
	keys := []string{"endless.txt", "ok.txt", "stalls.txt"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/b/")
		switch {
		case r.URL.Query().Get("list-type") == "2":
			w.Header().Set("Content-Type", "application/xml")
			var b strings.Builder
			b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>false</IsTruncated>`)
			for _, k := range keys {
				fmt.Fprintf(&b, `<Contents><Key>%s</Key><Size>100</Size><ETag>"e"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>`, k)
			}
			b.WriteString(`</ListBucketResult>`)
			fmt.Fprint(w, b.String())
		case r.Method == http.MethodGet && key == "endless.txt":
			line := []byte("dave@example.com\n")
			for r.Context().Err() == nil {
				if _, err := w.Write(line); err != nil {
					return
				}
			}
		case r.Method == http.MethodGet && key == "stalls.txt":
			_, _ = io.WriteString(w, "erin@example.com\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case r.Method == http.MethodGet && key == "ok.txt":
			_, _ = io.WriteString(w, "carol@example.com\n")
		default:
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied</Message></Error>`)
		}
	}))
	t.Cleanup(srv.Close)
	var objects []string
	var bucket wire.Record
	res, err := Scan(context.Background(), Options{Client: s3test.Client(srv.URL), Buckets: []string{"b"}, Account: "111111111111",
		Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k")),
			// The timeout ends the stalled body; it must also leave time to
			// read and scan the endless one's 1 MiB under -race on a loaded
			// CI (500 ms did not, at load 13-20).
			Sampling: objscan.Sampling{BytesPerObject: 1 << 20, ObjectTimeout: 5 * time.Second}}}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		switch {
		case r.Kind == wire.KindAsset && r.AssetType == "object":
			objects = append(objects, r.Location)
		case r.Kind == wire.KindAsset && r.AssetType == "bucket":
			bucket = *r
		}
		return nil
	})
	require.NoError(t, err)
	sort.Strings(objects)
	require.Equal(t, []string{"s3://b/endless.txt", "s3://b/ok.txt"}, objects)
	require.Contains(t, bucket.Attributes["partial"], "stalls.txt: read timed out after 5s")
	require.Equal(t, int64(2), res.Stats["objects_read"])
	require.LessOrEqual(t, res.Stats["bytes"], int64(1<<20)+int64(len("carol@example.com\n")))
}

// An archive in a bucket names its members as it likes: a zip member
// named with 6,000 bytes made a location no record may hold, and the
// collector refuses the batch holding it (every finding in it lost). The
// member's location is reported shortened, its asset id that of the whole
// location, and the bucket says so once.
func TestLongMemberNamesInObjects(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, name := range []string{strings.Repeat("m", 6000) + ".txt", "short.txt"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, _ = io.WriteString(w, "ann@example.com\n")
	}
	require.NoError(t, zw.Close())
	objects := map[string][]byte{"people.zip": zbuf.Bytes()}
	url := objectServer(t, objects, "application/zip")
	var members []wire.Record
	var bucket wire.Record
	findings := 0
	_, err := Scan(context.Background(), Options{Client: s3test.Client(url), Buckets: []string{"b"}, Account: "111111111111",
		Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r, "what the collector checks")
		switch {
		case r.Kind == wire.KindAsset && r.AssetType == "object":
			members = append(members, *r)
		case r.Kind == wire.KindAsset && r.AssetType == "bucket":
			bucket = *r
		case r.Kind == wire.KindPII:
			findings++
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, members, 2)
	require.Equal(t, 2, findings, "both members' addresses")
	shortened := 0
	for _, m := range members {
		if m.Attributes["location_shortened"] == "true" {
			shortened++
			require.Regexp(t, `^s3://b/people\.zip!/%E2%80%A6[0-9a-f]{16}/mmm`, m.Location, "head, mark with the whole location's hash, tail")
			require.True(t, strings.HasSuffix(m.Location, "m.txt"))
			require.LessOrEqual(t, len(m.Location), wire.MaxStringLen)
			fit, _ := wire.FitLocation("s3://b/people.zip!/" + strings.Repeat("m", 6000) + ".txt")
			require.Equal(t, fit, m.Location)
			require.Equal(t, wire.AssetID(wire.SourceS3, "111111111111", fit), m.AssetID)
		}
	}
	require.Equal(t, 1, shortened)
	require.Contains(t, bucket.Attributes["partial"], "1 locations longer than a record holds")
}

// objectServer is an S3 endpoint of one bucket "b" holding objects: a
// listing of them all (keys escaped as XML), each readable by GET with
// contentType, anything else denied.
func objectServer(t *testing.T, objects map[string][]byte, contentType string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		if r.URL.Query().Get("list-type") == "2" {
			var b strings.Builder
			b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>false</IsTruncated>`)
			for k, v := range objects {
				fmt.Fprintf(&b, `<Contents><Key>%s</Key><Size>%d</Size><ETag>"e"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>`, html.EscapeString(k), len(v))
			}
			b.WriteString(`</ListBucketResult>`)
			fmt.Fprint(w, b.String())
			return
		}
		if v, ok := objects[strings.TrimPrefix(r.URL.Path, "/b/")]; ok && r.Method == http.MethodGet && (r.URL.RawQuery == "" || r.URL.Query().Has("x-id")) {
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write(v)
			return
		}
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied</Message></Error>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
