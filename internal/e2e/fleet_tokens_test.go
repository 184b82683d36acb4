package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fleetAgent is an agent as GET /api/v1/agents shows it.
type fleetAgent struct {
	AgentID  string `json:"agent_id"`
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Version  string `json:"version"`
	Stale    bool   `json:"stale"`
	LastSeen string `json:"last_seen"`
	Scans    []struct {
		Scanner    string           `json:"scanner"`
		Source     string           `json:"source"`
		ScanID     string           `json:"scan_id"`
		Status     string           `json:"status"`
		StartedAt  string           `json:"started_at"`
		FinishedAt string           `json:"finished_at"`
		Stats      map[string]int64 `json:"stats"`
		ErrorCount int              `json:"error_count"`
		Errors     []string         `json:"errors"`
	} `json:"scans"`
}

// restartWith stops the stack's collector and starts it again with extra
// config keys.
func (s *stack) restartWith(extra string) {
	s.t.Helper()
	require.NoError(s.t, s.coll.cmd.Process.Signal(syscall.SIGTERM))
	<-s.coll.done
	f, err := os.OpenFile(s.config, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(s.t, err)
	_, err = f.WriteString(extra)
	require.NoError(s.t, err)
	require.NoError(s.t, f.Close())
	s.startCollector()
}

// ingestAs posts one gzip NDJSON batch with an agent token.
func (s *stack) ingestAs(token, key string, lines ...string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/ingest", bytes.NewReader(gzipLines(s.t, lines...)))
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Idempotency-Key", key)
	resp, err := s.client.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func scanJSON(scanID, scanner, status string, fin time.Time, errs ...string) string {
	rec := map[string]any{"kind": "scan", "source": scanner, "scan_id": scanID, "observed_at": fin.Format(time.RFC3339),
		"scanner": scanner, "started_at": fin.Add(-time.Minute).Format(time.RFC3339), "finished_at": fin.Format(time.RFC3339),
		"status": status, "stats": map[string]int{"files": 4, "errors": len(errs)}}
	if len(errs) > 0 {
		rec["errors"] = errs
	}
	b, _ := json.Marshal(rec)
	return string(b)
}

// TestFleetAndTokens: the fleet view shows each agent's latest scan per
// scanner (with the errors of a failed one) and goes stale after the
// configured threshold; admins manage tokens over the API (created once,
// listed without secrets, revoked at once), non-admins cannot, a revoked
// agent token cannot ingest, and every token call is audited.
func TestFleetAndTokens(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	const staleAfter = 3 * time.Second
	s.restartWith(fmt.Sprintf("agent_stale_after: %s\n", staleAfter))

	status, body := s.do("POST", "/api/v1/agents/enroll", "",
		`{"enroll_secret":"`+s.enroll+`","hostname":"fleet-1","os":"linux","version":"9.9.9"}`)
	require.Equal(t, 201, status, body)
	var en struct {
		AgentID string `json:"agent_id"`
		Token   string `json:"token"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &en))

	now := time.Now().UTC().Truncate(time.Second)
	errs := []string{"open /srv/a: permission denied", "open /srv/b: permission denied", "read /srv/c: i/o error",
		"open /srv/d: permission denied", "open /srv/e: permission denied", "open /srv/f: permission denied", "open /srv/g: permission denied"}
	hostScan := "host-" + randomHex(4)
	status, body = s.ingestAs(en.Token, "b1",
		scanJSON("fs-old", "fs", "ok", now.Add(-2*time.Hour)),
		scanJSON("fs-new", "fs", "failed", now.Add(-time.Minute), errs...),
		// A privileged grant for the review below, from an ok host scan.
		`{"kind":"principal","source":"host","scan_id":"`+hostScan+`","observed_at":"`+now.Format(time.RFC3339)+`","principal_id":"u1@fleet-1","name":"deploy","principal_type":"user","privileged":true}`,
		`{"kind":"entitlement","source":"host","scan_id":"`+hostScan+`","observed_at":"`+now.Format(time.RFC3339)+`","principal_id":"u1@fleet-1","resource_id":"host://fleet-1","resource_type":"host","permission":"sudo","privileged":true}`,
		scanJSON(hostScan, "host", "ok", now),
	)
	require.Equal(t, 200, status, body)

	agents := func(query string) []fleetAgent {
		t.Helper()
		var out struct {
			Items []fleetAgent `json:"items"`
		}
		require.Equal(t, 200, s.get("/api/v1/agents"+query, &out))
		return out.Items
	}
	list := agents("")
	require.Len(t, list, 1)
	a := list[0]
	require.Equal(t, en.AgentID, a.AgentID)
	require.Equal(t, "fleet-1", a.Hostname)
	require.Equal(t, "linux", a.OS)
	require.Equal(t, "9.9.9", a.Version)
	require.False(t, a.Stale)
	require.Len(t, a.Scans, 2, "one latest scan per scanner")
	fs, host := a.Scans[0], a.Scans[1]
	require.Equal(t, "fs", fs.Scanner)
	require.Equal(t, "fs-new", fs.ScanID, "the latest fs scan, not the older ok one")
	require.Equal(t, "failed", fs.Status)
	require.Equal(t, 7, fs.ErrorCount)
	require.Equal(t, errs[:5], fs.Errors, "the first few messages")
	require.Equal(t, int64(4), fs.Stats["files"])
	require.Equal(t, now.Add(-time.Minute).Format(time.RFC3339), fs.FinishedAt)
	require.Equal(t, "host", host.Scanner)
	require.Equal(t, "ok", host.Status)
	require.Empty(t, host.Errors)

	require.Len(t, agents("?status=failed"), 1)
	require.Empty(t, agents("?status=partial"))
	require.Len(t, agents("?stale=false"), 1)
	var one fleetAgent
	require.Equal(t, 200, s.get("/api/v1/agents/"+en.AgentID, &one))
	require.Equal(t, a, one)
	require.Equal(t, 404, s.get("/api/v1/agents/no-such-agent", nil))
	require.Equal(t, 400, s.get("/api/v1/agents?stale=maybe", nil))
	require.Equal(t, 400, s.get("/api/v1/agents?status=broken", nil))

	// Silent for longer than the threshold: stale. A batch brings it back.
	require.Eventually(t, func() bool { return len(agents("?stale=true")) == 1 }, 5*staleAfter, 200*time.Millisecond)
	status, body = s.ingestAs(en.Token, "b2", scanJSON("fs-newest", "fs", "ok", time.Now().UTC()))
	require.Equal(t, 200, status, body)
	list = agents("?stale=false")
	require.Len(t, list, 1)
	require.Equal(t, "fs-newest", list[0].Scans[0].ScanID)
	require.Empty(t, agents("?status=failed"), "the failed scan is no longer the latest")

	// Tokens: an admin creates a reviewer token; it is shown once.
	status, body = s.do("POST", "/api/v1/tokens", s.admin, `{"role":"reviewer","name":"rev-e2e","ttl":"1h"}`)
	require.Equal(t, 201, status, body)
	var created struct {
		ID    string `json:"id"`
		Token string `json:"token"`
		Role  string `json:"role"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &created))
	require.True(t, strings.HasPrefix(created.Token, "slt_reviewer_"))
	require.Len(t, created.ID, 12)
	status, body = s.do("POST", "/api/v1/tokens", s.admin, `{"role":"reviewer","name":"rev-e2e"}`)
	require.Equal(t, 409, status, body)

	// It works: its holder reviews the campaign assigned to its name.
	status, body = s.do("POST", "/api/v1/reviews", s.admin, `{"name":"fleet q","scope":{"privileged_only":true},"reviewer":"rev-e2e"}`)
	require.Equal(t, 201, status, body)
	var camp struct {
		ID    string `json:"campaign_id"`
		Items int    `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &camp))
	require.Equal(t, 1, camp.Items)
	itemsPath := "/api/v1/reviews/" + camp.ID + "/items"
	status, body = s.do("GET", itemsPath, created.Token, "")
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"reviewer":"rev-e2e"`)

	// The listing names every token, agent tokens too, with no secret.
	status, body = s.do("GET", "/api/v1/tokens", s.admin, "")
	require.Equal(t, 200, status, body)
	for _, secret := range []string{created.Token, s.admin, s.enroll, en.Token} {
		require.NotContains(t, body, secret)
		require.NotContains(t, body, sha256Hex(secret), "nor a full hash")
	}
	var toks struct {
		Items []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Role    string `json:"role"`
			AgentID string `json:"agent_id"`
			Revoked bool   `json:"revoked"`
			Live    bool   `json:"live"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &toks))
	require.Len(t, toks.Items, 4, "admin, enroll secret, agent, reviewer")
	agentTokenID := ""
	for _, tk := range toks.Items {
		if tk.AgentID == en.AgentID {
			agentTokenID = tk.ID
			require.Equal(t, "agent", tk.Role)
		}
		if tk.Name == "rev-e2e" {
			require.Equal(t, created.ID, tk.ID)
			require.True(t, tk.Live)
		}
	}
	require.Equal(t, sha256Hex(en.Token)[:12], agentTokenID, "the id is the hash prefix the audit log uses")

	// Revoked: refused at once by this collector.
	status, body = s.do("DELETE", "/api/v1/tokens/"+created.ID, s.admin, "")
	require.Equal(t, 200, status, body)
	status, _ = s.do("GET", itemsPath, created.Token, "")
	require.Equal(t, 401, status)
	status, _ = s.do("DELETE", "/api/v1/tokens/0000000000ff", s.admin, "")
	require.Equal(t, 404, status)

	// Only admins manage tokens.
	status, body = s.do("POST", "/api/v1/tokens", s.admin, `{"role":"security","name":"soc-e2e"}`)
	require.Equal(t, 201, status, body)
	var soc struct {
		Token string `json:"token"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &soc))
	status, _ = s.do("GET", "/api/v1/tokens", soc.Token, "")
	require.Equal(t, 403, status)
	status, _ = s.do("POST", "/api/v1/tokens", soc.Token, `{"role":"admin","name":"escalate"}`)
	require.Equal(t, 403, status)
	status, _ = s.do("GET", "/api/v1/agents", soc.Token, "")
	require.Equal(t, 200, status, "security reads the fleet")

	// A revoked agent token cannot ingest.
	status, body = s.do("DELETE", "/api/v1/tokens/"+agentTokenID, s.admin, "")
	require.Equal(t, 200, status, body)
	status, body = s.ingestAs(en.Token, "b3", scanJSON("fs-after", "fs", "ok", time.Now().UTC()))
	require.Equal(t, 401, status, body)

	// The command line lists and revokes too.
	cliTok := s.run("token", "create", "--role", "security", "--name", "cli-e2e", "--config", s.config)
	cliID := sha256Hex(cliTok)[:12]
	out := s.run("token", "list", "--config", s.config)
	require.Contains(t, out, cliID)
	require.NotContains(t, out, cliTok)
	require.Regexp(t, created.ID+`\s+reviewer\s+rev-e2e\s.*revoked`, out)
	require.Contains(t, s.run("token", "revoke", cliID, "--config", s.config), "revoked "+cliID)
	status, _ = s.do("GET", "/api/v1/agents", cliTok, "")
	require.Equal(t, 401, status, "revoked before this collector ever cached it")

	// Every token call is in the audit log, with who made it.
	var audit struct {
		Items []struct {
			TokenRole string `json:"token_role"`
			TokenID   string `json:"token_id"`
			Method    string `json:"method"`
			Route     string `json:"route"`
			Params    string `json:"params"`
			Status    int    `json:"status"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/audit?limit=1000", &audit))
	calls := map[string]int{}
	for _, e := range audit.Items {
		if strings.HasPrefix(e.Route, "/api/v1/tokens") {
			calls[fmt.Sprintf("%s %s %s %d", e.TokenRole, e.Method, e.Route, e.Status)]++
		}
		if e.Method == "DELETE" && e.Status == 200 {
			require.Contains(t, []string{"id=" + created.ID, "id=" + agentTokenID}, e.Params)
			require.Equal(t, sha256Hex(s.admin)[:12], e.TokenID)
		}
	}
	require.Equal(t, map[string]int{
		"admin POST /api/v1/tokens 201":       2,
		"admin POST /api/v1/tokens 409":       1,
		"admin GET /api/v1/tokens 200":        1,
		"admin DELETE /api/v1/tokens/:id 200": 2,
		"admin DELETE /api/v1/tokens/:id 404": 1,
		"security GET /api/v1/tokens 403":     1,
		"security POST /api/v1/tokens 403":    1,
	}, calls)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
