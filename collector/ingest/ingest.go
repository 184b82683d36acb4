// Package ingest turns agents' batches into ClickHouse inserts. Requests
// are coalesced: many small agent batches become one large insert (ClickHouse
// wants few big inserts), and each request is answered only after the insert
// holding its rows has succeeded, so a 2xx always means durably stored.
package ingest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Store is the part of the store ingest writes to.
type Store interface {
	// InsertRecordSets stores the records of several requests as one
	// insert per table, in order, and then records their batches
	// (store.Store.InsertRecordSets).
	InsertRecordSets(ctx context.Context, sets [][]wire.Record, batches []store.Batch) error
	BatchesSeen(ctx context.Context, agentID string, keys []string) (map[string]bool, error)
}

// ErrBusy means the pending queue stayed full until the request gave up;
// the API answers 503 with Retry-After.
var ErrBusy = errors.New("collector is busy: too many rows waiting for ClickHouse; retry later")

// Options configures an Ingester.
type Options struct {
	Store         Store
	BatchRows     int
	BatchInterval time.Duration
	// MinRows is how many pending rows make a flush start at once when no
	// flush is running (group commit): a busy collector writes as fast as
	// ClickHouse takes it, while a trickle of tiny batches still waits up to
	// BatchInterval to share one insert (ClickHouse wants few, large ones).
	MinRows        int
	MaxPendingRows int
	// FlushTimeout bounds one ClickHouse insert.
	FlushTimeout time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
	// OnFlush, when set, observes every flush (for metrics).
	OnFlush func(rows int, d time.Duration, err error)
	// Rekey, when set, replaces the tokens of each pii record in place
	// with their stored form before the record is queued (keys.Keys.Rekey).
	Rekey func(tokens []string)
}

// Ingester batches submitted records into store inserts.
type Ingester struct {
	o Options

	mu sync.Mutex
	// pending counts the rows of the requests in queue. The rows stay in
	// the requests' own slices until the flush that stores them: copying
	// every record into one growing slice (and again whenever it grew)
	// was about a tenth of the ingest path's CPU, plus the garbage
	// (make bench-ingest -cpuprofile).
	pending  int
	queue    []request  // the requests waiting for a flush, in order
	space    *sync.Cond // signalled when pending rows drop
	kick     chan struct{}
	stopping bool
	inflight map[batchKey]*flight
}

// batchKey names an agent's batch (its Idempotency-Key).
type batchKey struct{ agentID, key string }

// flight is a keyed batch between Submit and the end of the flush that
// stores it; a repeat of the batch meanwhile waits on done.
type flight struct {
	done chan struct{}
	err  error
}

// request is one Submit waiting for its rows to be stored.
type request struct {
	done   chan error
	flight *flight
	recs   []wire.Record
	batch  store.Batch // Key empty: the request had no Idempotency-Key
}

// New returns an Ingester; call Run to start flushing.
func New(o Options) *Ingester {
	o.BatchRows = defaults.Positive(o.BatchRows, 50000)
	o.BatchInterval = defaults.Positive(o.BatchInterval, 200*time.Millisecond)
	o.MinRows = defaults.Positive(o.MinRows, 1000)
	if o.MaxPendingRows < o.BatchRows {
		o.MaxPendingRows = 8 * o.BatchRows
	}
	o.FlushTimeout = defaults.Positive(o.FlushTimeout, 60*time.Second)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	in := &Ingester{o: o, kick: make(chan struct{}, 1), inflight: map[batchKey]*flight{}}
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
	if in.o.Rekey != nil {
		for i := range recs {
			if recs[i].Kind == wire.KindPII || recs[i].Kind == wire.KindPrincipal { // a principal's: its access keys
				in.o.Rekey(recs[i].Tokens)
			}
		}
	}
	done := make(chan error, 1)
	in.mu.Lock()
	// The same batch already waits for a flush (the agent gave up on the
	// first request, its rows were queued anyway, and it sent the batch
	// again): wait for that one instead of storing the rows twice. Seen
	// covers batches already stored; this covers the ones in between.
	var fl *flight
	if key != "" {
		k := batchKey{agentID, key}
		if prev, ok := in.inflight[k]; ok {
			in.mu.Unlock()
			select {
			case <-prev.done:
				return prev.err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		fl = &flight{done: make(chan struct{})}
		in.inflight[k] = fl
	}
	for in.pending > 0 && in.pending+len(recs) > in.o.MaxPendingRows {
		if in.stopping || !in.waitSpace(ctx) {
			in.resolveLocked(agentID, key, fl, ErrBusy)
			in.mu.Unlock()
			return ErrBusy
		}
	}
	// The caller's slice is kept, not copied: it hands recs over and does
	// not change them (it may still read them after Submit returns).
	in.pending += len(recs)
	in.queue = append(in.queue, request{done: done, recs: recs, flight: fl,
		batch: store.Batch{AgentID: agentID, Key: key, Records: len(recs), ReceivedAt: in.o.Now().UTC()}})
	enough := in.pending >= in.o.MinRows
	in.mu.Unlock()
	if enough {
		select {
		case in.kick <- struct{}{}:
		default:
		}
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// The rows may still be stored; a retry of the batch waits for
		// them (inflight) or finds them stored (Seen).
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
	t := time.NewTicker(max(in.o.BatchInterval/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			in.mu.Lock()
			in.stopping = true
			in.space.Broadcast()
			in.mu.Unlock()
			for in.flush(context.Background()) {
			}
			return
		case <-in.kick:
		case <-t.C:
		}
		// Run is the only flusher, so no flush is running here: flush while
		// there is enough waiting (group commit) or it has waited too long.
		for {
			in.mu.Lock()
			due := in.pending >= in.o.MinRows ||
				(in.pending > 0 && in.o.Now().Sub(in.queue[0].batch.ReceivedAt) >= in.o.BatchInterval)
			in.mu.Unlock()
			if !due || !in.flush(ctx) {
				break
			}
		}
	}
}

// flush stores whole requests from the front of the queue, up to about
// BatchRows rows, and answers them. It reports whether it stored anything.
func (in *Ingester) flush(ctx context.Context) bool {
	in.mu.Lock()
	k, rows := 0, 0
	for k < len(in.queue) && (k == 0 || rows+len(in.queue[k].recs) <= in.o.BatchRows) {
		rows += len(in.queue[k].recs)
		k++
	}
	if k == 0 {
		in.mu.Unlock()
		return false
	}
	reqs := in.queue[:k:k]
	// A new backing array once the queue is drained, so the flushed
	// requests (and their rows) are not kept alive by it.
	if k == len(in.queue) {
		in.queue = nil
	} else {
		in.queue = in.queue[k:]
	}
	in.pending -= rows
	in.space.Broadcast()
	in.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.o.FlushTimeout)
	defer cancel()
	start := in.o.Now()
	var batches []store.Batch
	sets := make([][]wire.Record, len(reqs))
	for i, r := range reqs {
		sets[i] = r.recs
		if r.batch.Key != "" {
			batches = append(batches, r.batch)
		}
	}
	// The batches are recorded after their rows: a crash in between only
	// means a retried batch is inserted again, and the latest-state
	// tables absorb that.
	err := in.o.Store.InsertRecordSets(ctx, sets, batches)
	if err != nil {
		err = fmt.Errorf("storing %d records: %w", rows, err)
		in.o.Logger.Error("ingest flush failed", "records", rows, "requests", len(reqs), "err", err)
	}
	if in.o.OnFlush != nil {
		in.o.OnFlush(rows, in.o.Now().Sub(start), err)
	}
	in.mu.Lock()
	for _, r := range reqs {
		in.resolveLocked(r.batch.AgentID, r.batch.Key, r.flight, err)
	}
	in.mu.Unlock()
	for _, r := range reqs {
		r.done <- err
	}
	return true
}

// resolveLocked answers the requests waiting on a batch's flight and
// forgets it. Called with mu held; fl may be nil (no Idempotency-Key).
func (in *Ingester) resolveLocked(agentID, key string, fl *flight, err error) {
	if fl == nil {
		return
	}
	fl.err = err
	close(fl.done)
	if in.inflight[batchKey{agentID, key}] == fl {
		delete(in.inflight, batchKey{agentID, key})
	}
}

// Pending is the number of rows waiting for a flush.
func (in *Ingester) Pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.pending
}
