// Package alerts fires events from what scans deliver and delivers them:
// signed webhooks, e-mail over SMTP, and a SIEM feed of OCSF Detection
// Findings over HTTP and syslog.
//
// Rules (config.go) read one committed build of the read index: the
// service polls the store's index state and evaluates the index rules
// once per new generation (it never builds the index itself). Rules over
// time — a data-subject request near its deadline, an overdue revocation
// — are evaluated on every poll. Each rule fires once per subject: the
// events table (store/alerts.go) is the rules' state, so a rescan that
// still shows the same thing fires nothing. An event carries ids,
// locations, counts and types, never a raw value (event.go).
//
// Several collectors on one store: only the holder of the "alerts" lease
// (keys.Exclusive, as the index build uses) evaluates and delivers; the
// event id is a hash of rule and subject, so even two evaluations racing
// store one event.
//
// Delivery (deliver.go) is an outbox: firing queues a pending row per
// destination in the delivery log; the holder sends what is due and logs
// every attempt, retrying with capped, jittered exponential backoff.
package alerts

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// Store is what alerts needs of the store.
type Store interface {
	IndexState(ctx context.Context) (store.IndexState, error)
	ExposedAssets(ctx context.Context, gen uint64) ([]store.ExposedAsset, error)
	PrivilegedAccounts(ctx context.Context, gen uint64) ([]store.PrivilegedAccount, error)
	CredentialFindings(ctx context.Context, gen uint64) ([]store.CredentialFinding, error)
	RiskyAssets(ctx context.Context, gen uint64, min uint8) ([]store.RiskyAsset, error)
	DSRCases(ctx context.Context, status string) ([]store.DSRCase, error)
	FiredSubjects(ctx context.Context, rule string) (map[string]bool, error)
	PutAlertEvents(ctx context.Context, evs []store.AlertEvent, queued []store.AlertDelivery) error
	PutAlertDeliveries(ctx context.Context, ds []store.AlertDelivery) error
	AlertEvents(ctx context.Context, rule string, limit int) ([]store.AlertEvent, error)
	AlertEventsByID(ctx context.Context, ids []string) ([]store.AlertEvent, error)
	AlertDeliveries(ctx context.Context, eventID string, limit int) ([]store.AlertDelivery, error)
	DueAlertDeliveries(ctx context.Context, now time.Time, limit int) ([]store.AlertDelivery, error)
	GetSetting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
}

// Lease is the evaluation lease (keys.Exclusive), as index.Lease.
type Lease interface {
	Hold(ctx context.Context) (bool, error)
}

// Revocation is a revoked grant still present past its due date, as the
// review workflow's store query reports it (ids only).
type Revocation struct {
	ID          string // the revocation (campaign item) id: the subject
	CampaignID  string
	Campaign    string // the campaign's name
	PrincipalID string
	ResourceID  string
	DueAt       time.Time
}

// Revocations feeds overdue_revocation rules: the hook for the review
// workflow's tracked revocations (issue 20 point 2). Nil: such rules are
// listed as inactive and fire nothing.
type Revocations interface {
	OverdueRevocations(ctx context.Context, now time.Time) ([]Revocation, error)
}

// ReviewReminder is one reviewer's undecided items in one campaign, as
// the review workflow's store query reports it: the reviewer token's
// name, the campaign's id and name, a count and dates; no principal or
// resource.
type ReviewReminder struct {
	Reviewer   string
	CampaignID string
	Campaign   string
	Open       uint64
	Started    time.Time // when the campaign started
	DueAt      time.Time
}

// Reminders feeds review_reminder rules: the reviewers with open items in
// campaigns started before olderThan. Nil: such rules are listed as
// inactive and fire nothing.
type Reminders interface {
	ReviewReminders(ctx context.Context, olderThan time.Time) ([]ReviewReminder, error)
}

// PIAReview is a privacy impact assessment whose facts changed since it
// was assessed (or its facts were last confirmed).
type PIAReview struct {
	ID      string
	Systems []string
	// FactsAsOf is when the facts it rests on were taken: a confirmation
	// moves it, so the same reasons later fire again.
	FactsAsOf time.Time
	Reasons   []string
}

// PIAs feeds pia_review rules with the assessments that need review. Nil:
// such rules are listed as inactive and fire nothing.
type PIAs interface {
	PIAsNeedingReview(ctx context.Context) ([]PIAReview, error)
}

// Options configures a Service.
type Options struct {
	Store  Store
	Config Config
	// Lease makes this one of several collectors of which only the holder
	// evaluates and delivers; nil: this process does.
	Lease       Lease
	Revocations Revocations
	Reminders   Reminders
	PIAs        PIAs
	Logger      *slog.Logger
	Now         func() time.Time
	// Senders, when set, replaces the destinations' senders by name (tests).
	Senders map[string]Sender
}

// Service evaluates the rules and delivers their events.
type Service struct {
	o       Options
	senders map[string]Sender
	rules   []Rule
}

// evaluatedKey is the setting holding the newest index generation the
// rules have read.
const evaluatedKey = "alerts_evaluated_gen"

// New checks the configuration, reads the destinations' secret files, and
// returns the service.
func New(o Options) (*Service, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	o.Config = o.Config.WithDefaults()
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{o: o, rules: o.Config.Rules, senders: map[string]Sender{}}
	for _, d := range o.Config.Destinations {
		if snd, ok := o.Senders[d.Name]; ok {
			s.senders[d.Name] = snd
			continue
		}
		snd, err := newSender(d)
		if err != nil {
			return nil, fmt.Errorf("alerts destination %s: %w", d.Name, err)
		}
		s.senders[d.Name] = snd
	}
	return s, nil
}

// RuleStatus is a rule as the API lists it.
type RuleStatus struct {
	Rule
	Within    string `json:"within,omitempty"`
	OlderThan string `json:"older_than,omitempty"`
	Every     string `json:"every,omitempty"`
	Active    bool   `json:"active"`
	Note      string `json:"note,omitempty"`
}

// Rules lists the configured rules and whether each can fire.
func (s *Service) Rules() []RuleStatus {
	out := make([]RuleStatus, 0, len(s.rules))
	for _, r := range s.rules {
		rs := RuleStatus{Rule: r, Active: true}
		if r.Within > 0 {
			rs.Within = r.Within.String()
		}
		if r.OlderThan > 0 {
			rs.OlderThan = r.OlderThan.String()
		}
		if r.Every > 0 {
			rs.Every = r.Every.String()
		}
		if len(rs.Destinations) == 0 {
			rs.Destinations = s.allDestinations()
		}
		if r.Kind == KindOverdueRevocation && s.o.Revocations == nil {
			rs.Active, rs.Note = false, "no revocation tracking in this build yet: the rule fires once the review workflow feeds it"
		}
		if r.Kind == KindReviewReminder && s.o.Reminders == nil {
			rs.Active, rs.Note = false, "no review reminder source in this build: the rule fires once the review workflow feeds it"
		}
		if r.Kind == KindPIAReview && s.o.PIAs == nil {
			rs.Active, rs.Note = false, "no PIA source in this build: the rule fires once the PIA workflow feeds it"
		}
		out = append(out, rs)
	}
	return out
}

func (s *Service) allDestinations() []string {
	out := make([]string, len(s.o.Config.Destinations))
	for i, d := range s.o.Config.Destinations {
		out[i] = d.Name
	}
	return out
}

// Run polls until ctx ends: evaluates after each newly committed index
// build (and the time rules every poll) and delivers what is due, while
// this process holds the lease.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Config.Poll)
	defer t.Stop()
	for {
		if err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("alerts: a step failed; retrying at the next poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step is one poll: evaluate (if this process holds the lease), then
// deliver what is due.
func (s *Service) Step(ctx context.Context) error {
	if s.o.Lease != nil {
		held, err := s.o.Lease.Hold(ctx)
		if err != nil {
			return fmt.Errorf("taking the alerts lease: %w", err)
		}
		if !held {
			return nil
		}
	}
	// What failed to evaluate is retried at the next poll; what is
	// already queued is delivered meanwhile.
	_, evalErr := s.Evaluate(ctx)
	_, deliverErr := s.Deliver(ctx)
	return errors.Join(evalErr, deliverErr)
}

// Evaluate runs the index rules over the newest committed build if they
// have not read it yet, and the time rules, and stores what fires with
// its queued deliveries. It returns the events fired.
func (s *Service) Evaluate(ctx context.Context) ([]Event, error) {
	now := s.o.Now().UTC().Truncate(time.Second)
	st, err := s.o.Store.IndexState(ctx)
	if err != nil {
		return nil, err
	}
	var done uint64
	if v, err := s.o.Store.GetSetting(ctx, evaluatedKey); err == nil {
		done, _ = strconv.ParseUint(v, 10, 64)
	}
	newGen := st.Gen != 0 && st.Gen > done
	var fired []Event
	for _, r := range s.rules {
		if isIndexRule(r.Kind) && !newGen {
			continue
		}
		cands, err := s.candidates(ctx, r, st.Gen, now)
		if err != nil {
			return fired, fmt.Errorf("alert rule %s: %w", r.Name, err)
		}
		evs, err := s.fire(ctx, r, cands, now)
		fired = append(fired, evs...)
		if err != nil {
			return fired, err
		}
	}
	if newGen {
		if err := s.o.Store.PutSetting(ctx, evaluatedKey, strconv.FormatUint(st.Gen, 10)); err != nil {
			return fired, err
		}
	}
	if len(fired) > 0 {
		s.o.Logger.Info("alerts fired", "events", len(fired), "index_gen", st.Gen)
	}
	return fired, nil
}

// isIndexRule: the rule reads the read index, so runs once per new build;
// the others (time rules) run every poll.
func isIndexRule(kind string) bool {
	return kind != KindDSRDeadline && kind != KindOverdueRevocation && kind != KindReviewReminder
}

// fire stores the events of the candidates the rule has not fired for.
func (s *Service) fire(ctx context.Context, r Rule, cands []Event, now time.Time) ([]Event, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	seen, err := s.o.Store.FiredSubjects(ctx, r.Name)
	if err != nil {
		return nil, err
	}
	dests := r.Destinations
	if len(dests) == 0 {
		dests = s.allDestinations()
	}
	var evs []Event
	var rows []store.AlertEvent
	var queued []store.AlertDelivery
	add := func(e Event, deliver bool) error {
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encoding an alert event: %w", err)
		}
		rows = append(rows, store.AlertEvent{ID: e.ID, Rule: e.Rule, Kind: e.Kind, Subject: e.Subject,
			Severity: e.Severity, Gen: e.IndexGen, FiredAt: now, Body: string(body)})
		if !deliver {
			return nil
		}
		for _, d := range dests {
			queued = append(queued, store.AlertDelivery{EventID: e.ID, Destination: d, Status: store.DeliveryPending,
				At: now, NextTry: now})
		}
		return nil
	}
	var gen uint64
	for _, e := range cands {
		if seen[e.Subject] {
			continue
		}
		seen[e.Subject] = true
		e.ID, e.Rule, e.Kind, e.Severity, e.FiredAt = EventID(r.Name, e.Subject), r.Name, r.Kind, r.Severity, now
		evs = append(evs, e)
		gen = e.IndexGen
		// Past DigestOver, an event is stored (the rule's state, and the
		// API lists it) and counted in the digest below, not delivered.
		if err := add(e, len(evs) <= r.DigestOver); err != nil {
			return nil, err
		}
	}
	if more := len(evs) - r.DigestOver; r.DigestOver > 0 && more > 0 {
		// One digest per evaluation: its subject names the moment, so it
		// never collides with an asset's or a later digest.
		d := Event{Rule: r.Name, Kind: r.Kind, Severity: r.Severity, FiredAt: now, IndexGen: gen,
			Subject: "digest:" + strconv.FormatInt(now.UnixNano(), 10),
			Title: fmt.Sprintf("%d more events of rule %s (%s) in this evaluation, not sent one by one: list them with GET /api/v1/alerts/events?rule=%s",
				more, r.Name, r.Kind, r.Name),
			Facts: Facts{MoreEvents: more}}
		d.ID = EventID(r.Name, d.Subject)
		if err := add(d, true); err != nil {
			return nil, err
		}
		evs = append(evs, d)
		s.o.Logger.Warn("alerts: more events than the rule delivers one by one; the rest go out as one digest",
			"rule", r.Name, "events", len(evs)-1, "digest_over", r.DigestOver)
	}
	if err := s.o.Store.PutAlertEvents(ctx, rows, queued); err != nil {
		return nil, fmt.Errorf("storing alert events: %w", err)
	}
	return evs, nil
}

// candidates is what rule r sees now, as events without their rule's
// fields (fire fills them).
func (s *Service) candidates(ctx context.Context, r Rule, gen uint64, now time.Time) ([]Event, error) {
	var out []Event
	switch r.Kind {
	case KindExposedPersonalData:
		rows, err := s.o.Store.ExposedAssets(ctx, gen)
		if err != nil {
			return nil, err
		}
		for _, a := range rows {
			what := "a world-readable " + a.AssetType
			switch a.Exposure {
			case "public_bucket":
				what = "a public bucket"
			case "public":
				what = "a public " + a.AssetType
			}
			out = append(out, Event{Subject: a.AssetID, IndexGen: gen,
				Title: fmt.Sprintf("Personal data in %s: %s", what, a.Location),
				Facts: Facts{AssetType: a.AssetType, Location: a.Location, Host: a.Host, Source: a.Source, Exposure: a.Exposure,
					Categories: a.Categories, Types: a.Types, Occurrences: a.Occurrences, Assets: a.Assets}})
		}
	case KindPrivilegedAccount:
		rows, err := s.o.Store.PrivilegedAccounts(ctx, gen)
		if err != nil {
			return nil, err
		}
		for _, p := range rows {
			out = append(out, Event{Subject: p.PrincipalID, IndexGen: gen,
				Title: fmt.Sprintf("Privileged %s account %s on %s", p.PrincipalType, mask(p.Name), cmp.Or(p.Host, p.Source)),
				Facts: Facts{PrincipalType: p.PrincipalType, AccountMasked: mask(p.Name), Host: p.Host, Source: p.Source,
					PrivilegedVia: p.Via}})
		}
	case KindCredentialFound:
		rows, err := s.o.Store.CredentialFindings(ctx, gen)
		if err != nil {
			return nil, err
		}
		for _, c := range rows {
			out = append(out, Event{Subject: c.AssetID + "/" + c.Type, IndexGen: gen,
				Title: fmt.Sprintf("Credential (%s) found in %s", c.Type, c.Location),
				Facts: Facts{Location: c.Location, Host: c.Host, Source: c.Source, Categories: []string{"credential"},
					Types: []string{c.Type}, Occurrences: c.Count}})
		}
	case KindRiskScore:
		rows, err := s.o.Store.RiskyAssets(ctx, gen, uint8(r.Threshold))
		if err != nil {
			return nil, err
		}
		for _, a := range rows {
			out = append(out, Event{Subject: a.AssetID, IndexGen: gen,
				Title: fmt.Sprintf("Risk score %d (threshold %d): %s", a.Score, r.Threshold, a.Location),
				Facts: Facts{AssetType: a.AssetType, Location: a.Location, Host: a.Host, Source: a.Source,
					Score: int(a.Score), Threshold: r.Threshold, Factors: a.Factors}})
		}
	case KindDSRDeadline:
		cases, err := s.o.Store.DSRCases(ctx, "")
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			if c.Status == "responded" || c.Status == "closed" || c.DueAt.Sub(now) > r.Within {
				continue
			}
			due := c.DueAt
			overdue := !due.After(now)
			when := "due " + due.Format(time.DateOnly)
			if overdue {
				when = "overdue since " + due.Format(time.DateOnly)
			}
			out = append(out, Event{Subject: c.ID,
				Title: fmt.Sprintf("Data-subject request %s (%s) is %s", c.Reference, c.Regulation, when),
				Facts: Facts{Reference: c.Reference, Regulation: c.Regulation, Status: c.Status, DueAt: &due, Overdue: overdue}})
		}
	case KindOverdueRevocation:
		if s.o.Revocations == nil {
			return nil, nil
		}
		rows, err := s.o.Revocations.OverdueRevocations(ctx, now)
		if err != nil {
			return nil, err
		}
		for _, v := range rows {
			due := v.DueAt
			out = append(out, Event{Subject: v.ID,
				Title: fmt.Sprintf("Revocation %s (campaign %s) is overdue: the grant is still present", v.ID, v.CampaignID),
				Facts: Facts{DueAt: &due, Overdue: true, Status: "overdue", CampaignID: v.CampaignID, Campaign: v.Campaign}})
		}
	case KindReviewReminder:
		if s.o.Reminders == nil {
			return nil, nil
		}
		rows, err := s.o.Reminders.ReviewReminders(ctx, now.Add(-r.OlderThan))
		if err != nil {
			return nil, err
		}
		for _, v := range rows {
			out = append(out, reminderEvent(r, v, now))
		}
	case KindPIAReview:
		if s.o.PIAs == nil {
			return nil, nil
		}
		rows, err := s.o.PIAs.PIAsNeedingReview(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range rows {
			out = append(out, piaEvent(p, gen))
		}
	}
	return out, nil
}

// reminderEvent is the reminder of v for the reminder period now falls
// in: periods of r.Every from when the campaign turned r.OlderThan old,
// so each (reviewer, campaign, period) fires once, and the next period
// fires again while items stay open.
func reminderEvent(r Rule, v ReviewReminder, now time.Time) Event {
	period := int64(0)
	if since := now.Sub(v.Started.Add(r.OlderThan)); since > 0 {
		period = int64(since / r.Every)
	}
	due := v.DueAt
	overdue := !due.After(now)
	when := "due " + due.Format(time.DateOnly)
	if overdue {
		when = "overdue since " + due.Format(time.DateOnly)
	}
	return Event{Subject: v.CampaignID + "/" + v.Reviewer + "/" + strconv.FormatInt(period, 10),
		Title: fmt.Sprintf("Review reminder: %s has %d open item(s) in %q (%s)", v.Reviewer, v.Open, v.Campaign, when),
		Facts: Facts{Reviewer: v.Reviewer, CampaignID: v.CampaignID, Campaign: v.Campaign, OpenItems: v.Open,
			Reminder: int(period) + 1, DueAt: &due, Overdue: overdue, Status: "open"}}
}

// piaEvent fires once per PIA and set of reasons (and facts taken): a
// change of the reasons fires again, the same reasons on later builds do
// not. The title, free text a person wrote, stays out (as from the audit
// log); the reasons name systems, categories and counts.
func piaEvent(p PIAReview, gen uint64) Event {
	h := sha256.Sum256([]byte(strings.Join(p.Reasons, "\x00")))
	return Event{Subject: p.ID + "/" + strconv.FormatInt(p.FactsAsOf.Unix(), 10) + "/" + hex.EncodeToString(h[:6]), IndexGen: gen,
		Title: fmt.Sprintf("PIA %s needs review: %s", p.ID, strings.Join(p.Reasons, "; ")),
		Facts: Facts{PIA: p.ID, Systems: p.Systems, ReviewReasons: p.Reasons, Status: "needs_review"}}
}

// Events lists the newest fired events (rule: that rule's only).
func (s *Service) Events(ctx context.Context, rule string, limit int) ([]Event, error) {
	rows, err := s.o.Store.AlertEvents(ctx, rule, limit)
	if err != nil {
		return nil, err
	}
	return decodeEvents(rows)
}

func decodeEvents(rows []store.AlertEvent) ([]Event, error) {
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		var e Event
		if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
			return nil, fmt.Errorf("alert event %s: stored body does not decode: %w", r.ID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Deliveries lists the delivery log, newest first (eventID: that event's).
func (s *Service) Deliveries(ctx context.Context, eventID string, limit int) ([]store.AlertDelivery, error) {
	return s.o.Store.AlertDeliveries(ctx, eventID, limit)
}
