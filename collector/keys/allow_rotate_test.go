package keys_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/collector/subjects"
	"github.com/sightline-dev/sightline/collector/triage"
)

// An allow rule made by value holds stored tokens: a rotation of the
// token encryption key moves them with the findings', so the value stays
// allowed (search does not find it) and the others are still found.
func TestRotateMovesAllowRules(t *testing.T) {
	ctx := context.Background()
	in := install(t)
	ks, err := keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	svc := triage.New(in.st, func() triage.Hasher { return ks }, nil)
	_, err = svc.Allow(ctx, triage.AllowInput{Type: planted[0].Type, Value: planted[0].Value, Reason: "a shared mailbox"}, "admin")
	require.NoError(t, err)
	storetest.BuildIndex(t, in.st)
	ms, err := subjects.Search(ctx, in.st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets[1:], assetsOf(ms), "the allowed value is found nowhere")
	before, err := in.st.AllowRules(ctx)
	require.NoError(t, err)

	_, err = keys.Rotate(ctx, keys.RotateOptions{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	ks, err = keys.Open(ctx, keys.Options{Path: in.path, Store: in.st, Logger: quiet})
	require.NoError(t, err)
	after, err := in.st.AllowRules(ctx)
	require.NoError(t, err)
	require.Len(t, after, 1)
	require.Equal(t, ks.Generation(), after[0].TokenGen)
	require.NotEqual(t, before[0].Tokens, after[0].Tokens, "the rule's tokens moved to the new key")
	storetest.BuildIndex(t, in.st)
	ms, err = subjects.Search(ctx, in.st, ks, planted)
	require.NoError(t, err)
	require.Equal(t, wantAssets[1:], assetsOf(ms), "still allowed after the rotation")
}
