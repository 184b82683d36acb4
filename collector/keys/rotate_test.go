package keys_test

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
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

// installed is a collector database with the planted identifiers ingested
// through the real ingest path, its key file and K1.
type installed struct {
	st   *store.Store
	path string
	k1   []byte
}

func install(t *testing.T) installed {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	ks, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, uint32(1), ks.Generation(), "a new install starts at generation 1")
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn, Keys: ks})
	secret, _, err := authn.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Name: "deploy"})
	require.NoError(t, err)
	en, err := fl.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: "web-1"})
	require.NoError(t, err)
	k1, err := hex.DecodeString(en.TokenKey)
	require.NoError(t, err)
	ingestWith(t, st, ks, fixture(en.AgentID, agentTokens(t, k1), time.Now().UTC().Truncate(time.Second)))
	storetest.BuildIndex(t, st)
	ms, err := subjects.Search(ctx, st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms))
	return installed{st: st, path: path, k1: k1}
}

func ingestWith(t *testing.T, st *store.Store, ks *keys.Keys, recs []wire.Record) {
	t.Helper()
	ctx := context.Background()
	ing := ingest.New(ingest.Options{Store: st, BatchInterval: 10 * time.Millisecond, Logger: quiet, Rekey: ks.Rekey})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); ing.Run(runCtx) }()
	defer func() { stop(); <-done }()
	for i := range recs {
		require.NoError(t, recs[i].Validate())
	}
	require.NoError(t, ing.Submit(ctx, recs[0].AgentID, "batch-"+recs[0].ScanID+recs[0].AssetID, recs))
}

// storedTokens returns every token value any table holds: the findings,
// their copy by host, the token index and the read index.
func storedTokens(t *testing.T, st *store.Store) []string {
	t.Helper()
	ctx := context.Background()
	var rows []struct {
		T string `ch:"t"`
	}
	db := "`" + st.Database() + "`"
	q := `SELECT DISTINCT t FROM (
		SELECT arrayJoin(tokens) AS t FROM ` + db + `.pii_findings
		UNION ALL SELECT token AS t FROM ` + db + `.pii_tokens
		UNION ALL SELECT arrayJoin(tokens) AS t FROM ` + db + `.pii_by_host
		UNION ALL SELECT arrayJoin(tokens) AS t FROM ` + db + `.idx_findings) ORDER BY t`
	require.NoError(t, st.Conn().Select(ctx, &rows, q))
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.T
	}
	return out
}

func copyKeyFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	cp := filepath.Join(t.TempDir(), "old-keys.json")
	require.NoError(t, os.WriteFile(cp, b, 0o600))
	return cp
}

// requireRotated checks the database after a rotation to generation gen:
// search with the reopened keys finds the planted identifiers, no value
// stored before survives in any table, the old key file finds nothing, and
// the key file holds only the new generation.
func requireRotated(t *testing.T, in installed, gen uint32, before []string, oldFile string) *keys.Keys {
	t.Helper()
	ctx := context.Background()
	ks, err := keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, gen, ks.Generation())
	got, err := keys.ReadFile(in.path)
	require.NoError(t, err)
	require.Equal(t, []uint32{gen}, got.Generations(), "the old key is gone from the key file")

	storetest.BuildIndex(t, in.st)
	ms, err := subjects.Search(ctx, in.st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms), "search finds the planted identifiers at the new generation")

	after := storedTokens(t, in.st)
	require.Len(t, after, len(before), "as many distinct tokens as before")
	for _, tok := range before {
		require.NotContains(t, after, tok, "a token value of the old generation survived")
	}
	dump := storetest.Dump(t, in.st)
	old, err := keys.ReadFile(oldFile)
	require.NoError(t, err)
	for _, id := range planted {
		v, ok := pii.NormalizeAs(id.Type, id.Value)
		require.True(t, ok)
		require.NotContains(t, dump, old.SearchToken([]byte(v)), "the old key file still finds %s", id.Type)
	}
	ms, err = subjects.Search(ctx, in.st, old, planted)
	require.NoError(t, err)
	require.Empty(t, ms, "the old key file finds nothing")
	requireUnconfirmable(t, in.st, in.k1)
	return ks
}

func TestRotateMovesEveryTokenAndDropsTheOldKey(t *testing.T) {
	ctx := context.Background()
	in := install(t)
	before := storedTokens(t, in.st)
	require.Len(t, before, 6, "three planted tokens and three decoys")
	oldFile := copyKeyFile(t, in.path)

	res, err := keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, keys.RotateResult{From: 1, To: 2, Findings: 3}, res)
	ks := requireRotated(t, in, 2, before, oldFile)

	// Ingest after the rotation stores at the new generation: a new
	// agent's file with the first planted identifier is found with it.
	recs := fixture("agent-2", agentTokens(t, in.k1)[:1], time.Now().UTC().Truncate(time.Second))
	recs[0].AssetID, recs[0].Host, recs[1].Host = "asset-new", "web-2", "web-2"
	recs[0].ScanID, recs[1].ScanID = "scan-2", "scan-2"
	ingestWith(t, in.st, ks, recs)
	storetest.BuildIndex(t, in.st)
	ms, err := subjects.Search(ctx, in.st, ks, planted[:1])
	require.NoError(t, err)
	require.Equal(t, []string{"asset-0", "asset-new"}, assetsOf(ms))

	// A second rotation starts from rows ingest wrote (token_gen 0) and
	// rows the first rotation wrote alike.
	before = storedTokens(t, in.st)
	oldFile = copyKeyFile(t, in.path)
	res, err = keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, keys.RotateResult{From: 2, To: 3, Findings: 4}, res)
	ks, err = keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	storetest.BuildIndex(t, in.st)
	ms, err = subjects.Search(ctx, in.st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, []string{"asset-0", "asset-1", "asset-2", "asset-new"}, assetsOf(ms))
	after := storedTokens(t, in.st)
	for _, tok := range before {
		require.NotContains(t, after, tok)
	}
	old, err := keys.ReadFile(oldFile)
	require.NoError(t, err)
	ms, err = subjects.Search(ctx, in.st, old, planted)
	require.NoError(t, err)
	require.Empty(t, ms)
}

var errInjected = errors.New("injected failure")

// failingStore is the real store with failures injected where a crash
// could stop a rotation.
type failingStore struct {
	*store.Store
	transforms int // rows re-encrypted before the failure; -1: none
	endMarker  bool
}

func (f *failingStore) ReencryptFindings(ctx context.Context, to uint32, chunkRows int, transform func([]string) error) (int, error) {
	return f.Store.ReencryptFindings(ctx, to, chunkRows, func(toks []string) error {
		if f.transforms == 0 {
			return errInjected
		}
		f.transforms--
		return transform(toks)
	})
}

func (f *failingStore) PutSetting(ctx context.Context, key, value string) error {
	if f.endMarker && key == keys.RotationSetting && value == "" {
		return errInjected
	}
	return f.Store.PutSetting(ctx, key, value)
}

func TestRotateResumesAfterAFailureMidway(t *testing.T) {
	ctx := context.Background()
	in := install(t)
	before := storedTokens(t, in.st)
	oldFile := copyKeyFile(t, in.path)

	// One finding per step; the third step fails after two were stored.
	_, err := keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: &failingStore{Store: in.st, transforms: 2}, Logger: quiet, ChunkRows: 1})
	require.ErrorIs(t, err, errInjected)
	require.ErrorContains(t, err, "run the same command again")
	got, err := keys.ReadFile(in.path)
	require.NoError(t, err)
	require.Equal(t, []uint32{1, 2}, got.Generations(), "both keys are kept until the rotation is done")
	mid := storedTokens(t, in.st)
	require.Greater(t, len(mid), len(before), "part of the tokens moved")

	// No collector may start meanwhile.
	_, err = keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.ErrorContains(t, err, "keys rotate")

	// The same command finishes the job, re-encrypting only the rest.
	res, err := keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet, ChunkRows: 1})
	require.NoError(t, err)
	require.Equal(t, keys.RotateResult{From: 1, To: 2, Findings: 1, Resumed: true}, res)
	requireRotated(t, in, 2, before, oldFile)
}

func TestRotateResumesAfterTheKeyFileWasRewritten(t *testing.T) {
	ctx := context.Background()
	in := install(t)
	before := storedTokens(t, in.st)
	oldFile := copyKeyFile(t, in.path)

	// Everything is done but recording the end.
	_, err := keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: &failingStore{Store: in.st, transforms: -1, endMarker: true}, Logger: quiet})
	require.ErrorIs(t, err, errInjected)
	_, err = keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.ErrorContains(t, err, "keys rotate")

	res, err := keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, keys.RotateResult{From: 1, To: 2, Resumed: true}, res, "nothing is re-encrypted twice")
	requireRotated(t, in, 2, before, oldFile)
}

func TestRotateRefusesWhileACollectorRuns(t *testing.T) {
	ctx := context.Background()
	in := install(t)
	lease, err := keys.HoldLease(ctx, keys.LeaseOptions{Store: in.st, ID: "web-collector", Logger: quiet})
	require.NoError(t, err)
	_, err = keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.ErrorContains(t, err, "stop every collector")
	require.ErrorContains(t, err, "web-collector")
	v, err := in.st.GetSetting(ctx, keys.RotationSetting)
	if err == nil {
		require.Empty(t, v, "a refused rotation leaves no mark")
	}
	got, err := keys.ReadFile(in.path)
	require.NoError(t, err)
	require.Equal(t, []uint32{1}, got.Generations())

	require.NoError(t, lease.Release(ctx))
	res, err := keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, uint32(2), res.To)
}

// TestOutdatedKeyFileIsRefused: a second collector host that did not get
// the rotated key file must not start with the old generation.
func TestOutdatedKeyFileIsRefused(t *testing.T) {
	ctx := context.Background()
	in := install(t)
	oldFile := copyKeyFile(t, in.path)
	_, err := keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	_, err = keys.Open(ctx, keys.Options{Path: oldFile, Store: in.st, Logger: quiet})
	require.ErrorContains(t, err, "copy the key file")
	_, err = keys.Rotate(ctx, keys.RotateOptions{Path: oldFile, Store: in.st, Logger: quiet})
	require.ErrorContains(t, err, "newest copy of the key file")
}

// TestUpgradeEncryptsUnencryptedTokens: a database and version 1 key file
// of the version before rotatable keys (tokens HMAC'd with K2, no AES
// layer) are upgraded at the first start, resumably.
func TestUpgradeEncryptsUnencryptedTokens(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	k, _, k2 := keyPair(t)
	k1, _, _ := fileKeys(t, k)
	gen0, err := k.AtGeneration(0)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "keys.json")
	v1 := `{"version":1,"token_key":"` + hex.EncodeToString(k1) + `","rekey_key":"` + hex.EncodeToString(k2) + `","created_at":"2026-12-01T10:00:00Z"}`
	require.NoError(t, os.WriteFile(path, []byte(v1), 0o600))
	require.NoError(t, st.PutSetting(ctx, keys.FingerprintSetting, k.Fingerprint()))
	require.NoError(t, st.PutSetting(ctx, keys.RekeyedSetting, "1"))
	ingestWith(t, st, gen0, fixture("agent-1", agentTokens(t, k1), time.Now().UTC().Truncate(time.Second)))
	before := storedTokens(t, st)
	for _, tok := range agentTokens(t, k1) {
		require.Contains(t, before, hmac16(k2, tok), "the old version's stored form")
	}

	// The upgrade rewrites stored tokens: not while another collector
	// serves.
	other, err := keys.HoldLease(ctx, keys.LeaseOptions{Store: st, ID: "other", Logger: quiet})
	require.NoError(t, err)
	mine, err := keys.HoldLease(ctx, keys.LeaseOptions{Store: st, ID: "mine", Logger: quiet})
	require.NoError(t, err)
	_, err = keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet, LeaseID: mine.ID()})
	require.ErrorContains(t, err, "other collector(s) of this database are running (other)")
	require.Equal(t, before, storedTokens(t, st), "nothing was rewritten")
	require.NoError(t, other.Release(ctx))

	// The first start fails half way...
	_, err = keys.Open(ctx, keys.Options{Path: path, Store: &failingStore{Store: st, transforms: 1}, Logger: quiet, LeaseID: mine.ID()})
	require.ErrorIs(t, err, errInjected)
	require.NoError(t, mine.Release(ctx))
	// ...and the next one finishes.
	ks, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, uint32(1), ks.Generation())
	got, err := keys.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, []uint32{1}, got.Generations())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), `"version": 2`)

	storetest.BuildIndex(t, st)
	ms, err := subjects.Search(ctx, st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms))
	after := storedTokens(t, st)
	require.Len(t, after, len(before))
	for _, tok := range before {
		require.NotContains(t, after, tok)
	}
	for _, tok := range after {
		require.Regexp(t, tokenShape, tok, "every token keeps the 32-hex shape")
	}
	// A restart changes nothing.
	ks2, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, ks.GenerationFingerprint(), ks2.GenerationFingerprint())
	require.Equal(t, after, storedTokens(t, st))
}

// cancellingStore cancels the rotation's context while the third step is
// being re-encrypted, as Ctrl-C would.
type cancellingStore struct {
	*store.Store
	cancel context.CancelFunc
}

func (c *cancellingStore) ReencryptFindings(ctx context.Context, to uint32, chunkRows int, transform func([]string) error) (int, error) {
	n := 0
	return c.Store.ReencryptFindings(ctx, to, chunkRows, func(toks []string) error {
		if n++; n == 3 {
			c.cancel()
		}
		return transform(toks)
	})
}

func TestRotateResumesAfterCancel(t *testing.T) {
	in := install(t)
	before := storedTokens(t, in.st)
	oldFile := copyKeyFile(t, in.path)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: &cancellingStore{Store: in.st, cancel: cancel}, Logger: quiet, ChunkRows: 1})
	require.ErrorIs(t, err, context.Canceled)

	res, err := keys.Rotate(context.Background(), keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet, ChunkRows: 1})
	require.NoError(t, err)
	require.Equal(t, keys.RotateResult{From: 1, To: 2, Findings: 1, Resumed: true}, res, "the two steps stored before the cancel are not redone")
	requireRotated(t, in, 2, before, oldFile)
}
