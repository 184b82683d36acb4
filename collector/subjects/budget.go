package subjects

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sightline-dev/sightline/internal/defaults"
)

// DefaultIdentifiersPerHour is BudgetOptions.PerHour's default.
const DefaultIdentifiersPerHour = 1000

// BudgetOptions configures a Budget.
type BudgetOptions struct {
	// PerHour is how many identifiers one key (the API keys it by token
	// holder: the token's name) may search per hour
	// (refilled continuously; the whole hour's worth may be spent at once).
	PerHour int
	Now     func() time.Time
}

// Budget bounds how many identifiers each API token may search, so that
// subject search cannot be used to test guesses at scale ("is any of
// these million e-mail addresses in our data?"). It lives in memory: each
// collector counts on its own, and a restart refills every budget.
type Budget struct {
	o  BudgetOptions
	mu sync.Mutex
	// per token id; bounded by the number of live admin and privacy
	// tokens, as only authenticated callers reach it.
	lim map[string]*rate.Limiter
}

// NewBudget returns a Budget.
func NewBudget(o BudgetOptions) *Budget {
	o.PerHour = defaults.Positive(o.PerHour, DefaultIdentifiersPerHour)
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Budget{o: o, lim: map[string]*rate.Limiter{}}
}

// Take spends n identifiers of the token's budget. When they are not
// there it spends nothing and returns how long to wait until they are
// (at most an hour, for n up to PerHour).
func (b *Budget) Take(tokenID string, n int) (ok bool, retryAfter time.Duration) {
	b.mu.Lock()
	l, found := b.lim[tokenID]
	if !found {
		l = rate.NewLimiter(rate.Limit(float64(b.o.PerHour)/3600), b.o.PerHour)
		b.lim[tokenID] = l
	}
	b.mu.Unlock()
	now := b.o.Now()
	if n > b.o.PerHour {
		return false, time.Hour
	}
	r := l.ReserveN(now, n)
	if !r.OK() {
		return false, time.Hour
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
