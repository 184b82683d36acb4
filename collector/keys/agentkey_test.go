package keys_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/collector/subjects"
)

// failingFingerprint fails to record a new key fingerprint, as a crash
// right after the key file was written would.
type failingFingerprint struct{ *store.Store }

func (f failingFingerprint) PutSetting(ctx context.Context, key, value string) error {
	if key == keys.FingerprintSetting {
		return errInjected
	}
	return f.Store.PutSetting(ctx, key, value)
}

// TestAgentKeyRotation walks the documented K1 procedure: rotate, agents
// enrolled before stay searchable through the previous key, re-enrolled
// agents get the new key, retiring is refused while old agents still have
// findings, and after retiring only the old key's findings are gone from
// search.
func TestAgentKeyRotation(t *testing.T) {
	ctx := context.Background()
	in := install(t)
	oldAgent := agentOf(t, in.st)

	lease, err := keys.HoldLease(ctx, keys.LeaseOptions{Store: in.st, ID: "c1", Logger: quiet})
	require.NoError(t, err)
	_, err = keys.RotateAgentKey(ctx, keys.AgentKeyOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.ErrorContains(t, err, "stop every collector")
	require.NoError(t, lease.Release(ctx))

	// Interrupted after the key file was written: the next start finishes.
	_, err = keys.RotateAgentKey(ctx, keys.AgentKeyOptions{Path: in.path, Store: failingFingerprint{in.st}, Logger: quiet})
	require.ErrorIs(t, err, errInjected)
	ks, err := keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	fp, err := in.st.GetSetting(ctx, keys.FingerprintSetting)
	require.NoError(t, err)
	require.Equal(t, ks.Fingerprint(), fp)
	require.NotEqual(t, hex.EncodeToString(in.k1), ks.TokenKeyHex(), "the agents' key changed")
	n, _ := ks.PreviousAgentKeys()
	require.Equal(t, 1, n)

	// What agents enrolled before send is still found.
	storetest.BuildIndex(t, in.st)
	ms, err := subjects.Search(ctx, in.st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms))

	// An agent enrolled now gets the new key; its findings are found too.
	authn := auth.New(auth.Options{Store: in.st})
	fl := fleet.New(fleet.Options{Store: in.st, Auth: authn, Keys: ks, Now: later})
	secret, _, err := authn.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Name: "re-enroll"})
	require.NoError(t, err)
	en, err := fl.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: "web-2"})
	require.NoError(t, err)
	require.Equal(t, ks.TokenKeyHex(), en.TokenKey)
	newK1, err := hex.DecodeString(en.TokenKey)
	require.NoError(t, err)
	recs := fixture(en.AgentID, agentTokens(t, newK1), time.Now().UTC().Truncate(time.Second))
	for i := range recs {
		recs[i].Host, recs[i].ScanID = "web-2", "scan-2"
		if recs[i].AssetID != "" {
			recs[i].AssetID = "new-" + recs[i].AssetID
		}
	}
	ingestWith(t, in.st, ks, recs)
	storetest.BuildIndex(t, in.st)
	ms, err = subjects.Search(ctx, in.st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, append(append([]string(nil), wantAssets...), "new-asset-0", "new-asset-1", "new-asset-2"), assetsOf(ms))
	for _, m := range ms {
		require.Len(t, m.Identifiers, 1, m.AssetID)
	}
	requireUnconfirmable(t, in.st, in.k1)
	requireUnconfirmable(t, in.st, newK1)

	// Retiring is refused while the old agent's findings depend on it.
	_, err = keys.RetireAgentKeys(ctx, keys.AgentKeyOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.ErrorIs(t, err, keys.ErrAgentsOnOldKey)
	require.ErrorContains(t, err, oldAgent)
	require.NotContains(t, err.Error(), en.AgentID, "the re-enrolled agent is not in the way")

	retired, err := keys.RetireAgentKeys(ctx, keys.AgentKeyOptions{Path: in.path, Store: in.st, Logger: quiet, Force: true})
	require.NoError(t, err)
	require.Equal(t, 1, retired)
	b, err := os.ReadFile(in.path)
	require.NoError(t, err)
	require.NotContains(t, string(b), hex.EncodeToString(in.k1), "the old agent key is gone from the key file")
	ks, err = keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	ms, err = subjects.Search(ctx, in.st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, []string{"new-asset-0", "new-asset-1", "new-asset-2"}, assetsOf(ms), "only the old key's findings are no longer found")
	retired, err = keys.RetireAgentKeys(ctx, keys.AgentKeyOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	require.Zero(t, retired)
}

// TestAgentKeyRetiresWhenEveryAgentIsNew: with only agents enrolled after
// the rotation holding findings, retiring needs no force.
func TestAgentKeyRetiresWhenEveryAgentIsNew(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	path := t.TempDir() + "/keys.json"
	_, err := keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	ks, err := keys.RotateAgentKey(ctx, keys.AgentKeyOptions{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn, Keys: ks, Now: later})
	secret, _, err := authn.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Name: "deploy"})
	require.NoError(t, err)
	en, err := fl.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: "web-1"})
	require.NoError(t, err)
	k1, err := hex.DecodeString(en.TokenKey)
	require.NoError(t, err)
	ingestWith(t, st, ks, fixture(en.AgentID, agentTokens(t, k1), time.Now().UTC().Truncate(time.Second)))
	n, err := keys.RetireAgentKeys(ctx, keys.AgentKeyOptions{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	ks, err = keys.Open(ctx, keys.Options{Path: path, Store: st, Logger: quiet})
	require.NoError(t, err)
	storetest.BuildIndex(t, st)
	ms, err := subjects.Search(ctx, st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets, assetsOf(ms))
}

func agentOf(t *testing.T, st *store.Store) string {
	t.Helper()
	var rows []struct {
		A string `ch:"a"`
	}
	require.NoError(t, st.Conn().Select(context.Background(), &rows, fmt.Sprintf("SELECT DISTINCT owner_agent AS a FROM `%s`.pii_findings", st.Database())))
	require.Len(t, rows, 1)
	return rows[0].A
}

// later is the clock of enrollments after a rotation: enrolled_at has
// whole seconds, and an agent enrolled in the rotation's second counts as
// enrolled before it.
func later() time.Time { return time.Now().Add(2 * time.Second) }
