package keys_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/collector/subjects"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// planted are the people the tests hide in the data.
var planted = []subjects.Identifier{
	{Type: "email", Value: "Planted.Person@Example.com"},
	{Type: "email", Value: "second.subject@example.org"},
	{Type: "us_ssn", Value: "536-90-4418"},
}

// agentTokens computes what an agent holding k1 sends for each planted
// identifier: the tokens an attacker with the agent's credentials would
// look for.
func agentTokens(t *testing.T, k1 []byte) []string {
	t.Helper()
	tok := pii.NewTokenizer(k1)
	out := make([]string, len(planted))
	for i, id := range planted {
		v, ok := pii.NormalizeAs(id.Type, id.Value)
		require.True(t, ok, id.Type)
		out[i] = tok.Token([]byte(v))
	}
	return out
}

// fixture is one agent's scan: a file per planted identifier, holding its
// token among decoys, and the scan record that makes them current.
func fixture(agentID string, toks []string, obs time.Time) []wire.Record {
	fin := obs.Add(time.Minute)
	var recs []wire.Record
	for i, tk := range toks {
		typ, cat := planted[i].Type, "contact"
		if typ == "us_ssn" {
			cat = "government_id"
		}
		recs = append(recs, wire.Record{Kind: wire.KindPII, Source: wire.SourceFS, ScanID: "scan-1", AgentID: agentID,
			Host: "web-1", ObservedAt: obs, AssetID: fmt.Sprintf("asset-%d", i), Location: fmt.Sprintf("file:///srv/f%d.csv", i),
			Type: typ, Category: cat, Count: 2, Distinct: 2, Confidence: wire.ConfidenceHigh,
			Tokens: []string{tk, strings.Repeat(fmt.Sprint(i), 32)}})
	}
	recs = append(recs, wire.Record{Kind: wire.KindScan, Source: wire.SourceFS, ScanID: "scan-1", AgentID: agentID,
		Host: "web-1", ObservedAt: obs, Scanner: "fs", StartedAt: &obs, FinishedAt: &fin, Status: wire.StatusOK})
	return recs
}

// dump reads every row of every table of the test's database, every
// column as text: what a stolen backup holds.
func dump(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	var tables []struct {
		Name   string `ch:"name"`
		Engine string `ch:"engine"`
	}
	require.NoError(t, st.Conn().Select(ctx, &tables, `SELECT name, engine FROM system.tables WHERE database = ?`, st.Database()))
	require.NotEmpty(t, tables)
	var b strings.Builder
	for _, tb := range tables {
		if strings.HasSuffix(tb.Engine, "View") {
			continue // no data of their own (pii_tokens_mv writes TO pii_tokens)
		}
		rows, err := st.Conn().Query(ctx, "SELECT * FROM `"+st.Database()+"`.`"+tb.Name+"`")
		require.NoError(t, err, tb.Name)
		cols := rows.ColumnTypes()
		for rows.Next() {
			dst := make([]any, len(cols))
			for i, c := range cols {
				dst[i] = reflect.New(c.ScanType()).Interface()
			}
			require.NoError(t, rows.Scan(dst...), tb.Name)
			b.WriteString(tb.Name)
			for _, d := range dst {
				fmt.Fprintf(&b, "\t%v", reflect.ValueOf(d).Elem().Interface())
			}
			b.WriteByte('\n')
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return b.String()
}

// requireUnconfirmable checks the dump against an attacker holding K1.
func requireUnconfirmable(t *testing.T, st *store.Store, k1 []byte) {
	t.Helper()
	d := dump(t, st)
	require.Contains(t, d, "pii_findings\t", "the dump holds the findings")
	for i, tk := range agentTokens(t, k1) {
		require.NotContains(t, d, tk, "planted identifier %d is confirmable with the agents' key", i)
	}
	require.NotContains(t, strings.ToLower(d), hex.EncodeToString(k1), "the agents' key is in a table")
	for _, id := range planted {
		require.NotContains(t, d, id.Value)
	}
}

func assetsOf(ms []subjects.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.AssetID)
	}
	sort.Strings(out)
	return out
}

var wantAssets = []string{"asset-0", "asset-1", "asset-2"}

// TestDumpAndAgentKeyConfirmNothing is the acceptance test: an attacker
// with one agent's credentials (K1) and every table of the database
// cannot confirm any planted identifier, while subject search finds them.
func TestDumpAndAgentKeyConfirmNothing(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	ks, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)

	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn, Keys: ks})
	secret, _, err := authn.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Name: "deploy"})
	require.NoError(t, err)
	en, err := fl.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: "web-1"})
	require.NoError(t, err)
	k1, err := hex.DecodeString(en.TokenKey)
	require.NoError(t, err)

	ing := ingest.New(ingest.Options{Store: st, BatchInterval: 10 * time.Millisecond, Logger: quiet, Rekey: ks.Rekey})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); ing.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	recs := fixture(en.AgentID, agentTokens(t, k1), time.Now().UTC().Truncate(time.Second))
	for i := range recs {
		require.NoError(t, recs[i].Validate())
	}
	require.NoError(t, ing.Submit(ctx, en.AgentID, "batch-1", recs))
	storetest.BuildIndex(t, st)

	requireUnconfirmable(t, st, k1)

	ms, err := subjects.Search(ctx, st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms))
	for _, m := range ms {
		require.Len(t, m.Identifiers, 1)
		require.Equal(t, fmt.Sprintf("asset-%d", m.Identifiers[0]), m.AssetID)
	}
	// The key file is where the keys are, readable by its owner only.
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// oldRows writes pii rows as versions before the key file did: agent
// tokens, tokens_rekeyed left at 0.
func oldRows(t *testing.T, st *store.Store, recs []wire.Record, version uint64) {
	t.Helper()
	ctx := context.Background()
	b, err := st.Conn().PrepareBatch(ctx, "INSERT INTO `"+st.Database()+"`.pii_findings (asset_id, type, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version)")
	require.NoError(t, err)
	var other []wire.Record
	for _, r := range recs {
		if r.Kind != wire.KindPII {
			other = append(other, r)
			continue
		}
		require.NoError(t, b.Append(r.AssetID, r.Type, r.Category, r.Location, r.Host, r.Source, r.AgentID, r.ScanID,
			uint64(r.Count), uint64(r.Distinct), r.Confidence, []string{}, r.Tokens, []string{}, r.ObservedAt, version))
	}
	require.NoError(t, b.Send())
	require.NoError(t, st.InsertRecords(ctx, other))
}

// oldDatabase builds a database as an older version left it: K1 in the
// settings table, agent-keyed tokens in pii_findings, pii_tokens and the
// read index, including a replaced older row.
func oldDatabase(t *testing.T) (*store.Store, []byte, []string) {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	k1 := make([]byte, 32)
	_, err := rand.Read(k1)
	require.NoError(t, err)
	require.NoError(t, st.PutSetting(ctx, keys.LegacyTokenKeySetting, hex.EncodeToString(k1)))
	obs := time.Now().UTC().Truncate(time.Second)
	toks := agentTokens(t, k1)
	// An older scan of the same files held the tokens in another order:
	// replaced, but still in a part of its own until merged.
	oldRows(t, st, fixture("agent-1", []string{toks[2], toks[0], toks[1]}, obs.Add(-time.Hour)), uint64(obs.Add(-time.Hour).UnixNano()))
	oldRows(t, st, fixture("agent-1", toks, obs), uint64(obs.UnixNano()))
	storetest.BuildIndex(t, st)

	// Before the upgrade, the agents' tokens find the files, and the dump
	// holds them: what the upgrade has to end.
	hits, err := st.SubjectHits(ctx, toks)
	require.NoError(t, err)
	var before []string
	for _, h := range hits {
		before = append(before, h.AssetID)
	}
	sort.Strings(before)
	require.Equal(t, wantAssets, before)
	d := dump(t, st)
	require.Contains(t, d, toks[0])
	require.Contains(t, d, hex.EncodeToString(k1))
	return st, k1, toks
}

func TestUpgradeMovesTheKeyAndRekeysTokens(t *testing.T) {
	ctx := context.Background()
	st, k1, _ := oldDatabase(t)
	path := filepath.Join(t.TempDir(), "keys.json")

	ks, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(k1), ks.TokenKeyHex(), "enrolled agents keep their key")
	_, err = st.GetSetting(ctx, keys.LegacyTokenKeySetting)
	require.ErrorIs(t, err, store.ErrNotFound)
	requireUnconfirmable(t, st, k1)

	storetest.BuildIndex(t, st)
	ms, err := subjects.Search(ctx, st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms), "search finds what it found before the upgrade")
	requireUnconfirmable(t, st, k1)

	// A second start changes nothing: no token is re-keyed twice.
	ks2, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, ks.Fingerprint(), ks2.Fingerprint())
	n, err := st.RekeyFindings(ctx, ks.Rekey)
	require.NoError(t, err)
	require.Zero(t, n)
	ms, err = subjects.Search(ctx, st, ks2, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms))
}

// TestUpgradeResumes: a collector that stopped after re-keying part of
// the job (here: the rows, not yet the derived tables) finishes it at the
// next start without re-keying a row twice.
func TestUpgradeResumes(t *testing.T) {
	ctx := context.Background()
	st, k1, _ := oldDatabase(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	first, err := keys.Generate(k1, time.Now())
	require.NoError(t, err)
	require.NoError(t, keys.CreateFile(path, first))
	n, err := st.RekeyFindings(ctx, first.Rekey)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	ks, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, first.Fingerprint(), ks.Fingerprint())
	requireUnconfirmable(t, st, k1)
	storetest.BuildIndex(t, st)
	ms, err := subjects.Search(ctx, st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms))
}

func TestOpenRefusesAKeyFileThatDoesNotMatch(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	_, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)

	// Another collector of the database, started without a copy.
	_, err = keys.Open(ctx, keys.Options{Path: filepath.Join(dir, "other.json"), Store: st, Logger: quiet})
	require.ErrorContains(t, err, "copy the key file")
	_, err = os.Stat(filepath.Join(dir, "other.json"))
	require.True(t, os.IsNotExist(err), "no new key file is created for a claimed database")

	// ...or with a different key file.
	other, err := keys.Generate(nil, time.Now())
	require.NoError(t, err)
	require.NoError(t, keys.CreateFile(filepath.Join(dir, "other.json"), other))
	_, err = keys.Open(ctx, keys.Options{Path: filepath.Join(dir, "other.json"), Store: st, Logger: quiet})
	require.ErrorContains(t, err, "same key file")

	// A key file others may read is refused.
	require.NoError(t, os.Chmod(path, 0o644))
	_, err = keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.ErrorContains(t, err, "chmod 600")
}
