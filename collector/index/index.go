// Package index keeps the collector's read index (store/index.go) up to
// date: it decides when to rebuild, builds (the store's SQL plus risk
// scores computed here with the risk model), and tells readers whether
// the index they are about to read is fresh enough.
//
// A build covers every write marked before it started. A reader calls
// Ensure: if the newest build covers every write, it reads at once; if the
// build is behind but younger than MaxLag, it reads that build (the answer
// says as of when) and a rebuild starts in the background; otherwise it
// waits for a rebuild. MaxLag 0 means read-your-writes: every read after a
// write waits for a build that covers it.
package index

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/tick"
)

// Store is what the indexer needs of the store.
type Store interface {
	IndexState(ctx context.Context) (store.IndexState, error)
	BeginIndex(ctx context.Context) (store.IndexBuild, error)
	BuildIndexTables(ctx context.Context, b *store.IndexBuild) error
	IndexExposures(ctx context.Context, gen uint64, fn func(store.AssetExposure) error) error
	PutRisks(ctx context.Context, gen uint64, rs []store.RiskRow) error
	PutTopRisks(ctx context.Context, gen uint64, rs []store.RiskRow) error
	// PlanIndex decides whether a build starts from the previous one
	// (incremental) or is full; the incremental path scores only
	// RescoredExposures, carries the other scores over and ranks in SQL.
	PlanIndex(ctx context.Context, b *store.IndexBuild, allowed bool) (store.IndexPlan, error)
	RescoredExposures(ctx context.Context, b store.IndexBuild, fn func(store.AssetExposure) error) error
	CarryRisks(ctx context.Context, b store.IndexBuild) error
	RankRisks(ctx context.Context, b store.IndexBuild) error
	CommitIndex(ctx context.Context, b store.IndexBuild) error
	// RecordRiskSnapshot appends a committed build's risk totals to the
	// risk history (the dashboards' risk over time).
	RecordRiskSnapshot(ctx context.Context, gen uint64) error
}

// Options configures an Indexer.
type Options struct {
	Store Store
	// MaxLag is how old a build that misses writes may be and still be
	// read (0: never; every read after a write waits for a build).
	MaxLag time.Duration
	// Interval is how often the background loop (Run) checks for writes
	// the index does not cover (default 30s).
	Interval time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
	// HomeJurisdiction is where the organisation's personal data belongs
	// ("EU", …); assets stored elsewhere score a cross-border factor.
	// Empty: no such factor.
	HomeJurisdiction string
	// HostJurisdiction places a host (the collector's jurisdiction rules);
	// buckets and objects carry their region's. The build stores what it
	// resolves, so scoring and the data map read one answer.
	HostJurisdiction func(host string) string
	// Lease, when set, makes this one of several collectors on one store
	// of which only the lease's holder builds (keys.Exclusive). The
	// others wait for its builds, and take the lease, and the builds,
	// over once it expires (its holder died). nil: this process builds.
	Lease Lease
	// ClockSkew is how far apart the clocks of the collectors sharing the
	// store may be (default store.DefaultClockSkew): an incremental build
	// treats data stored that long before the previous build as new.
	ClockSkew time.Duration
	// LeasePoll is how often a collector that does not hold the lease
	// checks for the holder's build or the lease's expiry (default 500ms).
	LeasePoll time.Duration
	// FullEvery bounds how long builds may go on from the previous one:
	// the first build this long after this process's last full build is
	// full again (default 24h). An incremental build gives a full build's
	// answers (the tests compare them); this is the safety net that makes
	// any drift short-lived, as a periodic repair does in other stores.
	FullEvery time.Duration
}

// Lease is the build lease (keys.Exclusive).
type Lease interface {
	// Hold reports whether this process holds the lease, taking it when
	// it is free or expired.
	Hold(ctx context.Context) (bool, error)
}

// Indexer builds the read index, one build at a time per process.
type Indexer struct {
	o Options

	mu      sync.Mutex
	running *build // the build in progress, if any
	// built is set once this process has committed a full build: until
	// then every build is full, so a new configuration (jurisdictions)
	// or risk model reaches every asset.
	built bool
	// lastFull is when this process's last full build started.
	lastFull time.Time
	// wantFull makes the next build full (BuildFull).
	wantFull bool
}

type build struct {
	done chan struct{}
	err  error
}

// New returns an Indexer.
func New(o Options) *Indexer {
	o.Interval = defaults.Positive(o.Interval, 30*time.Second)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LeasePoll <= 0 {
		o.LeasePoll = 500 * time.Millisecond
	}
	o.FullEvery = defaults.Positive(o.FullEvery, 24*time.Hour)
	return &Indexer{o: o}
}

// Status is what a reader is told about the index it reads.
type Status struct {
	AsOf  time.Time // when the build read was committed
	Fresh bool      // it covers every write
}

// Ensure returns once the index is fit to read under MaxLag, building it
// first when it must.
func (x *Indexer) Ensure(ctx context.Context) (Status, error) {
	st, err := x.o.Store.IndexState(ctx)
	if err != nil {
		return Status{}, err
	}
	if st.Fresh() {
		return Status{AsOf: st.BuiltAt, Fresh: true}, nil
	}
	if st.Gen != 0 && x.o.MaxLag > 0 && x.o.Now().Sub(st.BuiltAt) <= x.o.MaxLag {
		x.start() // catch up in the background; this read uses what is there
		return Status{AsOf: st.BuiltAt}, nil
	}
	// Wait for a build that covers every write made before this call. The
	// build running now may have started before the last of them, so a
	// build that finishes short of it is followed by another (builds of
	// one process run one at a time, so the next starts after the write).
	target := st.LastWrite
	for attempt := 0; ; attempt++ {
		if err := x.wait(ctx, x.start()); err != nil {
			if ctx.Err() != nil || st.Gen == 0 {
				return Status{}, err
			}
			// A failed build does not take the older index away: the
			// answer comes from it, marked not fresh, and the failure is
			// logged.
			x.o.Logger.Warn("read index: answering from an older build after a failed rebuild",
				"built_at", st.BuiltAt, "err", err)
			return Status{AsOf: st.BuiltAt}, nil
		}
		now, err := x.o.Store.IndexState(ctx)
		if err != nil {
			return Status{}, err
		}
		if now.Watermark >= target || attempt == 2 {
			return Status{AsOf: now.BuiltAt, Fresh: now.Fresh()}, nil
		}
	}
}

// Build rebuilds the index now and waits for it (for tools and tests):
// incrementally when it can (store.PlanIndex).
func (x *Indexer) Build(ctx context.Context) error { return x.wait(ctx, x.start()) }

// BuildFull rebuilds the whole index now, reusing nothing of the previous
// build, and waits for it. A build already running is waited for first
// (whatever its outcome: the full build follows).
func (x *Indexer) BuildFull(ctx context.Context) error {
	x.mu.Lock()
	x.wantFull = true
	running := x.running
	x.mu.Unlock()
	if running != nil {
		if err := x.wait(ctx, running); err != nil && ctx.Err() != nil {
			return err
		}
	}
	return x.wait(ctx, x.start())
}

// incrementalAllowed reports whether the next build may start from the
// previous one, and consumes a BuildFull request.
func (x *Indexer) incrementalAllowed() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	ok := x.built && !x.wantFull && x.o.Now().Sub(x.lastFull) < x.o.FullEvery
	x.wantFull = false
	return ok
}

// Run rebuilds in the background whenever writes are not covered, until
// ctx ends.
func (x *Indexer) Run(ctx context.Context) {
	tick.Every(ctx, x.o.Interval, func(ctx context.Context) {
		st, err := x.o.Store.IndexState(ctx)
		if err != nil {
			if ctx.Err() == nil {
				x.o.Logger.Warn("read index: cannot read its state; retrying", "err", err)
			}
			return
		}
		if !st.Fresh() {
			_ = x.wait(ctx, x.start())
		}
	})
}

// start begins a build unless one is running, and returns the one running.
// The build does not belong to any request: it runs to the end even when
// the reader that started it goes away.
func (x *Indexer) start() *build {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.running != nil {
		return x.running
	}
	b := &build{done: make(chan struct{})}
	x.running = b
	go func() {
		b.err = x.build(context.Background())
		x.mu.Lock()
		x.running = nil
		x.mu.Unlock()
		close(b.done)
	}()
	return b
}

func (x *Indexer) wait(ctx context.Context, b *build) error {
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// riskBatch bounds the scores held in memory before they are stored.
const riskBatch = 50_000

// awaitLease returns true once this process holds the build lease, or
// false once another collector's build covers every write made before the
// call (so there is nothing left for this one to build).
func (x *Indexer) awaitLease(ctx context.Context) (bool, error) {
	st, err := x.o.Store.IndexState(ctx)
	if err != nil {
		return false, err
	}
	target := st.LastWrite
	for {
		held, err := x.o.Lease.Hold(ctx)
		if err != nil {
			return false, fmt.Errorf("taking the read-index build lease: %w", err)
		}
		if held {
			return true, nil
		}
		now, err := x.o.Store.IndexState(ctx)
		if err != nil {
			return false, err
		}
		if now.Gen != 0 && now.Watermark >= target {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(x.o.LeasePoll):
		}
	}
}

func (x *Indexer) build(ctx context.Context) error {
	if x.o.Lease != nil {
		mine, err := x.awaitLease(ctx)
		if err != nil || !mine {
			return err
		}
	}
	started := x.o.Now()
	b, err := x.o.Store.BeginIndex(ctx)
	if err != nil {
		return err
	}
	b.Jurisdiction, b.ClockSkew = x.o.HostJurisdiction, x.o.ClockSkew
	plan, err := x.o.Store.PlanIndex(ctx, &b, x.incrementalAllowed())
	if err == nil {
		err = x.o.Store.BuildIndexTables(ctx, &b)
	}
	var batch []store.RiskRow
	top := newTopK(store.MaxLimit)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := x.o.Store.PutRisks(ctx, b.Gen, batch)
		batch = batch[:0]
		return err
	}
	score := func(e store.AssetExposure) error {
		r := risk.AssessIn(e, x.o.HomeJurisdiction).Row()
		batch = append(batch, r)
		top.offer(r)
		if len(batch) >= riskBatch {
			return flush()
		}
		return nil
	}
	switch {
	case err != nil:
	case b.Base != 0:
		// Incremental: score what may have changed, keep the rest, and
		// rank them all in ClickHouse (the same order as topK's).
		err = x.o.Store.RescoredExposures(ctx, b, score)
		if err == nil {
			err = flush()
		}
		if err == nil {
			err = x.o.Store.CarryRisks(ctx, b)
		}
		if err == nil {
			err = x.o.Store.RankRisks(ctx, b)
		}
	default:
		err = x.o.Store.IndexExposures(ctx, b.Gen, score)
		if err == nil {
			err = flush()
		}
		if err == nil {
			err = x.o.Store.PutTopRisks(ctx, b.Gen, top.sorted())
		}
	}
	if err == nil {
		err = x.o.Store.CommitIndex(ctx, b)
	}
	if err != nil {
		x.o.Logger.Error("read index: build failed; readers keep the previous one", "err", err)
		return fmt.Errorf("building the read index: %w", err)
	}
	// The build is committed and readable; a history row that fails only
	// leaves a gap in the trend.
	if err := x.o.Store.RecordRiskSnapshot(ctx, b.Gen); err != nil {
		x.o.Logger.Warn("read index: built, but its risk history was not recorded", "gen", b.Gen, "err", err)
	}
	x.mu.Lock()
	x.built = true
	if b.Base == 0 {
		x.lastFull = started
	}
	x.mu.Unlock()
	if b.Base != 0 {
		x.o.Logger.Info("read index built incrementally", "findings", b.Findings, "assets", b.Assets,
			"recomputed_assets", b.Changed, "base", b.Base, "took", time.Since(b.Started).Round(time.Millisecond))
	} else {
		x.o.Logger.Info("read index built", "findings", b.Findings, "assets", b.Assets, "full_because", plan.Reason,
			"took", time.Since(b.Started).Round(time.Millisecond))
	}
	if b.Unreplicated > 0 {
		x.o.Logger.Warn("read index: built without rows a replica that is down holds alone; it is rebuilt once they are replicated",
			"parts", b.Unreplicated)
	}
	return nil
}

// topK keeps the k best scores seen (score, then location, then id), so
// the ranking costs k rows of memory however many assets there are.
type topK struct {
	k int
	h riskHeap
}

func newTopK(k int) *topK { return &topK{k: k} }

func (t *topK) offer(r store.RiskRow) {
	if len(t.h) < t.k {
		heap.Push(&t.h, r)
		return
	}
	if better(r, t.h[0]) {
		t.h[0] = r
		heap.Fix(&t.h, 0)
	}
}

// sorted returns the kept rows, best first.
func (t *topK) sorted() []store.RiskRow {
	out := append([]store.RiskRow(nil), t.h...)
	sort.Slice(out, func(i, j int) bool { return better(out[i], out[j]) })
	return out
}

func better(a, b store.RiskRow) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.Location != b.Location {
		return a.Location < b.Location
	}
	return a.AssetID < b.AssetID
}

// riskHeap is a min-heap on better: the root is the worst kept row.
type riskHeap []store.RiskRow

func (h riskHeap) Len() int           { return len(h) }
func (h riskHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h riskHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *riskHeap) Push(x any)        { *h = append(*h, x.(store.RiskRow)) }
func (h *riskHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
