package dsr_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/dsr"
	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/collector/subjects"
)

// TestKeyRotationMakesTokensStale: a case's tokens were made with the
// keys of its day; after the agents' token key is rotated, its search is
// refused (it would miss what agents now send) until the identifiers are
// given again, and the new tokens differ from the old.
func TestKeyRotationMakesTokensStale(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	k, err := keys.Generate(nil, now)
	require.NoError(t, err)
	var mu sync.Mutex
	cur := k
	s := dsr.New(dsr.Options{Store: st, Now: func() time.Time { return now },
		Keys: func() dsr.Hasher { mu.Lock(); defer mu.Unlock(); return cur }})
	ids := []subjects.Identifier{{Type: "email", Value: "ana@example.com"}}
	c, err := s.Create(ctx, dsr.CreateInput{Reference: "R-9", Identifiers: ids}, "dpo")
	require.NoError(t, err)
	require.Equal(t, "gdpr", c.Regulation)
	require.Equal(t, now.AddDate(0, 1, 0), c.DueAt)
	storetest.BuildIndex(t, st)
	_, err = s.Search(ctx, c.ID, "dpo")
	require.NoError(t, err)

	rotated, err := k.WithNewAgentKey(now)
	require.NoError(t, err)
	mu.Lock()
	cur = rotated
	mu.Unlock()
	_, err = s.Search(ctx, c.ID, "dpo")
	require.ErrorIs(t, err, dsr.ErrConflict)
	require.ErrorContains(t, err, "give the identifiers again")

	again, err := s.Reidentify(ctx, c.ID, ids, "dpo")
	require.NoError(t, err)
	require.NotEqual(t, c.Tokens, again.Tokens)
	require.Len(t, again.Tokens, 2, "the new key's token and the previous key's, while agents may still use it")
	_, err = s.Search(ctx, c.ID, "dpo")
	require.NoError(t, err)
	searches, err := s.Searches(ctx, c.ID)
	require.NoError(t, err)
	require.Len(t, searches, 2)
}
