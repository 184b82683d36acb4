package console_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/testpki"
)

// The pipeline the browser tests drive: the collector and agent binaries
// (SIGHTLINE_BIN_DIR, from make build; built here when unset), a database
// of its own in the test ClickHouse, the OpenID provider, and one agent
// that scanned a sample tree with planted personal data and the host
// fixture and shipped both to the collector. The internal/e2e harness
// lives in _test files (not importable), so this is the minimum of it.

// Planted personal data: the person a subject search must find.
const (
	plantedEmail = "ann.smith@example.com"
	plantedCard  = "4111111111111111"
)

// plantTree writes the sample tree the agent scans.
func plantTree(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"crm/customers.csv": "name,email,card\n" +
			"Ann," + plantedEmail + "," + plantedCard + "\n" +
			"Bob,bob@example.org,5555 5555 5555 4444\n",
		"hr/notes.txt": "Employee SSN: 123-45-6780\n",
		"logs/app.log": "2026-11-01 build v1.2.3.4 served in 12 ms\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		require.NoError(t, os.Chmod(p, 0o644)) // whatever the umask
	}
	return dir
}

// binaries returns the directory holding sightline-agent and
// sightline-collector: SIGHTLINE_BIN_DIR, or a fresh build.
func binaries(t *testing.T) string {
	if d := os.Getenv("SIGHTLINE_BIN_DIR"); d != "" {
		return d
	}
	dir := t.TempDir()
	for _, b := range []string{"agent", "collector"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "sightline-"+b), "github.com/sightline-dev/sightline/"+b).CombinedOutput()
		require.NoError(t, err, "building %s: %s", b, out)
	}
	return dir
}

// clickhouseAddr returns the test ClickHouse, or skips (fails under make test).
func clickhouseAddr(t *testing.T) string {
	addr := os.Getenv(storetest.EnvAddr)
	if addr == "" {
		if os.Getenv(storetest.EnvRequire) == "1" {
			t.Fatalf("%s is not set; run `make test`", storetest.EnvAddr)
		}
		t.Skipf("%s not set: skipping the browser tests against a real pipeline", storetest.EnvAddr)
	}
	return addr
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProc starts a binary with its output in logPath; it is stopped
// (SIGTERM, then SIGKILL) by the returned func or when t ends, and its
// log shown if t failed.
func startProc(t *testing.T, logPath string, env []string, bin string, args ...string) (stop func()) {
	f, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			s := string(b)
			if len(s) > 4000 {
				s = s[len(s)-4000:]
			}
			t.Logf("--- %s:\n%s", logPath, s)
		}
	})
	return stop
}

// pipeline is a running collector fed by an agent's real scans.
type pipeline struct {
	collector
	bin, config, root, host string
	client                  *http.Client
}

// collectorCLI runs the collector binary to completion (token create …).
func (p *pipeline) collectorCLI(t *testing.T, args ...string) string {
	var out, errb bytes.Buffer
	cmd := exec.Command(filepath.Join(p.bin, "sightline-collector"), append(args, "--config", p.config)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "sightline-collector %v: %s", args, errb.String())
	return strings.TrimSpace(out.String())
}

// token mints a token of role named name through the collector's CLI.
func (p *pipeline) token(t *testing.T, role, name string, ttl time.Duration) string {
	args := []string{"token", "create", "--role", role, "--name", name}
	if ttl > 0 {
		args = append(args, "--ttl", ttl.String())
	}
	return p.collectorCLI(t, args...)
}

// startPipeline starts the collector binary with the console and SSO
// against the provider, enrolls an agent, runs it over the sample tree
// and the host fixture, and waits until the API shows both scans.
func startPipeline(t *testing.T) *pipeline {
	chAddr := clickhouseAddr(t)
	p := &pipeline{bin: binaries(t)}
	dir := t.TempDir()
	ca, files, err := testpki.WriteFiles(dir)
	require.NoError(t, err)
	p.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}}
	port := freePort(t)
	p.url = fmt.Sprintf("https://127.0.0.1:%d", port)
	issuer := provider(t, p.url+"/console/sso/callback")
	secret := filepath.Join(dir, "oidc-secret")
	require.NoError(t, os.WriteFile(secret, []byte("client-secret\n"), 0o600))
	db := fmt.Sprintf("sl_console_%d", time.Now().UnixNano())
	// One alert rule, delivered to a sink on loopback that accepts every
	// event, so the alerts page has a rule, events and deliveries to show.
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(sink.Close)
	p.config = filepath.Join(dir, "collector.yaml")
	require.NoError(t, os.WriteFile(p.config, []byte(fmt.Sprintf(`listen: 127.0.0.1:%d
tls:
  cert_file: %s
  key_file: %s
clickhouse:
  addr: %s
  database: %s
ingest:
  batch_interval: 10ms
index:
  max_lag: 0s
key_file: %s
oidc:
  issuer: %s
  client_id: sightline
  client_secret_file: %s
  redirect_url: %s/console/sso/callback
  name_claim: email
  roles:
    - {claim: email, value: ann@example.com, role: admin}
    - {claim: email, value: rita@example.com, role: reviewer}
alerts:
  poll: 200ms
  rules:
    - {name: exposed, kind: exposed_personal_data, destinations: [sink]}
  destinations:
    - {name: sink, type: ocsf_http, url: %q}
`, port, files.ServerCert, files.ServerKey, chAddr, db, filepath.Join(dir, "keys.json"), issuer, secret, p.url, sink.URL)), 0o600))
	t.Cleanup(func() {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{chAddr}})
		if err == nil {
			_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
			_ = conn.Close()
		}
	})
	p.collectorCLI(t, "migrate")
	p.admin = p.token(t, "admin", "test-admin", 0)
	enroll := p.token(t, "agent-enroll", "enroll", time.Hour)
	startProc(t, filepath.Join(dir, "collector.log"), nil, filepath.Join(p.bin, "sightline-collector"), "serve", "--config", p.config)
	require.Eventually(t, func() bool {
		resp, err := p.client.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "the collector did not become ready")

	// One agent: the sample tree and the host fixture.
	p.root = plantTree(t)
	hostRoot, err := filepath.Abs("../../agent/hostscan/testdata/host")
	require.NoError(t, err)
	adir := filepath.Join(dir, "agent")
	require.NoError(t, os.MkdirAll(adir, 0o700))
	acfg := filepath.Join(adir, "agent.yaml")
	require.NoError(t, os.WriteFile(acfg, []byte(fmt.Sprintf(`collector: %s
ca_file: %s
data_dir: %s
ship:
  min_backoff: 50ms
  max_backoff: 1s
scans:
  fs:
    enabled: true
    paths: [%q]
    interval: 1h
  host:
    enabled: true
    interval: 1h
    root: %q
`, p.url, files.CA, adir, p.root, hostRoot)), 0o600))
	out, err := (&exec.Cmd{Path: filepath.Join(p.bin, "sightline-agent"), Args: []string{"sightline-agent", "enroll", "--config", acfg},
		Env: append(os.Environ(), "SIGHTLINE_ENROLL_SECRET="+enroll)}).CombinedOutput()
	require.NoError(t, err, "enroll: %s", out)
	stop := startProc(t, filepath.Join(adir, "agent.log"), nil, filepath.Join(p.bin, "sightline-agent"), "run", "--config", acfg)
	p.host, err = os.Hostname()
	require.NoError(t, err)

	// Both scans arrived and the read index shows the two files.
	require.Eventually(t, func() bool {
		var f struct{ Total int }
		var sum struct{ Assets int }
		var pr struct{ Total int }
		return p.get(t, "/api/v1/findings", &f) == http.StatusOK && f.Total == 3 &&
			p.get(t, "/api/v1/inventory/summary", &sum) == http.StatusOK && sum.Assets == 2 &&
			p.get(t, "/api/v1/principals?source=host&limit=1", &pr) == http.StatusOK && pr.Total > 0
	}, 60*time.Second, 200*time.Millisecond, "the agent's scans did not reach the API")

	// A second round, so the overview has a change since the previous
	// scans: one more file (without personal data) in the tree, and the
	// agent restarted (it scans at start).
	stop()
	require.NoError(t, os.WriteFile(filepath.Join(p.root, "logs", "more.log"), []byte("nothing personal\n"), 0o644))
	startProc(t, filepath.Join(adir, "agent-2.log"), nil, filepath.Join(p.bin, "sightline-agent"), "run", "--config", acfg)
	require.Eventually(t, func() bool {
		var ch struct {
			Items []struct {
				Scanner  string          `json:"scanner"`
				Previous json.RawMessage `json:"previous"`
			} `json:"items"`
		}
		if p.get(t, "/api/v1/inventory/changes", &ch) != http.StatusOK {
			return false
		}
		seconds := 0
		for _, it := range ch.Items {
			if string(it.Previous) != "null" {
				seconds++
			}
		}
		return seconds == 2
	}, 60*time.Second, 200*time.Millisecond, "the agent's second scans did not reach the API")
	return p
}

// get calls the API as the admin and decodes a 200 answer into out.
func (p *pipeline) get(t *testing.T, path string, out any) int {
	req, err := http.NewRequest(http.MethodGet, p.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+p.admin)
	resp, err := p.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, out), string(body))
	}
	return resp.StatusCode
}
