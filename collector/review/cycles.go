package review

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/tick"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Review cycles: campaign templates that recur, and the loop that spawns
// each period's campaign once; reminders of open items; and, per revoked
// item, what later scans showed (cycles_removal.go).

// CyclesStore is what review cycles need.
type CyclesStore interface {
	Store
	PutReviewTemplate(ctx context.Context, t store.ReviewTemplate) error
	ReviewTemplates(ctx context.Context) ([]store.ReviewTemplate, error)
	RecordTemplateRun(ctx context.Context, r store.TemplateRun) error
	TemplateRuns(ctx context.Context, limit int, ids ...string) ([]store.TemplateRun, error)
	CampaignExists(ctx context.Context, id string) (bool, error)
	ReviewersWithOpenItems(ctx context.Context, olderThan time.Time) ([]store.ReviewerOpenItems, error)
	RevokedItems(ctx context.Context, campaignIDs ...string) ([]store.RevokedItem, error)
	GrantObservations(ctx context.Context, principalIDs []string) (map[store.GrantKey]store.GrantObservation, error)
	CompletedScans(ctx context.Context, agentIDs []string, since time.Time) ([]store.CompletedScan, error)
	AppendRemovalEvents(ctx context.Context, evs []store.RemovalEvent) error
	RemovalEvents(ctx context.Context, campaignIDs ...string) ([]store.RemovalEvent, error)
}

// Lease is held by at most one collector at a time (keys.Exclusive):
// only its holder spawns campaigns and records removal states.
type Lease interface {
	Hold(ctx context.Context) (bool, error)
}

// The units a schedule counts in.
const (
	EveryDay     = "day"
	EveryWeek    = "week"
	EveryMonth   = "month"
	EveryQuarter = "quarter"
	EveryYear    = "year"
)

// Schedule is when a template's campaigns start: every Count units
// (default 1) from Starts. A campaign starts at each period's start and
// is due DurationDays later. Calendar units keep the day of the month of
// Starts (pick a day up to 28: a later day rolls over in short months).
type Schedule struct {
	Every  string    `json:"every"`
	Count  int       `json:"count"`
	Starts time.Time `json:"starts"`
}

// TemplateRequest creates a recurring campaign: what Request holds, minus
// the due date, plus the schedule and how long each run lasts.
type TemplateRequest struct {
	Name         string   `json:"name"`
	Scope        Scope    `json:"scope"`
	Reviewer     string   `json:"reviewer"`
	Fallback     string   `json:"fallback_reviewer"`
	Schedule     Schedule `json:"schedule"`
	DurationDays int      `json:"duration_days"`
}

// Bounds on a template: its name leaves room for the period's date in
// its campaigns' names.
const (
	MaxTemplateNameLen = MaxNameLen - len(" 2006-01-02")
	MaxEveryCount      = 1000
	MaxDurationDays    = 366
	defaultDurationDay = 14
)

// Check says what is wrong with r, if anything, as an ErrInvalid.
func (r TemplateRequest) Check() error {
	if err := (Request{Name: r.Name, Scope: r.Scope, Reviewer: r.Reviewer, Fallback: r.Fallback}).Check(); err != nil {
		return err
	}
	if len(r.Name) > MaxTemplateNameLen {
		return fmt.Errorf("%w: a template's name is at most %d bytes (its campaigns add the period's date)", ErrInvalid, MaxTemplateNameLen)
	}
	switch r.Schedule.Every {
	case EveryDay, EveryWeek, EveryMonth, EveryQuarter, EveryYear:
	default:
		return fmt.Errorf("%w: schedule.every must be day, week, month, quarter or year", ErrInvalid)
	}
	if r.Schedule.Count < 0 || r.Schedule.Count > MaxEveryCount {
		return fmt.Errorf("%w: schedule.count must be between 1 and %d (0: 1)", ErrInvalid, MaxEveryCount)
	}
	if r.DurationDays < 0 || r.DurationDays > MaxDurationDays {
		return fmt.Errorf("%w: duration_days must be between 1 and %d (0: %d)", ErrInvalid, MaxDurationDays, defaultDurationDay)
	}
	return nil
}

// Template is a stored template with its schedule read back.
type Template struct {
	store.ReviewTemplate
	Scope Scope
}

// templateOf reads a stored template's scope.
func templateOf(t store.ReviewTemplate) Template {
	var sc Scope
	_ = json.Unmarshal([]byte(t.Scope), &sc) // written by CreateTemplate; a bad one scopes nothing out
	return Template{ReviewTemplate: t, Scope: sc}
}

// CreateTemplate stores a recurring campaign. Its first campaign starts
// at schedule.starts (default now); template names are unique, since a
// run's campaign is named after its template and period.
func CreateTemplate(ctx context.Context, st CyclesStore, req TemplateRequest, by string, now time.Time) (store.ReviewTemplate, error) {
	if err := req.Check(); err != nil {
		return store.ReviewTemplate{}, err
	}
	have, err := st.ReviewTemplates(ctx)
	if err != nil {
		return store.ReviewTemplate{}, err
	}
	for _, t := range have {
		if t.Name == req.Name {
			return store.ReviewTemplate{}, fmt.Errorf("%w: a template named %q exists (template %s); choose another name", ErrInvalid, req.Name, t.ID)
		}
	}
	starts := req.Schedule.Starts
	if starts.IsZero() {
		starts = now
	}
	scope, _ := json.Marshal(req.Scope) // plain fields: never fails
	t := store.ReviewTemplate{ID: wire.StableID("review-template", req.Name, now.UTC().Format(time.RFC3339Nano))[:16],
		Name: req.Name, Scope: string(scope), Reviewer: req.Reviewer, Fallback: req.Fallback, Every: req.Schedule.Every,
		EveryCount: uint32(max(req.Schedule.Count, 1)), StartsAt: starts.UTC().Truncate(time.Second),
		DurationDays: uint32(cmp.Or(req.DurationDays, defaultDurationDay)), CreatedBy: by, CreatedAt: now.UTC()}
	return t, st.PutReviewTemplate(ctx, t)
}

// CreateTemplate stores a recurring campaign (CreateTemplate above), by
// by at c's clock.
func (c *Cycles) CreateTemplate(ctx context.Context, req TemplateRequest, by string) (store.ReviewTemplate, error) {
	return CreateTemplate(ctx, c.o.Store, req, by, c.o.Now())
}

// periodStart is the start of period k (k ≥ 0) of t's schedule.
func periodStart(t store.ReviewTemplate, k int) time.Time {
	n := int(max(t.EveryCount, 1)) * k
	switch t.Every {
	case EveryDay:
		return t.StartsAt.AddDate(0, 0, n)
	case EveryWeek:
		return t.StartsAt.AddDate(0, 0, 7*n)
	case EveryMonth:
		return t.StartsAt.AddDate(0, n, 0)
	case EveryQuarter:
		return t.StartsAt.AddDate(0, 3*n, 0)
	default:
		return t.StartsAt.AddDate(n, 0, 0)
	}
}

// CurrentPeriod is the start of the latest period of t that has begun by
// now, and the next one's start; ok is false before the first.
func CurrentPeriod(t store.ReviewTemplate, now time.Time) (start, next time.Time, ok bool) {
	if now.Before(t.StartsAt) {
		return time.Time{}, t.StartsAt, false
	}
	// A first guess from the average period length, then exact steps.
	avg := map[string]time.Duration{EveryDay: 24 * time.Hour, EveryWeek: 7 * 24 * time.Hour,
		EveryMonth: 730 * time.Hour, EveryQuarter: 2190 * time.Hour, EveryYear: 8760 * time.Hour}[t.Every]
	if avg == 0 {
		avg = 8760 * time.Hour
	}
	k := max(int(now.Sub(t.StartsAt)/(avg*time.Duration(max(t.EveryCount, 1))))-1, 0)
	for periodStart(t, k+1).After(now) && k > 0 {
		k--
	}
	for !periodStart(t, k+1).After(now) {
		k++
	}
	return periodStart(t, k), periodStart(t, k+1), true
}

// runRequest is the campaign t spawns for the period starting at start:
// named after the template and the period, due DurationDays later.
func runRequest(t Template, start time.Time) Request {
	return Request{Name: t.Name + " " + start.UTC().Format("2006-01-02"), Scope: t.Scope, Reviewer: t.Reviewer,
		Fallback: t.Fallback, Due: start.AddDate(0, 0, int(max(t.DurationDays, 1)))}
}

// runBy is who a template's campaigns are created by.
func runBy(t store.ReviewTemplate) string { return "template:" + t.ID }

// RunCampaignID is the id of the campaign t spawns for the period
// starting at start: the same for every spawner, so a second one finds
// it.
func RunCampaignID(t store.ReviewTemplate, start time.Time) string {
	tm := templateOf(t)
	return runRequest(tm, start).campaign(runBy(t), start).ID
}

// CyclesOptions configure Cycles.
type CyclesOptions struct {
	Store CyclesStore
	// Lease, when set, lets only its holder spawn and record (several
	// collectors on one store); nil: this process always does.
	Lease Lease
	// Settle is how long a new lease holder waits, then checks it still
	// holds the lease, before its first spawn: two collectors taking a
	// free lease at the same moment both believe they hold it until both
	// writes are in (default 2s).
	Settle time.Duration
	// Interval is how often Run spawns and records (default 1m).
	Interval time.Duration
	// RemovalDue is how long after a revocation its removal is overdue
	// (default 14 days); StaleAfter how long without a login makes an
	// account stale (default 90 days).
	RemovalDue, StaleAfter time.Duration
	// ID names this spawner in the runs it records.
	ID     string
	Now    func() time.Time
	Logger *slog.Logger
}

// Default removal due time and stale age.
const (
	DefaultRemovalDue = 14 * 24 * time.Hour
	DefaultStaleAfter = 90 * 24 * time.Hour
)

// Cycles spawns recurring campaigns and tracks revocations.
type Cycles struct {
	o    CyclesOptions
	held bool // the lease was held at the previous tick (no settle needed)
}

// NewCycles returns the review-cycle loop; Run starts it.
func NewCycles(o CyclesOptions) *Cycles {
	o.Settle = defaults.Positive(o.Settle, 2*time.Second)
	o.Interval = defaults.Positive(o.Interval, time.Minute)
	o.RemovalDue = defaults.Positive(o.RemovalDue, DefaultRemovalDue)
	o.StaleAfter = defaults.Positive(o.StaleAfter, DefaultStaleAfter)
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = cmp.Or(o.Logger, slog.Default())
	o.ID = cmp.Or(o.ID, "collector")
	return &Cycles{o: o}
}

// RemovalDue is how long a removal may take before it is overdue.
func (c *Cycles) RemovalDue() time.Duration { return c.o.RemovalDue }

// StaleAfter is how long without a login makes an account stale.
func (c *Cycles) StaleAfter() time.Duration { return c.o.StaleAfter }

// Run ticks every Interval until ctx ends.
func (c *Cycles) Run(ctx context.Context) {
	tick.Every(ctx, c.o.Interval, func(ctx context.Context) {
		if _, err := c.Tick(ctx); err != nil && ctx.Err() == nil {
			c.o.Logger.Warn("review cycles: spawning or recording revocations failed; retrying next interval", "err", err)
		}
	})
}

// Tick spawns the campaigns now due and records what scans showed of
// revoked items, if this process holds the lease. It returns the runs it
// spawned.
func (c *Cycles) Tick(ctx context.Context) ([]store.TemplateRun, error) {
	if ok, err := c.mayAct(ctx); !ok || err != nil {
		return nil, err
	}
	runs, err := c.SpawnDue(ctx)
	_, rerr := c.Revocations(ctx, RevocationFilter{})
	return runs, errors.Join(err, rerr)
}

// mayAct reports whether this process holds the lease; a process that
// just took it waits Settle and checks again, so that of two collectors
// taking it at once only one acts.
func (c *Cycles) mayAct(ctx context.Context) (bool, error) {
	if c.o.Lease == nil {
		return true, nil
	}
	held, err := c.o.Lease.Hold(ctx)
	if err != nil || !held {
		c.held = false
		return false, err
	}
	if !c.held {
		if err := tick.Sleep(ctx, c.o.Settle); err != nil {
			return false, err
		}
		if held, err = c.o.Lease.Hold(ctx); err != nil || !held {
			return false, err
		}
	}
	c.held = true
	return true, nil
}

// SpawnDue creates, for every template, the campaign of its current
// period unless it exists. A period missed entirely (the collectors were
// down throughout) is not made up for: only the current one spawns.
func (c *Cycles) SpawnDue(ctx context.Context) ([]store.TemplateRun, error) {
	ts, err := c.o.Store.ReviewTemplates(ctx)
	if err != nil {
		return nil, err
	}
	now := c.o.Now().UTC()
	var runs []store.TemplateRun
	var errs []error
	for _, st := range ts {
		run, err := c.spawn(ctx, st, now)
		switch {
		case err != nil:
			// One template failing (a reviewer rule that no longer
			// fits) does not hold up the others.
			errs = append(errs, fmt.Errorf("spawning template %s (%s): %w", st.ID, st.Name, err))
		case run != nil:
			runs = append(runs, *run)
		}
	}
	return runs, errors.Join(errs...)
}

// spawn creates st's campaign of the period under way at now unless it
// exists, and records the run; nil when there is nothing to spawn.
func (c *Cycles) spawn(ctx context.Context, st store.ReviewTemplate, now time.Time) (*store.TemplateRun, error) {
	start, _, ok := CurrentPeriod(st, now)
	if !ok {
		return nil, nil
	}
	exists, err := c.o.Store.CampaignExists(ctx, RunCampaignID(st, start))
	if err != nil || exists {
		return nil, err
	}
	camp, n, err := Create(ctx, c.o.Store, runRequest(templateOf(st), start), runBy(st), start)
	if err != nil {
		return nil, fmt.Errorf("period %s: %w", start.Format(time.RFC3339), err)
	}
	run := store.TemplateRun{TemplateID: st.ID, PeriodStart: start, CampaignID: camp.ID, SpawnedBy: c.o.ID, SpawnedAt: now}
	if err := c.o.Store.RecordTemplateRun(ctx, run); err != nil {
		return nil, err
	}
	c.o.Logger.Info("review cycles: spawned a campaign", "template", st.ID, "campaign", camp.ID, "period", start, "items", n)
	return &run, nil
}

// TemplateStatus is a template with its next start and latest runs.
type TemplateStatus struct {
	Template
	NextRun time.Time
	Runs    []store.TemplateRun // newest first
}

// maxRunsShown bounds the runs listed per template.
const maxRunsShown = 12

// Templates lists the templates with their next start and latest runs.
func (c *Cycles) Templates(ctx context.Context) ([]TemplateStatus, error) {
	ts, err := c.o.Store.ReviewTemplates(ctx)
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	runs, err := c.o.Store.TemplateRuns(ctx, maxRunsShown*len(ts), ids...)
	if err != nil {
		return nil, err
	}
	byT := map[string][]store.TemplateRun{}
	for _, r := range runs {
		if len(byT[r.TemplateID]) < maxRunsShown {
			byT[r.TemplateID] = append(byT[r.TemplateID], r)
		}
	}
	now := c.o.Now()
	out := make([]TemplateStatus, len(ts))
	for i, t := range ts {
		_, next, _ := CurrentPeriod(t, now)
		out[i] = TemplateStatus{Template: templateOf(t), NextRun: next, Runs: byT[t.ID]}
	}
	return out, nil
}

// Reminders lists the reviewers with items still open in campaigns that
// started more than olderThan ago (store.ReviewersWithOpenItems).
func (c *Cycles) Reminders(ctx context.Context, olderThan time.Duration) ([]store.ReviewerOpenItems, error) {
	if olderThan < 0 {
		return nil, fmt.Errorf("%w: older_than must not be negative", ErrInvalid)
	}
	return c.o.Store.ReviewersWithOpenItems(ctx, c.o.Now().Add(-olderThan))
}
