package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPIAFlaggedByRescan: a real agent scans a directory holding e-mail
// addresses; a DPO writes the host's record of processing, opens a PIA
// over the host's files prefilled from that scan and rates it, and the
// rating shows in the risk register. A social security number then lands
// in a new file and a scan-now command makes the agent scan again: the
// PIA is flagged needs_review for the new category, in the register too.
func TestPIAFlaggedByRescan(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	privacy := s.run("token", "create", "--role", "privacy", "--name", "dpo", "--config", s.config)
	root := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		require.NoError(t, os.Chmod(p, 0o600))
	}
	write("crm/a.csv", "name,email\nAnn,ann.smith@example.com\nBob,bob@example.org\n")
	a := s.newAgent([]string{root}, "policy:\n  poll_interval: 1s\n")
	s.runAgent(a)
	s.waitIndexed(1)

	call := func(method, path, body string, want int, out any) {
		t.Helper()
		status, answer := s.do(method, path, privacy, body)
		require.Equal(t, want, status, "%s %s: %s", method, path, answer)
		if out != nil {
			require.NoError(t, json.Unmarshal([]byte(answer), out), answer)
		}
	}
	var recs struct {
		Items []struct {
			System        string `json:"system"`
			MissingRecord bool   `json:"missing_record"`
		} `json:"items"`
	}
	call("GET", "/api/v1/records", "", 200, &recs)
	require.Len(t, recs.Items, 1)
	system := recs.Items[0].System
	require.Regexp(t, `^fs:.+`, system)
	require.True(t, recs.Items[0].MissingRecord)
	call("PUT", "/api/v1/records/"+system, `{"purpose":"customer relations","legal_basis":"contract"}`, 200, nil)
	call("GET", "/api/v1/records", "", 200, &recs)
	require.False(t, recs.Items[0].MissingRecord)

	type piaBody struct {
		ID          string   `json:"id"`
		Rating      string   `json:"rating"`
		Score       int      `json:"score"`
		NeedsReview bool     `json:"needs_review"`
		Reasons     []string `json:"review_reasons"`
		Facts       []struct {
			Categories []string `json:"categories"`
		} `json:"facts"`
	}
	var p piaBody
	call("POST", "/api/v1/pias", fmt.Sprintf(`{"title":"CRM","systems":[%q]}`, system), 201, &p)
	require.Equal(t, []string{"contact"}, p.Facts[0].Categories)
	call("PUT", "/api/v1/pias/"+p.ID, `{"likelihood":"probable","severity":"significant"}`, 200, &p)
	require.Equal(t, "high", p.Rating)
	type register struct {
		Items []struct {
			Kind    string `json:"kind"`
			ID      string `json:"id"`
			Score   int    `json:"score"`
			Link    string `json:"link"`
			Factors []struct {
				Factor string `json:"factor"`
			} `json:"factors"`
		} `json:"items"`
	}
	var reg register
	require.Equal(t, 200, s.get("/api/v1/risk/register?kind=pia", &reg))
	require.Len(t, reg.Items, 1)
	require.Equal(t, p.ID, reg.Items[0].ID)
	require.Equal(t, 67, reg.Items[0].Score)
	require.Equal(t, "/api/v1/pias/"+p.ID, reg.Items[0].Link)

	// The rescan finds a social security number in a new file.
	write("hr/notes.txt", "Employee SSN: 123-45-6780\n")
	status, body := s.post("/api/v1/commands/scan", fmt.Sprintf(`{"agent_id":%q,"scanner":"fs"}`, readCreds(t, a).AgentID))
	require.Equal(t, 201, status, body)
	s.waitIndexed(2)
	require.Eventually(t, func() bool {
		call("GET", "/api/v1/pias/"+p.ID, "", 200, &p)
		return p.NeedsReview
	}, 30*time.Second, 200*time.Millisecond, "the rescan never flagged the PIA")
	require.Equal(t, []string{system + ": new category government_id"}, p.Reasons)
	require.Equal(t, "high", p.Rating)
	require.Equal(t, 200, s.get("/api/v1/risk/register?kind=pia", &reg))
	require.Len(t, reg.Items, 1)
	require.Len(t, reg.Items[0].Factors, 2)
	require.Equal(t, "needs review: "+system+": new category government_id", reg.Items[0].Factors[1].Factor)
}
