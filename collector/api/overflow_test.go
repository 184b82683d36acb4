package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCountsCannotWrapTotals: the collector sums occurrences over every
// agent's findings (UInt64). Two findings of count 2^63-1 and one of 5
// summed to 3 on main: an agent could subtract any number from the
// organisation's totals. A count over wire.MaxCount is refused with its
// batch, and the totals stay what the honest batch said.
func TestCountsCannotWrapTotals(t *testing.T) {
	h := newHarness(t, 1<<20)
	code, body := h.ingest("honest", line(1, "s1")+"\n"+scanLine("s1")+"\n")
	require.Equal(t, http.StatusOK, code, body)

	huge := strings.Replace(line(2, "s2"), `"count":2`, `"count":9223372036854775807`, 1)
	code, body = h.ingest("wrap", huge+"\n"+strings.Replace(huge, `"a2"`, `"a3"`, 1)+"\n"+scanLine("s2")+"\n")
	require.Equal(t, http.StatusBadRequest, code, body)
	require.Contains(t, decodeErr(t, body).Error.Message, `field "count"`)

	code, body = h.do("GET", "/api/v1/inventory/summary", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var sum struct {
		ByCategory []struct {
			Occurrences uint64 `json:"occurrences"`
		} `json:"by_category"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &sum))
	require.Len(t, sum.ByCategory, 1)
	require.EqualValues(t, 2, sum.ByCategory[0].Occurrences, "the honest finding's count, nothing wrapped")
}
