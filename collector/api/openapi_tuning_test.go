package api_test

import (
	"encoding/json"

	"github.com/stretchr/testify/require"
)

// checkTuning calls every tuning route (custom detectors, allow list,
// triage) against the document, over the fixture's finding f-people/iban.
func checkTuning(v *validator, admin string) {
	t := v.t
	t.Helper()
	def := map[string]any{"id": "employee_id", "category": "personal", "pattern": `\bE-?\d{6}\b`, "context_words": []string{"Employee"}}
	v.call("POST", "/api/v1/detectors", "/api/v1/detectors", admin, map[string]any{"id": "employee_id", "category": "personal", "pattern": `\d*`}, 400)
	out := v.call("POST", "/api/v1/detectors/dry-run", "/api/v1/detectors/dry-run", admin,
		map[string]any{"detector": def, "sample": "employee E-123456\nE654321"}, 200)
	var dry struct {
		Count   int `json:"count"`
		Matches []struct {
			Masked string `json:"masked"`
		} `json:"matches"`
	}
	require.NoError(t, json.Unmarshal(out, &dry))
	require.Equal(t, 2, dry.Count)
	require.NotContains(t, string(out), "123456")
	v.call("POST", "/api/v1/detectors", "/api/v1/detectors", admin, def, 201)
	v.call("POST", "/api/v1/detectors", "/api/v1/detectors", admin, def, 409)
	v.call("GET", "/api/v1/detectors", "/api/v1/detectors", admin, nil, 200)
	v.call("GET", "/api/v1/detectors/{id}", "/api/v1/detectors/employee_id", admin, nil, 200)
	def["confidence"] = "high"
	v.call("PUT", "/api/v1/detectors/{id}", "/api/v1/detectors/employee_id", admin, def, 200)
	v.call("GET", "/api/v1/detectors/{id}/history", "/api/v1/detectors/employee_id/history", admin, nil, 200)
	out = v.call("GET", "/api/v1/detectors/file", "/api/v1/detectors/file", admin, nil, 200)
	require.Contains(t, string(out), `"confidence":"high"`)
	v.call("DELETE", "/api/v1/detectors/{id}", "/api/v1/detectors/employee_id", admin, nil, 200)
	v.call("GET", "/api/v1/detectors/{id}", "/api/v1/detectors/employee_id", admin, nil, 404)

	var rule struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(v.call("POST", "/api/v1/allowlist", "/api/v1/allowlist", admin,
		map[string]any{"type": "phone_number", "value": "+44 20 7946 0000", "reason": "switchboard", "expires_at": "2099-01-01T00:00:00Z"}, 201), &rule))
	v.call("POST", "/api/v1/allowlist", "/api/v1/allowlist", admin, map[string]any{"asset_id": fxPeople, "reason": ""}, 400)
	v.call("POST", "/api/v1/allowlist", "/api/v1/allowlist", admin, map[string]any{"asset_id": "f-other", "type": "email", "reason": "a test file"}, 201)
	v.call("GET", "/api/v1/allowlist", "/api/v1/allowlist", admin, nil, 200)
	v.call("DELETE", "/api/v1/allowlist/{id}", "/api/v1/allowlist/"+rule.ID, admin, nil, 200)
	v.call("DELETE", "/api/v1/allowlist/{id}", "/api/v1/allowlist/"+rule.ID, admin, nil, 404)

	v.call("PUT", "/api/v1/triage/{asset}/{type}", "/api/v1/triage/"+fxPeople+"/iban", admin, map[string]any{"state": "accepted", "reason": "the payroll export, kept on purpose"}, 200)
	v.call("PUT", "/api/v1/triage/{asset}/{type}", "/api/v1/triage/"+fxPeople+"/us_ssn", admin, map[string]any{"state": "accepted", "reason": "x"}, 404)
	v.call("PUT", "/api/v1/triage/{asset}/{type}", "/api/v1/triage/"+fxPeople+"/iban", admin, map[string]any{"state": "ignored"}, 400)
	out = v.call("GET", "/api/v1/triage", "/api/v1/triage", admin, nil, 200)
	require.Contains(t, string(out), `"suppressed":true`)
	v.call("GET", "/api/v1/triage", "/api/v1/triage?state=nope", admin, nil, 400)
	v.call("GET", "/api/v1/triage/{asset}/{type}/history", "/api/v1/triage/"+fxPeople+"/iban/history", admin, nil, 200)
	// Back to open, so the rest of the test sees the finding.
	v.call("PUT", "/api/v1/triage/{asset}/{type}", "/api/v1/triage/"+fxPeople+"/iban", admin, map[string]any{"state": "open"}, 200)
}
