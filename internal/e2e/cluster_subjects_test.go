package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// The cluster suite's searches for people (TestClusterSameAnswersAndFailover
// calls clusterSubjectsRescanAndRotation on its running pipeline): subject
// search and a data-subject request case answer on the cluster as on one
// node, before and after a rescan of one host (one node builds that index
// incrementally, the cluster in full), and `keys rotate` on the cluster
// leaves no token of the old key on any node.

// peopleFiles are the files of one scan of the "people" host: file name ->
// the indexes of the people (personEmail) whose address it holds.
type peopleFiles map[string][]int

func personEmail(i int) string { return fmt.Sprintf("person%d@example.org", i) }

// personTokens are the people's addresses' tokens under s's key file:
// as an agent sends them (internal/pii's HMAC), or with stored as the
// store holds them at the key file's current generation.
func (s *stack) personTokens(people []int, stored bool) []string {
	s.t.Helper()
	k, err := keys.ReadFile(s.keyFile())
	require.NoError(s.t, err)
	out := make([]string, len(people))
	for i, p := range people {
		forms, err := pii.SubjectForms(pii.TypeEmail, personEmail(p), "")
		require.NoError(s.t, err)
		if stored {
			out[i] = k.SearchToken([]byte(forms[0]))
		} else {
			out[i] = k.AgentToken([]byte(forms[0]))
		}
	}
	return out
}

// keyFile is the key_file of s's collector config.
func (s *stack) keyFile() string {
	s.t.Helper()
	b, err := os.ReadFile(s.config)
	require.NoError(s.t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "key_file: "); ok {
			return strings.TrimSpace(v)
		}
	}
	s.t.Fatal("no key_file in " + s.config)
	return ""
}

// ingestPeople stores one completed fs scan of the files, finished at
// at (started a minute before), each an email finding with its people's
// tokens, as an agent with token tok would.
func (s *stack) ingestPeople(tok, scanID string, at time.Time, files peopleFiles) {
	s.t.Helper()
	host, err := os.Hostname()
	require.NoError(s.t, err)
	var lines []string
	add := func(r wire.Record) {
		b, err := json.Marshal(r)
		require.NoError(s.t, err)
		lines = append(lines, string(b))
	}
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceFS, ScanID: scanID, ObservedAt: at, Host: host}
	}
	for name, people := range files {
		loc := wire.FileLocation("/srv/people/" + name)
		as := env(wire.KindAsset)
		as.AssetID, as.AssetType, as.Location, as.Owner = wire.StableID("fs", host, loc), "file", loc, "crm"
		add(as)
		p := env(wire.KindPII)
		p.AssetID, p.Location, p.Type, p.Category = as.AssetID, loc, pii.TypeEmail, "contact"
		p.Count, p.Distinct, p.Confidence = int64(len(people)), int64(len(people)), wire.ConfidenceHigh
		p.Samples, p.Tokens = []string{"p***@e***.org"}, s.personTokens(people, false)
		add(p)
	}
	done := env(wire.KindScan)
	started := at.Add(-time.Minute)
	done.Scanner, done.Status, done.StartedAt, done.FinishedAt = "fs", wire.StatusOK, &started, &at
	add(done)
	key := scanID + "-" + randomHex(6)
	code, body := s.ingestAs(tok, key, lines...)
	require.Equal(s.t, http.StatusOK, code, body)
}

// searchPeople is the subject search for people 0..n-1 (only some of
// whom are stored): "LOCATION TYPE" -> the people it holds.
func (s *stack) searchPeople(n int) map[string][]int {
	s.t.Helper()
	ids := make([]map[string]string, n)
	for i := range ids {
		ids[i] = map[string]string{"type": pii.TypeEmail, "value": personEmail(i)}
	}
	b, err := json.Marshal(map[string]any{"identifiers": ids})
	require.NoError(s.t, err)
	got, _ := s.subjectSearch(string(b))
	return got
}

// dsrAnswer is what a case's package says, without what differs between
// two stores of the same data (ids, times, the statement's dates).
type dsrAnswer struct {
	Found     bool `json:"found"`
	Locations []struct {
		Location    string `json:"location"`
		Host        string `json:"host"`
		Source      string `json:"source"`
		Type        string `json:"type"`
		Count       uint64 `json:"count"`
		Identifiers []int  `json:"identifiers"`
	} `json:"locations"`
	Coverage []struct {
		Host    string `json:"host"`
		Source  string `json:"source"`
		Scanner string `json:"scanner"`
		Status  string `json:"status"`
	} `json:"coverage"`
	Search struct {
		Matches uint32 `json:"matches"`
		Sources uint32 `json:"sources"`
	} `json:"search"`
}

// dsrCase opens a case for the people's addresses with the privacy token
// priv, searches it once and returns its package.
func (s *stack) dsrCase(priv, ref string, people []int) dsrAnswer {
	s.t.Helper()
	ids := make([]map[string]string, len(people))
	for i, p := range people {
		ids[i] = map[string]string{"type": pii.TypeEmail, "value": personEmail(p)}
	}
	b, err := json.Marshal(map[string]any{"reference": ref, "identifiers": ids})
	require.NoError(s.t, err)
	status, body := s.do("POST", "/api/v1/dsr/cases", priv, string(b))
	require.Equal(s.t, http.StatusCreated, status, body)
	var c struct {
		ID string `json:"id"`
	}
	require.NoError(s.t, json.Unmarshal([]byte(body), &c))
	status, body = s.do("POST", "/api/v1/dsr/cases/"+c.ID+"/searches", priv, "")
	require.Equal(s.t, http.StatusCreated, status, body)
	status, body = s.do("GET", "/api/v1/dsr/cases/"+c.ID+"/package", priv, "")
	require.Equal(s.t, http.StatusOK, status, body)
	var p dsrAnswer
	require.NoError(s.t, json.Unmarshal([]byte(body), &p))
	return p
}

// lastBuildBase is the base of the newest read-index build (0: a full one).
func (s *stack) lastBuildBase() string {
	return s.scalarString("SELECT toString(base) FROM " + s.database + ".idx_builds ORDER BY gen DESC LIMIT 1")
}

// stopCollector stops s's collector cleanly (SIGTERM), as an operator
// does before `keys rotate`: it gives up its leases.
func (s *stack) stopCollector() {
	s.t.Helper()
	require.NoError(s.t, s.coll.cmd.Process.Signal(syscall.SIGTERM))
	<-s.coll.done
}

// tokensAt counts, on one node of the cluster, the rows of each table
// holding any of toks: the sharded tables' _local parts (every active
// part, replaced rows included) and the read index's copy.
func tokensAt(t *testing.T, addr, db string, toks []string) map[string]uint64 {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}})
	require.NoError(t, err)
	defer conn.Close()
	out := map[string]uint64{}
	for table, q := range map[string]string{
		"pii_findings_local": "SELECT count() FROM " + db + ".pii_findings_local WHERE hasAny(tokens, ?)",
		"pii_tokens_local":   "SELECT count() FROM " + db + ".pii_tokens_local WHERE has(?, token)",
		"pii_by_host_local":  "SELECT count() FROM " + db + ".pii_by_host_local WHERE hasAny(tokens, ?)",
		"idx_findings":       "SELECT count() FROM " + db + ".idx_findings WHERE hasAny(tokens, ?)",
	} {
		var n uint64
		require.NoError(t, conn.QueryRow(context.Background(), q, toks).Scan(&n), q)
		out[table] = n
	}
	return out
}

// clusterSubjectsRescanAndRotation runs on TestClusterSameAnswersAndFailover's
// stacks: single (one node) and the cluster's collectors a and b, whose
// answers are equal when it starts.
func clusterSubjectsRescanAndRotation(t *testing.T, single, a, b *stack, addrs []string) {
	start := time.Now()
	const people = 10 // 0..8 are stored somewhere, 9 nowhere
	first := peopleFiles{}
	for i := 0; i < 12; i++ {
		first[fmt.Sprintf("f%02d.csv", i)] = []int{i % 8, (i + 3) % 8}
	}
	tokSingle := single.enrollHTTP("people-host").Token
	tokCluster := a.enrollHTTP("people-host").Token
	// The rescan starts after the first scan's rows were observed, so what
	// it no longer reports drops out (views.go).
	at1 := time.Now().UTC().Truncate(time.Second).Add(-10 * time.Minute)
	at2 := at1.Add(5 * time.Minute)
	single.ingestPeople(tokSingle, "people-1", at1, first)
	a.ingestPeople(tokCluster, "people-1", at1, first)

	// Subject search and a DSR case: the same answer on both.
	want := single.searchPeople(people)
	require.Len(t, want, 12, "every file of the first scan is found")
	require.Equal(t, []int{0, 3}, want[wire.FileLocation("/srv/people/f00.csv")+" email"])
	require.Equal(t, want, b.searchPeople(people), "subject search: the cluster answers as one node")
	privSingle := single.run("token", "create", "--role", "privacy", "--name", "dpo", "--config", single.config)
	privCluster := a.run("token", "create", "--role", "privacy", "--name", "dpo", "--config", a.config)
	wantCase := single.dsrCase(privSingle, "DSR-C1", []int{1, 9})
	require.True(t, wantCase.Found)
	require.Len(t, wantCase.Locations, 3, "person 1 is in f01, f06 and f09")
	require.Equal(t, wantCase, b.dsrCase(privCluster, "DSR-C1", []int{1, 9}), "a DSR case's package: the cluster answers as one node")
	noneCase := single.dsrCase(privSingle, "DSR-C2", []int{9})
	require.False(t, noneCase.Found)
	require.Equal(t, noneCase, a.dsrCase(privCluster, "DSR-C2", []int{9}))

	// A rescan of the host: one file gone, one changed, one new. One node
	// builds its index incrementally from the previous build; the cluster
	// builds in full. Both answer the same.
	second := peopleFiles{}
	for name, p := range first {
		second[name] = p
	}
	delete(second, "f04.csv")
	second["f02.csv"] = []int{8}
	second["f12.csv"] = []int{0}
	single.ingestPeople(tokSingle, "people-2", at2, second)
	a.ingestPeople(tokCluster, "people-2", at2, second)
	want = single.searchPeople(people)
	require.NotContains(t, want, wire.FileLocation("/srv/people/f04.csv")+" email", "a file gone from the rescan is not found")
	require.Equal(t, []int{8}, want[wire.FileLocation("/srv/people/f02.csv")+" email"])
	require.Equal(t, []int{0}, want[wire.FileLocation("/srv/people/f12.csv")+" email"])
	require.NotEqual(t, "0", single.lastBuildBase(), "one node built the index after the rescan incrementally")
	require.Equal(t, want, b.searchPeople(people), "subject search after a rescan: the cluster answers as one node")
	require.Equal(t, single.answers(), a.answers(), "reads after a rescan: the cluster answers as one node")
	require.Equal(t, "0", a.lastBuildBase(), "the cluster builds in full")
	require.Equal(t, single.dsrCase(privSingle, "DSR-C3", []int{0, 8}), b.dsrCase(privCluster, "DSR-C3", []int{0, 8}))
	t.Logf("subject search, DSR cases and a rescan compared in %s", time.Since(start).Round(time.Millisecond))

	// `keys rotate` on the cluster, every collector stopped.
	old := a.personTokens([]int{0, 1, 2, 3, 4, 5, 6, 7, 8}, true)
	var before uint64
	for _, ad := range addrs {
		for _, n := range tokensAt(t, ad, a.database, old) {
			before += n
		}
	}
	require.NotZero(t, before, "the nodes hold the tokens before the rotation")
	refused := exec.Command(filepath.Join(binDir, "sightline-collector"), "keys", "rotate", "--config", a.config)
	var errb bytes.Buffer
	refused.Stderr = &errb
	require.Error(t, refused.Run(), "rotation refused while collectors run")
	require.Contains(t, errb.String(), "stop every collector")
	a.stopCollector()
	b.stopCollector()
	// The second replica of shard 1 (reads go to the first) applies no
	// merge or mutation for now: the rotation's merge and DELETE wait in
	// its replication queue. The rotation must not say it is done while
	// that replica holds old tokens.
	lagging := addrs[1]
	system(t, lagging, "SYSTEM STOP MERGES")
	t.Cleanup(func() { system(t, lagging, "SYSTEM START MERGES") })
	start = time.Now()
	rotate := exec.Command(filepath.Join(binDir, "sightline-collector"), "keys", "rotate", "--config", a.config)
	var rotOut, rotErr bytes.Buffer
	rotate.Stdout, rotate.Stderr = &rotOut, &rotErr
	require.NoError(t, rotate.Start())
	rotated := make(chan error, 1)
	go func() { rotated <- rotate.Wait() }()
	// Once the tokens are re-encrypted and merges of them wait on the
	// lagging replica, the rotation must wait for that replica: it may
	// not finish while merges stay stopped there (given 3 s to show it
	// does not; a rotation that waits passes whatever the machine's speed).
	require.Eventually(t, func() bool {
		return countAt(t, addrs[0], "SELECT count() FROM "+a.database+".pii_findings WHERE token_gen > 1") > 0 &&
			countAt(t, lagging, "SELECT count() FROM system.replication_queue WHERE database = '"+a.database+
				"' AND table = 'pii_findings_local' AND type IN ('MERGE_PARTS', 'MUTATE_PART')") > 0
	}, time.Minute, 100*time.Millisecond, "the rotation re-encrypts, and merges wait on the lagging replica")
	select {
	case err := <-rotated:
		var held uint64
		for _, n := range tokensAt(t, lagging, a.database, old) {
			held += n
		}
		t.Fatalf("keys rotate finished (%v) while merges were stopped on %s, which holds %d rows with old tokens: %s", err, lagging, held, rotErr.String())
	case <-time.After(3 * time.Second):
	}
	system(t, lagging, "SYSTEM START MERGES")
	require.NoError(t, <-rotated, rotErr.String())
	t.Logf("keys rotate on the cluster took %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(rotOut.String()))
	for i, ad := range addrs {
		require.Equal(t, map[string]uint64{"pii_findings_local": 0, "pii_tokens_local": 0, "pii_by_host_local": 0, "idx_findings": 0},
			tokensAt(t, ad, a.database, old), "node %d (%s) still holds tokens of the old key", i, ad)
	}
	a.startCollector()
	b.startCollector()
	require.Equal(t, want, b.searchPeople(people), "subject search after the rotation finds the same")
	require.Equal(t, want, a.searchPeople(people))
	cur := a.personTokens([]int{0, 1, 2, 3, 4, 5, 6, 7, 8}, true)
	for i, ad := range addrs {
		require.Equal(t, map[string]uint64{"pii_findings_local": 0, "pii_tokens_local": 0, "pii_by_host_local": 0, "idx_findings": 0},
			tokensAt(t, ad, a.database, old), "node %d (%s): the rebuilt index holds no token of the old key", i, ad)
	}
	require.NotZero(t, tokensAt(t, addrs[0], a.database, cur)["idx_findings"], "the rebuilt index holds the new tokens")
	require.Equal(t, single.answers(), b.answers(), "reads after the rotation: the cluster answers as one node")
	t.Logf("key rotation checked in %s", time.Since(start).Round(time.Millisecond))
}
