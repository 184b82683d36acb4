package ingest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

func recs(agent string, n int) []wire.Record {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	out := make([]wire.Record, n)
	for i := range out {
		out[i] = wire.Record{Kind: wire.KindAsset, Source: wire.SourceFS, ScanID: "s-" + agent, ObservedAt: t0, AgentID: agent,
			AssetID: fmt.Sprintf("%s-%d", agent, i), AssetType: "file", Location: fmt.Sprintf("file:///%s/%d", agent, i)}
	}
	return out
}

func countAssets(t *testing.T, st *store.Store) uint64 {
	var n []struct {
		N uint64 `ch:"n"`
	}
	require.NoError(t, st.Conn().Select(context.Background(), &n, "SELECT count() AS n FROM "+st.Database()+".assets"))
	return n[0].N
}

// Many concurrent submissions are coalesced into few inserts, each answered
// only after its rows are stored.
func TestSubmitCoalescesAndAnswersAfterStore(t *testing.T) {
	st := storetest.New(t)
	var mu sync.Mutex
	var flushes []int
	in := ingest.New(ingest.Options{Store: st, BatchRows: 1000, BatchInterval: 50 * time.Millisecond,
		OnFlush: func(rows int, _ time.Duration, err error) {
			require.NoError(t, err)
			mu.Lock()
			flushes = append(flushes, rows)
			mu.Unlock()
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var wg sync.WaitGroup
	for a := 0; a < 20; a++ {
		wg.Add(1)
		go func(a int) {
			defer wg.Done()
			agent := fmt.Sprintf("ag%d", a)
			require.NoError(t, in.Submit(ctx, agent, "k1", recs(agent, 100)))
			seen, err := in.Seen(ctx, agent, "k1")
			require.NoError(t, err)
			require.True(t, seen, "a stored batch's key is recorded")
		}(a)
	}
	wg.Wait()
	require.EqualValues(t, 2000, countAssets(t, st))
	mu.Lock()
	defer mu.Unlock()
	require.Less(t, len(flushes), 20, "20 requests must share inserts")
	total := 0
	for _, n := range flushes {
		total += n
	}
	require.Equal(t, 2000, total)
}

// Run drains what is pending when it stops, so a graceful shutdown does
// not fail requests already accepted.
func TestRunFlushesOnStop(t *testing.T) {
	st := storetest.New(t)
	in := ingest.New(ingest.Options{Store: st, BatchRows: 1000, BatchInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	errc := make(chan error, 1)
	go func() { errc <- in.Submit(context.Background(), "ag", "", recs("ag", 10)) }()
	require.Eventually(t, func() bool { return in.Pending() == 10 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	<-done
	require.NoError(t, <-errc)
	require.EqualValues(t, 10, countAssets(t, st))
}

// gatedStore is the real store whose inserts wait until the gate opens, so
// a test can hold a batch between Submit and its stored answer.
type gatedStore struct {
	*store.Store
	gate    chan struct{}
	entered chan struct{} // one value per insert that reached the gate
}

func (g *gatedStore) InsertRecordSets(ctx context.Context, sets [][]wire.Record, batches []store.Batch) error {
	g.entered <- struct{}{}
	<-g.gate
	return g.Store.InsertRecordSets(ctx, sets, batches)
}

// An agent that gives up on a batch (its timeout) and sends it again while
// the first copy still waits for its flush gets the first copy's answer:
// the rows are inserted once, not twice (found by make bench-load).
func TestRepeatedBatchInFlightIsStoredOnce(t *testing.T) {
	st := &gatedStore{Store: storetest.New(t), gate: make(chan struct{}), entered: make(chan struct{}, 10)}
	in := ingest.New(ingest.Options{Store: st, BatchRows: 1000, BatchInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	var open sync.Once
	openGate := func() { open.Do(func() { close(st.gate) }) }
	defer func() { openGate(); cancel(); <-done }()

	first, giveUp := context.WithCancel(ctx)
	firstErr := make(chan error, 1)
	go func() { firstErr <- in.Submit(first, "ag", "batch-1", recs("ag", 50)) }()
	<-st.entered // the flush holding the first copy has started
	giveUp()     // the agent's request timed out; its rows are still being stored
	require.ErrorIs(t, <-firstErr, context.Canceled)

	retryErr := make(chan error, 1)
	go func() { retryErr <- in.Submit(ctx, "ag", "batch-1", recs("ag", 50)) }()
	select {
	case err := <-retryErr:
		t.Fatalf("the retry was answered (%v) before the first copy was stored", err)
	case <-time.After(100 * time.Millisecond):
	}
	require.Zero(t, in.Pending(), "the retry's rows are not queued a second time")
	openGate()
	require.NoError(t, <-retryErr, "the retry is answered with the first copy's result")
	require.EqualValues(t, 50, countAssets(t, st.Store), "50 rows inserted, not 100")
	seen, err := in.Seen(ctx, "ag", "batch-1")
	require.NoError(t, err)
	require.True(t, seen)
	// Another batch of the same agent is stored as usual.
	require.NoError(t, in.Submit(ctx, "ag", "batch-2", recs("ag2", 10)))
	require.EqualValues(t, 60, countAssets(t, st.Store))
}

// Requests that share a flush are stored in the order they were submitted:
// of two rows with one key, the one submitted later wins, and every
// request's batch is recorded.
func TestFlushKeepsSubmitOrder(t *testing.T) {
	st := storetest.New(t)
	var mu sync.Mutex
	var flushes []int
	in := ingest.New(ingest.Options{Store: st, BatchRows: 1000, MinRows: 1000, BatchInterval: time.Hour,
		OnFlush: func(rows int, _ time.Duration, err error) {
			require.NoError(t, err)
			mu.Lock()
			flushes = append(flushes, rows)
			mu.Unlock()
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()

	owners := []string{"first", "second", "third"}
	errc := make(chan error, len(owners))
	for i, owner := range owners {
		r := recs("ag", 1)
		r[0].Owner = owner
		go func() { errc <- in.Submit(context.Background(), "ag", owner, r) }()
		require.Eventually(t, func() bool { return in.Pending() == i+1 }, 5*time.Second, time.Millisecond)
	}
	cancel() // Run drains what is pending: one flush with all three
	<-done
	for range owners {
		require.NoError(t, <-errc)
	}
	mu.Lock()
	require.Equal(t, []int{3}, flushes)
	mu.Unlock()
	var got []struct {
		Owner string `ch:"owner"`
	}
	require.NoError(t, st.Conn().Select(context.Background(), &got, "SELECT owner FROM "+st.Database()+".assets FINAL"))
	require.Len(t, got, 1)
	require.Equal(t, "third", got[0].Owner, "the request submitted last wins")
	seen, err := st.BatchesSeen(context.Background(), "ag", owners)
	require.NoError(t, err)
	require.Len(t, seen, len(owners), "every request's batch is recorded")
}
