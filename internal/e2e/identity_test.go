package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// enrollAs enrolls an agent over the API and returns its id and token.
func (s *stack) enrollAs(hostname string) (id, token string) {
	s.t.Helper()
	status, body := s.do("POST", "/api/v1/agents/enroll", "",
		`{"enroll_secret":"`+s.enroll+`","hostname":"`+hostname+`","os":"linux","version":"test"}`)
	require.Equal(s.t, 201, status, body)
	var en struct {
		AgentID string `json:"agent_id"`
		Token   string `json:"token"`
	}
	require.NoError(s.t, json.Unmarshal([]byte(body), &en))
	return en.AgentID, en.Token
}

// hostScanLines is a host scan of host with n privileged accounts.
func hostScanLines(scanID, host string, n int, privileged bool, at time.Time) []string {
	var lines []string
	for i := 0; i < n; i++ {
		lines = append(lines, fmt.Sprintf(`{"kind":"principal","source":"host","scan_id":%q,"observed_at":%q,"host":%q,"principal_id":"u%d@%s","name":"admin%d","principal_type":"user","privileged":%t}`,
			scanID, at.Format(time.RFC3339), host, i, host, i, privileged))
	}
	return append(lines, scanJSON(scanID, "host", "ok", at))
}

// TestForgedBatchChangesNothingOfAnotherAgent is the attack of issue 12: a
// second enrolled agent re-posts the first agent's host scan of db-1 with
// privileged:false, once dated 2100 and once dated now. Neither changes
// what the first agent reported; shared sources have one authority.
func TestForgedBatchChangesNothingOfAnotherAgent(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	now := time.Now().UTC().Truncate(time.Second)
	idA, tokA := s.enrollAs("db-1")
	idB, tokB := s.enrollAs("web-2")

	status, body := s.ingestAs(tokA, "a1", hostScanLines("scan-a", "db-1", 7, true, now)...)
	require.Equal(t, 200, status, body)
	privileged := func() int {
		var page struct {
			Total int `json:"total"`
		}
		require.Equal(t, 200, s.get("/api/v1/principals?host=db-1&privileged=true", &page))
		return page.Total
	}
	require.Equal(t, 7, privileged())

	// Dated 2100: refused, naming the line and field.
	status, body = s.ingestAs(tokB, "b1", hostScanLines("scan-b1", "db-1", 7, false, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))...)
	require.Equal(t, 400, status, body)
	require.Contains(t, body, `line 1: field \"observed_at\"`)

	// Dated now: stored, but as web-2's own records (the host it enrolled
	// as), and replacing nothing of db-1's.
	status, body = s.ingestAs(tokB, "b2", hostScanLines("scan-b2", "db-1", 7, false, now.Add(time.Second))...)
	require.Equal(t, 200, status, body)
	// A failed scan record under the first agent's scan id would hide its
	// findings: refused.
	status, body = s.ingestAs(tokB, "b3", scanJSON("scan-a", "host", "failed", now.Add(2*time.Second)))
	require.Equal(t, 403, status, body)
	require.Contains(t, body, "scan_id")

	require.Equal(t, 7, privileged(), "db-1's privileged accounts are as the first agent reported them")
	var web2 struct {
		Total int `json:"total"`
	}
	require.Equal(t, 200, s.get("/api/v1/principals?host=web-2&privileged=false", &web2))
	require.Equal(t, 7, web2.Total, "the second agent's records count for its own host")

	// A shared source: the first agent to report LDAP server dc1 speaks
	// for it; the other is refused with 403 and an audit row.
	ldap := func(scanID string) string {
		return fmt.Sprintf(`{"kind":"principal","source":"ldap","scan_id":%q,"observed_at":%q,"host":"dc1.corp:636","principal_id":"sid-500","name":"Administrator","principal_type":"user","privileged":true}`,
			scanID, now.Format(time.RFC3339))
	}
	status, body = s.ingestAs(tokA, "a2", ldap("ldap-a"))
	require.Equal(t, 200, status, body)
	status, body = s.ingestAs(tokB, "b4", ldap("ldap-b"))
	require.Equal(t, 403, status, body)
	require.Contains(t, body, "is the authority for ldap source")

	var audit struct {
		Items []struct {
			Route  string `json:"route"`
			Status int    `json:"status"`
			Result string `json:"result"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/audit?limit=100", &audit))
	refused := 0
	for _, e := range audit.Items {
		if e.Route == "/api/v1/ingest" && e.Status == 403 && strings.HasPrefix(e.Result, "refused") {
			refused++
		}
	}
	require.Equal(t, 2, refused, "both refusals are audited")

	// An admin moves the authority; then the second agent may report it.
	var auths struct {
		Items []struct {
			Source, Scope string
			AgentID       string `json:"agent_id"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/authorities", &auths))
	var shared []string
	for _, a := range auths.Items {
		if a.Source == "host" {
			require.Equal(t, map[string]string{"db-1": idA, "web-2": idB}[a.Scope], a.AgentID, "each host name is its own agent's")
			continue
		}
		shared = append(shared, a.Source+"/"+a.Scope)
	}
	require.Equal(t, []string{"ldap/dc1.corp:636"}, shared)
	status, body = s.do("PUT", "/api/v1/authorities/ldap/dc1.corp:636", s.admin, `{"agent_id":"`+idB+`"}`)
	require.Equal(t, 200, status, body)
	status, body = s.ingestAs(tokB, "b5", ldap("ldap-b2"))
	require.Equal(t, 200, status, body)

	// Two agents enrolled with one host name are two systems: the fleet
	// view shows the conflict.
	idC, _ := s.enrollAs("db-1")
	var fleet struct {
		Items []struct {
			AgentID  string   `json:"agent_id"`
			Hostname string   `json:"hostname"`
			Conflict bool     `json:"hostname_conflict"`
			Same     []string `json:"same_hostname_agents"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/agents", &fleet))
	conflicts := 0
	for _, a := range fleet.Items {
		if a.Hostname == "db-1" {
			require.True(t, a.Conflict)
			require.Len(t, a.Same, 1)
			conflicts++
		} else {
			require.False(t, a.Conflict)
		}
	}
	require.Equal(t, 2, conflicts)
	_ = idC
}
