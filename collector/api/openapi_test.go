package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// loadDoc parses and validates the served document, and makes every
// object schema closed (additionalProperties: false unless it says
// otherwise), so that a field a handler returns but the document does not
// describe fails the response check too.
func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "openapi.json is not valid OpenAPI")
	seen := map[*openapi3.Schema]bool{}
	var closeSchema func(r *openapi3.SchemaRef)
	closeSchema = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		s := r.Value
		seen[s] = true
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			no := false
			s.AdditionalProperties.Has = &no
		}
		for _, p := range s.Properties {
			closeSchema(p)
		}
		closeSchema(s.Items)
		closeSchema(s.AdditionalProperties.Schema)
		for _, l := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			require.Empty(t, l, "the test closes schemas; allOf/anyOf/oneOf would need open parts")
		}
	}
	for _, s := range doc.Components.Schemas {
		closeSchema(s)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, resp := range op.Responses.Map() {
				for _, mt := range resp.Value.Content {
					closeSchema(mt.Schema)
				}
			}
		}
	}
	return doc
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// TestOpenAPIRoutes: every route the engine serves is in the document,
// and every documented operation is served.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadDoc(t)
	srv := api.New(api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	served := map[string]bool{}
	for _, r := range srv.Routes() {
		path := ginParam.ReplaceAllString(r.Path, "{$1}")
		key := r.Method + " " + path
		served[key] = true
		item := doc.Paths.Value(path)
		require.NotNil(t, item, "route %s is not in openapi.json", key)
		require.NotNil(t, item.GetOperation(r.Method), "route %s is not in openapi.json", key)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			require.True(t, served[method+" "+path], "openapi.json documents %s %s, which is not served", method, path)
			// Every JSON answer says what it holds (the document itself
			// aside), or checking answers against it would prove nothing.
			for code, resp := range op.Responses.Map() {
				mt := resp.Value.Content.Get("application/json")
				if mt == nil || path == "/api/v1/openapi.json" {
					continue
				}
				require.NotEmpty(t, mt.Schema.Value.Properties, "%s %s %s: the JSON answer has no described properties", method, path, code)
				require.NotEmpty(t, mt.Schema.Value.Required, "%s %s %s: the JSON answer names no required property", method, path, code)
			}
		}
	}
}

// validator checks answers of the real handlers against the document and
// remembers which documented answers it has seen.
type validator struct {
	t       *testing.T
	doc     *openapi3.T
	base    string
	checked map[string]bool // "METHOD path status"
}

// call sends a request to the route with the document's path template
// tmpl (path fills it in) and checks the answer against the document.
func (v *validator) call(method, tmpl, path, token string, body any, want int) []byte {
	t := v.t
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, v.base+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, want, resp.StatusCode, "%s %s: %s", method, path, out)
	v.check(method, tmpl, req, resp.StatusCode, resp.Header, out)
	return out
}

func (v *validator) check(method, tmpl string, req *http.Request, status int, hdr http.Header, body []byte) {
	t := v.t
	t.Helper()
	item := v.doc.Paths.Value(tmpl)
	require.NotNil(t, item, tmpl)
	op := item.GetOperation(method)
	require.NotNil(t, op, "%s %s", method, tmpl)
	route := &routers.Route{Spec: v.doc, Path: tmpl, PathItem: item, Method: method, Operation: op}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: status, Header: hdr,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	require.NoError(t, openapi3filter.ValidateResponse(context.Background(), in),
		"%s %s answered %d with a body openapi.json does not describe:\n%s", method, req.URL.Path, status, clip(body))
	v.checked[fmt.Sprintf("%s %s %d", method, tmpl, status)] = true
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// TestOpenAPIResponses runs every endpoint against ClickHouse with a
// fixture that gives each list something to list, and checks every
// answer against the document; every documented 2xx JSON answer must
// have been seen.
func TestOpenAPIResponses(t *testing.T) {
	doc := loadDoc(t)
	st := storetest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn})
	ing := ingest.New(ingest.Options{Store: st, BatchRows: 1000, BatchInterval: 20 * time.Millisecond, Logger: log,
		Rekey: fl.Keys().Rekey})
	done := make(chan struct{})
	go func() { defer close(done); ing.Run(ctx) }()
	ts := httptest.NewServer(api.New(api.Options{Store: st, Auth: authn, Fleet: fl, Ingester: ing,
		MaxBodyBytes: 1 << 20, MaxDecodedBytes: 4 << 20, Logger: log}))
	t.Cleanup(func() { ts.Close(); cancel(); <-done })
	admin, _, err := authn.Create(ctx, auth.RoleAdmin, "admin", "", 0)
	require.NoError(t, err)
	reviewer, _, err := authn.Create(ctx, auth.RoleReviewer, "rev", "", 0)
	require.NoError(t, err)
	v := &validator{t: t, doc: doc, base: ts.URL, checked: map[string]bool{}}

	// Health, and the document itself.
	v.call("GET", "/healthz", "/healthz", "", nil, 200)
	v.call("GET", "/readyz", "/readyz", "", nil, 200)
	v.call("GET", "/metrics", "/metrics", "", nil, 200)
	v.call("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", nil, 200)

	// Tokens and enrollment: an enroll secret, an agent.
	var secret struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	require.NoError(t, json.Unmarshal(v.call("POST", "/api/v1/tokens", "/api/v1/tokens", admin,
		map[string]any{"role": "agent-enroll", "name": "enroll", "ttl": "24h", "uses": 2}, 201), &secret))
	var en fleet.Enrollment
	require.NoError(t, json.Unmarshal(v.call("POST", "/api/v1/agents/enroll", "/api/v1/agents/enroll", "",
		map[string]any{"enroll_secret": secret.Token, "hostname": "web-1", "os": "linux", "version": "test"}, 201), &en))
	v.call("GET", "/api/v1/tokens", "/api/v1/tokens?role=agent-enroll", admin, nil, 200)
	v.call("DELETE", "/api/v1/tokens/{id}", "/api/v1/tokens/"+secret.ID, admin, nil, 200)

	// The agent's batch through the API (a scan of web-1's files), then
	// the same again: a duplicate.
	now := time.Now().UTC().Truncate(time.Second)
	batch := ndjson(t, fixture(t, en.AgentID, now))
	ingestCall := func(key string) {
		req, err := http.NewRequest("POST", ts.URL+"/api/v1/ingest", strings.NewReader(batch))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+en.Token)
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		require.Equal(t, 200, resp.StatusCode, string(out))
		v.check("POST", "/api/v1/ingest", req, resp.StatusCode, resp.Header, out)
	}
	ingestCall("b1")
	ingestCall("b1")
	// Ingest re-keys the tokens an agent sends; the stored form is what
	// SearchToken gives, so the finding a subject search must match goes
	// straight to the store.
	require.NoError(t, st.InsertRecords(ctx, []wire.Record{{Kind: wire.KindPII, Source: wire.SourceFS, ScanID: "s-fs",
		ObservedAt: now, AgentID: en.AgentID, Host: "web-1", AssetID: fxPeople, Location: "file:///srv/hr/people.csv",
		Type: "email", Category: "contact", Count: 4, Distinct: 2, Confidence: wire.ConfidenceHigh,
		Samples: []string{"j***@example.com"}, Where: []string{"line 2"},
		Tokens: []string{fl.Keys().SearchToken([]byte(mustNorm(t, "jane@example.com")))}}}))

	// Fleet and inventory.
	v.call("GET", "/api/v1/agents", "/api/v1/agents", admin, nil, 200)
	v.call("GET", "/api/v1/agents/{id}", "/api/v1/agents/"+en.AgentID, admin, nil, 200)
	v.call("GET", "/api/v1/inventory/summary", "/api/v1/inventory/summary", admin, nil, 200)
	v.call("GET", "/api/v1/findings", "/api/v1/findings", admin, nil, 200)
	v.call("GET", "/api/v1/assets", "/api/v1/assets?with_pii=false&sort=occurrences&order=desc", admin, nil, 200)
	v.call("GET", "/api/v1/assets/{id}", "/api/v1/assets/"+fxPeople, admin, nil, 200)
	v.call("GET", "/api/v1/assets/{id}/key-owners", "/api/v1/assets/"+fxPeople+"/key-owners", admin, nil, 200)
	v.call("GET", "/api/v1/risk/assets", "/api/v1/risk/assets", admin, nil, 200)
	v.call("GET", "/api/v1/datamap", "/api/v1/datamap", admin, nil, 200)
	v.call("GET", "/api/v1/datamap", "/api/v1/datamap?format=csv", admin, nil, 200)

	// Access.
	v.call("GET", "/api/v1/principals", "/api/v1/principals", admin, nil, 200)
	v.call("GET", "/api/v1/principals/{id}", "/api/v1/principals/"+fxAlice, admin, nil, 200)
	v.call("GET", "/api/v1/principals/{id}/key-files", "/api/v1/principals/"+fxAlice+"/key-files", admin, nil, 200)
	v.call("GET", "/api/v1/access/readers", "/api/v1/access/readers?location=file:///srv/hr/people.csv&host=web-1", admin, nil, 200)
	v.call("PUT", "/api/v1/authorities/{source}/{scope}", "/api/v1/authorities/ldap/dc=example,dc=org", admin,
		map[string]any{"agent_id": en.AgentID}, 200)
	v.call("GET", "/api/v1/authorities", "/api/v1/authorities", admin, nil, 200)

	// Privacy.
	out := v.call("POST", "/api/v1/subjects/search", "/api/v1/subjects/search", admin,
		map[string]any{"identifiers": []map[string]string{{"type": "email", "value": "Jane@example.com"}}}, 200)
	require.Contains(t, string(out), `"identifiers":[0]`, "the fixture must give the search a match")
	v.call("POST", "/api/v1/incidents/impact", "/api/v1/incidents/impact", admin, map[string]any{"hosts": []string{"web-1"}}, 200)
	checkTuning(v, admin)
	checkDSR(v, admin)
	checkAlerts(v, admin)

	// Risk.
	v.call("GET", "/api/v1/risk/principals", "/api/v1/risk/principals", admin, nil, 200)
	var reg struct {
		Items []struct {
			Kind string `json:"kind"`
			ID   string `json:"id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/risk/register", "/api/v1/risk/register", admin, nil, 200), &reg))
	require.NotEmpty(t, reg.Items, "the fixture must give the register an item")
	item := "/api/v1/risk/register/" + reg.Items[0].Kind + "/" + reg.Items[0].ID
	v.call("PUT", "/api/v1/risk/register/{kind}/{id}", item, admin, map[string]any{"owner": "ops", "status": "mitigating", "comment": "on it"}, 200)
	v.call("GET", "/api/v1/risk/register", "/api/v1/risk/register", admin, nil, 200) // now with its change
	v.call("GET", "/api/v1/risk/register/{kind}/{id}/history", item+"/history", admin, nil, 200)
	checkROPA(v, admin)

	// Reviews.
	var camp struct {
		ID string `json:"campaign_id"`
	}
	require.NoError(t, json.Unmarshal(v.call("POST", "/api/v1/reviews", "/api/v1/reviews", admin,
		map[string]any{"name": "q4", "reviewer": "rev", "due": now.Add(24 * time.Hour)}, 201), &camp))
	var items struct {
		Items []struct {
			ItemID string `json:"item_id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/reviews/{id}/items", "/api/v1/reviews/"+camp.ID+"/items", reviewer, nil, 200), &items))
	require.NotEmpty(t, items.Items)
	v.call("POST", "/api/v1/reviews/{id}/items/{item}/decision", "/api/v1/reviews/"+camp.ID+"/items/"+items.Items[0].ItemID+"/decision",
		reviewer, map[string]any{"decision": "revoke", "comment": "gone"}, 200)
	out = v.call("GET", "/api/v1/reviews/{id}", "/api/v1/reviews/"+camp.ID, admin, nil, 200)
	require.Contains(t, string(out), `"item_id"`, "the revoked grant is still there: listed as such")
	v.call("GET", "/api/v1/reviews/{id}/export", "/api/v1/reviews/"+camp.ID+"/export", admin, nil, 200)
	// The campaign list: every campaign for an admin, a reviewer's own
	// items only, and nothing for a reviewer with no item.
	type campaignList struct {
		Items []struct {
			ID      string `json:"campaign_id"`
			Items   int    `json:"items"`
			Pending int    `json:"pending"`
		} `json:"items"`
	}
	var all, mine, none campaignList
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/reviews", "/api/v1/reviews", admin, nil, 200), &all))
	require.Len(t, all.Items, 1)
	require.Equal(t, camp.ID, all.Items[0].ID)
	require.Equal(t, all.Items[0].Items-1, all.Items[0].Pending, "one decision made")
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/reviews", "/api/v1/reviews", reviewer, nil, 200), &mine))
	require.Equal(t, all.Items, mine.Items, "rev reviews every item of this campaign")
	other, _, err := authn.Create(ctx, auth.RoleReviewer, "other", "", 0)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/reviews", "/api/v1/reviews", other, nil, 200), &none))
	require.Empty(t, none.Items, "a reviewer without items sees no campaign")
	checkCycles(v, st, admin, camp.ID) // openapi_cycles_test.go
	// Change since the previous scans: the fixture's first scans.
	var changes struct {
		Items []struct {
			Scanner  string          `json:"scanner"`
			Previous json.RawMessage `json:"previous"`
			Latest   struct {
				Stats map[string]int64 `json:"stats"`
			} `json:"latest"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/inventory/changes", "/api/v1/inventory/changes", admin, nil, 200), &changes))
	require.Len(t, changes.Items, 2)
	require.Equal(t, "null", string(changes.Items[0].Previous))
	require.EqualValues(t, 1, changes.Items[0].Latest.Stats["files"])
	v.call("GET", "/api/v1/inventory/changes", "/api/v1/inventory/changes", reviewer, nil, 403)

	// Fleet control: labels, policies, a dry run, the agent's fetch and
	// report, scan now; then the fleet view with all of it.
	v.call("PUT", "/api/v1/agents/{id}/labels", "/api/v1/agents/"+en.AgentID+"/labels", admin,
		map[string]any{"labels": map[string]string{"role": "web"}}, 200)
	pol := map[string]any{"id": "web", "selector": map[string]string{"role": "web"}, "priority": 5,
		"settings": map[string]any{"fs": map[string]any{"enabled": true, "paths": []string{"/srv"}, "interval": "1h"}}}
	v.call("POST", "/api/v1/policies", "/api/v1/policies?dry_run=1", admin, pol, 200)
	v.call("POST", "/api/v1/policies", "/api/v1/policies", admin, pol, 201)
	v.call("POST", "/api/v1/policies", "/api/v1/policies", admin, pol, 409)
	v.call("POST", "/api/v1/policies", "/api/v1/policies", admin,
		map[string]any{"id": "bad", "settings": map[string]any{"fs": map[string]any{"paths": "/srv"}}}, 400)
	v.call("GET", "/api/v1/policies", "/api/v1/policies", admin, nil, 200)
	v.call("GET", "/api/v1/policies/{id}", "/api/v1/policies/web", admin, nil, 200)
	v.call("PUT", "/api/v1/policies/{id}", "/api/v1/policies/web", admin, pol, 200)
	v.call("GET", "/api/v1/policies/{id}/history", "/api/v1/policies/web/history", admin, nil, 200)
	out = v.call("POST", "/api/v1/policies/dry-run", "/api/v1/policies/dry-run", admin, map[string]any{"delete": "web"}, 200)
	require.Contains(t, string(out), en.AgentID)
	v.call("POST", "/api/v1/commands/scan", "/api/v1/commands/scan", admin, map[string]any{"agent_id": en.AgentID, "scanner": "fs"}, 201)
	var eff struct {
		ETag     string `json:"etag"`
		Commands []struct {
			ID string `json:"id"`
		} `json:"commands"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/agent/policy", "/api/v1/agent/policy", en.Token, nil, 200), &eff))
	require.Len(t, eff.Commands, 1)
	req, err := http.NewRequest("GET", ts.URL+"/api/v1/agent/policy", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+en.Token)
	req.Header.Set("If-None-Match", eff.ETag)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotModified, resp.StatusCode)
	v.check("GET", "/api/v1/agent/policy", req, resp.StatusCode, resp.Header, nil)
	v.call("POST", "/api/v1/agent/policy/status", "/api/v1/agent/policy/status", en.Token, map[string]any{"applied": eff.ETag,
		"conflicts": []string{"scans.fs.paths"}, "commands": []map[string]string{{"id": eff.Commands[0].ID, "status": "done", "scan_id": "s-1"}}}, 200)
	v.call("POST", "/api/v1/agent/policy/status", "/api/v1/agent/policy/status", admin, map[string]any{}, 403)
	out = v.call("GET", "/api/v1/agents/{id}", "/api/v1/agents/"+en.AgentID, admin, nil, 200)
	require.Contains(t, string(out), `"scan_id":"s-1"`)
	v.call("GET", "/api/v1/agents", "/api/v1/agents", admin, nil, 200)
	v.call("DELETE", "/api/v1/policies/{id}", "/api/v1/policies/web", admin, nil, 200)
	v.call("GET", "/api/v1/policies/{id}", "/api/v1/policies/web", admin, nil, 404)

	v.call("GET", "/api/v1/audit", "/api/v1/audit", admin, nil, 200)

	// A few error answers: they are documented too.
	v.call("GET", "/api/v1/agents/{id}", "/api/v1/agents/nope", admin, nil, 404)
	v.call("GET", "/api/v1/findings", "/api/v1/findings?limit=x", admin, nil, 400)
	v.call("GET", "/api/v1/findings", "/api/v1/findings", "", nil, 401)

	// A later fs scan (last: it changes what is current): the change
	// since the previous scan, with the previous scan filled in.
	later, laterStart := now.Add(time.Hour), now.Add(50*time.Minute)
	require.NoError(t, st.InsertRecords(ctx, []wire.Record{{Kind: wire.KindScan, Source: wire.SourceFS, ScanID: "s-fs-2",
		ObservedAt: later, AgentID: en.AgentID, Host: "web-1", Scanner: wire.SourceFS, StartedAt: &laterStart, FinishedAt: &later,
		Status: wire.StatusOK, Stats: map[string]int64{"files": 3, "assets_with_pii": 2}}}))
	var again struct {
		Items []struct {
			Scanner  string           `json:"scanner"`
			Change   map[string]int64 `json:"change"`
			Previous *struct {
				ScanID string `json:"scan_id"`
			} `json:"previous"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/inventory/changes", "/api/v1/inventory/changes", admin, nil, 200), &again))
	require.Len(t, again.Items, 2)
	fs := again.Items[0]
	require.Equal(t, "fs", fs.Scanner)
	require.NotNil(t, fs.Previous)
	require.Equal(t, "s-fs", fs.Previous.ScanID)
	require.Equal(t, map[string]int64{"files": 2, "assets_with_pii": 2, "errors": -1}, fs.Change)

	var missing []string
	for path, it := range doc.Paths.Map() {
		for method, op := range it.Operations() {
			for code, resp := range op.Responses.Map() {
				if !strings.HasPrefix(code, "2") || resp.Value.Content.Get("application/json") == nil {
					continue
				}
				if !v.checked[method+" "+path+" "+code] {
					missing = append(missing, method+" "+path+" "+code)
				}
			}
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "documented 2xx JSON answers the test did not see")
}

func mustNorm(t *testing.T, email string) string {
	t.Helper()
	n, ok := pii.NormalizeAs("email", email)
	require.True(t, ok)
	return n
}

// fixture is a scan of web-1 by its agent: a file with personal data that
// a user reads directly and a group through membership, a privileged
// account with every optional attribute, and the scans.
func fixture(t *testing.T, agentID string, now time.Time) []wire.Record {
	env := func(kind, source, scan string) wire.Record {
		return wire.Record{Kind: kind, Source: source, ScanID: scan, ObservedAt: now, AgentID: agentID, Host: "web-1"}
	}
	yes, no := true, false
	login := now.Add(-200 * 24 * time.Hour)
	mod := now.Add(-time.Hour)
	var recs []wire.Record
	add := func(r wire.Record, f func(*wire.Record)) { f(&r); recs = append(recs, r) }
	add(env(wire.KindAsset, wire.SourceFS, "s-fs"), func(r *wire.Record) {
		r.AssetID, r.AssetType, r.Location, r.Owner, r.Size, r.ModifiedAt = fxPeople, "file", "file:///srv/hr/people.csv", "alice", 2048, &mod
		r.Attributes = map[string]string{"world_readable": "true", "mode": "0644"}
	})
	add(env(wire.KindPII, wire.SourceFS, "s-fs"), func(r *wire.Record) {
		r.AssetID, r.Location, r.Type, r.Category, r.Count, r.Distinct = fxPeople, "file:///srv/hr/people.csv", "iban", "financial", 3, 3
		r.Confidence, r.Samples, r.Where = wire.ConfidenceHigh, []string{"DE89 **** **** 3000"}, []string{"line 4"}
	})
	add(env(wire.KindPrincipal, wire.SourceHost, "s-host"), func(r *wire.Record) {
		r.PrincipalID, r.Name, r.PrincipalType, r.Enabled, r.LastLogin, r.PasswordLastSet, r.MFA = fxAlice, "alice", "user", &yes, &login, &login, &no
		r.Privileged, r.PrivilegedVia, r.Attributes = true, []string{"group sudo"}, map[string]string{"uid": "1000"}
	})
	add(env(wire.KindPrincipal, wire.SourceHost, "s-host"), func(r *wire.Record) {
		r.PrincipalID, r.Name, r.PrincipalType = fxStaff, "staff", "group"
	})
	add(env(wire.KindEntitlement, wire.SourceHost, "s-host"), func(r *wire.Record) {
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission, r.Via = fxAlice, fxStaff, "group", "member", []string{"/etc/group"}
	})
	add(env(wire.KindEntitlement, wire.SourceFS, "s-fs"), func(r *wire.Record) {
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = fxAlice, fxPeople, "file", "read"
	})
	add(env(wire.KindEntitlement, wire.SourceFS, "s-fs"), func(r *wire.Record) {
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = fxStaff, fxPeople, "file", "read"
	})
	start, fin := now.Add(-time.Minute), now
	for _, s := range []struct{ source, scan string }{{wire.SourceFS, "s-fs"}, {wire.SourceHost, "s-host"}} {
		add(env(wire.KindScan, s.source, s.scan), func(r *wire.Record) {
			r.Scanner, r.StartedAt, r.FinishedAt, r.Status = s.source, &start, &fin, wire.StatusPartial
			r.Stats, r.Errors = map[string]int64{"files": 1, "errors": 1}, []string{"open /srv/x: permission denied"}
		})
	}
	for i := range recs {
		require.NoError(t, recs[i].Validate(), "fixture record %d", i)
	}
	return recs
}

func ndjson(t *testing.T, recs []wire.Record) string {
	var b strings.Builder
	for _, r := range recs {
		line, err := json.Marshal(r)
		require.NoError(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// The fixture's ids, as web-1's scanners derive them (and the collector
// derives them again: wire.DeriveIDs).
var (
	fxPeople = wire.AssetID(wire.SourceFS, "web-1", "file:///srv/hr/people.csv")
	fxAlice  = wire.LocalPrincipalID("web-1", "user", "alice")
	fxStaff  = wire.LocalPrincipalID("web-1", "group", "staff")
)
