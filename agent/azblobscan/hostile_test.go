package azblobscan

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

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
