package dbscan

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// testServer returns the DSN of a test server's administrator and its
// password, from env (a DSN without password) and env_PASSWORD_FILE, set
// by make test (deploy/scripts/test.sh starts the servers).
func testServer(t *testing.T, env string) (string, string) {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatalf("%s is not set but services are required", env)
		}
		t.Skipf("no test server (%s); make test starts one", env)
	}
	pw, err := os.ReadFile(os.Getenv(env + "_PASSWORD_FILE"))
	require.NoError(t, err, "%s_PASSWORD_FILE", env)
	return dsn, strings.TrimSpace(string(pw))
}

// withDB replaces the database of a DSN.
func withDB(dsn, db string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + db
	return u.String()
}

type result struct {
	recs []wire.Record
	scan *wire.Record
	out  string
}

func scanOnce(t *testing.T, o Options) result {
	t.Helper()
	var buf bytes.Buffer
	enc := wire.NewEncoder(&buf)
	var r result
	if o.Tokenizer == nil {
		o.Tokenizer = pii.NewTokenizer([]byte("0123456789abcdef0123456789abcdef"))
	}
	scan, err := Scan(context.Background(), o, func(rec *wire.Record) error {
		wiretest.RequireValid(t, rec, "%+v", rec)
		r.recs = append(r.recs, *rec)
		return enc.Encode(rec)
	})
	require.NoError(t, err)
	require.NotNil(t, scan)
	r.scan, r.out = scan, buf.String()
	return r
}

// findings maps location#column to type:count.
func (r result) findings() map[string]string {
	out := map[string]string{}
	for _, rec := range r.recs {
		if rec.Kind == wire.KindPII {
			out[rec.Location] += rec.Type + ":" + itoa(rec.Count) + " "
		}
	}
	for k, v := range out {
		out[k] = strings.TrimSpace(v)
	}
	return out
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// privileged maps each privileged principal's name to why.
func (r result) privileged() map[string][]string {
	out := map[string][]string{}
	for _, rec := range r.recs {
		if rec.Kind == wire.KindPrincipal && rec.Privileged {
			out[rec.Name] = rec.PrivilegedVia
		}
	}
	return out
}

// readers lists who may read the table at loc, the way the collector's
// read index does: grants to a principal, and to a group or role held by
// every principal that is a member, through nesting; groups themselves
// are not readers.
func (r result) readers(loc string) []string {
	names, types := map[string]string{}, map[string]string{}
	memberOf := map[string][]string{} // group → members
	holders := map[string]bool{}
	var target string
	for _, rec := range r.recs {
		switch {
		case rec.Kind == wire.KindPrincipal:
			names[rec.PrincipalID], types[rec.PrincipalID] = rec.Name, rec.PrincipalType
		case rec.Kind == wire.KindAsset && rec.Location == loc:
			target = rec.AssetID
		}
	}
	for _, rec := range r.recs {
		if rec.Kind != wire.KindEntitlement {
			continue
		}
		if rec.Permission == "member" {
			memberOf[rec.ResourceID] = append(memberOf[rec.ResourceID], rec.PrincipalID)
		}
		if rec.Permission == "read" && rec.ResourceID == target {
			holders[rec.PrincipalID] = true
		}
	}
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		for _, m := range memberOf[id] {
			walk(m)
		}
	}
	for h := range holders {
		walk(h)
	}
	var out []string
	for id := range seen {
		if types[id] != "group" {
			out = append(out, names[id])
		}
	}
	sort.Strings(out)
	return out
}

func TestParseDSN(t *testing.T) {
	for _, c := range []struct{ dsn, server, err string }{
		{"postgres://scan@db.example:6432/app?sslmode=verify-full", "db.example:6432", ""},
		{"postgresql://scan@db.example/app", "db.example:5432", ""},
		{"mysql://scan@10.0.0.5/shop", "10.0.0.5:3306", ""},
		{"mysql://scan:secret@10.0.0.5/shop", "", "holds a password"},
		{"oracle://scan@x/y", "", "unknown DSN scheme"},
		{"postgres:///app", "", "names no host"},
		{"postgres://scan@%zz/app", "", "not a URL"},
	} {
		got, err := ServerOf(c.dsn)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.dsn)
			continue
		}
		require.NoError(t, err, c.dsn)
		require.Equal(t, c.server, got)
	}
}

func TestLikeMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"shop", "shop", true}, {"shop", "shops", false}, {"shop%", "shop_eu", true}, {`shop\_eu`, "shop_eu", true},
		{`shop\_eu`, "shopXeu", false}, {"sh_p", "ship", true}, {"%", "", true}, {"a%b", "axxb", true}, {"a%b", "axxc", false},
	} {
		require.Equal(t, c.want, likeMatch(c.pattern, c.s), "%s ~ %s", c.pattern, c.s)
	}
}

func TestSamplePercent(t *testing.T) {
	require.Zero(t, samplePercent(1500, 1000))
	require.InDelta(t, 0.02, samplePercent(10_000_000, 1000), 1e-9)
	require.InDelta(t, 66.67, samplePercent(3000, 1000), 0.01)
}

// assertNoRaw fails when a raw fixture value shows in the scan's output.
func assertNoRaw(t *testing.T, out string, raw ...string) {
	t.Helper()
	for _, v := range raw {
		require.NotContains(t, out, v)
	}
}

func statePath(t *testing.T) string { return filepath.Join(t.TempDir(), "db-state.json") }

func loadState(t *testing.T, path string) *State {
	t.Helper()
	s, err := LoadState(path, pii.NewTokenizer([]byte("0123456789abcdef0123456789abcdef")))
	require.NoError(t, err)
	return s
}

func quick() Options {
	return Options{StatementTimeout: 10 * time.Second, Seed: 42}
}

// likeOracle is the plain recursive definition of a MySQL database
// pattern match, exponential at worst: the fuzz target checks likeMatch
// against it on short inputs.
func likeOracle(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '%':
		for i := 0; i <= len(s); i++ {
			if likeOracle(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '_':
		return s != "" && likeOracle(pattern[1:], s[1:])
	case '\\':
		if len(pattern) > 1 {
			return s != "" && s[0] == pattern[1] && likeOracle(pattern[2:], s[1:])
		}
	}
	return s != "" && s[0] == pattern[0] && likeOracle(pattern[1:], s[1:])
}

// FuzzLikeMatch: grant patterns come from the server; matching agrees
// with the definition and stays fast on any pattern.
func FuzzLikeMatch(f *testing.F) {
	for _, seed := range [][2]string{{"shop%", "shop_eu"}, {`a\_b`, "a_b"}, {"%%%%%%%%%%%%%%%%%%%%b", strings.Repeat("a", 40)}, {`\`, `\`}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := likeMatch(pattern, s)
		if len(pattern) <= 10 && len(s) <= 12 {
			require.Equal(t, likeOracle(pattern, s), got, "%q ~ %q", pattern, s)
		}
		_ = grantee(s)
	})
}

// ours keeps this package's test accounts and the administrators: other
// tests share the servers.
func ours(names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, "t_") || strings.HasPrefix(n, "root@") || n == "postgres" {
			out = append(out, n)
		}
	}
	return out
}
