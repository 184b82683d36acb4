package keys_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// An IAM user's access keys are stored as tokens so that a key found in a
// file names its owner: a rotation of the token encryption key moves them
// with the findings' tokens, so the join holds without waiting for the
// next IAM scan, and no stored token of the old generation is left.
func TestRotateMovesPrincipalTokens(t *testing.T) {
	ctx := context.Background()
	in := install(t)
	ks, err := keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	keyTok := pii.NewTokenizer(in.k1).Token([]byte("AKIAIOSFODNN7EXAMPLE"))
	obs := time.Now().UTC().Truncate(time.Second)
	fin := obs.Add(time.Minute)
	agent := "agent-iam"
	ingestWith(t, in.st, ks, []wire.Record{
		{Kind: wire.KindPII, Source: wire.SourceFS, ScanID: "scan-fs", AgentID: agent, Host: "app-1", ObservedAt: obs,
			AssetID: "asset-env", Location: "file:///srv/app/.env", Type: "aws_access_key", Category: "credential",
			Count: 1, Distinct: 1, Confidence: wire.ConfidenceHigh, Tokens: []string{keyTok}},
		{Kind: wire.KindScan, Source: wire.SourceFS, ScanID: "scan-fs", AgentID: agent, Host: "app-1", ObservedAt: obs,
			Scanner: "fs", StartedAt: &obs, FinishedAt: &fin, Status: wire.StatusOK},
		{Kind: wire.KindPrincipal, Source: wire.SourceIAM, ScanID: "scan-iam", AgentID: agent, Host: "aws:111111111111",
			ObservedAt: obs, PrincipalID: "iam:111111111111:user/bob", PrincipalType: "user", Name: "bob", Tokens: []string{keyTok}},
		{Kind: wire.KindScan, Source: wire.SourceIAM, ScanID: "scan-iam", AgentID: agent, Host: "aws:111111111111", ObservedAt: obs,
			Scanner: "iam", StartedAt: &obs, FinishedAt: &fin, Status: wire.StatusOK},
	})
	owners := func() []string {
		t.Helper()
		ps, err := in.st.KeyOwners(ctx, "asset-env")
		require.NoError(t, err)
		var names []string
		for _, p := range ps {
			names = append(names, p.Name)
		}
		return names
	}
	require.Equal(t, []string{"bob"}, owners(), "the key joins to bob before the rotation")
	var before []struct {
		T []string `ch:"tokens"`
	}
	db := "`" + in.st.Database() + "`"
	require.NoError(t, in.st.Conn().Select(ctx, &before, `SELECT tokens FROM `+db+`.principal_tokens FINAL`))
	require.Len(t, before, 1)

	_, err = keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, []string{"bob"}, owners(), "and after it, with no new IAM scan")
	var after []struct {
		T   []string `ch:"tokens"`
		Gen uint32   `ch:"token_gen"`
	}
	require.NoError(t, in.st.Conn().Select(ctx, &after, `SELECT tokens, token_gen FROM `+db+`.principal_tokens FINAL`))
	require.Len(t, after, 1)
	require.Equal(t, uint32(2), after[0].Gen)
	require.NotEqual(t, before[0].T, after[0].T, "the principal's token moved to the new key")
	var onDisk []struct {
		T []string `ch:"tokens"`
	}
	require.NoError(t, in.st.Conn().Select(ctx, &onDisk, `SELECT tokens FROM `+db+`.principal_tokens`))
	require.Len(t, onDisk, 1, "the replaced row with the old generation's token is merged away")

	// A second rotation moves it again (resuming never moves it twice:
	// token_gen marks the rows done, as for findings).
	_, err = keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	require.Equal(t, []string{"bob"}, owners())
}
