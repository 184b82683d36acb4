package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/testpki"
)

var binDir string

func TestMain(m *testing.M) {
	binDir = os.Getenv("SIGHTLINE_BIN_DIR")
	if binDir == "" && os.Getenv("SIGHTLINE_TEST_CLICKHOUSE") != "" {
		dir, err := os.MkdirTemp("", "sightline-bin")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		for _, b := range []string{"agent", "collector"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "sightline-"+b), "github.com/sightline-dev/sightline/"+b)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintln(os.Stderr, "building binaries:", err)
				os.Exit(1)
			}
		}
		binDir = dir
	}
	os.Exit(m.Run())
}

// clickhouseAddr returns the test ClickHouse or skips (fails under make test).
func clickhouseAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("SIGHTLINE_TEST_CLICKHOUSE")
	if addr == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") == "1" {
			t.Fatal("SIGHTLINE_TEST_CLICKHOUSE is not set; run `make test`")
		}
		t.Skip("SIGHTLINE_TEST_CLICKHOUSE not set; run `make test` for end-to-end tests")
	}
	return addr
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// proc is a started binary whose output goes to a log file.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
}

func start(t *testing.T, logPath string, name string, args ...string) *proc {
	t.Helper()
	f, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	p := &proc{cmd: cmd, log: logPath, done: done}
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("--- %s log (%s):\n%s", name, logPath, tail(string(b), 4000))
		}
	})
	return p
}

func (p *proc) kill9(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.done
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// stack is a collector (binary) over its own database in the test ClickHouse.
type stack struct {
	t        *testing.T
	dir      string
	chAddr   string
	database string
	config   string
	url      string
	admin    string
	enroll   string
	coll     *proc
	// The collector serves HTTPS with a certificate from ca (a private CA
	// made per stack, in caFile); client trusts only that CA.
	ca     *testpki.CA
	caFile string
	client *http.Client
}

func newStack(t *testing.T, chAddr string) *stack {
	t.Helper()
	s := &stack{t: t, dir: t.TempDir(), chAddr: chAddr, database: "sl_e2e_" + randomHex(6)}
	port := freePort(t)
	ca, files, err := testpki.WriteFiles(s.dir)
	require.NoError(t, err)
	s.ca, s.caFile = ca, files.CA
	s.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}}
	s.url = fmt.Sprintf("https://127.0.0.1:%d", port)
	s.config = filepath.Join(s.dir, "collector.yaml")
	require.NoError(t, os.WriteFile(s.config, []byte(fmt.Sprintf(
		"listen: 127.0.0.1:%d\ntls:\n  cert_file: %s\n  key_file: %s\nclickhouse:\n  addr: %s\n  database: %s\n  dial_timeout: 10s\ningest:\n  batch_interval: 10ms\nindex:\n  max_lag: 0s\nkey_file: %s\n",
		port, files.ServerCert, files.ServerKey, chAddr, s.database, filepath.Join(s.dir, "keys.json"))), 0o600))
	t.Cleanup(func() {
		conn := s.clickhouse()
		defer conn.Close()
		_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+s.database)
	})
	s.run("migrate", "--config", s.config)
	s.admin = s.run("token", "create", "--role", "admin", "--config", s.config)
	s.enroll = s.run("token", "create", "--role", "agent-enroll", "--config", s.config)
	s.startCollector()
	return s
}

// run runs the collector binary to completion and returns its stdout.
func (s *stack) run(args ...string) string {
	s.t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "sightline-collector"), args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(s.t, cmd.Run(), "sightline-collector %v: %s", args, errb.String())
	return strings.TrimSpace(out.String())
}

func (s *stack) startCollector() {
	s.t.Helper()
	s.coll = start(s.t, filepath.Join(s.dir, fmt.Sprintf("collector-%d.log", time.Now().UnixNano())), "sightline-collector", "serve", "--config", s.config)
	s.waitReady()
}

func (s *stack) waitReady() {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		resp, err := s.client.Get(s.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 20*time.Second, 50*time.Millisecond, "collector did not become ready")
}

func (s *stack) clickhouse() driver.Conn {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.chAddr}, Auth: clickhouse.Auth{Database: "default"}})
	require.NoError(s.t, err)
	return conn
}

// get calls the API with the admin token and decodes the JSON answer.
func (s *stack) get(path string, out any) int {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+s.admin)
	resp, err := s.client.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		require.NoError(s.t, json.Unmarshal(body, out), string(body))
	}
	return resp.StatusCode
}

// agent is an enrolled agent with its own data dir and config.
type agent struct {
	dir, config string
}

func (s *stack) newAgent(paths []string, extra string) agent {
	s.t.Helper()
	dir := filepath.Join(s.dir, "agent-"+randomHex(4))
	require.NoError(s.t, os.MkdirAll(dir, 0o700))
	return s.agentIn(dir, paths, extra)
}

// agentIn enrolls an agent whose data dir is dir (made by the caller: a
// mount point, say), trusting the stack's CA, scanning paths.
func (s *stack) agentIn(dir string, paths []string, extra string) agent {
	s.t.Helper()
	a := agent{dir: dir, config: filepath.Join(dir, "agent.yaml")}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	cfg := fmt.Sprintf("collector: %s\nca_file: %s\ndata_dir: %s\nship:\n  min_backoff: 50ms\n  max_backoff: 1s\nscans:\n  fs:\n    enabled: true\n    paths: [%s]\n    interval: 1h\n%s",
		s.url, s.caFile, a.dir, strings.Join(quoted, ", "), extra)
	require.NoError(s.t, os.WriteFile(a.config, []byte(cfg), 0o600))
	var errb bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "sightline-agent"), "enroll", "--config", a.config)
	// The secret through the environment, as the README says (a flag
	// shows in ps).
	cmd.Env = append(os.Environ(), "SIGHTLINE_ENROLL_SECRET="+s.enroll)
	cmd.Stderr = &errb
	require.NoError(s.t, cmd.Run(), "enroll: %s", errb.String())
	return a
}

func (s *stack) runAgent(a agent) *proc {
	return start(s.t, filepath.Join(a.dir, "agent.log"), "sightline-agent", "run", "--config", a.config)
}

type finding struct {
	Location   string   `json:"location"`
	Type       string   `json:"type"`
	Category   string   `json:"category"`
	Count      int      `json:"count"`
	Distinct   int      `json:"distinct"`
	Confidence string   `json:"confidence"`
	Samples    []string `json:"samples"`
	Host       string   `json:"host"`
	AgentID    string   `json:"agent_id"`
}

type findingsPage struct {
	Items []finding `json:"items"`
	Total int       `json:"total"`
}
