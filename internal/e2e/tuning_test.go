package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// The switchboard's number: allow-listed, so it must stop counting.
const switchboard = "+44 20 7946 0000"

// phoneForms are the planted numbers as they could leak (as written, as
// E.164 digits): long enough that no hex id can hold one by chance (the
// last four digits alone appeared in an asset id, "…b7946", and failed CI).
var phoneForms = []string{"7946 0000", "7946 0123", "2079460000", "2079460123"}

// tuningFinding is what these tests read of a finding.
type tuningFinding struct {
	AssetID  string `json:"asset_id"`
	Location string `json:"location"`
	Type     string `json:"type"`
	Count    int    `json:"count"`
	Distinct int    `json:"distinct"`
}

// findingsOf lists the current findings by file (relative to root) and type.
func (s *stack) findingsOf(root string) map[key]tuningFinding {
	var page struct {
		Items []tuningFinding `json:"items"`
	}
	require.Equal(s.t, 200, s.get("/api/v1/findings?limit=1000", &page))
	out := map[key]tuningFinding{}
	for _, f := range page.Items {
		out[key{strings.TrimPrefix(f.Location, wire.FileLocation(root)+"/"), f.Type}] = f
	}
	return out
}

// scanNow asks the agent for an fs scan and waits until its command is
// done and its scan is in the read index.
func (s *stack) scanNow(agentID string) {
	s.t.Helper()
	status, body := s.post("/api/v1/commands/scan", fmt.Sprintf(`{"agent_id":%q,"scanner":"fs"}`, agentID))
	require.Equal(s.t, 201, status, body)
	var cmds struct {
		Items []struct {
			CommandID string `json:"command_id"`
		} `json:"items"`
	}
	require.NoError(s.t, json.Unmarshal([]byte(body), &cmds))
	require.Len(s.t, cmds.Items, 1)
	var scanID string
	require.Eventually(s.t, func() bool {
		var a policyAgent
		require.Equal(s.t, 200, s.get("/api/v1/agents/"+agentID, &a))
		for _, c := range a.Commands {
			if c.CommandID == cmds.Items[0].CommandID && c.Status == "done" {
				scanID = c.ScanID
				return true
			}
		}
		return false
	}, 60*time.Second, 200*time.Millisecond, "the scan-now command completes")
	require.Eventually(s.t, func() bool {
		var page struct {
			Items []struct {
				ScanID string `json:"scan_id"`
			} `json:"items"`
		}
		require.Equal(s.t, 200, s.get("/api/v1/findings?limit=1000", &page))
		for _, f := range page.Items {
			if f.ScanID == scanID {
				return true
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the command's scan is current")
}

// TestCustomDetectorsAllowListAndTriage: a custom employee-id detector
// defined on the collector reaches a running agent through its policy and
// finds the ids planted in its tree; an allow-listed phone number stops
// counting in every read (findings, assets, summary, data map, breach
// impact, subject search, risk); a false-positive triage survives a rescan
// and reopens when a later scan finds more; every change is audited and
// nothing raw is answered or logged.
func TestCustomDetectorsAllowListAndTriage(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := t.TempDir()
	files := map[string]string{
		"hr/staff.txt":             "employee EMP-123456 joined in March\nemployee EMP-654321 left\n" + strings.Repeat("=", 100) + "\nticket EMP-111111\n",
		"contacts/switchboard.txt": "Reception: " + switchboard + "\n",
		"contacts/mixed.txt":       "Reception: " + switchboard + "\nJane Roe: +44 20 7946 0123\n",
		"notes/people.txt":         "contact ann.smith@example.com\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	// EMP-111111 has no context word within the window (64 bytes) before
	// it: 2 employee ids.
	emp := `{"id":"employee_id","category":"personal","pattern":"\\bEMP-\\d{6}\\b","context_words":["employee"],"confidence":"high"}`

	// Definitions are checked, naming the field.
	for body, field := range map[string]string{
		`{"id":"employee_id","category":"personal","pattern":"(a)\\1"}`:               "pattern",
		`{"id":"employee_id","category":"personal","pattern":"\\d*"}`:                 "pattern",
		`{"id":"Employee","category":"personal","pattern":"EMP-\\d{6}"}`:              "id",
		`{"id":"employee_id","category":"hr","pattern":"EMP-\\d{6}"}`:                 "category",
		`{"id":"employee_id","category":"personal","pattern":"EMP","checksum":"crc"}`: "checksum",
	} {
		status, out := s.post("/api/v1/detectors", body)
		require.Equal(t, 400, status, out)
		require.Contains(t, out, field)
	}
	// A dry run answers masked matches only.
	status, out := s.post("/api/v1/detectors/dry-run", `{"detector":`+emp+`,"sample":"employee EMP-123456\nEMP-999999"}`)
	require.Equal(t, 200, status, out)
	var dry struct {
		Count   int `json:"count"`
		Matches []struct {
			Line   int    `json:"line"`
			Masked string `json:"masked"`
		} `json:"matches"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &dry))
	require.Equal(t, 2, dry.Count)
	require.Equal(t, 1, dry.Matches[0].Line)
	require.Equal(t, "*******56", dry.Matches[0].Masked)
	require.NotContains(t, out, "123456")
	status, out = s.post("/api/v1/detectors", emp)
	require.Equal(t, 201, status, out)
	status, out = s.post("/api/v1/detectors", emp)
	require.Equal(t, 409, status, out)
	var file struct {
		Detectors []map[string]any `json:"detectors"`
	}
	require.Equal(t, 200, s.get("/api/v1/detectors/file", &file))
	require.Len(t, file.Detectors, 1)

	a := s.newAgent([]string{root}, "policy:\n  poll_interval: 1s\n")
	agentID := readCreds(t, a).AgentID
	s.runAgent(a)
	require.Eventually(t, func() bool { return len(s.findingsOf(root)) == 4 }, 60*time.Second, 200*time.Millisecond,
		"findings did not arrive: %v", s.findingsOf(root))
	s.waitIndexed(4)
	got := s.findingsOf(root)
	require.Equal(t, 2, got[key{"hr/staff.txt", "employee_id"}].Count, "the custom detector found the planted ids")
	require.Equal(t, 1, got[key{"contacts/switchboard.txt", "phone_number"}].Count)
	require.Equal(t, 2, got[key{"contacts/mixed.txt", "phone_number"}].Count)

	// Allow the switchboard's number: by value (hashed on the collector,
	// never stored or echoed).
	status, out = s.post("/api/v1/allowlist", fmt.Sprintf(`{"type":"phone_number","value":%q,"reason":"the switchboard's public number"}`, switchboard))
	require.Equal(t, 201, status, out)
	for _, raw := range phoneForms {
		require.NotContains(t, out, raw)
	}
	status, out = s.post("/api/v1/allowlist", `{"type":"phone_number","value":"not a phone","reason":"x"}`)
	require.Equal(t, 400, status, out)
	require.NotContains(t, out, "not a phone", "the value is never echoed")

	got = s.findingsOf(root)
	_, ok := got[key{"contacts/switchboard.txt", "phone_number"}]
	require.False(t, ok, "a finding of the allowed value alone is gone")
	require.Equal(t, 1, got[key{"contacts/mixed.txt", "phone_number"}].Count, "the allowed value no longer counts")
	require.Equal(t, 1, got[key{"contacts/mixed.txt", "phone_number"}].Distinct)

	var assets struct {
		Items []struct {
			Location    string   `json:"location"`
			Types       []string `json:"types"`
			Occurrences int      `json:"occurrences"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/assets?with_pii=true&limit=100", &assets))
	phones := 0
	for _, as := range assets.Items {
		require.NotContains(t, as.Location, "switchboard.txt", "an asset holding only the allowed value holds no personal data")
		if strings.HasSuffix(as.Location, "mixed.txt") {
			require.Equal(t, 1, as.Occurrences)
		}
		for _, ty := range as.Types {
			if ty == "phone_number" {
				phones++
			}
		}
	}
	require.Equal(t, 1, phones)
	var sum struct {
		Assets int `json:"assets"`
		ByType []struct {
			Type        string `json:"type"`
			Occurrences int    `json:"occurrences"`
		} `json:"by_type"`
	}
	require.Equal(t, 200, s.get("/api/v1/inventory/summary", &sum))
	require.Equal(t, 3, sum.Assets)
	for _, r := range sum.ByType {
		if r.Type == "phone_number" {
			require.Equal(t, 1, r.Occurrences)
		}
	}
	var dm struct {
		Systems []struct {
			Types       []string `json:"types"`
			Assets      int      `json:"assets"`
			Occurrences int      `json:"occurrences"`
		} `json:"systems"`
	}
	require.Equal(t, 200, s.get("/api/v1/datamap", &dm))
	require.Len(t, dm.Systems, 1)
	require.Equal(t, 3, dm.Systems[0].Assets)
	require.Equal(t, 2+1+1, dm.Systems[0].Occurrences, "2 employee ids, 1 phone, 1 email")
	host, err := os.Hostname()
	require.NoError(t, err)
	status, out = s.post("/api/v1/incidents/impact", fmt.Sprintf(`{"hosts":[%q]}`, host))
	require.Equal(t, 200, status, out)
	var im struct {
		Types []struct {
			Type        string `json:"type"`
			Occurrences int    `json:"occurrences"`
		} `json:"types"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &im))
	impact := map[string]int{}
	for _, ty := range im.Types {
		impact[ty.Type] = ty.Occurrences
	}
	require.Equal(t, map[string]int{"phone_number": 1, "email": 1, "employee_id": 2}, impact)
	status, out = s.post("/api/v1/subjects/search", fmt.Sprintf(`{"identifiers":[{"type":"phone_number","value":%q}]}`, switchboard))
	require.Equal(t, 200, status, out)
	var subj struct {
		Total int `json:"total"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &subj))
	require.Equal(t, 0, subj.Total, "an allowed value is no one's: %s", out)
	require.NotContains(t, s.rawAPI("/api/v1/risk/assets"), "switchboard.txt")

	// Triage: the e-mail in notes/people.txt is a false positive.
	email := got[key{"notes/people.txt", "email"}]
	require.NotEmpty(t, email.AssetID)
	triagePath := "/api/v1/triage/" + url.PathEscape(email.AssetID) + "/email"
	status, out = s.do("PUT", triagePath, s.admin, `{"state":"false_positive"}`)
	require.Equal(t, 400, status, out)
	require.Contains(t, out, "reason")
	status, out = s.do("PUT", triagePath, s.admin, `{"state":"false_positive","reason":"a test address"}`)
	require.Equal(t, 200, status, out)
	_, ok = s.findingsOf(root)[key{"notes/people.txt", "email"}]
	require.False(t, ok, "a false positive no longer counts")

	// It survives a rescan that finds the same...
	s.scanNow(agentID)
	_, ok = s.findingsOf(root)[key{"notes/people.txt", "email"}]
	require.False(t, ok, "the triage survives a rescan")
	type triaged struct {
		Items []struct {
			AssetID     string `json:"asset_id"`
			State       string `json:"state"`
			StoredState string `json:"stored_state"`
			Reopened    bool   `json:"reopened"`
			Count       int    `json:"count"`
			Reason      string `json:"reason"`
			ChangedBy   string `json:"changed_by"`
		} `json:"items"`
	}
	var tl triaged
	require.Equal(t, 200, s.get("/api/v1/triage", &tl))
	require.Len(t, tl.Items, 1)
	require.Equal(t, "false_positive", tl.Items[0].State)
	require.False(t, tl.Items[0].Reopened)
	require.Equal(t, "a test address", tl.Items[0].Reason)

	// ...and reopens when a later scan finds more.
	require.NoError(t, os.WriteFile(filepath.Join(root, "notes/people.txt"),
		[]byte("contact ann.smith@example.com\nand bob@example.org\n"), 0o644))
	s.scanNow(agentID)
	f, ok := s.findingsOf(root)[key{"notes/people.txt", "email"}]
	require.True(t, ok, "more found: the finding is back")
	require.Equal(t, 2, f.Count)
	require.Equal(t, 200, s.get("/api/v1/triage", &tl))
	require.Len(t, tl.Items, 1)
	require.Equal(t, "open", tl.Items[0].State)
	require.Equal(t, "false_positive", tl.Items[0].StoredState)
	require.True(t, tl.Items[0].Reopened)
	require.Equal(t, 2, tl.Items[0].Count)
	var hist struct {
		Items []struct {
			State string `json:"state"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get(triagePath+"/history", &hist))
	require.Len(t, hist.Items, 1)

	// An (asset, type) rule hides that finding alone; deleting the rule
	// brings it back.
	staff := s.findingsOf(root)[key{"hr/staff.txt", "employee_id"}]
	status, out = s.post("/api/v1/allowlist", fmt.Sprintf(`{"asset_id":%q,"type":"employee_id","reason":"a test roster"}`, staff.AssetID))
	require.Equal(t, 201, status, out)
	var rule struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rule))
	got = s.findingsOf(root)
	_, ok = got[key{"hr/staff.txt", "employee_id"}]
	require.False(t, ok)
	require.Len(t, got, 2, "the other findings stay")
	status, out = s.do("DELETE", "/api/v1/allowlist/"+rule.ID, s.admin, "")
	require.Equal(t, 200, status, out)
	require.Equal(t, 2, s.findingsOf(root)[key{"hr/staff.txt", "employee_id"}].Count)

	// Every change is in the audit log, without the value.
	audit := s.rawAPI("/api/v1/audit?limit=500")
	for _, route := range []string{"/api/v1/detectors", "/api/v1/detectors/dry-run", "/api/v1/allowlist", "/api/v1/allowlist/:id", "/api/v1/triage/:asset/:type"} {
		require.Contains(t, audit, `"route":"`+route+`"`)
	}
	for _, raw := range append([]string{"123456", "ann.smith"}, phoneForms...) {
		require.NotContains(t, audit, raw)
		logged, err := os.ReadFile(s.coll.log)
		require.NoError(t, err)
		require.NotContains(t, string(logged), raw)
	}
}
