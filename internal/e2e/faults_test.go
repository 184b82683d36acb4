//go:build linux

package e2e

// The fault matrix: the agent's disk fills, ClickHouse or the collector is
// killed during a read-index build, the agent is stopped (SIGTERM) in the
// middle of a file, of a shipped batch and of an LDAP page. Each test
// asserts the behaviour the system promises after the fault: nothing lost,
// nothing stored twice, answers right once the fault is gone.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// pointAgentAt rewrites the agent's config to ship to collectorURL
// instead of the stack's collector (a proxy in front of it).
func (s *stack) pointAgentAt(a agent, collectorURL string) {
	s.t.Helper()
	b, err := os.ReadFile(a.config)
	require.NoError(s.t, err)
	cfg := strings.Replace(string(b), "collector: "+s.url+"\n", "collector: "+collectorURL+"\n", 1)
	require.NotEqual(s.t, string(b), cfg)
	require.NoError(s.t, os.WriteFile(a.config, []byte(cfg), 0o600))
}

// sigterm stops p with SIGTERM and requires it to exit within 15 s (the
// agent promises 5 s; the margin is for a loaded test machine). It returns
// how long the exit took.
func sigterm(t *testing.T, p *proc) time.Duration {
	t.Helper()
	t0 := time.Now()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
		took := time.Since(t0)
		t.Logf("the agent exited %v after SIGTERM (%s)", took.Round(time.Millisecond), p.cmd.ProcessState)
		return took
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		b, _ := os.ReadFile(p.log)
		t.Fatalf("the agent did not exit within 15 s of SIGTERM (killed it); its log ends:\n%s", tail(string(b), 3000))
		return 0
	}
}

// requireSpoolConsistent checks that every segment in the spool holds
// whole NDJSON lines, each one a valid record, and returns how many
// records wait there.
func requireSpoolConsistent(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	records := 0
	for _, e := range entries {
		if e.IsDir() {
			require.Equal(t, "rejected", e.Name(), "unexpected directory in the spool")
			continue
		}
		ext := filepath.Ext(e.Name())
		require.Contains(t, []string{".ready", ".open"}, ext, "unexpected file %s in the spool", e.Name())
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		if len(b) == 0 {
			continue
		}
		require.Equal(t, byte('\n'), b[len(b)-1], "segment %s ends in a torn line", e.Name())
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 4<<20), 4<<20)
		for sc.Scan() {
			var r wire.Record
			require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "segment %s holds a line that is not a record", e.Name())
			require.NoError(t, r.Validate(), "segment %s", e.Name())
			records++
		}
		require.NoError(t, sc.Err())
	}
	return records
}

// scalar runs a query returning one number on the stack's database: query
// is a format string with %s for the database name.
func (s *stack) scalar(query string) uint64 {
	s.t.Helper()
	conn := s.clickhouse()
	defer conn.Close()
	var n uint64
	require.NoError(s.t, conn.QueryRow(context.Background(), fmt.Sprintf(query, s.database)).Scan(&n), query)
	return n
}

// requireFindingsExactlyOnce checks that the stack holds findings
// distinct findings with occurrences in all, each stored once (after FINAL
// and by the API).
func (s *stack) requireFindingsExactlyOnce(findings, occurrences uint64) {
	s.t.Helper()
	require.Equal(s.t, findings, s.scalar("SELECT count() FROM %s.pii_findings FINAL"), "findings after FINAL")
	require.Equal(s.t, findings, s.scalar("SELECT uniqExact(asset_id, type) FROM %s.pii_findings"), "distinct findings")
	require.Equal(s.t, occurrences, s.scalar("SELECT sum(count) FROM %s.pii_findings FINAL"), "occurrences after FINAL")
	var page findingsPage
	require.Equal(s.t, 200, s.get("/api/v1/findings?limit=1", &page))
	require.Equal(s.t, int(findings), page.Total, "the API's finding count")
}

// emailFiles writes n small CSV files with one address each under dir.
func emailFiles(t *testing.T, dir string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		content := fmt.Sprintf("id,email\n%d,person%d@example.com\n", i, i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.csv", i)), []byte(content), 0o644))
	}
}

// TestFaultAgentDiskFull gives the agent a 2 MiB tmpfs as its data dir and
// a scan whose records need more than that while the collector is down.
// The spool's contract (agent/spool, agent/runner) is that a full spool
// pauses scanning instead of dropping records: when the disk runs out of
// space the scan must wait, and once the collector is back and shipping
// frees space, the same scan (the schedule is 1 h, so no later one) must
// finish and every finding must arrive, once.
func TestFaultAgentDiskFull(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := t.TempDir()
	const files = 4000 // about 1 KiB of records each: twice the disk
	emailFiles(t, root, files)

	mnt := filepath.Join(t.TempDir(), "agent-data")
	require.NoError(t, os.MkdirAll(mnt, 0o700))
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=2m,mode=0700"); err != nil {
		t.Skipf("cannot mount a 2 MiB tmpfs as the agent's data dir (%v): this test needs root or CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(mnt, syscall.MNT_DETACH) })
	a := s.agentIn(mnt, []string{root}, "spool:\n  segment_bytes: 65536\n  flush_interval: 100ms\n")

	require.NoError(t, s.coll.cmd.Process.Signal(syscall.SIGTERM))
	<-s.coll.done
	// The log goes elsewhere: on the full disk it would take space and lose lines.
	agentLog := filepath.Join(s.dir, "agent-disk-full.log")
	p := start(t, agentLog, "sightline-agent", "run", "--config", a.config)

	free := func() uint64 {
		var st syscall.Statfs_t
		require.NoError(t, syscall.Statfs(mnt, &st))
		return st.Bavail * uint64(st.Bsize)
	}
	require.Eventually(t, func() bool { return free() < 64<<10 }, 60*time.Second, 50*time.Millisecond,
		"the spool never filled the 2 MiB disk (free: %d bytes)", free())
	t.Logf("disk full: %d bytes free, %d ready segments", free(), len(readyFiles(filepath.Join(mnt, "spool"))))
	time.Sleep(time.Second) // the scan meets ENOSPC now, with nowhere to ship
	select {
	case <-p.done:
		t.Fatal("the agent exited when its disk filled")
	default:
	}

	s.startCollector()
	// A scan that gave up on the full disk would only be redone at the next
	// interval (1 h): its findings are lost until then. Say so at once
	// rather than after the wait.
	failed := func() string {
		b, err := os.ReadFile(agentLog)
		require.NoError(t, err)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "scan failed") {
				return line
			}
		}
		return ""
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var page findingsPage
		if s.get("/api/v1/findings?limit=1", &page) == 200 && page.Total == files {
			break
		}
		if line := failed(); line != "" {
			t.Fatalf("a full disk must pause the scan, not fail it (%d of %d findings arrived); the agent logged:\n%s", page.Total, files, line)
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every finding arrived after the disk had space again: %d of %d", page.Total, files)
		}
		time.Sleep(250 * time.Millisecond)
	}
	require.Eventually(t, func() bool { return s.scalar("SELECT count() FROM %s.scans FINAL") >= 1 },
		30*time.Second, 100*time.Millisecond, "the scan's end record did not arrive")
	s.requireFindingsExactlyOnce(files, files)
	require.Empty(t, failed(), "a full disk must pause the scan, not fail it")
}

// privateClickHouse starts a ClickHouse of the test's own (so it can be
// killed) and returns its address, its pid and a function that starts it
// again on the same data.
func privateClickHouse(t *testing.T) (addr string, pid func() int, restart func()) {
	t.Helper()
	clickhouseAddr(t)
	scripts, err := filepath.Abs("../../deploy/scripts")
	require.NoError(t, err)
	chDir := t.TempDir()
	var tcp, httpPort int
	start := func() error {
		out, err := exec.Command(filepath.Join(scripts, "clickhouse-start.sh"), chDir, fmt.Sprint(tcp), fmt.Sprint(httpPort)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	startCH := func() { require.NoError(t, start()) }
	// A port freePort found free may be taken before the server binds it
	// (other tests start services too): the first start tries new ports.
	for attempt := 1; ; attempt++ {
		tcp, httpPort = freePort(t), freePort(t)
		err := start()
		if err == nil {
			break
		}
		_ = exec.Command(filepath.Join(scripts, "clickhouse-stop.sh"), chDir).Run()
		require.Less(t, attempt, 3, "starting a private ClickHouse: %v", err)
	}
	t.Cleanup(func() { _ = exec.Command(filepath.Join(scripts, "clickhouse-stop.sh"), chDir).Run() })
	pid = func() int {
		b, err := os.ReadFile(filepath.Join(chDir, "clickhouse.pid"))
		require.NoError(t, err)
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		require.NoError(t, err)
		return n
	}
	return fmt.Sprintf("127.0.0.1:%d", tcp), pid, startCH
}

// ingestFiles ingests n file assets with one email finding each, in
// batches, as one completed scan.
func (s *stack) ingestFiles(tok, scanID string, from, n int) {
	s.t.Helper()
	at := time.Now().UTC().Truncate(time.Second)
	// The collector may hold a file to the host its agent enrolled as
	// (this machine), whatever a record claims: the records say so too.
	host, err := os.Hostname()
	require.NoError(s.t, err)
	var lines []string
	send := func() {
		if len(lines) == 0 {
			return
		}
		// As an agent does: a 503 (the store briefly unavailable, e.g. a
		// ClickHouse replica dying) or a 429 (over the agent's ingest
		// rate, which a fast machine reaches) is retried with the same key.
		key := scanID + "-" + randomHex(6)
		code, body := s.ingestAs(tok, key, lines...)
		for deadline := time.Now().Add(time.Minute); (code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests) &&
			time.Now().Before(deadline); {
			time.Sleep(500 * time.Millisecond)
			code, body = s.ingestAs(tok, key, lines...)
		}
		require.Equal(s.t, http.StatusOK, code, body)
		lines = lines[:0]
	}
	add := func(r wire.Record) {
		b, err := json.Marshal(r)
		require.NoError(s.t, err)
		lines = append(lines, string(b))
		if len(lines) >= 4000 {
			send()
		}
	}
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceFS, ScanID: scanID, ObservedAt: at, Host: host}
	}
	for i := from; i < from+n; i++ {
		loc := wire.FileLocation(fmt.Sprintf("/srv/share/%07d.csv", i))
		as := env(wire.KindAsset)
		as.AssetID, as.AssetType, as.Location, as.Owner = wire.StableID("fs", host, loc), "file", loc, "hr"
		add(as)
		p := env(wire.KindPII)
		p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Distinct = as.AssetID, loc, "email", "contact", 1, 1
		p.Confidence, p.Samples = wire.ConfidenceHigh, []string{"p***@e***.com"}
		add(p)
	}
	done := env(wire.KindScan)
	started := at.Add(-time.Minute)
	done.Scanner, done.Status, done.StartedAt, done.FinishedAt = "fs", wire.StatusOK, &started, &at
	add(done)
	send()
}

type indexSummary struct {
	Assets uint64 `json:"assets"`
}

// readSummary reads /api/v1/inventory/summary: status, body, freshness.
func (s *stack) readSummary(ctx context.Context) (int, indexSummary, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/api/v1/inventory/summary", nil)
	if err != nil {
		return 0, indexSummary{}, "", err
	}
	req.Header.Set("Authorization", "Bearer "+s.admin)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, indexSummary{}, "", err
	}
	defer resp.Body.Close()
	var sum indexSummary
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&sum); err != nil {
			return resp.StatusCode, sum, "", err
		}
	}
	return resp.StatusCode, sum, resp.Header.Get("Sightline-Data-Fresh"), nil
}

// waitBuildRunning polls the stack's ClickHouse until a query of the read-index build on the
// stack's database runs, so a fault can hit the build in its middle.
func (s *stack) waitBuildRunning(stop <-chan struct{}) bool {
	s.t.Helper()
	conn := s.clickhouse()
	defer conn.Close()
	for {
		select {
		case <-stop:
			return false
		default:
		}
		var n uint64
		err := conn.QueryRow(context.Background(),
			"SELECT count() FROM system.processes WHERE position(query, ?) > 0 AND position(query, 'INSERT INTO') > 0 AND position(query, 'system.processes') = 0",
			s.database+"`.idx_").Scan(&n) // the store quotes the database name
		if err == nil && n > 0 {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// buildUnderFault ingests a first scan and reads it (an index build that
// completes), ingests a much larger second scan, starts a read that waits
// for the build covering it, and calls fault while that build runs. It
// returns what the waiting read was answered, the sizes of the two scans.
func (s *stack) buildUnderFault(fault func()) (firstCode int, first indexSummary, firstFresh string, small, big int) {
	s.t.Helper()
	a := s.newAgent([]string{s.t.TempDir()}, "") // enrolled, never run
	tok := readCreds(s.t, a).Token
	small, big = 3, 60000
	s.ingestFiles(tok, "scan-small", 0, small)
	code, sum, fresh, err := s.readSummary(context.Background())
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, code)
	require.Equal(s.t, "true", fresh)
	require.Equal(s.t, uint64(small), sum.Assets)

	s.ingestFiles(tok, "scan-big", small, big)
	type answer struct {
		code  int
		sum   indexSummary
		fresh string
		err   error
	}
	ans := make(chan answer, 1)
	stop := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var a answer
		a.code, a.sum, a.fresh, a.err = s.readSummary(ctx)
		ans <- a
		close(stop)
	}()
	require.True(s.t, s.waitBuildRunning(stop), "the read finished before a build query was seen running; the build is too quick to interrupt")
	fault()
	a2 := <-ans
	if a2.err != nil {
		s.t.Logf("the read waiting on the interrupted build: %v", a2.err)
	}
	return a2.code, a2.sum, a2.fresh, small, big
}

// TestFaultClickHouseKilledDuringIndexBuild: collector/index promises that
// a failed build does not take the older index away (the answer comes from
// it, marked not fresh) and a store that cannot be reached answers 503. So
// the read waiting on the build that ClickHouse's SIGKILL interrupts gets
// either the older answer marked not fresh or 503, reads while ClickHouse
// is down get 503, and once it is back the next build completes and the
// answer is fresh and right.
func TestFaultClickHouseKilledDuringIndexBuild(t *testing.T) {
	addr, pid, restart := privateClickHouse(t)
	s := newStack(t, addr)
	code, sum, fresh, small, big := s.buildUnderFault(func() {
		require.NoError(t, syscall.Kill(pid(), syscall.SIGKILL))
	})
	t.Logf("the read waiting on the killed build: %d fresh=%q assets=%d", code, fresh, sum.Assets)
	switch code {
	case http.StatusOK:
		require.Equal(t, "false", fresh, "an answer from the older index is marked not fresh")
		require.Equal(t, uint64(small), sum.Assets, "the older index's answer")
	case http.StatusServiceUnavailable:
	default:
		t.Fatalf("the read waiting on a build that ClickHouse's death interrupted answered %d; want 200 (older index, not fresh) or 503", code)
	}
	require.Eventually(t, func() bool {
		err := syscall.Kill(pid(), 0)
		return errors.Is(err, syscall.ESRCH)
	}, 10*time.Second, 20*time.Millisecond)
	code, _, _, err := s.readSummary(context.Background())
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, code, "a read while ClickHouse is down")

	restart()
	require.Eventually(t, func() bool {
		code, sum, fresh, err := s.readSummary(context.Background())
		return err == nil && code == http.StatusOK && fresh == "true" && sum.Assets == uint64(small+big)
	}, 3*time.Minute, 250*time.Millisecond, "no fresh, complete index after ClickHouse came back")
	var assets struct {
		Total int `json:"total"`
	}
	require.Equal(t, http.StatusOK, s.get("/api/v1/assets?limit=1", &assets))
	require.Equal(t, small+big, assets.Total)
}

// TestFaultCollectorKilledDuringIndexBuild: SIGKILL of the collector in the
// middle of a read-index build; after a restart the next build completes
// and the answers are right.
func TestFaultCollectorKilledDuringIndexBuild(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	_, _, _, small, big := s.buildUnderFault(func() { s.coll.kill9(t) })
	s.startCollector()
	require.Eventually(t, func() bool {
		code, sum, fresh, err := s.readSummary(context.Background())
		return err == nil && code == http.StatusOK && fresh == "true" && sum.Assets == uint64(small+big)
	}, 3*time.Minute, 250*time.Millisecond, "no fresh, complete index after the collector restarted")
	var assets struct {
		Total int `json:"total"`
	}
	require.Equal(t, http.StatusOK, s.get("/api/v1/assets?limit=1", &assets))
	require.Equal(t, small+big, assets.Total)
	var sum struct {
		ByCategory []struct {
			Category    string `json:"category"`
			Occurrences uint64 `json:"occurrences"`
		} `json:"by_category"`
	}
	require.Equal(t, http.StatusOK, s.get("/api/v1/inventory/summary", &sum))
	require.Len(t, sum.ByCategory, 1)
	require.Equal(t, uint64(small+big), sum.ByCategory[0].Occurrences)
}

// opensFile reports whether process pid has path open.
func opensFile(pid int, path string) bool {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && target == path {
			return true
		}
	}
	return false
}

// TestFaultAgentSIGTERMMidFile stops the agent while it reads a large file
// (throttled to 1 MB/s, so the read takes seconds): it exits, its spool
// holds whole records only, and after a restart every finding is stored
// once.
func TestFaultAgentSIGTERMMidFile(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := t.TempDir()
	const files = 50
	emailFiles(t, root, files)
	big := filepath.Join(root, "zz-big.log")
	var buf bytes.Buffer
	buf.WriteString("contact: first.person@example.com\n")
	for buf.Len() < 12<<20 {
		buf.WriteString("2026-11-01 12:00:00 GET /index.html 200 served in 3 ms\n")
	}
	buf.WriteString("contact: last.person@example.com\n")
	require.NoError(t, os.WriteFile(big, buf.Bytes(), 0o644))

	a := s.newAgent([]string{root}, "    max_mb_per_sec: 1\n")
	p := s.runAgent(a)
	require.Eventually(t, func() bool { return opensFile(p.cmd.Process.Pid, big) }, 60*time.Second, 10*time.Millisecond,
		"the agent never opened the large file")
	time.Sleep(500 * time.Millisecond) // well into the file: 12 MB at 1 MB/s
	require.True(t, opensFile(p.cmd.Process.Pid, big), "the agent is no longer reading the large file")
	sigterm(t, p)
	spoolDir := filepath.Join(a.dir, "spool")
	t.Logf("%d records wait in the spool after SIGTERM", requireSpoolConsistent(t, spoolDir))

	// Again, without the throttle: the scan cut short is redone in full.
	b, err := os.ReadFile(a.config)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(a.config, bytes.Replace(b, []byte("    max_mb_per_sec: 1\n"), nil, 1), 0o600))
	s.runAgent(a)
	require.Eventually(t, func() bool {
		var page findingsPage
		return s.get("/api/v1/findings?limit=1", &page) == 200 && page.Total == files+1 &&
			len(readyFiles(spoolDir)) == 0 && s.scalar("SELECT count() FROM %s.scans FINAL WHERE status = 'ok'") >= 1
	}, 2*time.Minute, 200*time.Millisecond, "not every finding arrived after the restart")
	s.requireFindingsExactlyOnce(files+1, files+2)
}

// holdingProxy passes requests to the collector, except that while hold is
// set it keeps each ingest request waiting (its body read, no answer) until
// the client goes away; held counts the requests it holds.
type holdingProxy struct {
	hold atomic.Bool
	held atomic.Int32
	srv  *httptest.Server
}

func newHoldingProxy(t *testing.T, s *stack) *holdingProxy {
	t.Helper()
	u, err := url.Parse(s.url)
	require.NoError(t, err)
	hp := &holdingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = s.client.Transport
	// The proxy speaks TLS with a certificate from the stack's CA: the
	// agent pinned that CA at enrollment and talks to nothing else.
	hp.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hp.hold.Load() && strings.HasSuffix(r.URL.Path, "/ingest") {
			_, _ = io.Copy(io.Discard, r.Body)
			hp.held.Add(1)
			<-r.Context().Done()
			return
		}
		rp.ServeHTTP(w, r)
	}))
	leaf, err := s.ca.Server()
	require.NoError(t, err)
	cert, err := leaf.TLS()
	require.NoError(t, err)
	hp.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	hp.srv.StartTLS()
	t.Cleanup(hp.srv.Close)
	return hp
}

// TestFaultAgentSIGTERMMidBatch stops the agent while a batch it ships
// waits for the collector's answer: it exits, the batch stays in the
// spool, and after a restart everything is stored once.
func TestFaultAgentSIGTERMMidBatch(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := t.TempDir()
	const files = 300
	emailFiles(t, root, files)
	a := s.newAgent([]string{root}, "spool:\n  segment_records: 50\n  flush_interval: 50ms\n")
	hp := newHoldingProxy(t, s)
	s.pointAgentAt(a, hp.srv.URL)
	hp.hold.Store(true)
	p := s.runAgent(a)
	require.Eventually(t, func() bool { return hp.held.Load() > 0 }, 60*time.Second, 10*time.Millisecond,
		"the agent never shipped a batch")
	sigterm(t, p)
	spoolDir := filepath.Join(a.dir, "spool")
	waiting := requireSpoolConsistent(t, spoolDir)
	require.Positive(t, waiting, "the unanswered batch must stay in the spool")
	t.Logf("%d records wait in the spool after SIGTERM", waiting)

	hp.hold.Store(false)
	s.runAgent(a)
	require.Eventually(t, func() bool {
		var page findingsPage
		return s.get("/api/v1/findings?limit=1", &page) == 200 && page.Total == files &&
			len(readyFiles(spoolDir)) == 0 && s.scalar("SELECT count() FROM %s.scans FINAL") >= 1
	}, 2*time.Minute, 200*time.Millisecond, "not every finding arrived after the restart")
	s.requireFindingsExactlyOnce(files, files)
}

// stallingTCP forwards to backend; once the server has sent limit bytes to
// the client on a connection, the rest of the server's bytes are held back
// (the connection stays open) while stall is set. stalled is closed when
// that first happens.
type stallingTCP struct {
	addr    string
	stall   atomic.Bool
	once    sync.Once
	stalled chan struct{}
}

func newStallingTCP(t *testing.T, backend string, limit int64) *stallingTCP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	st := &stallingTCP{addr: l.Addr().String(), stalled: make(chan struct{})}
	st.stall.Store(true)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, b)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(b, c); b.Close() }()
			go func() {
				defer wg.Done()
				defer c.Close()
				stalling := st.stall.Load()
				var sent int64
				buf := make([]byte, 4096)
				for {
					n, err := b.Read(buf)
					chunk := buf[:n]
					if stalling && sent+int64(n) > limit {
						chunk = buf[:limit-sent]
					}
					if _, werr := c.Write(chunk); werr != nil {
						return
					}
					sent += int64(len(chunk))
					if stalling && sent >= limit {
						st.once.Do(func() { close(st.stalled) })
						_, _ = io.Copy(io.Discard, b) // hold the rest back until closed
						return
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return st
}

// TestFaultAgentSIGTERMMidLDAPPage stops the agent while it waits for the
// rest of an LDAP search page (the directory's answer stalls mid-page): it
// exits, its spool is consistent, and after a restart with the directory
// answering every identity is stored once.
func TestFaultAgentSIGTERMMidLDAPPage(t *testing.T) {
	ldapURL, pwFile := testLDAP(t)
	s := newStack(t, clickhouseAddr(t))
	const users = 700 // two pages of 500
	base := ldapOU(t, ldapURL, pwFile, users)
	u, err := url.Parse(ldapURL)
	require.NoError(t, err)
	proxy := newStallingTCP(t, u.Host, 16<<10) // the bind answer and part of the first page
	a := s.newAgent([]string{t.TempDir()}, fmt.Sprintf(
		"  ldap:\n    enabled: true\n    interval: 1h\n    url: ldap://%s\n    base_dn: %q\n    bind_dn: cn=admin,dc=example,dc=com\n    password_file: %s\n",
		proxy.addr, base, pwFile))
	p := s.runAgent(a)
	select {
	case <-proxy.stalled:
	case <-time.After(60 * time.Second):
		t.Fatal("the agent's LDAP search never reached the stall")
	}
	time.Sleep(300 * time.Millisecond) // the agent now blocks reading the page
	sigterm(t, p)
	spoolDir := filepath.Join(a.dir, "spool")
	t.Logf("%d records wait in the spool after SIGTERM", requireSpoolConsistent(t, spoolDir))

	proxy.stall.Store(false)
	s.runAgent(a)
	require.Eventually(t, func() bool {
		return s.scalar("SELECT count() FROM %s.scans FINAL WHERE scanner = 'ldap' AND status = 'ok'") >= 1 &&
			len(readyFiles(spoolDir)) == 0
	}, 2*time.Minute, 200*time.Millisecond, "the directory scan did not arrive after the restart")
	require.Equal(t, uint64(users), s.scalar("SELECT count() FROM %s.principals FINAL WHERE source = 'ldap'"), "identities after FINAL")
	require.Equal(t, uint64(users), s.scalar("SELECT uniqExact(principal_id) FROM %s.principals WHERE source = 'ldap'"), "distinct identities")
	var all struct {
		Total int `json:"total"`
	}
	require.Equal(t, 200, s.get("/api/v1/principals?source=ldap&limit=1", &all))
	require.Equal(t, users, all.Total)
}
