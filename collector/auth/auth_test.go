package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

func TestCreateVerify(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := auth.New(auth.Options{Store: st, Now: clock, CacheTTL: time.Minute})

	tok, stored, err := a.Create(ctx, auth.RoleAdmin, "ops", "", time.Hour)
	require.NoError(t, err)
	require.Contains(t, tok, "slt_admin_")
	require.Equal(t, auth.Hash(tok), stored.Hash)
	require.NotContains(t, stored.Hash, tok, "only the hash is stored")

	got, err := a.Verify(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, auth.RoleAdmin, got.Role)

	_, err = a.Verify(ctx, tok+"x")
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	_, err = a.Verify(ctx, "")
	require.ErrorIs(t, err, auth.ErrNoToken)

	// Expiry is checked on every call, cached or not.
	now = now.Add(2 * time.Hour)
	_, err = a.Verify(ctx, tok)
	require.ErrorIs(t, err, auth.ErrInvalidToken)

	// A fresh authenticator (another collector) sees the same token.
	b := auth.New(auth.Options{Store: st})
	tok2, _, err := a.Create(ctx, auth.RoleAgentEnroll, "", "", 0)
	require.NoError(t, err)
	got, err = b.Verify(ctx, tok2)
	require.NoError(t, err)
	require.Equal(t, auth.RoleAgentEnroll, got.Role)
	require.Nil(t, got.ExpiresAt)
}

func TestBearer(t *testing.T) {
	for in, want := range map[string]string{
		"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "": "",
	} {
		require.Equal(t, want, auth.Bearer(in), in)
	}
}
