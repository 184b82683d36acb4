package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts/alertstest"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// TestWorkflowAlerts: the collector binary with workflow alert rules, a
// webhook receiver verifying every signature, a real SMTP server, and a
// webhook that is down. A directory scan ingested through the API shows a
// privileged account (privileged_account fires once); a review campaign
// over it leaves its reviewer's items open, and review_reminder reminds
// the reviewer once per period (older_than 1s, every 3s) while the
// collector polls every 100ms; a PIA rated over a real agent's scan is
// flagged by a rescan adding a category, and pia_review fires once. The
// endpoint that is down gets retries, and the delivery log says so. No
// event carries a value the agent found or a principal's name.
func TestWorkflowAlerts(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	hook, hookURL := alertstest.StartHook(t, "wf-hook-secret")
	mail, mailAddr := alertstest.StartMailbox(t)
	down, err := net.Listen("tcp", "127.0.0.1:0") // a port nothing listens on
	require.NoError(t, err)
	downAddr := down.Addr().String()
	require.NoError(t, down.Close())
	secret := filepath.Join(s.dir, "wf-hook.secret")
	require.NoError(t, os.WriteFile(secret, []byte("wf-hook-secret\n"), 0o600))
	s.restartWith(fmt.Sprintf(`alerts:
  poll: 100ms
  retry: {max_attempts: 100, base: 100ms, cap: 300ms}
  rules:
    - {name: remind, kind: review_reminder, older_than: 1s, every: 3s, destinations: [hook, mail]}
    - {name: admins, kind: privileged_account, destinations: [hook, mail, down]}
    - {name: pia, kind: pia_review, destinations: [hook, mail]}
  destinations:
    - {name: hook, type: webhook, url: %q, secret_file: %s}
    - {name: down, type: webhook, url: "http://%s/sightline", secret_file: %s}
    - {name: mail, type: smtp, addr: %q, from: sightline@corp.test, to: [secops@corp.test]}
`, hookURL, secret, downAddr, secret, mailAddr))
	var rules struct {
		Items []struct {
			Name   string `json:"name"`
			Active bool   `json:"active"`
			Every  string `json:"every"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/alerts/rules", &rules))
	require.Len(t, rules.Items, 3)
	for _, r := range rules.Items {
		require.True(t, r.Active, r.Name)
		if r.Name == "remind" {
			require.Equal(t, "3s", r.Every)
		}
	}

	// A real agent scans a file with e-mail addresses; the DPO rates a
	// PIA over the host's files.
	privacy := s.run("token", "create", "--role", "privacy", "--name", "dpo", "--config", s.config)
	root := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	write("crm/a.csv", "name,email\nAnn,ann.smith@example.com\nBob,bob@example.org\n")
	fsAgent := s.newAgent([]string{root}, "policy:\n  poll_interval: 1s\n")
	s.runAgent(fsAgent)
	s.waitIndexed(1)
	var recs struct {
		Items []struct {
			System string `json:"system"`
		} `json:"items"`
	}
	status, body := s.do("GET", "/api/v1/records", privacy, "")
	require.Equal(t, 200, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &recs))
	require.Len(t, recs.Items, 1)
	system := recs.Items[0].System
	var p struct {
		ID string `json:"id"`
	}
	status, body = s.do("POST", "/api/v1/pias", privacy, fmt.Sprintf(`{"title":"CRM","systems":[%q]}`, system))
	require.Equal(t, 201, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	status, body = s.do("PUT", "/api/v1/pias/"+p.ID, privacy, `{"likelihood":"probable","severity":"significant"}`)
	require.Equal(t, 200, status, body)

	// A directory scan through the ingest API: ann (a domain admin) and
	// ben, both members of ops.
	creds := readCreds(t, s.newAgent([]string{t.TempDir()}, ""))
	const server = "ldap.corp.test"
	id := func(rdn string) string { return wire.StableID(wire.SourceLDAP, server, rdn+",dc=corp,dc=test") }
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceLDAP, ScanID: "dir-1", ObservedAt: start, Host: server}
	}
	yes := true
	var lines []string
	var dirRecs []wire.Record
	for _, uid := range []string{"ann", "ben"} {
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType, r.Enabled = id("uid="+uid), uid, "user", &yes
		r.Attributes = map[string]string{"dn": "uid=" + uid + ",dc=corp,dc=test"}
		if uid == "ann" {
			r.Privileged, r.PrivilegedVia = true, []string{"Domain Admins"}
		}
		e := env(wire.KindEntitlement)
		e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = id("uid="+uid), id("cn=ops"), "group", "member"
		dirRecs = append(dirRecs, r, e)
	}
	fin := start.Add(time.Second)
	sc := env(wire.KindScan)
	sc.ObservedAt, sc.Scanner, sc.StartedAt, sc.FinishedAt, sc.Status = fin, "ldap", &start, &fin, wire.StatusOK
	dirRecs = append(dirRecs, sc)
	for i := range dirRecs {
		wiretest.RequireValid(t, &dirRecs[i])
		b, err := json.Marshal(dirRecs[i])
		require.NoError(t, err)
		lines = append(lines, string(b))
	}
	status, body = s.ingestAs(creds.Token, "dir-1", lines...)
	require.Equal(t, 2, status/100, "ingest: %d %s", status, body)

	// A campaign over the directory: secops has two open items.
	status, body = s.do("POST", "/api/v1/reviews", s.admin, `{"name":"ops members","scope":{"source":"ldap"},"reviewer":"secops"}`)
	require.Equal(t, 201, status, body)
	var camp struct {
		ID string `json:"campaign_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &camp))
	require.NotEmpty(t, camp.ID, body)

	// Reminders: the first two periods' arrive, each once, however many
	// polls (100ms) each period (3s) holds.
	require.Eventually(t, func() bool { return len(hook.ByRule()["remind"]) >= 2 }, 30*time.Second, 100*time.Millisecond,
		"the webhook did not get two reminders")
	// The rescan adds a social security number: the PIA needs review.
	write("hr/notes.txt", "Employee SSN: 123-45-6780\n")
	status, body = s.post("/api/v1/commands/scan", fmt.Sprintf(`{"agent_id":%q,"scanner":"fs"}`, readCreds(t, fsAgent).AgentID))
	require.Equal(t, 201, status, body)
	require.Eventually(t, func() bool {
		got := hook.ByRule()
		return len(got["admins"]) == 1 && len(got["pia"]) == 1
	}, 30*time.Second, 100*time.Millisecond, "the webhook did not get the admins and pia events")

	got := hook.ByRule()
	require.Empty(t, hook.Refused())
	require.Equal(t, id("uid=ann"), got["admins"][0].Subject)
	require.Equal(t, "an***", got["admins"][0].Facts.AccountMasked)
	require.Equal(t, p.ID, got["pia"][0].Facts.PIA)
	require.Equal(t, []string{system + ": new category government_id"}, got["pia"][0].Facts.ReviewReasons)
	// Reminders: one per period, numbered from the first, for secops's
	// two open items in the campaign.
	var periods []int
	seen := map[string]bool{}
	for _, e := range got["remind"] {
		require.False(t, seen[e.Subject], "reminder %s arrived twice", e.Subject)
		seen[e.Subject] = true
		require.Equal(t, "secops", e.Facts.Reviewer)
		require.Equal(t, camp.ID, e.Facts.CampaignID)
		require.Equal(t, uint64(2), e.Facts.OpenItems)
		n, err := strconv.Atoi(e.Subject[strings.LastIndex(e.Subject, "/")+1:])
		require.NoError(t, err)
		require.Equal(t, n+1, e.Facts.Reminder)
		periods = append(periods, n)
	}
	sort.Ints(periods)
	for i, n := range periods {
		require.Equal(t, i, n, "reminder periods %v are not 0, 1, 2, …", periods)
	}
	for _, evs := range got {
		for _, e := range evs {
			b, err := json.Marshal(e)
			require.NoError(t, err)
			for _, raw := range []string{"ann.smith", "example.com", "123-45", `"ann"`, `"ben"`} {
				require.NotContains(t, string(b), raw, "event %s", e.ID)
			}
		}
	}
	// The same events by e-mail.
	require.Eventually(t, func() bool {
		txt := mail.Text()
		return strings.Contains(txt, "Review reminder: secops has 2 open item(s)") && strings.Contains(txt, "Privileged user account an***") &&
			strings.Contains(txt, "PIA "+p.ID+" needs review")
	}, 30*time.Second, 100*time.Millisecond, "the mailbox did not get the events:\n%s", mail.Text())

	// The endpoint that is down: retried, with the error, in the log.
	var log struct {
		Items []struct {
			Destination string `json:"destination"`
			Status      string `json:"status"`
			Attempt     int    `json:"attempt"`
			Error       string `json:"error"`
		} `json:"items"`
	}
	require.Eventually(t, func() bool {
		require.Equal(t, 200, s.get("/api/v1/alerts/deliveries?event_id="+got["admins"][0].ID, &log))
		retries := 0
		for _, d := range log.Items {
			if d.Destination == "down" && d.Status == "retrying" && strings.Contains(d.Error, "connection refused") {
				retries++
			}
		}
		return retries >= 2
	}, 30*time.Second, 100*time.Millisecond, "the delivery log shows no retries to the endpoint that is down: %+v", log.Items)
}
