package keys_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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

// requireUnconfirmable checks the dump against an attacker holding K1.
func requireUnconfirmable(t *testing.T, st *store.Store, k1 []byte) {
	t.Helper()
	d := storetest.Dump(t, st)
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
