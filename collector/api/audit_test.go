package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAuditParamsBounded: a reader chooses its query string, up to the
// server's 1 MiB of headers, and the audit entry of every audited read
// keeps it: unclipped, a loop of such reads filled the audit log, and a
// listing of 1,000 entries returned a gigabyte to the admin reading it.
func TestAuditParamsBounded(t *testing.T) {
	h := newHarness(t, 1<<20)
	long := strings.Repeat("é", 32<<10) // 192 KiB once escaped
	code, body := h.do("GET", "/api/v1/findings?location_prefix="+url.QueryEscape(long), h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)

	code, body = h.do("GET", "/api/v1/audit?limit=1000", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code)
	var page struct {
		Items []struct {
			Route  string `json:"route"`
			Params string `json:"params"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	found := false
	for _, e := range page.Items {
		if e.Route != "/api/v1/findings" {
			continue
		}
		found = true
		require.LessOrEqual(t, len(e.Params), 2048+len("…"), "audit params kept as sent")
		require.True(t, strings.HasPrefix(e.Params, "location_prefix="), e.Params[:40])
	}
	require.True(t, found, "the findings read was audited")
}
