package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/iamscan/iamtest"
	"github.com/sightline-dev/sightline/agent/s3scan/s3test"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Raw values in the fixture; none may appear in any output.
var fixtureRaw = []string{
	"ann.smith@example.com", "bob@example.org", "4111111111111111", "5555 5555 5555 4444", "123-45-6780",
}

func writeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"crm/a.csv": "name,email,card\n" +
			"Ann,ann.smith@example.com,4111111111111111\n" +
			"Bob,bob@example.org,5555 5555 5555 4444\n" +
			"Ann again,ann.smith@example.com,4111-1111-1111-1112\n", // last card fails Luhn
		"hr/notes.txt": "Employee SSN: 123-45-6780\n" +
			"the published sample 078-05-1120 is not anyone's\n" +
			"area 666 is never issued: 666-12-3456\n",
		"logs/app.log": "2026-11-01 build v1.2.3.4 served in 12 ms\n",
	}
	writeFiles(t, dir, files)
	return dir
}

type key struct{ file, typ string }
type counts struct{ count, distinct int }

func findingsByFile(t *testing.T, s *stack, root string) (map[key]counts, []finding) {
	var page findingsPage
	require.Equal(t, 200, s.get("/api/v1/findings?limit=1000", &page))
	got := map[key]counts{}
	for _, f := range page.Items {
		rel := strings.TrimPrefix(f.Location, wire.FileLocation(root)+"/")
		got[key{rel, f.Type}] = counts{f.Count, f.Distinct}
	}
	return got, page.Items
}

func TestAgentScansShipsAndAPIAnswers(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := writeFixture(t)
	a := s.newAgent([]string{root}, "")
	s.runAgent(a)

	want := map[key]counts{
		{"crm/a.csv", "email"}:       {3, 2},
		{"crm/a.csv", "credit_card"}: {2, 2},
		{"hr/notes.txt", "us_ssn"}:   {1, 1},
	}
	require.Eventually(t, func() bool {
		var page findingsPage
		return s.get("/api/v1/findings", &page) == 200 && page.Total == len(want)
	}, 30*time.Second, 100*time.Millisecond, "findings did not arrive")
	s.waitIndexed(2)

	got, items := findingsByFile(t, s, root)
	require.Equal(t, want, got)
	for _, f := range items {
		require.NotEmpty(t, f.AgentID)
		require.NotEmpty(t, f.Host)
		for _, smp := range f.Samples {
			require.Contains(t, smp, "*", "samples are masked")
		}
	}

	var sum struct {
		Assets     int `json:"assets"`
		ByCategory []struct {
			Category    string `json:"category"`
			Occurrences int    `json:"occurrences"`
		} `json:"by_category"`
	}
	require.Equal(t, 200, s.get("/api/v1/inventory/summary", &sum))
	require.Equal(t, 2, sum.Assets)
	occ := map[string]int{}
	for _, r := range sum.ByCategory {
		occ[r.Category] = r.Occurrences
	}
	require.Equal(t, map[string]int{"contact": 3, "financial": 2, "government_id": 1}, occ)

	var byType findingsPage
	require.Equal(t, 200, s.get("/api/v1/findings?type=credit_card", &byType))
	require.Equal(t, 1, byType.Total)
	require.Equal(t, 200, s.get("/api/v1/findings?location_prefix="+wire.FileLocation(filepath.Join(root, "hr")), &byType))
	require.Equal(t, 1, byType.Total)
	require.Equal(t, "us_ssn", byType.Items[0].Type)

	var agents struct {
		Items []struct {
			AgentID  string `json:"agent_id"`
			Hostname string `json:"hostname"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/agents", &agents))
	require.Len(t, agents.Items, 1)

	// Nothing raw in what the API answers or what the processes logged.
	assertNoRaw(t, s.rawAPI("/api/v1/findings?limit=1000"))
	for _, p := range []string{s.coll.log, filepath.Join(a.dir, "agent.log")} {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assertNoRaw(t, string(b))
	}
}

func (s *stack) rawAPI(path string) string {
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.admin)
	resp, err := s.client.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

func assertNoRaw(t *testing.T, text string) {
	t.Helper()
	for _, raw := range fixtureRaw {
		if strings.Contains(text, raw) {
			t.Fatalf("a raw fixture value (%d bytes, starts %q) leaked into output", len(raw), raw[:2])
		}
	}
}

// TestScanFSPrintsValidRecords runs the one-shot scan as a user would.
func TestScanFSPrintsValidRecords(t *testing.T) {
	if binDir == "" {
		clickhouseAddr(t) // skips or fails the same way as the other tests
	}
	root := writeFixture(t)
	var out, errb bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "sightline-agent"), "scan", "fs", "--path", root)
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "SIGHTLINE_TOKEN_KEY=00112233445566778899aabbccddeeff", "SIGHTLINE_DATA_DIR="+t.TempDir())
	require.NoError(t, cmd.Run(), errb.String())
	assertNoRaw(t, out.String()+errb.String())

	dec := wire.NewDecoder(&out)
	kinds := map[string]int{}
	var scan wire.Record
	for {
		var r wire.Record
		if err := dec.Decode(&r); err != nil {
			require.ErrorContains(t, err, "EOF")
			break
		}
		kinds[r.Kind]++
		if r.Kind == wire.KindScan {
			scan = r
		}
	}
	// Each file with findings: its asset, its pii records, and who may read
	// it (owner, group, everyone: the files are 0644).
	require.Equal(t, map[string]int{"asset": 2, "pii": 3, "entitlement": 6, "scan": 1}, kinds)
	require.Equal(t, wire.StatusOK, scan.Status)
	require.EqualValues(t, 3, scan.Stats["files"])

	// Bad flags: non-zero exit and a one-line reason.
	cmd = exec.Command(filepath.Join(binDir, "sightline-agent"), "scan", "fs", "--path", filepath.Join(root, "nope"))
	var e2 bytes.Buffer
	cmd.Stderr = &e2
	require.Error(t, cmd.Run())
	require.Contains(t, e2.String(), "nope")
}

// TestCollectorKilledWhileShipping kills the collector with SIGKILL while an
// agent ships many small batches, restarts it, and checks every record is
// stored exactly once.
func TestCollectorKilledWhileShipping(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := t.TempDir()
	const files = 300
	for i := 0; i < files; i++ {
		content := fmt.Sprintf("id,email\n%d,user%d@example.com\n%d,user%d@example.com\n", i, i, i, i+100000)
		require.NoError(t, os.WriteFile(filepath.Join(root, fmt.Sprintf("f%04d.csv", i)), []byte(content), 0o644))
	}
	// 6 records a batch: three files' asset + pii → 100 batches.
	a := s.newAgent([]string{root}, "spool:\n  segment_records: 6\n  flush_interval: 50ms\n")
	t.Logf("stack ready")
	s.runAgent(a)

	// Kill as soon as part, not all, of the data is in.
	require.Eventually(t, func() bool {
		return s.storedRows("pii_findings") > 20
	}, 30*time.Second, 20*time.Millisecond)
	t0 := time.Now()
	s.coll.kill9(t)
	time.Sleep(300 * time.Millisecond) // let the agent hit a dead collector and back off
	s.startCollector()

	// Done when the agent's spool is empty: every batch acknowledged.
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(a.dir, "spool"))
		return err == nil && len(readyFiles(filepath.Join(a.dir, "spool"))) == 0 && s.storedRows("scans") > 0
	}, 60*time.Second, 100*time.Millisecond, "the agent did not finish shipping after the restart")
	t.Logf("all shipped %v after the kill", time.Since(t0))
	var page findingsPage
	require.Equal(t, 200, s.get("/api/v1/findings?limit=1", &page))
	require.Equal(t, files, page.Total)

	conn := s.clickhouse()
	defer conn.Close()
	ctx := context.Background()
	for _, q := range []struct {
		sql  string
		want uint64
	}{
		{"SELECT count() FROM %s.pii_findings FINAL", files},
		{"SELECT uniqExact(asset_id, type) FROM %s.pii_findings", files},
		{"SELECT count() FROM %s.assets FINAL", files},
		{"SELECT count() FROM %s.scans FINAL", 1},
		{"SELECT sum(count) FROM %s.pii_findings FINAL", 2 * files},
	} {
		var n uint64
		require.NoError(t, conn.QueryRow(ctx, fmt.Sprintf(q.sql, s.database)).Scan(&n), q.sql)
		require.Equal(t, q.want, n, q.sql)
	}
	var raw uint64
	require.NoError(t, conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM %s.pii_findings", s.database)).Scan(&raw))
	t.Logf("pii rows physically written: %d for %d records (extra rows are re-sent batches the collector had stored but not answered before SIGKILL; FINAL collapses them)", raw, files)
}

func (s *stack) storedRows(table string) uint64 {
	conn := s.clickhouse()
	defer conn.Close()
	var n uint64
	_ = conn.QueryRow(context.Background(), fmt.Sprintf("SELECT count() FROM %s.%s", s.database, table)).Scan(&n)
	return n
}

// TestClickHouseDown stops a private ClickHouse under a running collector:
// ingest answers 503 with Retry-After, the agent keeps its spool, and when
// ClickHouse is back everything arrives.
func TestClickHouseDown(t *testing.T) {
	clickhouseAddr(t)
	scripts, err := filepath.Abs("../../deploy/scripts")
	require.NoError(t, err)
	chDir := t.TempDir()
	tcp, http_ := freePort(t), freePort(t)
	startCH := func() {
		out, err := exec.Command(filepath.Join(scripts, "clickhouse-start.sh"), chDir, fmt.Sprint(tcp), fmt.Sprint(http_)).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	stopCH := func() {
		out, err := exec.Command(filepath.Join(scripts, "clickhouse-stop.sh"), chDir).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	startCH()
	t.Cleanup(stopCH)

	s := newStack(t, fmt.Sprintf("127.0.0.1:%d", tcp))
	root := writeFixture(t)
	a := s.newAgent([]string{root}, "")
	stopCH()

	// Direct ingest while the store is down.
	creds := readCreds(t, a)
	body := gzipLines(t, `{"kind":"asset","source":"fs","scan_id":"x","observed_at":"2026-11-01T10:00:00Z","asset_id":"a","asset_type":"file","location":"file:///x"}`)
	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/ingest", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+creds.Token)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Idempotency-Key", "down-1")
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))

	var ready *http.Response
	ready, err = s.client.Get(s.url + "/readyz")
	require.NoError(t, err)
	ready.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, ready.StatusCode)

	s.runAgent(a)
	spoolDir := filepath.Join(a.dir, "spool")
	require.Eventually(t, func() bool { return len(readyFiles(spoolDir)) > 0 }, 20*time.Second, 50*time.Millisecond,
		"the scan's records should wait in the spool")
	time.Sleep(time.Second) // the shipper is retrying against 503s now
	require.NotEmpty(t, readyFiles(spoolDir), "spool must keep batches while ClickHouse is down")

	startCH()
	require.Eventually(t, func() bool {
		var page findingsPage
		return s.get("/api/v1/findings", &page) == 200 && page.Total == 3
	}, 60*time.Second, 100*time.Millisecond)
	got, _ := findingsByFile(t, s, root)
	require.Equal(t, counts{3, 2}, got[key{"crm/a.csv", "email"}])
	require.Eventually(t, func() bool { return len(readyFiles(spoolDir)) == 0 }, 10*time.Second, 50*time.Millisecond,
		"spool drains once the batches are acknowledged")
}

func readyFiles(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "*.ready"))
	return m
}

type creds struct {
	AgentID string `json:"agent_id"`
	Token   string `json:"token"`
}

func readCreds(t *testing.T, a agent) creds {
	b, err := os.ReadFile(filepath.Join(a.dir, "credentials.json"))
	require.NoError(t, err)
	var c creds
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

func gzipLines(t *testing.T, lines ...string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	w := bufio.NewWriter(zw)
	for _, l := range lines {
		_, _ = w.WriteString(l + "\n")
	}
	require.NoError(t, w.Flush())
	require.NoError(t, zw.Close())
	return b.Bytes()
}

// TestHostScanAnswersPrivilegeAndReaders ships a host scan of a fixture
// root and a file scan from one agent through the collector into
// ClickHouse; the API must answer "privileged accounts on host X" and "who
// can read file Y" (owner, the file's group members, everyone).
func TestHostScanAnswersPrivilegeAndReaders(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the files must be owned by root, an account of the fixture host")
	}
	s := newStack(t, clickhouseAddr(t))
	files := t.TempDir()
	team := filepath.Join(files, "team.csv")
	open := filepath.Join(files, "open.log")
	require.NoError(t, os.WriteFile(team, []byte("email\nann@example.com\n"), 0o640))
	require.NoError(t, os.WriteFile(open, []byte("mail bob@example.org\n"), 0o644))
	require.NoError(t, os.Chmod(team, 0o640))
	require.NoError(t, os.Chmod(open, 0o644))
	hostRoot, err := filepath.Abs("../../agent/hostscan/testdata/host")
	require.NoError(t, err)
	a := s.newAgent([]string{files}, fmt.Sprintf("  host:\n    enabled: true\n    interval: 1h\n    root: %q\n", hostRoot))
	s.runAgent(a)
	host, err := os.Hostname()
	require.NoError(t, err)

	type principal struct {
		Name          string   `json:"name"`
		Type          string   `json:"principal_type"`
		PrivilegedVia []string `json:"privileged_via"`
	}
	var page struct {
		Items []principal `json:"items"`
		Total int         `json:"total"`
	}
	privileged := "/api/v1/principals?privileged=true&host=" + url.QueryEscape(host)
	require.Eventually(t, func() bool {
		return s.get(privileged, &page) == 200 && page.Total == 10
	}, 30*time.Second, 100*time.Millisecond, "privileged principals did not arrive (got %d)", page.Total)
	var names []string
	for _, p := range page.Items {
		names = append(names, p.Name+"/"+p.Type)
		require.NotEmpty(t, p.PrivilegedVia, p.Name)
	}
	sort.Strings(names)
	require.Equal(t, []string{"Domain Admins/group", "alice/user", "bob/user", "carol/user", "docker/group",
		"root/group", "root/user", "sudo/group", "toor/user", "www/service"}, names)

	type readersResp struct {
		Owner   string `json:"owner"`
		Readers []struct {
			Name string   `json:"name"`
			Via  []string `json:"via"`
		} `json:"readers"`
	}
	readers := func(path string) map[string][]string {
		var r readersResp
		require.Eventually(t, func() bool {
			return s.get("/api/v1/access/readers?location="+url.QueryEscape(wire.FileLocation(path)), &r) == 200 && len(r.Readers) > 0
		}, 30*time.Second, 100*time.Millisecond)
		out := map[string][]string{}
		for _, rd := range r.Readers {
			out[rd.Name] = rd.Via
		}
		return out
	}
	require.Equal(t, map[string][]string{"root": {"group root", "owner"}, "toor": {"group root"}}, readers(team))

	// toor reaches team.csv through group root, and open.log as everyone.
	var toor struct {
		Items []struct {
			ID string `json:"principal_id"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/principals?source=host&type=user&host="+url.QueryEscape(host)+"&limit=1000", &toor))
	var detail struct {
		Name   string `json:"name"`
		Assets []struct {
			Location string `json:"location"`
		} `json:"reachable_assets_with_pii"`
	}
	found := false
	for _, it := range toor.Items {
		require.Equal(t, 200, s.get("/api/v1/principals/"+it.ID, &detail))
		if detail.Name == "toor" {
			found = true
			var locs []string
			for _, a := range detail.Assets {
				locs = append(locs, a.Location)
			}
			sort.Strings(locs)
			require.Equal(t, []string{wire.FileLocation(open), wire.FileLocation(team)}, locs)
		}
	}
	require.True(t, found)
	var none struct{}
	require.Equal(t, 404, s.get("/api/v1/principals/nope", &none))
	all := readers(open)
	require.Len(t, all, 8, "world-readable: every account of the host")
	require.Equal(t, []string{"group root", "owner", "world-readable"}, all["root"])
	require.Equal(t, []string{"world-readable"}, all["alice"])

	var bad struct{}
	require.Equal(t, 400, s.get("/api/v1/access/readers", &bad))
	require.Equal(t, 404, s.get("/api/v1/access/readers?location=file:///nope", &bad))
	require.Equal(t, 400, s.get("/api/v1/principals?privileged=maybe", &bad))
}

// post calls the API with the admin token and a JSON body; it returns the
// status and the raw answer.
func (s *stack) post(path, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(body))
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+s.admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return resp.StatusCode, string(b)
}

// TestSubjectSearch: identifiers typed as a person would find the files
// an agent tokenized them in; nothing raw is echoed or logged.
func TestSubjectSearch(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := writeFixture(t)
	a := s.newAgent([]string{root}, "")
	s.runAgent(a)
	require.Eventually(t, func() bool {
		var page findingsPage
		return s.get("/api/v1/findings", &page) == 200 && page.Total == 3
	}, 30*time.Second, 100*time.Millisecond)
	s.waitIndexed(2)

	got, body := s.subjectSearch(`{"identifiers":[
		{"type":"email","value":" ANN.Smith@Example.com "},
		{"type":"credit_card","value":"5555-5555-5555-4444"},
		{"type":"email","value":"nobody@example.com"},
		{"type":"us_ssn","value":"123456780"}]}`)
	loc := wire.FileLocation(root) + "/"
	require.Equal(t, map[string][]int{
		loc + "crm/a.csv email":       {0},
		loc + "crm/a.csv credit_card": {1},
		loc + "hr/notes.txt us_ssn":   {3},
	}, got)
	assertNoRaw(t, body)

	status, body := s.post("/api/v1/subjects/search", `{"identifiers":[{"type":"credit_card","value":"4111111111111112"}]}`)
	require.Equal(t, 400, status)
	require.Contains(t, body, "identifiers[0] is not a valid credit_card")
	require.NotContains(t, body, "4111111111111112")
	status, _ = s.post("/api/v1/subjects/search", `{"identifiers":[]}`)
	require.Equal(t, 400, status)

	b, err := os.ReadFile(s.coll.log)
	require.NoError(t, err)
	require.NotContains(t, strings.ToLower(string(b)), "ann.smith")
	require.NotContains(t, string(b), "5555-5555-5555-4444")
	s.assertNoRawStored()

	// Every search is in the audit log, with what was asked but not the
	// identifiers; only admins read the log.
	var audit struct {
		Items []struct {
			TokenRole string `json:"token_role"`
			Route     string `json:"route"`
			Params    string `json:"params"`
			Status    int    `json:"status"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/audit", &audit))
	var searches []string
	for _, e := range audit.Items {
		if e.Route == "/api/v1/subjects/search" {
			searches = append(searches, fmt.Sprintf("%s %d %s", e.TokenRole, e.Status, e.Params))
		}
	}
	require.ElementsMatch(t, []string{
		"admin 200 identifiers=4 types=email,credit_card,email,us_ssn",
		"admin 400 identifiers=1 types=credit_card",
		"admin 400 identifiers=0 types=",
	}, searches)
	assertNoRaw(t, s.rawAPI("/api/v1/audit"))
	privacy := s.run("token", "create", "--role", "privacy", "--config", s.config)
	req, err := http.NewRequest(http.MethodGet, s.url+"/api/v1/audit", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+privacy)
	resp, err := s.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 403, resp.StatusCode)
}

// TestIncidentImpact: a host's breach impact by type, people bounds and
// the notification rules the data's kinds call for; the same through a
// principal who can read the files.
func TestIncidentImpact(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := writeFixture(t)
	a := s.newAgent([]string{root}, "")
	s.runAgent(a)
	require.Eventually(t, func() bool {
		var page findingsPage
		return s.get("/api/v1/findings", &page) == 200 && page.Total == 3
	}, 30*time.Second, 100*time.Millisecond)
	s.waitIndexed(2)
	host, err := os.Hostname()
	require.NoError(t, err)

	type impact struct {
		Types []struct {
			Type    string `json:"type"`
			Records int    `json:"occurrences"`
			Least   int    `json:"people_at_least"`
			Most    int    `json:"people_at_most"`
		} `json:"types"`
		Records int `json:"occurrences"`
		Rules   []struct {
			Name string `json:"name"`
		} `json:"notification_rules"`
	}
	check := func(body string) {
		status, out := s.post("/api/v1/incidents/impact", body)
		require.Equal(t, 200, status, out)
		var im impact
		require.NoError(t, json.Unmarshal([]byte(out), &im))
		got := map[string][3]int{}
		for _, ty := range im.Types {
			got[ty.Type] = [3]int{ty.Records, ty.Least, ty.Most}
		}
		require.Equal(t, map[string][3]int{"email": {3, 2, 2}, "credit_card": {2, 2, 2}, "us_ssn": {1, 1, 1}}, got)
		require.Equal(t, 6, im.Records)
		var rules []string
		for _, r := range im.Rules {
			rules = append(rules, r.Name)
		}
		require.Equal(t, []string{"US state breach-notification laws", "PCI DSS"}, rules)
		assertNoRaw(t, out)
	}
	check(fmt.Sprintf(`{"hosts":[%q]}`, host))
	check(fmt.Sprintf(`{"locations":[%q]}`, wire.FileLocation(root)+"/"))
	if os.Geteuid() == 0 { // the files are root's
		check(fmt.Sprintf(`{"principals":[%q]}`, wire.LocalPrincipalID(host, "user", "root")))
	}
	status, _ := s.post("/api/v1/incidents/impact", `{}`)
	require.Equal(t, 400, status)

	// Risk: each score is the sum of its factors (the README's model).
	var risks struct {
		Items []struct {
			Location string `json:"location"`
			Score    int    `json:"score"`
			Factors  []struct {
				Factor string `json:"factor"`
				Points int    `json:"points"`
			} `json:"factors"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/risk/assets", &risks))
	var got []string
	for _, r := range risks.Items {
		var fs []string
		for _, f := range r.Factors {
			fs = append(fs, fmt.Sprintf("%s=%d", f.Factor, f.Points))
		}
		got = append(got, fmt.Sprintf("%s %d: %s", strings.TrimPrefix(r.Location, wire.FileLocation(root)+"/"), r.Score, strings.Join(fs, ", ")))
	}
	require.Equal(t, []string{
		// No host scan here: the owner and group are unknown accounts
		// (as the asset's reader list shows them), neither known to be
		// privileged, and everyone adds no account the collector knows.
		"hr/notes.txt 58: holds government_id data=30, 1 occurrences=1, up to 1 distinct values=1, world-readable (every account of the host)=20, 2 principals can read it=1, 2 of them not privileged=5",
		"crm/a.csv 57: holds financial data=25, 5 occurrences=3, up to 4 distinct values=3, world-readable (every account of the host)=20, 2 principals can read it=1, 2 of them not privileged=5",
	}, got)

	// One asset in detail: findings with masked samples, readers, risk.
	var list struct {
		Items []struct {
			AssetID  string `json:"asset_id"`
			Location string `json:"location"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/assets?type=file", &list))
	id := ""
	for _, it := range list.Items {
		if strings.HasSuffix(it.Location, "/hr/notes.txt") {
			id = it.AssetID
		}
	}
	require.NotEmpty(t, id)
	var detail struct {
		Findings []struct {
			Type    string   `json:"type"`
			Count   int      `json:"count"`
			Samples []string `json:"samples"`
		} `json:"findings"`
		Readers []struct {
			Via []string `json:"via"`
		} `json:"readers"`
		Risk struct {
			Score int `json:"score"`
		} `json:"risk"`
	}
	require.Equal(t, 200, s.get("/api/v1/assets/"+id, &detail))
	require.Len(t, detail.Findings, 1)
	require.Equal(t, "us_ssn", detail.Findings[0].Type)
	require.Equal(t, []string{"***-**-6780"}, detail.Findings[0].Samples)
	require.Equal(t, 58, detail.Risk.Score)
	require.NotEmpty(t, detail.Readers, "world-readable: the accounts the host scan knows, or at least the owner")
	assertNoRaw(t, s.rawAPI("/api/v1/assets/"+id))
	var none struct{}
	require.Equal(t, 404, s.get("/api/v1/assets/nope", &none))

	// The data map by system, and its CSV export.
	var dm struct {
		Systems []struct {
			System       string   `json:"system"`
			Jurisdiction string   `json:"jurisdiction"`
			Categories   []string `json:"categories"`
			Records      int      `json:"occurrences"`
		} `json:"systems"`
	}
	require.Equal(t, 200, s.get("/api/v1/datamap", &dm))
	require.Len(t, dm.Systems, 1)
	require.Equal(t, host, dm.Systems[0].System)
	require.Equal(t, "unknown", dm.Systems[0].Jurisdiction, "no jurisdictions configured")
	require.Equal(t, []string{"contact", "financial", "government_id"}, dm.Systems[0].Categories)
	require.Equal(t, 6, dm.Systems[0].Records)
	csvOut := s.rawAPI("/api/v1/datamap?format=csv")
	require.Contains(t, csvOut, "system,source,jurisdiction,public,data_categories,data_types,assets,occurrences,people_at_most,world_readable_assets,public_assets,max_readers\n")
	require.Contains(t, csvOut, host+",fs,unknown,false,contact;financial;government_id,credit_card;email;us_ssn,2,6,")
}

// TestDirectoryScanThroughCollector: an agent in run mode scans the test
// OpenLDAP directory; the API lists the privileged principals with their
// chains.
func TestDirectoryScanThroughCollector(t *testing.T) {
	url := os.Getenv("SIGHTLINE_TEST_LDAP")
	if url == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_LDAP is not set but services are required")
		}
		t.Skip("no test LDAP server (SIGHTLINE_TEST_LDAP)")
	}
	pwFile := os.Getenv("SIGHTLINE_TEST_LDAP_PASSWORD_FILE")
	pw, err := os.ReadFile(pwFile)
	require.NoError(t, err)
	conn, err := ldap.DialURL(url)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Bind("cn=admin,dc=example,dc=com", string(pw)))
	base := "ou=e2e" + randomHex(4) + ",dc=example,dc=com"
	add := func(dn string, attrs map[string][]string) {
		r := ldap.NewAddRequest(dn, nil)
		for _, k := range []string{"objectClass", "cn", "sn", "uid", "member"} {
			if v, ok := attrs[k]; ok {
				r.Attribute(k, v)
			}
		}
		require.NoError(t, conn.Add(r), dn)
	}
	add(base, map[string][]string{"objectClass": {"organizationalUnit"}})
	alice := "uid=alice," + base
	add(alice, map[string][]string{"objectClass": {"inetOrgPerson"}, "cn": {"Alice"}, "sn": {"A"}, "uid": {"alice"}})
	add("uid=bob,"+base, map[string][]string{"objectClass": {"inetOrgPerson"}, "cn": {"Bob"}, "sn": {"B"}, "uid": {"bob"}})
	add("cn=ops,"+base, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"ops"}, "member": {alice}})
	add("cn=admins,"+base, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"admins"}, "member": {"cn=ops," + base}})

	s := newStack(t, clickhouseAddr(t))
	a := s.newAgent([]string{t.TempDir()}, fmt.Sprintf(
		"  ldap:\n    enabled: true\n    interval: 1h\n    url: %s\n    base_dn: %q\n    bind_dn: cn=admin,dc=example,dc=com\n    password_file: %s\n    privileged_groups: [%q]\n",
		url, base, pwFile, "cn=admins,"+base))
	s.runAgent(a)
	var page struct {
		Items []struct {
			Name          string   `json:"name"`
			PrivilegedVia []string `json:"privileged_via"`
		} `json:"items"`
		Total int `json:"total"`
	}
	require.Eventually(t, func() bool {
		return s.get("/api/v1/principals?source=ldap&privileged=true", &page) == 200 && page.Total == 3
	}, 30*time.Second, 100*time.Millisecond, "privileged directory principals did not arrive")
	got := map[string][]string{}
	for _, p := range page.Items {
		got[p.Name] = p.PrivilegedVia
	}
	require.Equal(t, map[string][]string{
		"alice":  {"member of admins via ops"},
		"ops":    {"member of admins"},
		"admins": {"privileged group (configured)"},
	}, got)
	var all struct {
		Total int `json:"total"`
	}
	require.Equal(t, 200, s.get("/api/v1/principals?source=ldap", &all))
	require.Equal(t, 4, all.Total, "bob is listed, not privileged")
}

// TestCloudScanThroughCollector: an agent in run mode scans an S3-protocol
// store and an IAM Query API server; the API lists the public buckets
// holding personal data and the privileged AWS identities.
func TestCloudScanThroughCollector(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	s3url := s3test.Server(t, map[string]s3test.Settings{
		"open-eu": {Region: "eu-west-1", ACLPublic: true},
		"open-us": {Region: "us-east-1", ACLPublic: true},
		"closed":  {Region: "eu-west-1", Encryption: "aws:kms"},
	}, map[string]map[string][]byte{
		"open-eu": {"crm/customers.csv": []byte("name,email\nAnn,ann.smith@example.com\n")},
		"open-us": {"readme.txt": []byte("nothing personal\n")},
		"closed":  {"hr/ssn.txt": []byte("SSN: 123-45-6780\n")},
	})
	iamURL, _ := iamtest.Server(t, false)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	a := s.newAgent([]string{t.TempDir()}, fmt.Sprintf(
		"  s3:\n    enabled: true\n    interval: 1h\n    region: us-east-1\n    endpoint: %s\n    path_style: true\n    account: \"111111111111\"\n"+
			"  iam:\n    enabled: true\n    interval: 1h\n    endpoint: %s\n    account: \"111111111111\"\n", s3url, iamURL))
	s.runAgent(a)

	var buckets struct {
		Items []struct {
			Location   string            `json:"location"`
			Attributes map[string]string `json:"attributes"`
		} `json:"items"`
		Total int `json:"total"`
	}
	require.Eventually(t, func() bool {
		return s.get("/api/v1/assets?with_pii=true&public=true", &buckets) == 200 && buckets.Total == 1
	}, 30*time.Second, 100*time.Millisecond, "public buckets with personal data did not arrive")
	require.Equal(t, "s3://open-eu", buckets.Items[0].Location)
	require.Equal(t, "EU", buckets.Items[0].Attributes["jurisdiction"])
	require.Equal(t, 200, s.get("/api/v1/assets?type=bucket", &buckets))
	require.Equal(t, 3, buckets.Total)

	var page struct {
		Items []struct {
			Name          string   `json:"name"`
			PrivilegedVia []string `json:"privileged_via"`
		} `json:"items"`
		Total int `json:"total"`
	}
	require.Eventually(t, func() bool {
		return s.get("/api/v1/principals?source=iam&privileged=true", &page) == 200 && page.Total == 5
	}, 30*time.Second, 100*time.Millisecond, "privileged AWS identities did not arrive")
	var names []string
	for _, p := range page.Items {
		names = append(names, p.Name)
		require.NotEmpty(t, p.PrivilegedVia)
	}
	sort.Strings(names)
	require.Equal(t, []string{"alice", "bob", "dave", "deploy", "ops"}, names)
	var dm struct {
		Systems []struct {
			System       string `json:"system"`
			Jurisdiction string `json:"jurisdiction"`
			Public       bool   `json:"public"`
		} `json:"systems"`
	}
	require.Equal(t, 200, s.get("/api/v1/datamap", &dm))
	got := map[string]string{}
	for _, m := range dm.Systems {
		got[m.System] = fmt.Sprintf("%s public=%v", m.Jurisdiction, m.Public)
	}
	require.Equal(t, map[string]string{"s3://open-eu": "EU public=true", "s3://closed": "EU public=false"}, got,
		"buckets take the jurisdiction of their region")
	var findings findingsPage
	require.Equal(t, 200, s.get("/api/v1/findings?source=s3", &findings))
	require.Equal(t, 2, findings.Total)
	assertNoRaw(t, s.rawAPI("/api/v1/findings?source=s3"))
}

// do calls the API with a given token and optional JSON body.
func (s *stack) do(method, path, token, body string) (int, string) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.client.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return resp.StatusCode, string(b)
}

// TestAccessReviewCampaign runs a whole campaign over a host's privileged
// entitlements: create, reviewers see only their items, decide every item
// (a revoke needs a comment, a reassignment moves the item), export the
// evidence, and reconcile: the revoked grant still exists after the scans.
func TestAccessReviewCampaign(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	hostRoot, err := filepath.Abs("../../agent/hostscan/testdata/host")
	require.NoError(t, err)
	a := s.newAgent([]string{t.TempDir()}, fmt.Sprintf("  host:\n    enabled: true\n    interval: 1h\n    root: %q\n", hostRoot))
	s.runAgent(a)
	require.Eventually(t, func() bool {
		var p struct {
			Total int `json:"total"`
		}
		return s.get("/api/v1/principals?source=host&privileged=true", &p) == 200 && p.Total == 10
	}, 30*time.Second, 100*time.Millisecond)
	rev1 := s.run("token", "create", "--role", "reviewer", "--name", "rev1", "--config", s.config)
	rev2 := s.run("token", "create", "--role", "reviewer", "--name", "rev2", "--config", s.config)

	status, body := s.do("POST", "/api/v1/reviews", rev1, `{"name":"q4","scope":{"privileged_only":true},"reviewer":"rev1"}`)
	require.Equal(t, 403, status, "a reviewer cannot create campaigns")
	status, body = s.do("POST", "/api/v1/reviews", s.admin, `{"name":"q4 privileged","scope":{"privileged_only":true,"source":"host"},"reviewer":"rev1"}`)
	require.Equal(t, 201, status, body)
	var created struct {
		ID    string `json:"campaign_id"`
		Items int    `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &created))
	require.Positive(t, created.Items)

	type item struct {
		ItemID    string `json:"item_id"`
		Principal string `json:"principal"`
		Decision  string `json:"decision"`
		Reviewer  string `json:"reviewer"`
	}
	itemsOf := func(token string) []item {
		st, b := s.do("GET", "/api/v1/reviews/"+created.ID+"/items", token, "")
		require.Equal(t, 200, st, b)
		var out struct {
			Items []item `json:"items"`
		}
		require.NoError(t, json.Unmarshal([]byte(b), &out))
		return out.Items
	}
	mine := itemsOf(rev1)
	require.Len(t, mine, created.Items)
	require.Empty(t, itemsOf(rev2), "reviewers see only their own items")
	decide := func(token, id, body string) int {
		st, _ := s.do("POST", "/api/v1/reviews/"+created.ID+"/items/"+id+"/decision", token, body)
		return st
	}
	require.Equal(t, 400, decide(rev1, mine[0].ItemID, `{"decision":"revoke"}`), "a revoke needs a comment")
	require.Equal(t, 200, decide(rev1, mine[0].ItemID, `{"decision":"revoke","comment":"left the team"}`))
	require.Equal(t, 200, decide(rev1, mine[1].ItemID, `{"decision":"reassign","reassign_to":"rev2"}`))
	require.Equal(t, 403, decide(rev1, mine[1].ItemID, `{"decision":"certify"}`), "reassigned away")
	require.Len(t, itemsOf(rev2), 1)
	require.Equal(t, 403, decide(rev2, mine[2].ItemID, `{"decision":"certify"}`), "not rev2's item")
	require.Equal(t, 200, decide(rev2, mine[1].ItemID, `{"decision":"certify","comment":"on call"}`))
	for _, it := range mine[2:] {
		require.Equal(t, 200, decide(rev1, it.ItemID, `{"decision":"certify"}`))
	}

	status, body = s.do("GET", "/api/v1/reviews/"+created.ID, rev1, "")
	require.Equal(t, 200, status, body)
	var prog struct {
		Pending int            `json:"pending"`
		Decided map[string]int `json:"decided"`
		Flagged []struct {
			ItemID string `json:"item_id"`
		} `json:"revoked_but_still_present"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &prog))
	require.Equal(t, 0, prog.Pending)
	require.Equal(t, map[string]int{"revoke": 1, "certify": created.Items - 1}, prog.Decided)
	require.Len(t, prog.Flagged, 1, "the scans still report the revoked grant")
	require.Equal(t, mine[0].ItemID, prog.Flagged[0].ItemID)

	status, csvOut := s.do("GET", "/api/v1/reviews/"+created.ID+"/export", s.admin, "")
	require.Equal(t, 200, status)
	require.Contains(t, csvOut, "campaign,item,principal,resource_id,resource_type,permission,via,reviewer,decision,comment,reassign_to,decided_by,decided_at,reviewer_source\n")
	require.Contains(t, csvOut, ",revoke,left the team,,rev1,")
	require.Contains(t, csvOut, ",reassign,,rev2,rev1,")
	require.Contains(t, csvOut, ",certify,on call,,rev2,")
	require.Equal(t, created.Items+1, strings.Count(csvOut, "\n")-1, "every decision, the reassignment included, is in the history")

	status, _ = s.do("GET", "/api/v1/datamap", rev1, "")
	require.Equal(t, 403, status, "a reviewer cannot read the data map")
	status, _ = s.do("GET", "/api/v1/reviews/"+created.ID+"/export", rev1, "")
	require.Equal(t, 403, status)
	var audit struct {
		Items []struct {
			Route string `json:"route"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/audit?limit=1000", &audit))
	routes := map[string]int{}
	for _, e := range audit.Items {
		routes[e.Route]++
	}
	require.Positive(t, routes["/api/v1/reviews/:id/items/:item/decision"])
	require.Positive(t, routes["/api/v1/reviews"])
}

// assertNoRawStored checks every String and Array(String) column of every
// table of the stack's database for every raw fixture value (and the
// digits of the card numbers, however grouped).
func (s *stack) assertNoRawStored() {
	s.t.Helper()
	conn := s.clickhouse()
	defer conn.Close()
	ctx := context.Background()
	var cols []struct {
		Table string `ch:"table"`
		Name  string `ch:"name"`
		Type  string `ch:"type"`
	}
	require.NoError(s.t, conn.Select(ctx, &cols, `SELECT table, name, type FROM system.columns
		WHERE database = ? AND type IN ('String', 'Array(String)')`, s.database))
	require.NotEmpty(s.t, cols)
	needles := append([]string(nil), fixtureRaw...)
	needles = append(needles, "4111111111111111", "5555555555554444", "123456780")
	checked := 0
	for _, c := range cols {
		expr := "`" + c.Name + "`"
		if c.Type == "Array(String)" {
			expr = "arrayStringConcat(" + expr + ", ' ')"
		}
		for _, n := range needles {
			var out []struct {
				N uint64 `ch:"n"`
			}
			q := fmt.Sprintf("SELECT count() AS n FROM %s.`%s` WHERE positionCaseInsensitive(%s, ?) > 0", s.database, c.Table, expr)
			require.NoError(s.t, conn.Select(ctx, &out, q, n))
			require.Zero(s.t, out[0].N, "a raw value (%d bytes) is stored in %s.%s", len(n), c.Table, c.Name)
			checked++
		}
	}
	require.Greater(s.t, checked, 50)
}

// waitIndexed waits until the read index shows assets assets holding
// personal data. The finding list reads the tables directly and can show
// rows of a batch whose ingest is not yet acknowledged; the index covers a
// batch once it is, so index-backed reads wait for this.
func (s *stack) waitIndexed(assets uint64) {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		var sum struct {
			Assets uint64 `json:"assets"`
		}
		return s.get("/api/v1/inventory/summary", &sum) == 200 && sum.Assets == assets
	}, 30*time.Second, 100*time.Millisecond, "the read index never showed %d assets", assets)
}
