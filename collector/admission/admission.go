// Package admission bounds what agents' batches may cost the collector
// before they are stored: a shared memory budget for decoded records (held
// until the ingester has flushed them), a cap on batches in flight, a
// decompression-ratio check that refuses gzip bombs after their first
// bytes, and a per-agent rate in records per second.
//
// It is not HTTP-specific: collector/api maps its errors to 413, 429 and
// 503 (with Retry-After).
package admission

import (
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/time/rate"

	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Defaults for Options' zero values.
const (
	DefaultMemoryBudgetBytes = 256 << 20
	DefaultMaxInflight       = 64
	DefaultMaxRatio          = 100
	DefaultRatioGraceBytes   = 1 << 20
	// RequestOverheadBytes is charged for every admitted batch: the gzip
	// window and inflater state (~45 KiB), the decoder's 64 KiB read buffer
	// and its line buffer (which grows to the longest line).
	RequestOverheadBytes = 256 << 10
)

// ErrBusy means the memory budget or the in-flight cap is spent; the
// batch may be sent again later (503 with Retry-After).
var ErrBusy = errors.New("collector is at its ingest memory budget or in-flight limit; retry later")

// ErrTooLarge means the batch alone would exceed the whole memory budget,
// so retrying it cannot help (413).
var ErrTooLarge = errors.New("batch is larger than the collector's whole ingest memory budget; send smaller batches")

// RatioError means the body expands far more than any real batch (413).
type RatioError struct {
	Decoded, Compressed int64
	Max                 float64
}

func (e *RatioError) Error() string {
	return fmt.Sprintf("gzip body expands more than %.0fx (%d bytes from %d compressed): not an agent batch; send the records uncompressed or split them",
		e.Max, e.Decoded, e.Compressed)
}

// RateError means the agent sent more records than its rate allows (429).
type RateError struct {
	RetryAfter time.Duration
}

func (e *RateError) Error() string {
	return fmt.Sprintf("agent is over its ingest rate; retry in %s", e.RetryAfter.Round(time.Second))
}

// Options configures a Controller. Zero values take the defaults; a
// negative MaxRatio turns the ratio check off; AgentRate 0 means no
// per-agent rate.
type Options struct {
	MemoryBudgetBytes int64
	MaxInflight       int
	MaxRatio          float64
	RatioGraceBytes   int64
	// AgentRate is records per second per agent; AgentBurst how many an
	// agent may send at once (at least one batch, default 10 s of rate).
	AgentRate  float64
	AgentBurst int
	// PendingRows reports how many rows the ingester holds unflushed (see
	// Ticket.Release). Nil: none.
	PendingRows func() int
	Now         func() time.Time
}

// Controller admits batches. It is safe for concurrent use.
type Controller struct {
	o Options

	mu       sync.Mutex
	used     int64
	inflight int
	flushed  int64 // rows the ingester has flushed, ever
	deferred []deferred
	agents   map[string]*rate.Limiter
}

// deferred is a release that waits until the ingester has flushed rows
// up to a mark.
type deferred struct {
	until int64
	bytes int64
}

// New returns a Controller.
func New(o Options) *Controller {
	o.MemoryBudgetBytes = defaults.Positive(o.MemoryBudgetBytes, DefaultMemoryBudgetBytes)
	o.MaxInflight = defaults.Positive(o.MaxInflight, DefaultMaxInflight)
	if o.MaxRatio == 0 {
		o.MaxRatio = DefaultMaxRatio
	}
	o.RatioGraceBytes = defaults.Positive(o.RatioGraceBytes, DefaultRatioGraceBytes)
	if o.AgentRate > 0 && o.AgentBurst <= 0 {
		o.AgentBurst = max(int(10*o.AgentRate), 1)
	}
	if o.PendingRows == nil {
		o.PendingRows = func() int { return 0 }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Controller{o: o, agents: map[string]*rate.Limiter{}}
}

// Options returns the options in effect (defaults filled in).
func (c *Controller) Options() Options { return c.o }

// Ticket is one admitted batch: what it holds of the budget.
type Ticket struct {
	c     *Controller
	agent string
	held  int64
	done  bool
}

// Admit admits a batch from agentID: refused with *RateError when the agent
// is over its rate, ErrBusy when the in-flight cap or the budget is spent.
// Release the ticket when the request ends.
func (c *Controller) Admit(agentID string) (*Ticket, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.o.AgentRate > 0 {
		lim := c.limiter(agentID)
		// The agent may send while its bucket is not in debt; a batch's
		// records are charged once decoded (Ticket.Records), so one batch
		// may overdraw it and the next waits until it is repaid.
		if tok := lim.TokensAt(c.o.Now()); tok < 1 {
			wait := time.Duration((1 - tok) / c.o.AgentRate * float64(time.Second))
			return nil, &RateError{RetryAfter: max(wait, time.Second)}
		}
	}
	if c.inflight >= c.o.MaxInflight {
		return nil, ErrBusy
	}
	if c.used+RequestOverheadBytes > c.o.MemoryBudgetBytes {
		return nil, ErrBusy
	}
	c.inflight++
	c.used += RequestOverheadBytes
	return &Ticket{c: c, agent: agentID, held: RequestOverheadBytes}, nil
}

func (c *Controller) limiter(agentID string) *rate.Limiter {
	lim, ok := c.agents[agentID]
	if !ok {
		// One limiter per enrolled agent that has sent a batch: the map
		// is bounded by the fleet (only agent tokens reach Admit).
		lim = rate.NewLimiter(rate.Limit(c.o.AgentRate), c.o.AgentBurst)
		c.agents[agentID] = lim
	}
	return lim
}

// Charge takes n more bytes of the budget for this batch: ErrTooLarge when
// the batch alone would exceed the budget, ErrBusy when the budget is spent
// by others.
func (t *Ticket) Charge(n int64) error {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.done {
		return errors.New("admission: charge after release")
	}
	if t.held+n > c.o.MemoryBudgetBytes {
		return ErrTooLarge
	}
	if c.used+n > c.o.MemoryBudgetBytes {
		return ErrBusy
	}
	c.used += n
	t.held += n
	return nil
}

// Held is what the ticket holds of the budget.
func (t *Ticket) Held() int64 {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.held
}

// Records charges n decoded records to the agent's rate. Past the burst
// the charge is capped at the burst: such a batch is let through once and
// the agent then waits a full burst's worth.
func (t *Ticket) Records(n int) {
	c := t.c
	if c.o.AgentRate <= 0 || n <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limiter(t.agent).ReserveN(c.o.Now(), min(n, c.o.AgentBurst))
}

// Release ends the batch. With queued false its bytes return to the budget
// now. With queued true its rows may still sit in the ingester's pending
// queue (the request ended before the flush that stores them answered it):
// the bytes are returned once the ingester has flushed as many rows as are
// pending now, which — the queue being FIFO — includes this batch's.
// Release is idempotent.
func (t *Ticket) Release(queued bool) {
	c := t.c
	pending := 0
	if queued {
		pending = c.o.PendingRows() // outside c.mu: the ingester has its own lock
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	c.inflight--
	if pending > 0 {
		c.deferred = append(c.deferred, deferred{until: c.flushed + int64(pending), bytes: t.held})
	} else {
		c.used -= t.held
	}
	t.held = 0
}

// Flushed tells the controller the ingester has flushed rows (stored or
// failed: either way it no longer holds them). Wire it to the ingester's
// OnFlush.
func (c *Controller) Flushed(rows int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushed += int64(rows)
	kept := c.deferred[:0]
	for _, d := range c.deferred {
		if d.until <= c.flushed {
			c.used -= d.bytes
			continue
		}
		kept = append(kept, d)
	}
	c.deferred = kept
}

// Stats is the controller's state, for metrics and tests.
type Stats struct {
	UsedBytes, BudgetBytes int64
	Inflight, Deferred     int
}

// Stats returns the current state.
func (c *Controller) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{UsedBytes: c.used, BudgetBytes: c.o.MemoryBudgetBytes, Inflight: c.inflight, Deferred: len(c.deferred)}
}

// recordStructBytes is the in-memory size of a wire.Record value.
const recordStructBytes = int64(unsafe.Sizeof(wire.Record{}))

// RecordBytes estimates what one decoded record costs while the collector
// holds it: three record structs (the request's slice, its spare capacity
// — append at most doubles it — and the ingester's pending copy) plus
// every string, slice and map it points to.
func RecordBytes(r *wire.Record) int64 {
	const strHdr, mapEntry = 16, 48
	n := 3 * recordStructBytes
	for _, s := range []string{r.Kind, r.Source, r.ScanID, r.AgentID, r.Host, r.AssetID, r.AssetType, r.Location,
		r.Owner, r.Type, r.Category, r.Confidence, r.PrincipalID, r.Name, r.PrincipalType, r.ResourceID,
		r.ResourceType, r.Permission, r.Scanner, r.Status} {
		n += int64(len(s))
	}
	for _, l := range [][]string{r.Samples, r.Tokens, r.Where, r.PrivilegedVia, r.Via, r.Errors} {
		n += int64(cap(l)) * strHdr
		for _, s := range l {
			n += int64(len(s))
		}
	}
	for k, v := range r.Attributes {
		n += mapEntry + int64(len(k)+len(v))
	}
	for k := range r.Stats {
		n += mapEntry + int64(len(k))
	}
	for _, p := range []bool{r.ModifiedAt != nil, r.LastLogin != nil, r.PasswordLastSet != nil, r.StartedAt != nil, r.FinishedAt != nil} {
		if p {
			n += 24 // a time.Time
		}
	}
	return n
}
