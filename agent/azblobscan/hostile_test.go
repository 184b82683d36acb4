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

	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestEndlessListingIsBounded: a hostile or broken endpoint (the agent
// is told where the account lives: a connection string's BlobEndpoint, an
// emulator, a proxy) answers the container listing with XML that never
// ends. The SDK reads a whole answer into memory before parsing it; the
// client stops at its bound (limits.AzureMaxResponseBytes) instead of holding the agent until the
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
	require.Less(t, written.Load(), int64(4*limits.AzureMaxResponseBytes), "the client read far past its bound")
}

// TestCallBoundsTakeEffect: scans.azblob.call_timeout and
// max_response_bytes reach the client: a listing larger than a lowered
// bound fails the call, and an endpoint that never answers ends each call
// at its timeout, retries included, not after four tries of a minute.
func TestCallBoundsTakeEffect(t *testing.T) {
	page := `<Containers>` + strings.Repeat(`<Container><Name>c</Name><Properties></Properties></Container>`, 100) + `</Containers>`
	big, _ := listingServer(t, func(int64, bool) string { return page })
	silent := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(silent.Close)
	for _, tc := range []struct {
		name, endpoint, want string
		bounds               limits.Call
	}{
		// The blob listing is answered with containers: no <Blobs>,
		// which left the SDK's Segment nil and crashed the agent.
		{"defaults", big, "", limits.Call{}},
		{"max_response_bytes 1024", big, "larger than 1024 bytes", limits.Call{MaxResponseBytes: 1024}},
		{"call_timeout 1s, silent endpoint", silent.URL, "deadline", limits.Call{Timeout: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := NewClient(Credentials{Account: devAccount, Key: devKey, Endpoint: tc.endpoint + "/" + devAccount, Bounds: tc.bounds})
			require.NoError(t, err)
			// The test's own bound: 5 times the call's, and below what
			// four tries of 1 s with their back-off take (about 11 s).
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			o := Options{Client: cl, Account: devAccount}
			o.Detector, o.Tokenizer = pii.NewDefault(), pii.NewTokenizer([]byte("k"))
			res, err := Scan(ctx, o, func(*wire.Record) error { return nil })
			require.NoError(t, err)
			if tc.want == "" {
				require.NotEqual(t, wire.StatusFailed, res.Status, res.Errors)
				return
			}
			require.Equal(t, wire.StatusFailed, res.Status)
			require.Contains(t, strings.Join(res.Errors, "\n"), tc.want)
			require.NoError(t, ctx.Err(), "the call's own bound ended it, not the test's")
		})
	}
}

// listingServer answers every listing with the XML page(n, blobs) gives
// for its n-th listing call (blobs: a container's, else the account's),
// and 404 to anything else; it takes URLs of any length back. It returns
// its URL and the count of listing calls.
func listingServer(t *testing.T, page func(n int64, blobs bool) string) (string, *atomic.Int64) {
	var lists atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("comp") != "list" {
			http.Error(w, "", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><EnumerationResults>` +
			page(lists.Add(1), q.Get("restype") == "container") + `</EnumerationResults>`))
	}))
	srv.Config.MaxHeaderBytes = 64 << 20
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, &lists
}

// scanAccount scans the account at endpoint (containers: the containers
// named, none: those listed) within 20 s.
func scanAccount(t *testing.T, endpoint string, containers []string) (*wire.Record, error) {
	cl, err := NewClient(Credentials{Account: devAccount, Key: devKey, Endpoint: endpoint + "/" + devAccount})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o := Options{Client: cl, Account: devAccount, Containers: containers}
	o.Detector, o.Tokenizer = pii.NewDefault(), pii.NewTokenizer([]byte("k"))
	return Scan(ctx, o, func(*wire.Record) error { return nil })
}

// TestHostileListings: an endpoint that answers every listing page with
// the same continuation marker would keep the scan listing forever
// (folders and blobs outside the sample are only counted, so the read
// budget never ends it); one that sends a fresh 4 MiB marker with every
// empty page made the listing keep 4 MiB more per page (markers are kept
// to catch a repeat, and each is sent back in a URL). A marker seen
// before, or longer than any Azure gives, ends the listing with a
// problem, as the GCS scanner does with page tokens.
func TestHostileListings(t *testing.T) {
	const pages = 64 // the huge-marker server ends here: 256 MiB of markers
	for _, tc := range []struct {
		name, want string
		page       func(n int64, blobs bool) string
		maxLists   int64
	}{
		{"repeated marker", "repeated", func(_ int64, blobs bool) string {
			if blobs {
				return `<Blobs><Blob><Name>dir/</Name><Properties></Properties></Blob></Blobs><NextMarker>again</NextMarker>`
			}
			return `<Containers><Container><Name>c1</Name><Properties></Properties></Container></Containers><NextMarker>again</NextMarker>`
		}, 2},
		{"huge markers", "marker", func(n int64, blobs bool) string {
			marker := ""
			if n < pages {
				marker = fmt.Sprintf("<NextMarker>%d%s</NextMarker>", n, strings.Repeat("m", 4<<20))
			}
			if blobs {
				return `<Blobs></Blobs>` + marker
			}
			return `<Containers></Containers>` + marker
		}, 2},
		// Fresh short markers with nothing in them, without end: no
		// repeat, no size to refuse; the run of empty pages ends it.
		{"endless empty pages", "nothing in them", func(n int64, blobs bool) string {
			if blobs {
				return fmt.Sprintf("<Blobs></Blobs><NextMarker>m%d</NextMarker>", n)
			}
			return fmt.Sprintf("<Containers></Containers><NextMarker>m%d</NextMarker>", n)
		}, objscan.MaxEmptyPages + 1},
	} {
		for _, containers := range [][]string{nil, {"c1"}} {
			t.Run(fmt.Sprintf("%s/containers=%v", tc.name, containers), func(t *testing.T) {
				endpoint, lists := listingServer(t, tc.page)
				res, err := scanAccount(t, endpoint, containers)
				require.NoError(t, err, "the scan must end by itself; it listed %d pages until the deadline", lists.Load())
				require.Contains(t, strings.Join(res.Errors, "\n"), tc.want)
				require.LessOrEqual(t, lists.Load(), tc.maxLists, "pages listed")
			})
		}
	}
}
