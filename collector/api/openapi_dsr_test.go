package api_test

import (
	"encoding/json"

	"github.com/stretchr/testify/require"
)

// checkDSR calls every data-subject request route against the document,
// for the fixture's person (jane@example.com in f-people).
func checkDSR(v *validator, admin string) {
	t := v.t
	t.Helper()
	ids := []map[string]string{{"type": "email", "value": "Jane@example.com"}}
	v.call("POST", "/api/v1/dsr/cases", "/api/v1/dsr/cases", admin, map[string]any{"reference": "", "identifiers": ids}, 400)
	var c struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(v.call("POST", "/api/v1/dsr/cases", "/api/v1/dsr/cases", admin,
		map[string]any{"reference": "DSR-1", "regulation": "gdpr", "owner": "dpo", "identifiers": ids}, 201), &c))
	one := "/api/v1/dsr/cases/" + c.ID
	v.call("GET", "/api/v1/dsr/cases", "/api/v1/dsr/cases?status=open", admin, nil, 200)
	v.call("GET", "/api/v1/dsr/cases/{id}", one, admin, nil, 200)
	v.call("GET", "/api/v1/dsr/cases/{id}", "/api/v1/dsr/cases/0000000000000000", admin, nil, 404)
	v.call("GET", "/api/v1/dsr/cases/{id}/package", one+"/package", admin, nil, 409)
	v.call("PATCH", "/api/v1/dsr/cases/{id}", one, admin, map[string]any{"status": "responded"}, 409)
	v.call("PUT", "/api/v1/dsr/cases/{id}/identifiers", one+"/identifiers", admin, map[string]any{"identifiers": ids}, 200)
	out := v.call("POST", "/api/v1/dsr/cases/{id}/searches", one+"/searches", admin, nil, 201)
	require.Contains(t, string(out), `"matches":1`, "the fixture must give the search a match")
	v.call("GET", "/api/v1/dsr/cases/{id}/searches", one+"/searches", admin, nil, 200)
	out = v.call("GET", "/api/v1/dsr/cases/{id}/package", one+"/package", admin, nil, 200)
	require.Contains(t, string(out), `"found":true`)
	v.call("GET", "/api/v1/dsr/cases/{id}/package", one+"/package?format=csv", admin, nil, 200)
	v.call("GET", "/api/v1/dsr/reminders", "/api/v1/dsr/reminders?within_days=40", admin, nil, 200)
	v.call("PATCH", "/api/v1/dsr/cases/{id}", one, admin, map[string]any{"owner": "kim", "status": "closed"}, 200)
}
