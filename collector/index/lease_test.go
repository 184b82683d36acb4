package index_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Two collectors on one store: only the lease's holder builds, the other
// reads its builds, and takes over when the holder stops renewing (dies).
func TestOneBuilderAndTakeOver(t *testing.T) {
	ctx := context.Background()
	stA := storetest.New(t)
	o := storetest.Options(t)
	o.Database = stA.Database()
	stB, err := store.Open(ctx, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = stB.Close() })

	clock := &fakeClock{now: t0}
	// A TTL of an hour: the renewal loops (every TTL/3 of real time) do
	// not run during the test, so the fake clock alone decides expiry.
	lease := func(st *store.Store, id string) *keys.Exclusive {
		return keys.NewExclusive("index_build", keys.LeaseOptions{Store: st, ID: id, TTL: time.Hour, Now: clock.Now, Logger: quiet()})
	}
	leaseA, leaseB := lease(stA, "A"), lease(stB, "B")
	xA := index.New(index.Options{Store: stA, Lease: leaseA, LeasePoll: 20 * time.Millisecond, Logger: quiet()})
	xB := index.New(index.Options{Store: stB, Lease: leaseB, LeasePoll: 20 * time.Millisecond, Logger: quiet()})

	require.NoError(t, stA.InsertRecords(ctx, scan("web-1", "s1", 2, 5)))
	require.NoError(t, xA.Build(ctx))
	holder, err := leaseB.Holder(ctx)
	require.NoError(t, err)
	require.Equal(t, "A", holder)
	before, err := stA.IndexState(ctx)
	require.NoError(t, err)

	// B's reader waits for A's build instead of building.
	require.NoError(t, stB.InsertRecords(ctx, scan("db-1", "s2", 3, 5)))
	got := make(chan error, 1)
	go func() {
		st, err := xB.Ensure(ctx)
		if err == nil && !st.Fresh {
			err = context.DeadlineExceeded
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("B answered before A built: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	require.NoError(t, xA.Build(ctx))
	require.NoError(t, <-got)
	require.Equal(t, uint64(5), summaryAssets(t, stB))
	holder, err = leaseB.Holder(ctx)
	require.NoError(t, err)
	require.Equal(t, "A", holder, "B did not take the lease while A held it")
	mid, err := stA.IndexState(ctx)
	require.NoError(t, err)
	require.Greater(t, mid.Gen, before.Gen)

	// A dies: it renews no more, and once its lease has expired B builds.
	clock.Advance(2 * time.Hour)
	require.NoError(t, stB.InsertRecords(ctx, scan("app-1", "s3", 4, 5)))
	st, err := xB.Ensure(ctx)
	require.NoError(t, err)
	require.True(t, st.Fresh)
	require.Equal(t, uint64(9), summaryAssets(t, stB))
	holder, err = leaseA.Holder(ctx)
	require.NoError(t, err)
	require.Equal(t, "B", holder)

	// A back from the dead does not build while B holds the lease.
	held, err := leaseA.Hold(ctx)
	require.NoError(t, err)
	require.False(t, held)
	require.NoError(t, leaseB.Release(ctx))
	held, err = leaseA.Hold(ctx)
	require.NoError(t, err)
	require.True(t, held, "a released lease is free at once")
	require.NoError(t, leaseA.Release(ctx))
}
