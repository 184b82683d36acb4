package azblobscan

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestEndlessListingIsBounded: a hostile or broken endpoint (the agent
// is told where the account lives: a connection string's BlobEndpoint, an
// emulator, a proxy) answers the container listing with XML that never
// ends. The SDK reads a whole answer into memory before parsing it; the
// client stops at maxResponseBody instead of holding the agent until the
// try's minute is up with everything received in memory.
func TestEndlessListingIsBounded(t *testing.T) {
	const serverCap = 256 << 20 // the server stops here in any case
	var written atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("comp") != "list" {
			http.Error(w, "", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Containers>`))
		item := []byte("<Container><Name>" + strings.Repeat("c", 60) + "</Name><Properties></Properties></Container>")
		chunk := []byte(strings.Repeat(string(item), (64<<10)/len(item)))
		for written.Load() < serverCap {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	cl, err := NewClient(Credentials{Account: devAccount, Key: devKey, Endpoint: srv.URL + "/" + devAccount})
	require.NoError(t, err)
	_, res := scan(t, Options{Client: cl, Account: devAccount})
	require.Equal(t, wire.StatusFailed, res.Status)
	require.Contains(t, strings.Join(res.Errors, "\n"), "larger than")
	require.Less(t, written.Load(), int64(4*maxResponseBody), "the client read far past its bound")
}

// TestRepeatedMarkerEndsListing: an endpoint that answers every listing
// page with the same continuation marker would keep the scan listing
// forever (folders and blobs outside the sample are only counted, so the
// read budget never ends it). A marker seen before ends the listing with
// a problem, as the GCS scanner does with a repeated page token.
func TestRepeatedMarkerEndsListing(t *testing.T) {
	for _, tc := range []struct {
		name       string
		containers []string
	}{
		{"containers", nil},
		{"blobs", []string{"c1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lists atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				if q.Get("comp") != "list" {
					http.Error(w, "", http.StatusNotFound)
					return
				}
				lists.Add(1)
				w.Header().Set("Content-Type", "application/xml")
				if q.Get("restype") == "container" {
					_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs><Blob><Name>dir/</Name><Properties></Properties></Blob></Blobs><NextMarker>again</NextMarker></EnumerationResults>`))
					return
				}
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Containers><Container><Name>c1</Name><Properties></Properties></Container></Containers><NextMarker>again</NextMarker></EnumerationResults>`))
			}))
			defer srv.Close()
			cl, err := NewClient(Credentials{Account: devAccount, Key: devKey, Endpoint: srv.URL + "/" + devAccount})
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			o := Options{Client: cl, Account: devAccount, Containers: tc.containers}
			o.Detector, o.Tokenizer = pii.NewDefault(), pii.NewTokenizer([]byte("k"))
			res, err := Scan(ctx, o, func(*wire.Record) error { return nil })
			require.NoError(t, err, "the scan must end by itself; it listed %d pages until the deadline", lists.Load())
			require.Contains(t, strings.Join(res.Errors, "\n"), "repeated")
			require.Less(t, lists.Load(), int64(10))
		})
	}
}

// TestHugeMarkersAreRefused: every listing page with a fresh 4 MiB
// continuation marker and nothing else. The listing keeps the markers it
// has seen (to catch a repeat) and sends each back in a URL; a marker
// longer than any Azure gives ends the listing on the first page.
func TestHugeMarkersAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name       string
		containers []string
	}{
		{"containers", nil},
		{"blobs", []string{"c1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const pages = 64
			var lists atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				if q.Get("comp") != "list" {
					http.Error(w, "", http.StatusNotFound)
					return
				}
				n := lists.Add(1)
				marker := ""
				if n < pages {
					marker = fmt.Sprintf("<NextMarker>%d%s</NextMarker>", n, strings.Repeat("m", 4<<20))
				}
				w.Header().Set("Content-Type", "application/xml")
				if q.Get("restype") == "container" {
					_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs></Blobs>` + marker + `</EnumerationResults>`))
					return
				}
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Containers></Containers>` + marker + `</EnumerationResults>`))
			}))
			srv.Config.MaxHeaderBytes = 64 << 20 // a hostile server takes the marker back
			srv.Start()
			defer srv.Close()
			cl, err := NewClient(Credentials{Account: devAccount, Key: devKey, Endpoint: srv.URL + "/" + devAccount})
			require.NoError(t, err)
			o := Options{Client: cl, Account: devAccount, Containers: tc.containers}
			o.Detector, o.Tokenizer = pii.NewDefault(), pii.NewTokenizer([]byte("k"))
			res, err := Scan(context.Background(), o, func(*wire.Record) error { return nil })
			require.NoError(t, err)
			require.Contains(t, strings.Join(res.Errors, "\n"), "marker")
			require.LessOrEqual(t, lists.Load(), int64(2), "pages listed")
		})
	}
}
