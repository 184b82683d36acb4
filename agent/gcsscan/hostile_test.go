package gcsscan

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHugePageTokensAreRefused: a hostile endpoint answers every listing
// page with a fresh page token of 4 MiB (inside the 16 MiB a page may
// take) and no items. The listing keeps every token it has seen to catch
// a repeat, so it held 4 MiB more per page, without end; a token longer
// than any GCS gives is refused on the first page.
func TestHugePageTokensAreRefused(t *testing.T) {
	const pages = 64 // the server stops here: 256 MiB of tokens
	var served atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := served.Add(1)
		if n >= pages {
			_, _ = w.Write([]byte(`{"items":[]}`))
			return
		}
		fmt.Fprintf(w, `{"items":[],"nextPageToken":"%d%s"}`, n, strings.Repeat("t", 4<<20))
	}))
	srv.Config.MaxHeaderBytes = 64 << 20 // a hostile server takes the token back
	srv.Start()
	defer srv.Close()
	c := anon(t, srv.URL)
	ctx := context.Background()

	_, err := listBuckets(ctx, c, "p")
	require.ErrorContains(t, err, "page token")
	require.LessOrEqual(t, served.Load(), int64(2), "pages listed")

	served.Store(0)
	_, _, err = c.ListObjects(ctx, "b", "", "")
	require.ErrorContains(t, err, "page token")
	require.Equal(t, int64(1), served.Load())
}
