package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/testpki"
)

// The cluster suite: deploy/scripts/cluster-start.sh's 2 shards x 2
// replicas and one ZooKeeper, with two collectors on one database in
// cluster mode, against one node with one collector.

// testCluster returns the cluster's name, node addresses and directory
// (for killing and restarting a replica), or skips.
func testCluster(t *testing.T) (name string, addrs []string, dir string) {
	t.Helper()
	v := os.Getenv("SIGHTLINE_TEST_CLICKHOUSE_CLUSTER")
	dir = os.Getenv("SIGHTLINE_TEST_CLICKHOUSE_CLUSTER_DIR")
	name, list, ok := strings.Cut(v, "=")
	if !ok || name == "" || dir == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") == "1" && os.Getenv("SIGHTLINE_REQUIRE_CLUSTER") == "1" {
			t.Fatal("SIGHTLINE_TEST_CLICKHOUSE_CLUSTER(_DIR) not set; run `make test`")
		}
		t.Skip("SIGHTLINE_TEST_CLICKHOUSE_CLUSTER and _DIR not set: start deploy/scripts/cluster-start.sh")
	}
	return name, strings.Split(list, ","), dir
}

// newClusterStacks starts two collectors over one new database of the
// cluster (both talking to its first node), sharing the key file.
func newClusterStacks(t *testing.T, cluster string, addr string) (a, b *stack) {
	t.Helper()
	a = &stack{t: t, dir: t.TempDir(), chAddr: addr, database: "sl_e2e_" + randomHex(6)}
	ca, files, err := testpki.WriteFiles(a.dir)
	require.NoError(t, err)
	a.ca, a.caFile = ca, files.CA
	b = &stack{t: t, dir: t.TempDir(), chAddr: addr, database: a.database, ca: ca, caFile: files.CA}
	keyFile := filepath.Join(a.dir, "keys.json")
	for _, s := range []*stack{a, b} {
		port := freePort(t)
		s.client = a.clientFor(ca)
		s.url = fmt.Sprintf("https://127.0.0.1:%d", port)
		s.config = filepath.Join(s.dir, "collector.yaml")
		require.NoError(t, os.WriteFile(s.config, []byte(fmt.Sprintf(
			"listen: 127.0.0.1:%d\ntls:\n  cert_file: %s\n  key_file: %s\nclickhouse:\n  addr: %s\n  database: %s\n  cluster: %s\n  dial_timeout: 2s\ningest:\n  batch_interval: 10ms\nindex:\n  max_lag: 0s\nkey_file: %s\n",
			port, files.ServerCert, files.ServerKey, addr, s.database, cluster, keyFile)), 0o600))
	}
	t.Cleanup(func() {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
		if err == nil {
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+a.database+" ON CLUSTER "+cluster)
		}
	})
	start := time.Now()
	a.run("migrate", "--config", a.config)
	t.Logf("cluster migrate took %s", time.Since(start).Round(time.Millisecond))
	a.admin = a.run("token", "create", "--role", "admin", "--config", a.config)
	a.enroll = a.run("token", "create", "--role", "agent-enroll", "--config", a.config)
	b.admin, b.enroll = a.admin, a.enroll
	a.startCollector()
	b.startCollector()
	return a, b
}

func (s *stack) clientFor(ca *testpki.CA) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}}
}

// answers reads what the API says about the stored data, without what
// differs between two stores of the same data (agent ids, times).
func (s *stack) answers() map[string]string {
	s.t.Helper()
	out := map[string]string{}
	for _, path := range []string{
		"/api/v1/inventory/summary",
		"/api/v1/datamap",
		"/api/v1/findings?limit=1000",
		"/api/v1/assets?limit=1000",
		"/api/v1/risk/assets?limit=50",
		"/api/v1/principals",
		"/api/v1/reviews",
	} {
		// A node that has just died fails the index build that needs it
		// (its tables' leader) until ZooKeeper ends its session: the API
		// says 503, retry later, and so does this client.
		var v any
		code := s.get(path, &v)
		for deadline := time.Now().Add(time.Minute); code == http.StatusServiceUnavailable && time.Now().Before(deadline); {
			time.Sleep(500 * time.Millisecond)
			code = s.get(path, &v)
		}
		require.Equal(s.t, http.StatusOK, code, path)
		out[path] = normalize(v)
	}
	return out
}

// normalize prints v as JSON with run-specific fields dropped and arrays
// of objects sorted.
func normalize(v any) string {
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			m := map[string]any{}
			for k, e := range x {
				switch k {
				case "agent_id", "as_of", "index_as_of", "fresh", "built_at", "observed_at", "scan_id", "last_seen", "generated_at", "id":
					continue
				}
				m[k] = walk(e)
			}
			return m
		case []any:
			out := make([]any, len(x))
			keys := make([]string, len(x))
			for i, e := range x {
				out[i] = walk(e)
				b, _ := json.Marshal(out[i])
				keys[i] = string(b)
			}
			sort.Sort(byKey{out, keys})
			return out
		}
		return v
	}
	b, _ := json.Marshal(walk(v))
	return string(b)
}

type byKey struct {
	v []any
	k []string
}

func (b byKey) Len() int           { return len(b.v) }
func (b byKey) Less(i, j int) bool { return b.k[i] < b.k[j] }
func (b byKey) Swap(i, j int)      { b.v[i], b.v[j] = b.v[j], b.v[i]; b.k[i], b.k[j] = b.k[j], b.k[i] }

// killNode kills (SIGKILL) one ClickHouse of the cluster.
func killNode(dir, node string) error {
	b, err := os.ReadFile(filepath.Join(dir, node, "clickhouse.pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return err
	}
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func restartCluster(t *testing.T, dir string) {
	t.Helper()
	script, err := filepath.Abs("../../deploy/scripts/cluster-start.sh")
	require.NoError(t, err)
	out, err := exec.Command(script, dir).CombinedOutput()
	require.NoError(t, err, string(out))
}

func TestClusterSameAnswersAndFailover(t *testing.T) {
	single := newStack(t, clickhouseAddr(t))
	name, addrs, dir := testCluster(t)
	a, b := newClusterStacks(t, name, addrs[0])

	tokSingle := single.enrollHTTP("e2e-host").Token
	tokCluster := a.enrollHTTP("e2e-host").Token

	// The same scans on both; on the cluster through either collector,
	// and the preferred replica of shard 2 is killed before the second
	// scan (ingest and reads fail over to the other replica).
	t0 := time.Now()
	single.ingestFiles(tokSingle, "scan-1", 0, 300)
	t1 := time.Now()
	a.ingestFiles(tokCluster, "scan-1", 0, 300)
	t.Logf("figures: ingest of 300 files (601 records): one node %s, cluster %s",
		t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	t0 = time.Now()
	want := single.answers()
	t1 = time.Now()
	require.Equal(t, want, b.answers(), "the cluster answers as one node")
	t.Logf("figures: first read after ingest (index build + 7 reads): one node %s, cluster %s",
		t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	t0 = time.Now()
	single.answers()
	t1 = time.Now()
	b.answers()
	t.Logf("figures: 7 reads of a fresh index: one node %s, cluster %s",
		t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	// A replica of shard 2 takes a batch its peer does not fetch (fetches
	// stopped on both), then dies during the next ingest, which fails
	// over to the peer.
	shard2 := map[string]string{"s2r1": addrs[2], "s2r2": addrs[3]}
	for _, ad := range shard2 {
		system(t, ad, "SYSTEM STOP FETCHES")
	}
	b.ingestFiles(tokCluster, "scan-1b", 300, 2000)
	rows := map[string]uint64{}
	for node, ad := range shard2 {
		rows[node] = countAt(t, ad, "SELECT count() FROM "+a.database+".assets_local")
	}
	victimNode, peer := "s2r1", "s2r2"
	if rows["s2r2"] > rows["s2r1"] {
		victimNode, peer = peer, victimNode
	}
	require.Greater(t, rows[victimNode], rows[peer], "one replica of shard 2 took the batch: %v", rows)
	killed := make(chan error, 1)
	// Whatever happens next, the next suite finds the cluster whole.
	t.Cleanup(func() { restartCluster(t, dir) })
	go func() {
		time.Sleep(150 * time.Millisecond)
		killed <- killNode(dir, victimNode)
	}()
	b.ingestFiles(tokCluster, "scan-1c", 2300, 1000)
	require.NoError(t, <-killed)
	system(t, shard2[peer], "SYSTEM START FETCHES")
	single.ingestFiles(tokSingle, "scan-1b", 300, 2000)
	single.ingestFiles(tokSingle, "scan-1c", 2300, 1000)
	// While it is down the cluster takes every batch and answers, but the
	// rows only s2r1 held are unreadable: the build says it missed them.
	want = single.answers()
	require.NotEqual(t, want, b.answers(), "a replica down: what it alone held cannot be read")
	inc := b.scalarString("SELECT value FROM " + a.database + ".settings FINAL WHERE key = 'index_incomplete_gen'")
	require.NotEqual(t, "0", inc, "a replica down: the build records that it missed rows")
	// Back: nothing acknowledged was lost, and the index catches up.
	restartCluster(t, dir)
	start := time.Now()
	var got map[string]string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if got = a.answers(); assert.ObjectsAreEqual(want, got) {
			break
		}
	}
	if !assert.ObjectsAreEqual(want, got) {
		for node, ad := range map[string]string{"s1r1": addrs[0], "s1r2": addrs[1], "s2r1": addrs[2], "s2r2": addrs[3]} {
			t.Logf("%s: assets_local %d, pii_findings_local %d, inserts_in_queue %d", node,
				countAt(t, ad, "SELECT count() FROM "+a.database+".assets_local"),
				countAt(t, ad, "SELECT count() FROM "+a.database+".pii_findings_local"),
				countAt(t, ad, "SELECT toUInt64(sum(inserts_in_queue)) FROM system.replicas WHERE database = '"+a.database+"'"))
		}
		t.Logf("index_incomplete_gen %s", a.scalarString("SELECT value FROM "+a.database+".settings FINAL WHERE key = 'index_incomplete_gen'"))
	}
	require.True(t, assert.ObjectsAreEqual(want, got), "the replica back: the cluster answers as one node (first difference: %s)", firstDiff(want, got))
	t.Logf("the replica back: same answers as one node after %s", time.Since(start).Round(time.Millisecond))

	// Subject search, DSR cases, a rescan and key rotation on the same
	// pipeline (cluster_subjects_test.go); the collectors it restarts
	// take part in the take-over below.
	clusterSubjectsRescanAndRotation(t, single, a, b, addrs)

	// The collector holding the build lease dies; the other takes over
	// once the lease has expired (30s).
	holder := a.scalarString("SELECT value FROM " + a.database + ".settings FINAL WHERE key = 'exclusive_lease:index_build'")
	victim, survivor := a, b
	if !strings.Contains(holder, fmt.Sprintf("/%d/", a.coll.cmd.Process.Pid)) {
		victim, survivor = b, a
	}
	require.Contains(t, holder, fmt.Sprintf("/%d/", victim.coll.cmd.Process.Pid), "one of the two collectors holds the lease")
	victim.coll.kill9(t)
	single.ingestFiles(tokSingle, "scan-2", 3300, 100)
	survivor.ingestFiles(tokCluster, "scan-2", 3300, 100)
	start = time.Now()
	require.Equal(t, single.answers(), survivor.answers(), "the survivor builds after the lease expires")
	t.Logf("take-over answered after %s", time.Since(start).Round(time.Millisecond))
	holder = survivor.scalarString("SELECT value FROM " + a.database + ".settings FINAL WHERE key = 'exclusive_lease:index_build'")
	require.Contains(t, holder, fmt.Sprintf("/%d/", survivor.coll.cmd.Process.Pid))
}

func (s *stack) scalarString(q string) string {
	s.t.Helper()
	conn := s.clickhouse()
	defer conn.Close()
	var v string
	require.NoError(s.t, conn.QueryRow(context.Background(), q).Scan(&v))
	return v
}

// countAt reads a count on one node of the cluster.
func countAt(t *testing.T, addr, q string) uint64 {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	require.NoError(t, err)
	defer conn.Close()
	var n uint64
	require.NoError(t, conn.QueryRow(context.Background(), q).Scan(&n), q)
	return n
}

// system runs a statement on one node of the cluster.
func system(t *testing.T, addr, q string) {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Exec(context.Background(), q), q)
}

// firstDiff names the first path whose answers differ, with both answers
// cut short (testify's own diff of the whole map is too long to print).
func firstDiff(want, got map[string]string) string {
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	short := func(s string) string {
		if len(s) > 400 {
			return s[:400] + "…"
		}
		return s
	}
	for _, p := range paths {
		if want[p] != got[p] {
			return fmt.Sprintf("%s: want %s, got %s", p, short(want[p]), short(got[p]))
		}
	}
	return "none"
}
