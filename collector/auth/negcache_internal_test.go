package auth

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store/storetest"
)

func TestNegativeCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	a := New(Options{Store: storetest.New(t), Now: func() time.Time { return now }, NegativeMax: 4})
	for i := 0; i < 50; i++ {
		_, err := a.Verify(ctx, fmt.Sprintf("slt_admin_flood-%d", i))
		require.ErrorIs(t, err, ErrInvalidToken)
		a.mu.Lock()
		n := len(a.neg)
		a.mu.Unlock()
		require.LessOrEqual(t, n, 4)
	}
}
