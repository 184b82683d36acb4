package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestAlertsFromAScan: the real collector with an alerts section, a real
// agent scanning the fixture (world-readable files with personal data)
// plus an .env file holding an AWS key: each rule fires once per subject
// into a webhook receiver that verifies every signature, a data-subject
// request opened through the API fires its deadline rule, and a second
// scan of the same files fires nothing more. No event and no log line
// carries a value the agent found.
func TestAlertsFromAScan(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := writeFixture(t)
	require.NoError(t, os.WriteFile(filepath.Join(root, "app.env"), []byte("AWS_ACCESS_KEY_ID=AKIAJ5Q7R2T4V6X3Z7QH\n"), 0o600))

	var mu sync.Mutex
	var got []alerts.Event
	var bad []string
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := alerts.Verify([]byte("e2e-hook-secret"), r.Header.Get(alerts.TimestampHeader), r.Header.Get(alerts.SignatureHeader),
			body, time.Now(), time.Minute)
		var e alerts.Event
		if err == nil {
			err = json.Unmarshal(body, &e)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			bad = append(bad, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got = append(got, e)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	secret := filepath.Join(s.dir, "hook.secret")
	require.NoError(t, os.WriteFile(secret, []byte("e2e-hook-secret\n"), 0o600))
	f, err := os.OpenFile(s.config, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fmt.Fprintf(f, `alerts:
  poll: 100ms
  retry: {base: 100ms, cap: 1s}
  rules:
    - {name: exposed, kind: exposed_personal_data}
    - {name: creds, kind: credential_found}
    - {name: risky, kind: risk_score, threshold: 1}
    - {name: dsr-due, kind: dsr_deadline, within: 1000h}
  destinations:
    - {name: hook, type: webhook, url: "http://%s/sightline", secret_file: %s}
`, l.Addr(), secret)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	s.coll.kill9(t)
	s.startCollector()

	privacy := s.run("token", "create", "--role", "privacy", "--name", "dpo", "--config", s.config)
	status, body := s.do("POST", "/api/v1/dsr/cases", privacy,
		`{"reference":"DSR-9","identifiers":[{"type":"email","value":"ann.smith@example.com"}]}`)
	require.Equal(t, 201, status, body)
	var dsrCase struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &dsrCase))

	s.runAgent(s.newAgent([]string{root}, ""))
	s.waitIndexed(3)

	subjects := func() map[string][]string {
		mu.Lock()
		defer mu.Unlock()
		out := map[string][]string{}
		for _, e := range got {
			out[e.Rule] = append(out[e.Rule], e.Subject)
		}
		return out
	}
	var events struct {
		Items []alerts.Event `json:"items"`
	}
	require.Eventually(t, func() bool {
		sub := subjects()
		return len(sub["exposed"]) == 2 && len(sub["creds"]) == 1 && len(sub["risky"]) == 3 && len(sub["dsr-due"]) == 1
	}, 30*time.Second, 100*time.Millisecond, "the webhook did not receive every rule's events")
	require.Equal(t, 200, s.get("/api/v1/alerts/events", &events))
	require.Len(t, events.Items, 7)
	locations := map[string][]string{}
	for _, e := range events.Items {
		locations[e.Rule] = append(locations[e.Rule], strings.TrimPrefix(e.Facts.Location, wire.FileLocation(root)+"/"))
	}
	require.ElementsMatch(t, []string{"crm/a.csv", "hr/notes.txt"}, locations["exposed"], "the world-readable files with personal data")
	require.Equal(t, []string{"app.env"}, locations["creds"])
	require.Equal(t, []string{dsrCase.ID}, subjects()["dsr-due"])

	// The host is reinstalled: its new agent enrolls with the same name
	// and, once an admin moves the name to it (its records are refused
	// until then), reports the same files — the same assets. A new build,
	// evaluated: nothing more fires.
	second := s.newAgent([]string{root}, "")
	raw, err := os.ReadFile(filepath.Join(second.dir, "credentials.json"))
	require.NoError(t, err)
	var creds struct {
		AgentID string `json:"agent_id"`
	}
	require.NoError(t, json.Unmarshal(raw, &creds))
	host, err := os.Hostname()
	require.NoError(t, err)
	status, body = s.do("PUT", "/api/v1/authorities/host/"+url.PathEscape(host), s.admin, `{"agent_id":"`+creds.AgentID+`"}`)
	require.Equal(t, 200, status, body)
	s.runAgent(second)
	require.Eventually(t, func() bool {
		var agents struct {
			Items []struct {
				ID    string            `json:"agent_id"`
				Scans []json.RawMessage `json:"scans"`
			} `json:"items"`
		}
		if s.get("/api/v1/agents", &agents) != 200 {
			return false
		}
		for _, a := range agents.Items {
			if a.ID == creds.AgentID {
				return len(a.Scans) > 0
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "the new agent's scan was not stored")
	// A read after the writes waits for a build covering them; the former
	// agent's rows were retired by the move, so the same three assets.
	s.waitIndexed(3)
	conn := s.clickhouse()
	defer conn.Close()
	var gen uint64
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT max(gen) FROM "+s.database+".idx_builds").Scan(&gen))
	require.Eventually(t, func() bool {
		var v string
		err := conn.QueryRow(context.Background(), "SELECT argMax(value, version) FROM "+s.database+".settings WHERE key = 'alerts_evaluated_gen'").Scan(&v)
		done, perr := strconv.ParseUint(v, 10, 64)
		return err == nil && perr == nil && done >= gen
	}, 30*time.Second, 100*time.Millisecond, "the rules never read the rescan's build")
	require.Equal(t, 200, s.get("/api/v1/alerts/events", &events))
	require.Len(t, events.Items, 7, "the rescan fired nothing")
	mu.Lock()
	require.Empty(t, bad)
	require.Len(t, got, 7, "each event reached the webhook once")
	for _, e := range got {
		b, _ := json.Marshal(e)
		for _, raw := range []string{"ann.smith", "example.com", "4111", "123-45", "AKIA"} {
			require.NotContains(t, string(b), raw)
		}
	}
	mu.Unlock()
	logText, err := os.ReadFile(s.coll.log)
	require.NoError(t, err)
	require.NotContains(t, string(logText), "ann.smith")
	require.NotContains(t, string(logText), "AKIA")
}
