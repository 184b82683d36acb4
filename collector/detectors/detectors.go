// Package detectors holds the organisation's custom detectors on the
// collector: definitions admins write over the API (validated by
// internal/pii, the agent's own rules), kept with every revision, served
// to agents through the policy channel (collector/policy) and as a file
// for one-shot scans, and dry-run on sample text.
package detectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sightline-dev/sightline/collector/revision"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/pii"
)

// ErrInvalid marks a definition or dry run the collector refuses; the
// message names the field.
var ErrInvalid = errors.New("invalid detector")

// ErrExists is a create for an id that is taken.
var ErrExists = errors.New("a custom detector with this id exists; change it with PUT /api/v1/detectors/{id}")

// Store is the part of the store detectors use.
type Store interface {
	PutDetectorRevision(ctx context.Context, d store.DetectorRevision) error
	DetectorRevisions(ctx context.Context, id string) ([]store.DetectorRevision, error)
}

// Service holds the definitions.
type Service struct {
	st    Store
	now   func() time.Time
	chain revision.Chain[store.DetectorRevision, Detector]
}

// New returns a Service; now is the clock (nil: time.Now).
func New(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, now: now, chain: revision.Chain[store.DetectorRevision, Detector]{
		What: "custom detector", Load: st.DetectorRevisions, Of: fromRevision,
		Deleted: func(r store.DetectorRevision) bool { return r.Deleted },
		ID:      func(r store.DetectorRevision) string { return r.ID },
	}}
}

// Detector is a revision of a definition; the API answers with it.
type Detector struct {
	pii.Definition
	Revision  uint32    `json:"revision"`
	Deleted   bool      `json:"deleted"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

func fromRevision(r store.DetectorRevision) Detector {
	var d pii.Definition
	_ = json.Unmarshal([]byte(r.Definition), &d) // stored only after Check
	return Detector{Definition: d, Revision: r.Revision, Deleted: r.Deleted, ChangedBy: r.ChangedBy, ChangedAt: r.ChangedAt}
}

// check validates one definition as an API input (pii's Check, which
// also bounds a pattern's program: pii.MaxPatternInsts).
func check(d pii.Definition) (pii.Definition, error) {
	c, err := d.Check()
	if err != nil {
		return pii.Definition{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return c, nil
}

// List returns the live detectors, by id.
func (s *Service) List(ctx context.Context) ([]Detector, error) {
	return s.chain.Live(ctx)
}

// Definitions are the live definitions: what agents run.
func (s *Service) Definitions(ctx context.Context) ([]pii.Definition, error) {
	ds, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]pii.Definition, len(ds))
	for i, d := range ds {
		out[i] = d.Definition
	}
	return out, nil
}

// History returns every revision of a detector, oldest first.
func (s *Service) History(ctx context.Context, id string) ([]Detector, error) {
	return s.chain.History(ctx, id)
}

// Get returns a live detector or an error wrapping store.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Detector, error) {
	return s.chain.Get(ctx, id)
}

// Create stores a new detector (revision 1, or the next after a deleted
// one). The set stays within pii.MaxDefinitions.
func (s *Service) Create(ctx context.Context, d pii.Definition, by string) (Detector, error) {
	c, err := check(d)
	if err != nil {
		return Detector{}, err
	}
	rev, err := s.chain.Next(ctx, c.ID, ErrExists)
	if err != nil {
		return Detector{}, err
	}
	live, err := s.List(ctx)
	if err != nil {
		return Detector{}, err
	}
	if len(live) >= pii.MaxDefinitions {
		return Detector{}, fmt.Errorf("%w: at most %d custom detectors; delete one first", ErrInvalid, pii.MaxDefinitions)
	}
	return s.write(ctx, c, rev, by, false)
}

// Update stores a new revision of a live detector; d.ID is set from id.
func (s *Service) Update(ctx context.Context, id string, d pii.Definition, by string) (Detector, error) {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Detector{}, err
	}
	d.ID = id
	c, err := check(d)
	if err != nil {
		return Detector{}, err
	}
	return s.write(ctx, c, cur.Revision+1, by, false)
}

// Delete stores a deleting revision; agents stop running it at their
// next policy fetch.
func (s *Service) Delete(ctx context.Context, id, by string) (Detector, error) {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Detector{}, err
	}
	return s.write(ctx, cur.Definition, cur.Revision+1, by, true)
}

func (s *Service) write(ctx context.Context, d pii.Definition, rev uint32, by string, deleted bool) (Detector, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return Detector{}, fmt.Errorf("encoding a detector: %w", err)
	}
	at := s.now().UTC().Truncate(time.Second)
	if err := s.st.PutDetectorRevision(ctx, store.DetectorRevision{ID: d.ID, Revision: rev, Definition: string(raw),
		Deleted: deleted, ChangedBy: by, ChangedAt: at}); err != nil {
		return Detector{}, err
	}
	return Detector{Definition: d, Revision: rev, Deleted: deleted, ChangedBy: by, ChangedAt: at}, nil
}

// MaxSampleBytes bounds a dry run's sample text.
const MaxSampleBytes = 64 << 10

// maxDryRunMatches bounds the matches a dry run lists.
const maxDryRunMatches = 100

// DryRunMatch is one match of a dry run: never the value, only its mask.
// The API answers with it.
type DryRunMatch struct {
	Line       int    `json:"line"`
	Masked     string `json:"masked"`
	Confidence string `json:"confidence"`
}

// DryRunResult is what a definition finds in a sample.
type DryRunResult struct {
	Definition pii.Definition // as checked (defaults filled)
	Count      int            // every match
	Distinct   int
	Matches    []DryRunMatch // the first maxDryRunMatches
}

// nothing is a detector that finds nothing: a dry run shows what the
// custom definition alone finds.
type nothing struct{}

func (nothing) Detect([]byte, func(pii.Match)) {}

// DryRun runs one definition over sample text (at most MaxSampleBytes),
// with field (a column or key name, optional) as context. Values are
// masked as agents mask them; nothing is stored or logged.
func DryRun(d pii.Definition, field, sample string) (DryRunResult, error) {
	if len(sample) > MaxSampleBytes {
		return DryRunResult{}, fmt.Errorf("%w: sample: at most %d bytes", ErrInvalid, MaxSampleBytes)
	}
	c, err := check(d)
	if err != nil {
		return DryRunResult{}, err
	}
	det, err := pii.WithCustom(nothing{}, []pii.Definition{c})
	if err != nil {
		return DryRunResult{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	res := DryRunResult{Definition: c, Matches: []DryRunMatch{}}
	seen := map[string]bool{}
	emit := func(m pii.Match) {
		res.Count++
		if !seen[string(m.Value)] {
			seen[string(m.Value)] = true
			res.Distinct++
		}
		if len(res.Matches) < maxDryRunMatches {
			res.Matches = append(res.Matches, DryRunMatch{Line: m.Line, Masked: pii.Mask(m.Type, m.Value), Confidence: m.Confidence})
		}
	}
	det.(pii.FieldDetector).DetectField([]byte(field), []byte(sample), emit)
	return res, nil
}
