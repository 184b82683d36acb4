package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequestListCaps(t *testing.T) {
	h := newHarness(t, 1<<20)
	list := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "web-" + strings.Repeat("x", i%7)
		}
		return out
	}
	for _, field := range []string{"hosts", "assets", "locations", "principals"} {
		t.Run(field, func(t *testing.T) {
			b, err := json.Marshal(map[string][]string{field: list(1001)})
			require.NoError(t, err)
			code, body := h.do("POST", "/api/v1/incidents/impact", h.admin, nil, strings.NewReader(string(b)))
			require.Equal(t, http.StatusBadRequest, code, body)
			require.Contains(t, decodeErr(t, body).Error.Message, field+" has 1001 entries; at most 1000")
		})
	}
	b, err := json.Marshal(map[string][]string{"hosts": list(1000)})
	require.NoError(t, err)
	code, body := h.do("POST", "/api/v1/incidents/impact", h.admin, nil, strings.NewReader(string(b)))
	require.Equal(t, http.StatusOK, code, body, "at the cap is fine")

	code, body = h.do("POST", "/api/v1/reviews", h.admin, nil,
		strings.NewReader(`{"name":"`+strings.Repeat("n", 201)+`","reviewer":"rev1"}`))
	require.Equal(t, http.StatusBadRequest, code, body)
	require.Contains(t, decodeErr(t, body).Error.Message, "name is longer than 200 bytes")
}
