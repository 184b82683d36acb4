// Package dsr runs data-subject request cases: a request from intake to
// response. A case has a reference, the regulation and its deadline, a
// status (open, searching, responded, closed) and an owner. Its
// identifiers are tokenised at intake exactly as a subject search
// tokenises them (collector/subjects) and only the tokens are kept, so the
// case never holds what the person is known by. A search of the case is
// stored with the read index generation it read and the scans it covered,
// so the response package can say where the person's data was found, and
// "not found" is a statement with a date per system.
package dsr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/subjects"
	"github.com/sightline-dev/sightline/internal/defaults"
)

// ErrInvalid marks an input the collector refuses; the message names the
// field, never an identifier's value.
var ErrInvalid = errors.New("invalid request")

// ErrConflict marks a step the case's state does not allow (a closed case
// searched, a status moved backwards, tokens made with rotated keys).
var ErrConflict = errors.New("not allowed in the case's state")

// Statuses of a case.
const (
	StatusOpen      = "open"
	StatusSearching = "searching"
	StatusResponded = "responded"
	StatusClosed    = "closed"
)

// next is where each status may go.
var next = map[string][]string{
	StatusOpen:      {StatusSearching, StatusClosed},
	StatusSearching: {StatusResponded, StatusClosed},
	StatusResponded: {StatusSearching, StatusClosed},
	StatusClosed:    nil,
}

// Regulations with a deadline of their own; any other regulation name
// gets Options.DefaultDays.
const (
	GDPR = "gdpr" // Art. 12(3): one month from receipt
	CCPA = "ccpa" // Cal. Civ. Code 1798.130: 45 days
)

// DefaultDays is the deadline of a regulation without one of its own.
const DefaultDays = 30

// Store is what the workflow needs of the store.
type Store interface {
	subjects.Store
	PutDSRCase(ctx context.Context, c store.DSRCase) error
	DSRCase(ctx context.Context, id string) (store.DSRCase, error)
	DSRCases(ctx context.Context, status string) ([]store.DSRCase, error)
	PutDSRSearch(ctx context.Context, s store.DSRSearch, hits []store.DSRHit, cov []store.DSRCoverage) error
	DSRSearches(ctx context.Context, caseID string) ([]store.DSRSearch, error)
	DSRSearchRows(ctx context.Context, caseID, searchID string) ([]store.DSRHit, []store.DSRCoverage, error)
	ScanCoverage(ctx context.Context) ([]store.DSRCoverage, error)
	IndexState(ctx context.Context) (store.IndexState, error)
}

// Hasher tokenises identifiers (keys.Keys) and names the keys it used, so
// a case's tokens can be told stale after a rotation.
type Hasher interface {
	subjects.Hasher
	Fingerprint() string
	Generation() uint32
}

// Options configures a Service.
type Options struct {
	Store Store
	// Keys gives the collector's current keys.
	Keys func() Hasher
	// Now is the clock (default time.Now).
	Now func() time.Time
	// DefaultRegulation applies when a case names none (default GDPR);
	// DefaultDays is the deadline of a regulation without one of its own
	// (default DefaultDays).
	DefaultRegulation string
	DefaultDays       int
}

// Service runs the cases.
type Service struct {
	o Options
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DefaultRegulation = strings.ToLower(strings.TrimSpace(o.DefaultRegulation)); o.DefaultRegulation == "" {
		o.DefaultRegulation = GDPR
	}
	o.DefaultDays = defaults.Positive(o.DefaultDays, DefaultDays)
	return &Service{o: o}
}

// Due is the deadline of a request received at under regulation.
func (s *Service) Due(regulation string, received time.Time) time.Time {
	switch regulation {
	case GDPR:
		return addMonth(received)
	case CCPA:
		return received.AddDate(0, 0, 45)
	}
	return received.AddDate(0, 0, s.o.DefaultDays)
}

// addMonth is t one calendar month later; when that month has no such
// day (31 January), the month's last day (as Regulation 1182/71 counts
// periods in months), not the spill into the next that AddDate gives.
func addMonth(t time.Time) time.Time {
	n := t.AddDate(0, 1, 0)
	if n.Day() != t.Day() {
		n = n.AddDate(0, 0, -n.Day())
	}
	return n
}

var (
	referenceRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$`)
	regulationRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	caseIDRE     = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

const maxOwner = 128

func bad(field, msg string) error { return fmt.Errorf("%w: %s: %s", ErrInvalid, field, msg) }

// CreateInput is a case as a caller opens it. The identifiers are
// tokenised and forgotten.
type CreateInput struct {
	Reference   string                `json:"reference"`
	Regulation  string                `json:"regulation"`
	ReceivedAt  *time.Time            `json:"received_at"`
	Owner       string                `json:"owner"`
	Identifiers []subjects.Identifier `json:"identifiers"`
}

func checkOwner(o string) (string, error) {
	o = strings.TrimSpace(o)
	if len(o) > maxOwner || strings.ContainsFunc(o, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", bad("owner", fmt.Sprintf("at most %d printable bytes", maxOwner))
	}
	return o, nil
}

// CheckID refuses a case id that cannot be one, before it reaches a query.
func CheckID(id string) error {
	if !caseIDRE.MatchString(id) {
		return bad("case id", "16 lower-case hex digits, as the case listing gives it")
	}
	return nil
}

// tokenise keeps the identifiers' types and their stored tokens; any
// invalid identifier refuses the whole set (a case must not silently
// search for less than the person gave).
func (s *Service) tokenise(c *store.DSRCase, ids []subjects.Identifier) error {
	k := s.o.Keys()
	toks, err := subjects.Tokenise(k, ids)
	if err != nil {
		var inv *subjects.InvalidError
		if errors.As(err, &inv) {
			return err
		}
		return bad("identifiers", err.Error())
	}
	if len(toks.Invalid) > 0 {
		inv := toks.Invalid[0]
		return &subjects.InvalidError{Index: inv.Index, Type: inv.Type, Reason: inv.Reason, Others: len(toks.Invalid) - 1}
	}
	c.IdentifierTypes = make([]string, len(ids))
	for i, id := range ids {
		c.IdentifierTypes[i] = id.Type
	}
	c.Tokens, c.TokenIDs = nil, nil
	for _, t := range toks.List {
		for _, i := range toks.Of[t] {
			c.Tokens = append(c.Tokens, t)
			c.TokenIDs = append(c.TokenIDs, uint16(i))
		}
	}
	c.KeyFingerprint, c.KeyGen = k.Fingerprint(), k.Generation()
	return nil
}

// Create opens a case.
func (s *Service) Create(ctx context.Context, in CreateInput, by string) (store.DSRCase, error) {
	if !referenceRE.MatchString(in.Reference) {
		return store.DSRCase{}, bad("reference", "required: your ticket or letter reference, 1 to 64 letters, digits and ._:/#- (not the person's name)")
	}
	reg := in.Regulation
	if reg == "" {
		reg = s.o.DefaultRegulation
	}
	if !regulationRE.MatchString(reg) {
		return store.DSRCase{}, bad("regulation", "a short lower-case name such as gdpr or ccpa")
	}
	owner, err := checkOwner(in.Owner)
	if err != nil {
		return store.DSRCase{}, err
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	received := now
	if in.ReceivedAt != nil {
		received = in.ReceivedAt.UTC().Truncate(time.Second)
		if received.After(now) || received.Year() < 2000 {
			return store.DSRCase{}, bad("received_at", "when the request arrived (RFC 3339), not in the future")
		}
	}
	if owner == "" {
		owner = by
	}
	c := store.DSRCase{ID: newID(), Reference: in.Reference, Regulation: reg, ReceivedAt: received,
		DueAt: s.Due(reg, received), Status: StatusOpen, Owner: owner, CreatedBy: by, CreatedAt: now, UpdatedBy: by, UpdatedAt: now}
	if err := s.tokenise(&c, in.Identifiers); err != nil {
		return store.DSRCase{}, err
	}
	if err := s.o.Store.PutDSRCase(ctx, c); err != nil {
		return store.DSRCase{}, err
	}
	return c, nil
}

// Get reads a case.
func (s *Service) Get(ctx context.Context, id string) (store.DSRCase, error) {
	if err := CheckID(id); err != nil {
		return store.DSRCase{}, err
	}
	return s.o.Store.DSRCase(ctx, id)
}

// List lists cases, the earliest due first (status "" for all).
func (s *Service) List(ctx context.Context, status string) ([]store.DSRCase, error) {
	if _, ok := next[status]; status != "" && !ok {
		return nil, bad("status", "one of open, searching, responded, closed")
	}
	return s.o.Store.DSRCases(ctx, status)
}

// UpdateInput changes a case's status or owner (nil: unchanged).
type UpdateInput struct {
	Status *string `json:"status"`
	Owner  *string `json:"owner"`
}

// Update moves a case along (open → searching → responded → closed; a
// responded case may be searched again; any open case may be closed) or
// gives it another owner.
func (s *Service) Update(ctx context.Context, id string, in UpdateInput, by string) (store.DSRCase, error) {
	if in.Status == nil && in.Owner == nil {
		return store.DSRCase{}, bad("body", "give status, owner or both")
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return store.DSRCase{}, err
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	if in.Owner != nil {
		owner, err := checkOwner(*in.Owner)
		if err != nil {
			return store.DSRCase{}, err
		}
		if owner == "" {
			return store.DSRCase{}, bad("owner", "must not be empty")
		}
		if c.Status == StatusClosed {
			return store.DSRCase{}, fmt.Errorf("%w: case %s is closed", ErrConflict, c.ID)
		}
		c.Owner = owner
	}
	if in.Status != nil && *in.Status != c.Status {
		to := *in.Status
		if _, ok := next[to]; !ok {
			return store.DSRCase{}, bad("status", "one of open, searching, responded, closed")
		}
		if !slices.Contains(next[c.Status], to) {
			allowed := "nothing: a closed case is final"
			if len(next[c.Status]) > 0 {
				allowed = strings.Join(next[c.Status], ", ")
			}
			return store.DSRCase{}, fmt.Errorf("%w: a %s case cannot become %s (it may become %s)", ErrConflict, c.Status, to, allowed)
		}
		if to == StatusResponded {
			searches, err := s.o.Store.DSRSearches(ctx, c.ID)
			if err != nil {
				return store.DSRCase{}, err
			}
			if len(searches) == 0 {
				return store.DSRCase{}, fmt.Errorf("%w: case %s has no search yet; run one (POST .../searches) before responding", ErrConflict, c.ID)
			}
			c.RespondedAt = &now
		}
		if to == StatusClosed {
			c.ClosedAt = &now
		}
		c.Status = to
	}
	c.UpdatedBy, c.UpdatedAt = by, now
	if err := s.o.Store.PutDSRCase(ctx, c); err != nil {
		return store.DSRCase{}, err
	}
	return c, nil
}

// Reidentify replaces a case's tokens with those of identifiers given
// again: after the keys were rotated, the tokens a case holds no longer
// find new findings, and the identifiers were never kept.
func (s *Service) Reidentify(ctx context.Context, id string, ids []subjects.Identifier, by string) (store.DSRCase, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return store.DSRCase{}, err
	}
	if c.Status == StatusClosed {
		return store.DSRCase{}, fmt.Errorf("%w: case %s is closed", ErrConflict, c.ID)
	}
	if err := s.tokenise(&c, ids); err != nil {
		return store.DSRCase{}, err
	}
	c.UpdatedBy, c.UpdatedAt = by, s.o.Now().UTC().Truncate(time.Second)
	if err := s.o.Store.PutDSRCase(ctx, c); err != nil {
		return store.DSRCase{}, err
	}
	return c, nil
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
