package policy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The collector's answer is bounded: a policy of exactly the bound is
// read, one byte more is refused by name, and an error status says what
// the collector answered.
func TestFetchBounds(t *testing.T) {
	body := func(n int) string {
		head, tail := `{"etag":"e1","settings":{},"pad":"`, `"}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		changed bool
		err     string
	}{
		{"exactly the bound", 200, body(maxPolicyBytes), true, ""},
		{"one byte over", 200, body(maxPolicyBytes + 1), false, "answer larger than 1048576 bytes"},
		{"far over", 200, body(8 * maxPolicyBytes), false, "answer larger than"},
		{"not modified", 304, "", false, ""},
		{"error status", 503, "busy", false, "collector answered 503 Service Unavailable: busy"},
		{"error status, huge body", 500, body(2 * maxPolicyBytes), false, "collector answered 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c := Client{HTTP: srv.Client(), Base: srv.URL, Token: "tok"}
			e, changed, err := c.Fetch(context.Background(), "e0")
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.changed, changed)
			if changed {
				require.Equal(t, "e1", e.ETag)
			}
		})
	}
}
