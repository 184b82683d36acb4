package api_test

import (
	"encoding/json"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/stretchr/testify/require"
)

// The printable report is HTML, which the checker reads as a string.
func init() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder) }

// checkROPA calls every records-of-processing and PIA route against the
// document, over the fixture's web-1 files, and the risk register once a
// PIA is rated (its item has the pia kind and a link).
func checkROPA(v *validator, admin string) {
	t := v.t
	t.Helper()
	v.call("GET", "/api/v1/records", "/api/v1/records", admin, nil, 200)
	v.call("PUT", "/api/v1/records/{system}", "/api/v1/records/fs:web-1", admin, map[string]any{"purpose": "HR", "legal_basis": "nope"}, 400)
	v.call("PUT", "/api/v1/records/{system}", "/api/v1/records/fs:web-1", admin, map[string]any{"purpose": "HR", "legal_basis": "contract",
		"recipients": []string{"payroll"}, "transfers": []map[string]string{{"country": "US", "safeguard": "adequacy_decision"}},
		"controller": "Example", "owner": "hr", "dpo_contact": "dpo@example.org", "base_revision": 0}, 200)
	v.call("PUT", "/api/v1/records/{system}", "/api/v1/records/fs:web-1", admin, map[string]any{"purpose": "HR", "legal_basis": "contract", "base_revision": 0}, 409)
	v.call("GET", "/api/v1/records", "/api/v1/records", admin, nil, 200)
	v.call("GET", "/api/v1/records", "/api/v1/records?format=csv", admin, nil, 200)
	v.call("GET", "/api/v1/records/report", "/api/v1/records/report", admin, nil, 200)
	v.call("GET", "/api/v1/records/{system}", "/api/v1/records/fs:web-1", admin, nil, 200)
	v.call("GET", "/api/v1/records/{system}", "/api/v1/records/fs:nowhere", admin, nil, 404)

	var p struct {
		ID string `json:"id"`
	}
	v.call("POST", "/api/v1/pias", "/api/v1/pias", admin, map[string]any{"title": "HR", "systems": []string{"fs:nowhere"}}, 400)
	require.NoError(t, json.Unmarshal(v.call("POST", "/api/v1/pias", "/api/v1/pias", admin,
		map[string]any{"title": "HR files", "systems": []string{"fs:web-1"}}, 201), &p))
	one := "/api/v1/pias/" + p.ID
	v.call("GET", "/api/v1/pias", "/api/v1/pias", admin, nil, 200)
	v.call("GET", "/api/v1/pias/{id}", one, admin, nil, 200)
	v.call("GET", "/api/v1/pias/{id}", "/api/v1/pias/0000000000000000", admin, nil, 404)
	v.call("PUT", "/api/v1/pias/{id}", one, admin, map[string]any{"severity": "awful"}, 400)
	out := v.call("PUT", "/api/v1/pias/{id}", one, admin, map[string]any{"purpose": "payroll", "necessity": "needed",
		"retention": "7 years", "safeguards": "0600", "likelihood": "probable", "severity": "severe", "confirm_facts": true}, 200)
	require.Contains(t, string(out), `"rating":"high"`)
	out = v.call("GET", "/api/v1/risk/register", "/api/v1/risk/register?kind=pia", admin, nil, 200)
	require.Contains(t, string(out), `"link":"`+one+`"`)
}
