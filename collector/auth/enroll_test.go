package auth_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

// countingStore is the real store, counting the token lookups that reach
// ClickHouse.
type countingStore struct {
	*store.Store
	lookups atomic.Int64
}

func (c *countingStore) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	c.lookups.Add(1)
	return c.Store.TokenByHash(ctx, hash)
}

func TestNegativeCache(t *testing.T) {
	ctx := context.Background()
	st := &countingStore{Store: storetest.New(t)}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	a := auth.New(auth.Options{Store: st, Now: func() time.Time { return now }, NegativeMax: 4})

	bad := "slt_admin_not-a-real-token"
	for i := 0; i < 100; i++ {
		_, err := a.Verify(ctx, bad)
		require.ErrorIs(t, err, auth.ErrInvalidToken)
	}
	require.EqualValues(t, 1, st.lookups.Load(), "a repeated unknown token costs one query per NegativeTTL")

	// A flood of distinct made-up tokens costs one query each (the
	// cache's bound is checked in negcache_internal_test.go).
	for i := 0; i < 10; i++ {
		_, err := a.Verify(ctx, "slt_admin_flood-"+string(rune('a'+i)))
		require.ErrorIs(t, err, auth.ErrInvalidToken)
	}
	require.EqualValues(t, 11, st.lookups.Load())

	// A token that was unknown and is then stored (as another collector
	// would) is accepted once the negative entry expires.
	guessed := "slt_admin_guessed-token"
	_, err := a.Verify(ctx, guessed)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	require.NoError(t, st.PutToken(ctx, store.Token{Hash: auth.Hash(guessed), Role: auth.RoleAdmin, CreatedAt: now}))
	_, err = a.Verify(ctx, guessed)
	require.ErrorIs(t, err, auth.ErrInvalidToken, "within NegativeTTL the unknown answer stands")
	now = now.Add(auth.DefaultNegativeTTL + time.Second)
	got, err := a.Verify(ctx, guessed)
	require.NoError(t, err)
	require.Equal(t, auth.RoleAdmin, got.Role)

	// Tokens created here work at once, whatever was presented before.
	tok, _, err := a.Create(ctx, auth.RoleAdmin, "new", "", 0)
	require.NoError(t, err)
	_, err = a.Verify(ctx, tok)
	require.NoError(t, err)
}

func TestEnrollSecretExpiresByDefault(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	a := auth.New(auth.Options{Store: st, Now: func() time.Time { return now }, CacheTTL: time.Hour})

	secret, tok, err := a.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Name: "deploy"})
	require.NoError(t, err)
	require.NotNil(t, tok.ExpiresAt)
	require.Equal(t, now.Add(auth.DefaultEnrollTTL), *tok.ExpiresAt)
	require.Equal(t, 7*24*time.Hour, auth.DefaultEnrollTTL)

	_, err = a.UseEnrollSecret(ctx, secret, "agent-1")
	require.NoError(t, err)
	now = now.Add(auth.DefaultEnrollTTL + time.Second)
	_, err = a.UseEnrollSecret(ctx, secret, "agent-2")
	require.ErrorIs(t, err, auth.ErrInvalidToken)

	// An explicit ttl wins; other roles keep "0 = no expiry".
	_, tok, err = a.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Name: "short", TTL: time.Hour})
	require.NoError(t, err)
	require.Equal(t, now.Add(time.Hour), *tok.ExpiresAt)
	_, tok, err = a.Issue(ctx, auth.IssueRequest{Role: auth.RoleAdmin, Name: "ops"})
	require.NoError(t, err)
	require.Nil(t, tok.ExpiresAt)
}

func TestEnrollSecretUses(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	a := auth.New(auth.Options{Store: st})

	for _, tc := range []struct {
		name string
		req  auth.IssueRequest
	}{
		{"negative", auth.IssueRequest{Role: auth.RoleAgentEnroll, Uses: -1}},
		{"too many", auth.IssueRequest{Role: auth.RoleAgentEnroll, Uses: 1 << 30}},
		{"not an enroll secret", auth.IssueRequest{Role: auth.RoleAdmin, Uses: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := a.Issue(ctx, tc.req)
			require.ErrorIs(t, err, auth.ErrInvalidRequest)
		})
	}

	secret, tok, err := a.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Name: "two", Uses: 2})
	require.NoError(t, err)
	require.EqualValues(t, 2, tok.MaxUses)
	for _, agent := range []string{"a1", "a2"} {
		_, err := a.UseEnrollSecret(ctx, secret, agent)
		require.NoError(t, err)
	}
	_, err = a.UseEnrollSecret(ctx, secret, "a3")
	require.ErrorIs(t, err, auth.ErrInvalidToken, "past its count, like an expired secret")
	// The count is in ClickHouse: another collector's Authenticator
	// (a fresh one) refuses it too.
	_, err = auth.New(auth.Options{Store: st}).UseEnrollSecret(ctx, secret, "a4")
	require.ErrorIs(t, err, auth.ErrInvalidToken)

	// Non-enroll tokens cannot enroll.
	admin, _, err := a.Create(ctx, auth.RoleAdmin, "", "", 0)
	require.NoError(t, err)
	_, err = a.UseEnrollSecret(ctx, admin, "a5")
	require.ErrorIs(t, err, auth.ErrInvalidToken)

	// Concurrent enrollments through one collector never exceed the count.
	secret, _, err = a.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Name: "five", Uses: 5})
	require.NoError(t, err)
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.UseEnrollSecret(ctx, secret, "agent"); err == nil {
				ok.Add(1)
			} else {
				require.ErrorIs(t, err, auth.ErrInvalidToken)
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 5, ok.Load())
	n, err := st.TokenUses(ctx, auth.Hash(secret))
	require.NoError(t, err)
	require.EqualValues(t, 5, n)
}
