// Package ingest turns agents' batches into ClickHouse inserts. Requests
// are coalesced: many small agent batches become one large insert (ClickHouse
// wants few big inserts), and each request is answered only after the insert
// holding its rows has succeeded, so a 2xx always means durably stored.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Store is the part of the store ingest writes to.
type Store interface {
	InsertRecords(ctx context.Context, recs []wire.Record) error
	BatchesSeen(ctx context.Context, agentID string, keys []string) (map[string]bool, error)
	PutBatches(ctx context.Context, b []store.Batch) error
}

// ErrBusy means the pending queue stayed full until the request gave up;
// the API answers 503 with Retry-After.
var ErrBusy = errors.New("collector is busy: too many rows waiting for ClickHouse; retry later")

// Options configures an Ingester.
type Options struct {
	Store          Store
	BatchRows      int
	BatchInterval  time.Duration
	MaxPendingRows int
	// FlushTimeout bounds one ClickHouse insert.
	FlushTimeout time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
	// OnFlush, when set, observes every flush (for metrics).
	OnFlush func(rows int, d time.Duration, err error)
}

// Ingester batches submitted records into store inserts.
type Ingester struct {
	o Options

	mu       sync.Mutex
	pending  []wire.Record
	batches  []store.Batch
	waiters  []chan error
	oldest   time.Time
	space    *sync.Cond // signalled when pending rows drop
	kick     chan struct{}
	stopping bool
}

// New returns an Ingester; call Run to start flushing.
func New(o Options) *Ingester {
	if o.BatchRows <= 0 {
		o.BatchRows = 50000
	}
	if o.BatchInterval <= 0 {
		o.BatchInterval = 200 * time.Millisecond
	}
	if o.MaxPendingRows < o.BatchRows {
		o.MaxPendingRows = 8 * o.BatchRows
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	in := &Ingester{o: o, kick: make(chan struct{}, 1)}
	in.space = sync.NewCond(&in.mu)
	return in
}

// Seen reports whether the agent's batch key was already stored.
func (in *Ingester) Seen(ctx context.Context, agentID, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	m, err := in.o.Store.BatchesSeen(ctx, agentID, []string{key})
	if err != nil {
		return false, err
	}
	return m[key], nil
}

// Submit queues recs (one agent batch) and waits until they are stored. The
// error is the store's (use store.IsUnavailable), ErrBusy, or ctx's.
func (in *Ingester) Submit(ctx context.Context, agentID, key string, recs []wire.Record) error {
	done := make(chan error, 1)
	in.mu.Lock()
	for len(in.pending) > 0 && len(in.pending)+len(recs) > in.o.MaxPendingRows {
		if in.stopping {
			in.mu.Unlock()
			return ErrBusy
		}
		if !in.waitSpace(ctx) {
			in.mu.Unlock()
			return ErrBusy
		}
	}
	if len(in.pending) == 0 {
		in.oldest = in.o.Now()
	}
	in.pending = append(in.pending, recs...)
	if key != "" {
		in.batches = append(in.batches, store.Batch{AgentID: agentID, Key: key, Records: len(recs), ReceivedAt: in.o.Now().UTC()})
	}
	in.waiters = append(in.waiters, done)
	full := len(in.pending) >= in.o.BatchRows
	in.mu.Unlock()
	if full {
		select {
		case in.kick <- struct{}{}:
		default:
		}
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// The rows may still be stored; the agent's retry is deduplicated.
		return ctx.Err()
	}
}

// waitSpace waits on the condition with ctx honoured. Called with mu held.
func (in *Ingester) waitSpace(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	stop := context.AfterFunc(ctx, func() {
		in.mu.Lock()
		in.space.Broadcast()
		in.mu.Unlock()
	})
	defer stop()
	in.space.Wait()
	return ctx.Err() == nil
}

// Run flushes until ctx is done, then flushes what is left.
func (in *Ingester) Run(ctx context.Context) {
	t := time.NewTicker(in.o.BatchInterval / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			in.mu.Lock()
			in.stopping = true
			in.space.Broadcast()
			in.mu.Unlock()
			in.flush(context.Background())
			return
		case <-in.kick:
		case <-t.C:
		}
		in.mu.Lock()
		due := len(in.pending) >= in.o.BatchRows ||
			(len(in.pending) > 0 && in.o.Now().Sub(in.oldest) >= in.o.BatchInterval)
		in.mu.Unlock()
		if due {
			in.flush(ctx)
		}
	}
}

func (in *Ingester) flush(ctx context.Context) {
	in.mu.Lock()
	recs, batches, waiters := in.pending, in.batches, in.waiters
	in.pending, in.batches, in.waiters = nil, nil, nil
	in.space.Broadcast()
	in.mu.Unlock()
	if len(waiters) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.o.FlushTimeout)
	defer cancel()
	start := in.o.Now()
	err := in.o.Store.InsertRecords(ctx, recs)
	if err == nil && len(batches) > 0 {
		// Recorded after the rows: a crash in between only means a retried
		// batch is inserted again, and the latest-state tables absorb that.
		err = in.o.Store.PutBatches(ctx, batches)
	}
	if err != nil {
		err = fmt.Errorf("storing %d records: %w", len(recs), err)
		in.o.Logger.Error("ingest flush failed", "records", len(recs), "requests", len(waiters), "err", err)
	}
	if in.o.OnFlush != nil {
		in.o.OnFlush(len(recs), in.o.Now().Sub(start), err)
	}
	for _, w := range waiters {
		w <- err
	}
}

// Pending is the number of rows waiting for a flush.
func (in *Ingester) Pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.pending)
}
