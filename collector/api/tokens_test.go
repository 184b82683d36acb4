package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTokenEndpoints(t *testing.T) {
	h := newHarness(t, 64<<10)
	post := func(body string) (int, string) {
		return h.do("POST", "/api/v1/tokens", h.admin, nil, strings.NewReader(body))
	}
	for _, tc := range []struct {
		body string
		code int
		kind string
	}{
		{`{"role":"reviewer"}`, 400, "bad_request"},                         // name required
		{`{"role":"agent","name":"x"}`, 400, "bad_request"},                 // not creatable
		{`{"role":"reviewer","name":"x","ttl":"soon"}`, 400, "bad_request"}, // bad duration
		{`{"role":"reviewer","name":"x","ttl":"-1h"}`, 400, "bad_request"},  // negative
		{`{"role":"reviewer","name":"x","extra":1}`, 400, "bad_request"},    // unknown field
		{`{"role":"reviewer","name":"rev1","ttl":"720h"}`, 201, ""},         // ok
		{`{"role":"security","name":"rev1"}`, 409, "conflict"},              // name taken
	} {
		code, body := post(tc.body)
		require.Equal(t, tc.code, code, "%s: %s", tc.body, body)
		if tc.kind != "" {
			require.Equal(t, tc.kind, decodeErr(t, body).Error.Code, tc.body)
		}
	}

	code, body := h.do("GET", "/api/v1/tokens", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var list struct {
		Items []map[string]any `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Items, 4, "admin, enroll secret, agent, rev1")
	var rev1ID string
	for _, it := range list.Items {
		require.NotContains(t, it, "token")
		require.NotContains(t, it, "hash")
		require.Len(t, it["id"], 12)
		if it["name"] == "rev1" {
			rev1ID = it["id"].(string)
			require.NotNil(t, it["expires_at"])
			require.Equal(t, true, it["live"])
		}
	}
	require.NotEmpty(t, rev1ID)
	require.NotContains(t, body, h.admin)
	require.NotContains(t, body, h.agent)

	code, _ = h.do("GET", "/api/v1/tokens?role=agent", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code)

	code, body = h.do("DELETE", "/api/v1/tokens/0123456789ab", h.admin, nil, nil)
	require.Equal(t, http.StatusNotFound, code, body)
	code, body = h.do("DELETE", "/api/v1/tokens/xyz", h.admin, nil, nil)
	require.Equal(t, http.StatusBadRequest, code, body)
	code, body = h.do("DELETE", "/api/v1/tokens/"+rev1ID, h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"revoked":true`)
	// The name is free again once its token is revoked.
	code, body = post(`{"role":"reviewer","name":"rev1"}`)
	require.Equal(t, http.StatusCreated, code, body)

	// Unauthenticated calls are refused and not audited; a refused
	// non-admin is.
	code, _ = h.do("GET", "/api/v1/tokens", "", nil, nil)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = h.do("GET", "/api/v1/tokens", h.agent, nil, nil)
	require.Equal(t, http.StatusForbidden, code)

	code, body = h.do("GET", "/api/v1/audit?limit=100", h.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var audit struct {
		Items []struct {
			Method    string `json:"method"`
			Route     string `json:"route"`
			Params    string `json:"params"`
			Status    int    `json:"status"`
			TokenRole string `json:"token_role"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &audit))
	seen := map[string]int{}
	for _, e := range audit.Items {
		if strings.HasPrefix(e.Route, "/api/v1/tokens") {
			seen[e.Method+" "+e.Route+" "+http.StatusText(e.Status)]++
			require.NotEmpty(t, e.TokenRole, "every audited call names its token")
		}
		if e.Method == "DELETE" && e.Status == 200 {
			require.Equal(t, "id="+rev1ID, e.Params)
		}
	}
	require.Equal(t, map[string]int{
		"POST /api/v1/tokens Bad Request": 5, "POST /api/v1/tokens Created": 2, "POST /api/v1/tokens Conflict": 1,
		"GET /api/v1/tokens OK": 2, "GET /api/v1/tokens Forbidden": 1,
		"DELETE /api/v1/tokens/:id Not Found": 1, "DELETE /api/v1/tokens/:id Bad Request": 1, "DELETE /api/v1/tokens/:id OK": 1,
	}, seen)
	require.NotContains(t, body, "slt_", "no token in the audit log")
}
