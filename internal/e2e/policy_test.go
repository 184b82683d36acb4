package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// labeledAgent enrolls an agent with labels; its agent.yaml enables no
// scanner (extra may add settings), polls its policy every second.
func (s *stack) labeledAgent(name string, labels []string, extra string) (agent, string) {
	s.t.Helper()
	dir := filepath.Join(s.dir, "agent-"+name)
	require.NoError(s.t, os.MkdirAll(dir, 0o700))
	a := agent{dir: dir, config: filepath.Join(dir, "agent.yaml")}
	cfg := fmt.Sprintf("collector: %s\nca_file: %s\ndata_dir: %s\nship:\n  min_backoff: 50ms\n  max_backoff: 1s\npolicy:\n  poll_interval: 1s\n%s",
		s.url, s.caFile, dir, extra)
	require.NoError(s.t, os.WriteFile(a.config, []byte(cfg), 0o600))
	// Each is its own host (one agent speaks for a host name's files).
	args := []string{"enroll", "--config", a.config, "--hostname", "e2e-" + name}
	for _, l := range labels {
		args = append(args, "--label", l)
	}
	var errb bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "sightline-agent"), args...)
	cmd.Env = append(os.Environ(), "SIGHTLINE_ENROLL_SECRET="+s.enroll)
	cmd.Stderr = &errb
	require.NoError(s.t, cmd.Run(), "enroll: %s", errb.String())
	raw, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
	require.NoError(s.t, err)
	var creds struct {
		AgentID string `json:"agent_id"`
	}
	require.NoError(s.t, json.Unmarshal(raw, &creds))
	return a, creds.AgentID
}

// policyAgent is the part of the fleet view these tests read.
type policyAgent struct {
	AgentID string            `json:"agent_id"`
	Labels  map[string]string `json:"labels"`
	Policy  *struct {
		Revisions      string     `json:"revisions"`
		AppliedAt      *time.Time `json:"applied_at"`
		RejectedReason string     `json:"rejected_reason"`
		Conflicts      []string   `json:"conflicts"`
	} `json:"policy"`
	Commands []struct {
		CommandID string `json:"command_id"`
		Status    string `json:"status"`
		ScanID    string `json:"scan_id"`
	} `json:"commands"`
	Scans []struct {
		Scanner string `json:"scanner"`
		ScanID  string `json:"scan_id"`
	} `json:"scans"`
}

// locations lists the distinct finding locations an agent shipped.
func (s *stack) locations(agentID string) []string {
	var page findingsPage
	require.Equal(s.t, 200, s.get("/api/v1/findings?limit=1000&agent_id="+url.QueryEscape(agentID), &page))
	seen := map[string]bool{}
	var out []string
	for _, f := range page.Items {
		if !seen[f.Location] {
			seen[f.Location] = true
			out = append(out, f.Location)
		}
	}
	return out
}

func underAll(locs []string, dir string) bool {
	for _, l := range locs {
		if !strings.HasPrefix(l, "file://"+dir+"/") {
			return false
		}
	}
	return len(locs) > 0
}

// TestFleetPolicies: policies created over the API reach running agents
// by their labels (each scans what its policy says), a dry run names
// exactly the agents a change reaches, an invalid policy is refused with
// the field named, "scan now" runs and shows in the fleet view, and an
// agent that pins a setting keeps it and reports the conflict.
func TestFleetPolicies(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	data := t.TempDir()
	dirs := map[string]string{}
	for _, n := range []string{"web", "db", "local"} {
		d := filepath.Join(data, n)
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, n+".csv"),
			[]byte("name,email\nAlice,alice."+n+"@example.com\nBob,bob."+n+"@example.org\n"), 0o644))
		dirs[n] = d
	}
	web, webID := s.labeledAgent("web", []string{"role=web", "env=prod"}, "")
	db, dbID := s.labeledAgent("db", []string{"role=db", "env=prod"}, "")
	// The pinned agent is a web host whose agent.yaml keeps its own paths.
	pin, pinID := s.labeledAgent("pin", []string{"role=web"},
		fmt.Sprintf("pinned: [scans.fs.paths]\nscans:\n  fs:\n    paths: [%q]\n", dirs["local"]))
	// This db host pins its (empty) paths: the db policy enables fs with
	// no paths left, which the agent refuses, keeping what it ran.
	rej, rejID := s.labeledAgent("rej", []string{"role=db"}, "pinned: [scans.fs.paths]\n")
	for _, a := range []agent{web, db, pin, rej} {
		s.runAgent(a)
	}

	// An invalid policy is refused, naming the field.
	status, body := s.post("/api/v1/policies", `{"id":"bad","settings":{"fs":{"enabled":true,"paths":"/srv"}}}`)
	require.Equal(t, 400, status, body)
	require.Contains(t, body, "scans.fs.paths")
	status, body = s.post("/api/v1/policies", `{"id":"bad","settings":{"fs":{"enabled":true}}}`)
	require.Equal(t, 400, status, body)
	require.Contains(t, body, "scans.fs.paths")
	status, body = s.post("/api/v1/policies", `{"id":"bad","settings":{"fs":{"intervall":"1h"}}}`)
	require.Equal(t, 400, status, body)
	require.Contains(t, body, "scans.fs.intervall")

	// A dry run of the web policy names exactly the two web agents.
	webPolicy := fmt.Sprintf(`{"id":"web","selector":{"role":"web"},"priority":10,"settings":{"fs":{"enabled":true,"paths":[%q],"interval":"1h"}}}`, dirs["web"])
	status, body = s.post("/api/v1/policies/dry-run", `{"policy":`+webPolicy+`}`)
	require.Equal(t, 200, status, body)
	var dry struct {
		DryRun bool `json:"dry_run"`
		Agents []struct {
			AgentID string `json:"agent_id"`
			Changes []struct {
				Field string `json:"field"`
			} `json:"changes"`
		} `json:"agents"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &dry))
	var reached []string
	for _, a := range dry.Agents {
		reached = append(reached, a.AgentID)
		require.NotEmpty(t, a.Changes)
	}
	require.ElementsMatch(t, []string{webID, pinID}, reached)
	status, body = s.post("/api/v1/policies?dry_run=1", fmt.Sprintf(`{"id":"db","selector":{"role":"db"},"settings":{"fs":{"enabled":true,"paths":[%q]}}}`, dirs["db"]))
	require.Equal(t, 200, status, body)
	require.Contains(t, body, dbID)
	require.Contains(t, body, rejID)
	require.NotContains(t, body, webID)
	var none []any
	require.Equal(t, 200, s.get("/api/v1/policies", &struct {
		Items *[]any `json:"items"`
	}{&none}))
	require.Empty(t, none, "a dry run stores nothing")

	// The policies, created for real, reach the running agents.
	status, body = s.post("/api/v1/policies", webPolicy)
	require.Equal(t, 201, status, body)
	status, body = s.post("/api/v1/policies", fmt.Sprintf(`{"id":"db","selector":{"role":"db"},"priority":10,"settings":{"fs":{"enabled":true,"paths":[%q],"interval":"1h"}}}`, dirs["db"]))
	require.Equal(t, 201, status, body)

	require.Eventually(t, func() bool { return underAll(s.locations(webID), dirs["web"]) }, 60*time.Second, 200*time.Millisecond,
		"the web agent scans the web policy's paths: %v", s.locations(webID))
	require.Eventually(t, func() bool { return underAll(s.locations(dbID), dirs["db"]) }, 60*time.Second, 200*time.Millisecond,
		"the db agent scans the db policy's paths: %v", s.locations(dbID))
	// The pinned agent applies the policy (fs enabled) but keeps its paths.
	require.Eventually(t, func() bool { return underAll(s.locations(pinID), dirs["local"]) }, 60*time.Second, 200*time.Millisecond,
		"the pinned agent keeps its local paths: %v", s.locations(pinID))
	require.True(t, underAll(s.locations(webID), dirs["web"]))
	require.True(t, underAll(s.locations(dbID), dirs["db"]))

	agentView := func(id string) policyAgent {
		var a policyAgent
		require.Equal(t, 200, s.get("/api/v1/agents/"+id, &a))
		return a
	}
	require.Eventually(t, func() bool {
		a := agentView(pinID)
		return a.Policy != nil && len(a.Policy.Conflicts) > 0
	}, 30*time.Second, 200*time.Millisecond)
	p := agentView(pinID)
	require.Equal(t, []string{"scans.fs.paths"}, p.Policy.Conflicts)
	require.Equal(t, "web@1", p.Policy.Revisions)
	w := agentView(webID)
	require.NotNil(t, w.Policy)
	require.Equal(t, "web@1", w.Policy.Revisions)
	require.NotNil(t, w.Policy.AppliedAt)
	require.Empty(t, w.Policy.Conflicts)
	require.Equal(t, map[string]string{"role": "web", "env": "prod"}, w.Labels)

	require.Eventually(t, func() bool {
		a := agentView(rejID)
		return a.Policy != nil && a.Policy.RejectedReason != ""
	}, 30*time.Second, 200*time.Millisecond, "the refusal shows in the fleet view")
	r := agentView(rejID)
	require.Contains(t, r.Policy.RejectedReason, "scans.fs.paths")
	require.Empty(t, r.Policy.Revisions, "it still runs its agent.yaml alone")
	require.Empty(t, s.locations(rejID))

	// Scan now, for the db agent's fs scanner: it runs although its
	// interval (1h) is not due, and its scan id shows in the fleet view.
	require.Eventually(t, func() bool { return len(agentView(dbID).Scans) > 0 }, 30*time.Second, 200*time.Millisecond)
	first := agentView(dbID).Scans[0].ScanID
	status, body = s.post("/api/v1/commands/scan", fmt.Sprintf(`{"agent_id":%q,"scanner":"fs"}`, dbID))
	require.Equal(t, 201, status, body)
	var cmds struct {
		Items []struct {
			CommandID string `json:"command_id"`
			Status    string `json:"status"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &cmds))
	require.Len(t, cmds.Items, 1)
	require.Equal(t, "pending", cmds.Items[0].Status)
	var done policyAgent
	require.Eventually(t, func() bool {
		done = agentView(dbID)
		return len(done.Commands) > 0 && done.Commands[0].Status == "done"
	}, 60*time.Second, 200*time.Millisecond, "the scan-now command completes")
	require.Equal(t, cmds.Items[0].CommandID, done.Commands[0].CommandID)
	require.NotEmpty(t, done.Commands[0].ScanID)
	require.NotEqual(t, first, done.Commands[0].ScanID, "a new scan ran")
	require.Eventually(t, func() bool {
		for _, sc := range agentView(dbID).Scans {
			if sc.ScanID == done.Commands[0].ScanID {
				return true
			}
		}
		return false
	}, 30*time.Second, 200*time.Millisecond, "the command's scan arrives")

	// A label selector reaches the web agents; an unknown scanner is refused.
	status, body = s.post("/api/v1/commands/scan", `{"selector":{"role":"web"},"scanner":"fs"}`)
	require.Equal(t, 201, status, body)
	require.Contains(t, body, webID)
	require.Contains(t, body, pinID)
	require.NotContains(t, body, dbID)
	status, body = s.post("/api/v1/commands/scan", fmt.Sprintf(`{"agent_id":%q,"scanner":"nfs"}`, dbID))
	require.Equal(t, 400, status, body)
	require.Contains(t, body, "scanner")
}
