// Package pia keeps privacy impact assessments: one per system or per
// project (a set of systems of the data map), prefilled with what the
// scans discovered there — categories, volumes, jurisdictions, public and
// world-readable exposure, how many principals can read the most exposed
// asset — with the questions a DPO answers (purpose, necessity and
// proportionality, retention, safeguards) and a rating (likelihood ×
// severity → low, medium, high) that enters the risk register.
//
// The facts a PIA rests on are kept as they were when it was prefilled
// (or last confirmed). Every read compares them with the current read
// index: a new category, a system turned public, more world-readable or
// public assets, more readers, another jurisdiction, a system gone — each
// flags the PIA needs_review with the reason, until the DPO confirms the
// facts anew.
package pia

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/records"
	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
)

// ErrInvalid marks a request that cannot be right; the message says how
// to fix it.
var ErrInvalid = errors.New("invalid privacy impact assessment request")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Likelihoods and severities, lowest first: their position (1–3) is the
// factor of the rating (ICO's 3 × 3 matrix).
var (
	Likelihoods = []string{"remote", "possible", "probable"}
	Severities  = []string{"minimal", "significant", "severe"}
)

// Ratings.
const (
	RatingLow    = "low"
	RatingMedium = "medium"
	RatingHigh   = "high"
)

// Statuses: a PIA is a draft until it has a rating.
const (
	StatusDraft = "draft"
	StatusRated = "rated"
)

// RegisterKind is the risk register's kind for PIAs.
const RegisterKind = "pia"

// Limits.
const (
	maxText    = 8000
	maxTitle   = 256
	maxSystems = 100
)

// Facts are what the scans showed of one system (datamap.System, as of
// the read index's build).
type Facts struct {
	System              string   `json:"system"`
	Categories          []string `json:"categories"`
	Types               []string `json:"types"`
	Assets              uint64   `json:"assets"`
	Occurrences         uint64   `json:"occurrences"`
	PeopleAtMost        uint64   `json:"people_at_most"`
	Jurisdiction        string   `json:"jurisdiction"`
	Public              bool     `json:"public"`
	PublicAssets        uint64   `json:"public_assets"`
	WorldReadableAssets uint64   `json:"world_readable_assets"`
	MaxReaders          uint64   `json:"max_readers"`
}

func factsOf(s datamap.System) Facts {
	return Facts{System: records.SystemID(s), Categories: nonNil(s.Categories), Types: nonNil(s.Types), Assets: s.Assets,
		Occurrences: s.Occurrences, PeopleAtMost: s.DistinctAtMost, Jurisdiction: s.Jurisdiction, Public: s.Public,
		PublicAssets: s.PublicAssets, WorldReadableAssets: s.WorldReadableAssets, MaxReaders: s.MaxReaders}
}

// Assessment is a PIA as read: its answers, rating, the facts it rests
// on and whether the scans have changed them since.
type Assessment struct {
	ID, Title                     string
	Systems                       []string
	Purpose, Necessity, Retention string
	Safeguards                    string
	Likelihood, Severity          string
	// Rating and Score are empty and 0 until both likelihood and
	// severity are given; Score (0–100) ranks it in the risk register.
	Rating      string
	Score       int
	Status      string
	Facts       []Facts
	FactsAsOf   time.Time
	NeedsReview bool
	Reasons     []string
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedBy   string
	UpdatedAt   time.Time
}

// CreateInput opens a PIA over systems (ids as records.SystemID gives
// them), prefilled from the data map.
type CreateInput struct {
	Title   string   `json:"title"`
	Systems []string `json:"systems"`
}

// Answers are a DPO's changes; nil keeps the current value.
// ConfirmFacts takes the current facts as the ones the PIA rests on,
// which clears needs_review.
type Answers struct {
	Title        *string `json:"title"`
	Purpose      *string `json:"purpose"`
	Necessity    *string `json:"necessity"`
	Retention    *string `json:"retention"`
	Safeguards   *string `json:"safeguards"`
	Likelihood   *string `json:"likelihood"`
	Severity     *string `json:"severity"`
	ConfirmFacts bool    `json:"confirm_facts"`
}

// Store is what PIAs need.
type Store interface {
	datamap.Store
	PutPIA(ctx context.Context, p store.PIA) error
	PIAs(ctx context.Context) ([]store.PIA, error)
	PIA(ctx context.Context, id string) (store.PIA, error)
}

// Service keeps PIAs.
type Service struct {
	st  Store
	now func() time.Time
}

// New returns a Service over st; now is the clock (nil: time.Now).
func New(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now}
}

// Rate is the rating of likelihood × severity and its register score
// (the product scaled to 0–100); "" and 0 while either is unset.
func Rate(likelihood, severity string) (string, int) {
	l, s := position(Likelihoods, likelihood), position(Severities, severity)
	if l == 0 || s == 0 {
		return "", 0
	}
	p := l * s
	score := (p*100 + 4) / 9
	switch {
	case p <= 2:
		return RatingLow, score
	case p <= 4:
		return RatingMedium, score
	default:
		return RatingHigh, score
	}
}

func position(scale []string, v string) int {
	for i, x := range scale {
		if x == v {
			return i + 1
		}
	}
	return 0
}

func checkText(name, v string, max int) error {
	if len(v) > max || !utf8.ValidString(v) {
		return invalid("%s must be valid UTF-8 of at most %d bytes", name, max)
	}
	return nil
}

// current is the data map's facts by system id.
func (s *Service) current(ctx context.Context) (map[string]Facts, error) {
	systems, err := datamap.Map(ctx, s.st)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Facts, len(systems))
	for _, sys := range systems {
		f := factsOf(sys)
		out[f.System] = f
	}
	return out, nil
}

// snapshot is the current facts of systems, which must all be in the
// data map.
func snapshot(cur map[string]Facts, systems []string) ([]Facts, error) {
	out := make([]Facts, 0, len(systems))
	var unknown []string
	for _, id := range systems {
		f, ok := cur[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		out = append(out, f)
	}
	if len(unknown) > 0 {
		return nil, invalid("no scan shows personal data on %s: name systems as GET /api/v1/records lists them", strings.Join(unknown, ", "))
	}
	return out, nil
}

func newID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a PIA id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Create opens a PIA prefilled from the data map; asOf is when the read
// index it read was built.
func (s *Service) Create(ctx context.Context, in CreateInput, by string, asOf time.Time) (Assessment, error) {
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		return Assessment{}, invalid("title is required (the system or project assessed)")
	}
	if err := checkText("title", in.Title, maxTitle); err != nil {
		return Assessment{}, err
	}
	if len(in.Systems) == 0 || len(in.Systems) > maxSystems {
		return Assessment{}, invalid("give between 1 and %d systems", maxSystems)
	}
	seen := map[string]bool{}
	for _, id := range in.Systems {
		if err := records.CheckSystem(id); err != nil {
			return Assessment{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if seen[id] {
			return Assessment{}, invalid("system %s is named twice", id)
		}
		seen[id] = true
	}
	cur, err := s.current(ctx)
	if err != nil {
		return Assessment{}, err
	}
	facts, err := snapshot(cur, in.Systems)
	if err != nil {
		return Assessment{}, err
	}
	id, err := newID()
	if err != nil {
		return Assessment{}, err
	}
	raw, err := json.Marshal(facts)
	if err != nil {
		return Assessment{}, fmt.Errorf("encoding a PIA's facts: %w", err)
	}
	now := s.now().UTC().Truncate(time.Second)
	p := store.PIA{ID: id, Title: in.Title, Systems: in.Systems, Facts: string(raw), FactsAsOf: asOf.UTC(),
		CreatedBy: by, CreatedAt: now, UpdatedBy: by, UpdatedAt: now}
	if err := s.st.PutPIA(ctx, p); err != nil {
		return Assessment{}, err
	}
	return assess(p, cur)
}

// Update applies a DPO's answers and returns the PIA after them.
func (s *Service) Update(ctx context.Context, id string, a Answers, by string, asOf time.Time) (Assessment, error) {
	p, err := s.st.PIA(ctx, id)
	if err != nil {
		return Assessment{}, err
	}
	set := []struct {
		name string
		in   *string
		to   *string
		max  int
	}{{"title", a.Title, &p.Title, maxTitle}, {"purpose", a.Purpose, &p.Purpose, maxText},
		{"necessity", a.Necessity, &p.Necessity, maxText}, {"retention", a.Retention, &p.Retention, maxText},
		{"safeguards", a.Safeguards, &p.Safeguards, maxText}, {"likelihood", a.Likelihood, &p.Likelihood, maxTitle},
		{"severity", a.Severity, &p.Severity, maxTitle}}
	changed := a.ConfirmFacts
	for _, f := range set {
		if f.in == nil {
			continue
		}
		if err := checkText(f.name, *f.in, f.max); err != nil {
			return Assessment{}, err
		}
		*f.to, changed = *f.in, true
	}
	switch {
	case !changed:
		return Assessment{}, invalid("give at least one answer, or confirm_facts")
	case strings.TrimSpace(p.Title) == "":
		return Assessment{}, invalid("title cannot be empty")
	case p.Likelihood != "" && position(Likelihoods, p.Likelihood) == 0:
		return Assessment{}, invalid("likelihood must be one of %s", strings.Join(Likelihoods, ", "))
	case p.Severity != "" && position(Severities, p.Severity) == 0:
		return Assessment{}, invalid("severity must be one of %s", strings.Join(Severities, ", "))
	}
	cur, err := s.current(ctx)
	if err != nil {
		return Assessment{}, err
	}
	if a.ConfirmFacts {
		facts := make([]Facts, 0, len(p.Systems))
		for _, sys := range p.Systems {
			if f, ok := cur[sys]; ok {
				facts = append(facts, f)
			}
		}
		raw, err := json.Marshal(facts)
		if err != nil {
			return Assessment{}, fmt.Errorf("encoding a PIA's facts: %w", err)
		}
		p.Facts, p.FactsAsOf = string(raw), asOf.UTC()
	}
	p.UpdatedBy, p.UpdatedAt = by, s.now().UTC().Truncate(time.Second)
	if err := s.st.PutPIA(ctx, p); err != nil {
		return Assessment{}, err
	}
	return assess(p, cur)
}

// Get reads one PIA, compared with the current read index.
func (s *Service) Get(ctx context.Context, id string) (Assessment, error) {
	p, err := s.st.PIA(ctx, id)
	if err != nil {
		return Assessment{}, err
	}
	cur, err := s.current(ctx)
	if err != nil {
		return Assessment{}, err
	}
	return assess(p, cur)
}

// List reads every PIA, each compared with the current read index.
func (s *Service) List(ctx context.Context) ([]Assessment, error) {
	ps, err := s.st.PIAs(ctx)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return []Assessment{}, nil
	}
	cur, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Assessment, 0, len(ps))
	for _, p := range ps {
		a, err := assess(p, cur)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// RegisterItems are the rated PIAs as risk register items (kind pia):
// the rating's score, with the rating and any review reasons as factors.
func (s *Service) RegisterItems(ctx context.Context) ([]risk.RegisterItem, error) {
	as, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []risk.RegisterItem
	for _, a := range as {
		if a.Rating == "" {
			continue
		}
		fs := []risk.Factor{{Name: fmt.Sprintf("PIA rated %s: likelihood %s × severity %s", a.Rating, a.Likelihood, a.Severity), Points: a.Score}}
		for _, r := range a.Reasons {
			fs = append(fs, risk.Factor{Name: "needs review: " + r})
		}
		out = append(out, risk.RegisterItem{Kind: RegisterKind, ID: a.ID, Title: a.Title, Source: strings.Join(a.Systems, ","),
			Score: a.Score, Factors: fs, Status: risk.StatusOpen})
	}
	return out, nil
}

// assess reads p against the current facts.
func assess(p store.PIA, cur map[string]Facts) (Assessment, error) {
	var facts []Facts
	if err := json.Unmarshal([]byte(p.Facts), &facts); err != nil {
		return Assessment{}, fmt.Errorf("PIA %s: its stored facts do not decode (%w); confirm them anew with confirm_facts", p.ID, err)
	}
	a := Assessment{ID: p.ID, Title: p.Title, Systems: nonNil(p.Systems), Purpose: p.Purpose, Necessity: p.Necessity,
		Retention: p.Retention, Safeguards: p.Safeguards, Likelihood: p.Likelihood, Severity: p.Severity,
		Facts: facts, FactsAsOf: p.FactsAsOf, CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt,
		UpdatedBy: p.UpdatedBy, UpdatedAt: p.UpdatedAt, Status: StatusDraft}
	if a.Facts == nil {
		a.Facts = []Facts{}
	}
	a.Rating, a.Score = Rate(p.Likelihood, p.Severity)
	if a.Rating != "" {
		a.Status = StatusRated
	}
	a.Reasons = Changes(facts, p.Systems, cur)
	a.NeedsReview = len(a.Reasons) > 0
	return a, nil
}

// Changes are the reasons to review a PIA resting on was (the facts of
// systems then) given the current facts; none when nothing it rests on
// has changed for the worse.
func Changes(was []Facts, systems []string, cur map[string]Facts) []string {
	old := make(map[string]Facts, len(was))
	for _, f := range was {
		old[f.System] = f
	}
	reasons := []string{}
	for _, sys := range systems {
		o, hadFacts := old[sys]
		n, now := cur[sys]
		switch {
		case !hadFacts && now:
			reasons = append(reasons, sys+": the scans now find personal data here")
			continue
		case hadFacts && !now:
			reasons = append(reasons, sys+": the scans no longer show personal data here (removed, or no longer scanned)")
			continue
		case !now:
			continue
		}
		if added := missing(n.Categories, o.Categories); len(added) > 0 {
			reasons = append(reasons, fmt.Sprintf("%s: new category %s", sys, strings.Join(added, ", ")))
		}
		if n.Jurisdiction != o.Jurisdiction {
			reasons = append(reasons, fmt.Sprintf("%s: jurisdiction is now %s (was %s)", sys, n.Jurisdiction, o.Jurisdiction))
		}
		if n.Public && !o.Public {
			reasons = append(reasons, sys+": the bucket is now public")
		}
		if n.PublicAssets > o.PublicAssets {
			reasons = append(reasons, fmt.Sprintf("%s: %d public assets (was %d)", sys, n.PublicAssets, o.PublicAssets))
		}
		if n.WorldReadableAssets > o.WorldReadableAssets {
			reasons = append(reasons, fmt.Sprintf("%s: %d world-readable assets (was %d)", sys, n.WorldReadableAssets, o.WorldReadableAssets))
		}
		if n.MaxReaders > o.MaxReaders {
			reasons = append(reasons, fmt.Sprintf("%s: up to %d principals can read one asset (was %d)", sys, n.MaxReaders, o.MaxReaders))
		}
	}
	return reasons
}

// missing is what of now is not in was.
func missing(now, was []string) []string {
	had := make(map[string]bool, len(was))
	for _, v := range was {
		had[v] = true
	}
	var out []string
	for _, v := range now {
		if !had[v] {
			out = append(out, v)
		}
	}
	return out
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
