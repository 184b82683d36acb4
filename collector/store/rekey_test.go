package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	collkeys "github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/collector/subjects"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

var rekeyPlanted = []subjects.Identifier{
	{Type: "email", Value: "Planted.Person@Example.com"},
	{Type: "email", Value: "second.subject@example.org"},
	{Type: "us_ssn", Value: "536-90-4418"},
}

var rekeyAssets = []string{"asset-0", "asset-1", "asset-2"}

func plantedAgentTokens(t *testing.T, k1 []byte) []string {
	t.Helper()
	tok := pii.NewTokenizer(k1)
	out := make([]string, len(rekeyPlanted))
	for i, id := range rekeyPlanted {
		v, ok := pii.NormalizeAs(id.Type, id.Value)
		require.True(t, ok, id.Type)
		out[i] = tok.Token([]byte(v))
	}
	return out
}

// oldFindings writes pii rows as a version before 0010 did (schema 0009:
// no owner, no re-keying flag, agent tokens; version = observed time).
func oldFindings(t *testing.T, s *store.Store, toks []string, obs time.Time) {
	t.Helper()
	ctx := context.Background()
	b, err := s.Conn().PrepareBatch(ctx, "INSERT INTO `"+s.Database()+"`.pii_findings (asset_id, type, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version)")
	require.NoError(t, err)
	for i, tk := range toks {
		typ, cat := rekeyPlanted[i].Type, "contact"
		if typ == "us_ssn" {
			cat = "government_id"
		}
		require.NoError(t, b.Append(fmt.Sprintf("asset-%d", i), typ, cat, fmt.Sprintf("file:///srv/f%d.csv", i), "web-1", "fs",
			"agent-1", "scan-1", uint64(2), uint64(2), "high", []string{}, []string{tk, strings.Repeat(fmt.Sprint(i), 32)},
			[]string{}, obs, uint64(obs.UnixNano())))
	}
	require.NoError(t, b.Send())
}

func requireNotConfirmable(t *testing.T, s *store.Store, k1 []byte) {
	t.Helper()
	d := storetest.Dump(t, s)
	require.Contains(t, d, "pii_findings\t")
	for i, tk := range plantedAgentTokens(t, k1) {
		require.NotContains(t, d, tk, "planted identifier %d is confirmable with the agents' key", i)
	}
	require.NotContains(t, strings.ToLower(d), hex.EncodeToString(k1), "the agents' key is in a table")
}

func matchedAssets(ms []subjects.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.AssetID)
	}
	sort.Strings(out)
	return out
}

// upgradedDatabase builds a database as version 0009 left it (K1 in the
// settings table, agent tokens in pii_findings and pii_tokens, including
// a replaced older row), migrates it to the current schema and builds the
// read index, as the first start of the new version does before
// collkeys.Open. It returns the store, K1 and what search found before.
func upgradedDatabase(t *testing.T) (*store.Store, []byte) {
	t.Helper()
	ctx := context.Background()
	s := storetest.Open(t)
	_, err := s.MigrateUpTo(ctx, 9)
	require.NoError(t, err)
	k1 := make([]byte, 32)
	_, err = rand.Read(k1)
	require.NoError(t, err)
	require.NoError(t, s.PutSetting(ctx, collkeys.LegacyTokenKeySetting, hex.EncodeToString(k1)))
	obs := time.Now().UTC().Truncate(time.Second)
	toks := plantedAgentTokens(t, k1)
	oldFindings(t, s, []string{toks[2], toks[0], toks[1]}, obs.Add(-time.Hour)) // replaced by the next scan
	oldFindings(t, s, toks, obs)
	fin := obs.Add(time.Minute)
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{{Kind: wire.KindScan, Source: wire.SourceFS, ScanID: "scan-1",
		AgentID: "agent-1", Host: "web-1", ObservedAt: obs, Scanner: "fs", StartedAt: &obs, FinishedAt: &fin, Status: wire.StatusOK}}))

	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	storetest.BuildIndex(t, s)
	hits, err := s.SubjectHits(ctx, toks)
	require.NoError(t, err)
	var before []string
	for _, h := range hits {
		before = append(before, h.AssetID)
	}
	sort.Strings(before)
	// Until 0011's mutation has deleted the ownerless originals, a file
	// may be found twice (see that migration).
	before = slices.Compact(before)
	require.Equal(t, rekeyAssets, before, "before the re-keying, the agents' tokens find the files")
	d := storetest.Dump(t, s)
	require.Contains(t, d, toks[0])
	require.Contains(t, d, hex.EncodeToString(k1))
	return s, k1
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestUpgradeMovesTheKeyAndRekeysTokens(t *testing.T) {
	ctx := context.Background()
	s, k1 := upgradedDatabase(t)
	path := filepath.Join(t.TempDir(), "keys.json")

	ks, err := collkeys.Open(ctx, collkeys.Options{Path: path, Store: s, Logger: quietLog})
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(k1), ks.TokenKeyHex(), "enrolled agents keep their key")
	_, err = s.GetSetting(ctx, collkeys.LegacyTokenKeySetting)
	require.ErrorIs(t, err, store.ErrNotFound)
	requireNotConfirmable(t, s, k1)

	storetest.BuildIndex(t, s)
	ms, err := subjects.Search(ctx, s, ks, rekeyPlanted)
	require.NoError(t, err)
	require.Equal(t, rekeyAssets, matchedAssets(ms), "search finds what it found before the upgrade")
	requireNotConfirmable(t, s, k1)
	n, err := s.CountRows(ctx, "pii_findings")
	require.NoError(t, err)
	require.EqualValues(t, 3, n, "one row per finding, as before")

	// A second start changes nothing: no token is re-keyed twice.
	ks2, err := collkeys.Open(ctx, collkeys.Options{Path: path, Store: s, Logger: quietLog})
	require.NoError(t, err)
	require.Equal(t, ks.Fingerprint(), ks2.Fingerprint())
	rewritten, err := s.RekeyFindings(ctx, ks.Rekey)
	require.NoError(t, err)
	require.Zero(t, rewritten)
	ms, err = subjects.Search(ctx, s, ks2, rekeyPlanted)
	require.NoError(t, err)
	require.Equal(t, rekeyAssets, matchedAssets(ms))
}

// TestUpgradeResumes: a collector that stopped after re-keying the rows
// but before cleaning up finishes the job at its next start, without
// re-keying a row twice.
func TestUpgradeResumes(t *testing.T) {
	ctx := context.Background()
	s, k1 := upgradedDatabase(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	first, err := collkeys.Generate(k1, time.Now())
	require.NoError(t, err)
	require.NoError(t, collkeys.CreateFile(path, first))
	// The version before rotatable keys re-keyed without the AES layer.
	gen0, err := first.AtGeneration(0)
	require.NoError(t, err)
	n, err := s.RekeyFindings(ctx, gen0.Rekey)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	ks, err := collkeys.Open(ctx, collkeys.Options{Path: path, Store: s, Logger: quietLog})
	require.NoError(t, err)
	require.Equal(t, first.Fingerprint(), ks.Fingerprint())
	requireNotConfirmable(t, s, k1)
	storetest.BuildIndex(t, s)
	ms, err := subjects.Search(ctx, s, ks, rekeyPlanted)
	require.NoError(t, err)
	require.Equal(t, rekeyAssets, matchedAssets(ms))
}
