package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

func TestIssueChecksRoleTTLAndName(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	a := auth.New(auth.Options{Store: st, Now: func() time.Time { return now }})

	for _, tc := range []struct {
		name string
		req  auth.IssueRequest
	}{
		{"agent tokens come only from enrollment", auth.IssueRequest{Role: auth.RoleAgent, Name: "x"}},
		{"unknown role", auth.IssueRequest{Role: "root", Name: "x"}},
		{"negative ttl", auth.IssueRequest{Role: auth.RoleAdmin, Name: "x", TTL: -time.Hour}},
		{"name required", auth.IssueRequest{Role: auth.RoleReviewer, RequireName: true}},
		{"blank name required", auth.IssueRequest{Role: auth.RoleReviewer, Name: "  ", RequireName: true}},
		{"control characters", auth.IssueRequest{Role: auth.RoleReviewer, Name: "a\nb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := a.Issue(ctx, tc.req)
			require.ErrorIs(t, err, auth.ErrInvalidRequest)
		})
	}

	tok, rev1, err := a.Issue(ctx, auth.IssueRequest{Role: auth.RoleReviewer, Name: "rev1", TTL: time.Hour, RequireName: true})
	require.NoError(t, err)
	require.Equal(t, "rev1", rev1.Name)
	_, _, err = a.Issue(ctx, auth.IssueRequest{Role: auth.RoleAdmin, Name: "rev1"})
	require.ErrorIs(t, err, auth.ErrNameTaken, "names are unique among live tokens, whatever the role")
	// Unnamed tokens (the command line's scripts) do not clash.
	for range 2 {
		_, _, err = a.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll})
		require.NoError(t, err)
	}

	// Once the old token is gone (expired or revoked), its name is free.
	now = now.Add(2 * time.Hour)
	_, err = a.Verify(ctx, tok)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	_, second, err := a.Issue(ctx, auth.IssueRequest{Role: auth.RoleReviewer, Name: "rev1"})
	require.NoError(t, err)
	_, err = a.Revoke(ctx, auth.ID(second))
	require.NoError(t, err)
	_, _, err = a.Issue(ctx, auth.IssueRequest{Role: auth.RoleReviewer, Name: "rev1"})
	require.NoError(t, err)

	toks, err := a.List(ctx)
	require.NoError(t, err)
	require.Len(t, toks, 5)
	states := map[string]int{}
	for _, tk := range toks {
		switch {
		case tk.Revoked:
			states["revoked"]++
		case !auth.Live(tk, now):
			states["expired"]++
		default:
			states["live"]++
		}
	}
	require.Equal(t, map[string]int{"revoked": 1, "expired": 1, "live": 3}, states)
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := auth.New(auth.Options{Store: st, Now: clock, CacheTTL: time.Minute})
	// b is another collector over the same store.
	b := auth.New(auth.Options{Store: st, Now: clock, CacheTTL: time.Minute})

	tok, stored, err := a.Issue(ctx, auth.IssueRequest{Role: auth.RoleSecurity, Name: "soc"})
	require.NoError(t, err)
	id := auth.ID(stored)
	require.Len(t, id, auth.IDLen)
	for _, x := range []*auth.Authenticator{a, b} {
		_, err := x.Verify(ctx, tok) // now cached by both
		require.NoError(t, err)
	}

	got, err := a.Revoke(ctx, id)
	require.NoError(t, err)
	require.True(t, got.Revoked)
	_, err = a.Verify(ctx, tok)
	require.ErrorIs(t, err, auth.ErrInvalidToken, "the revoking collector refuses it at once")
	_, err = b.Verify(ctx, tok)
	require.NoError(t, err, "another collector trusts its cache until the TTL")
	now = now.Add(time.Minute + time.Second)
	_, err = b.Verify(ctx, tok)
	require.ErrorIs(t, err, auth.ErrInvalidToken, "and refuses it after the TTL")
	fresh := auth.New(auth.Options{Store: st})
	_, err = fresh.Verify(ctx, tok)
	require.ErrorIs(t, err, auth.ErrInvalidToken)

	_, err = a.Revoke(ctx, id)
	require.NoError(t, err, "revoking twice is not an error")
	_, err = a.Revoke(ctx, stored.Hash) // the full hash works too
	require.NoError(t, err)
	_, err = a.Revoke(ctx, "0123456789ab")
	require.ErrorIs(t, err, auth.ErrUnknownToken)
	for _, bad := range []string{"", "abc", "not-hex-at-all", "zzzzzzzzzzzz"} {
		_, err = a.Revoke(ctx, bad)
		require.ErrorIs(t, err, auth.ErrInvalidRequest, bad)
	}

	// Two tokens sharing a prefix: that prefix is ambiguous, a longer one is not.
	for _, h := range []string{"feedface00", "feedface11"} {
		require.NoError(t, st.PutToken(ctx, store.Token{Hash: h, Role: auth.RoleAdmin, CreatedAt: now}))
	}
	_, err = a.Revoke(ctx, "feedface")
	require.ErrorIs(t, err, auth.ErrAmbiguousID)
	got, err = a.Revoke(ctx, "FEEDFACE11")
	require.NoError(t, err, "ids are case-insensitive")
	require.Equal(t, "feedface11", got.Hash)
}
