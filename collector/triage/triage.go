// Package triage is how people tune what the data map counts: allow rules
// (a value that is not personal data, such as the switchboard's number or
// a test card, by its keyed token; or an asset and type) with a reason
// and an optional expiry, and finding triage states (open,
// false_positive, accepted, resolved) with who, when and why, kept across
// rescans and reopened when a later scan finds more. What readers see is
// decided once, in the read index's build (store.visibleFindingsSQL); this
// package checks and records the changes.
package triage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/pii"
)

// ErrInvalid marks an input the collector refuses; the message names the
// field (never a value).
var ErrInvalid = errors.New("invalid request")

// Store is the part of the store triage uses.
type Store interface {
	PutAllowRule(ctx context.Context, r store.AllowRule) error
	AllowRules(ctx context.Context) ([]store.AllowRule, error)
	PutTriage(ctx context.Context, t store.TriageChange) error
	TriageHistory(ctx context.Context, assetID, typ string) ([]store.TriageChange, error)
	TriagedFindings(ctx context.Context, state string) ([]store.TriagedFinding, error)
	CurrentFinding(ctx context.Context, assetID, typ string) (location string, count uint64, found bool, err error)
}

// Hasher turns values and agent tokens into stored tokens (keys.Keys).
type Hasher interface {
	// SearchTokens: every stored token a normalised value may have (one
	// per agent key not yet retired).
	SearchTokens(normalized []byte) []string
	// RekeyToken: an agent token's stored form.
	RekeyToken(agentToken string) string
	Generation() uint32
}

// Service checks and records allow rules and triage.
type Service struct {
	st   Store
	keys func() Hasher
	now  func() time.Time
}

// New returns a Service; keys gives the collector's current keys, now the
// clock (nil: time.Now).
func New(st Store, keys func() Hasher, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, keys: keys, now: now}
}

// Bounds of the inputs.
const (
	MaxReason     = 1024
	maxValue      = 4096
	MaxAllowRules = 1000
)

var (
	typeID     = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)
	agentToken = regexp.MustCompile(`^[0-9a-f]{32}$`)
	assetID    = regexp.MustCompile(`^[A-Za-z0-9._:@/-]{1,256}$`)
)

// AllowInput is an allow rule as a caller writes it: exactly one of
// Value (with Type: the identifier as a person types it, normalised and
// hashed exactly as agents do, then forgotten), Token (an agent token, 32
// hex digits, as `scan fs` prints) or AssetID (with Type, or without for
// every type of the asset).
type AllowInput struct {
	Type      string     `json:"type"`
	Value     string     `json:"value"`
	Token     string     `json:"token"`
	AssetID   string     `json:"asset_id"`
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func bad(field, msg string) error { return fmt.Errorf("%w: %s: %s", ErrInvalid, field, msg) }

func checkReason(r string) (string, error) {
	r = strings.TrimSpace(r)
	if r == "" {
		return "", bad("reason", "required: say why (e.g. \"the switchboard's public number\")")
	}
	if len(r) > MaxReason {
		return "", bad("reason", fmt.Sprintf("at most %d bytes", MaxReason))
	}
	return r, nil
}

// Allow checks and stores a rule. The raw value, when given, is only
// normalised and hashed here; it is not stored, logged or echoed.
func (s *Service) Allow(ctx context.Context, in AllowInput, by string) (store.AllowRule, error) {
	reason, err := checkReason(in.Reason)
	if err != nil {
		return store.AllowRule{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	r := store.AllowRule{ID: newID(), Reason: reason, CreatedBy: by, CreatedAt: now}
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(now) {
			return store.AllowRule{}, bad("expires_at", "must be in the future (RFC 3339), or left out for no expiry")
		}
		r.ExpiresAt = in.ExpiresAt.UTC().Truncate(time.Second)
	}
	given := 0
	for _, v := range []string{in.Value, in.Token, in.AssetID} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		return store.AllowRule{}, bad("value", "give exactly one of value (with type), token or asset_id")
	}
	if in.Type != "" && !typeID.MatchString(in.Type) {
		return store.AllowRule{}, bad("type", "a finding type such as phone_number or employee_id")
	}
	k := s.keys()
	switch {
	case in.Value != "":
		if in.Type == "" {
			return store.AllowRule{}, bad("type", "required with value: the value is normalised as agents normalise that type")
		}
		norm, ok := normalize(in.Type, in.Value)
		if !ok {
			return store.AllowRule{}, bad("value", "is not a valid "+in.Type)
		}
		r.Kind, r.ValueType, r.Tokens, r.TokenGen = store.AllowValue, in.Type, k.SearchTokens([]byte(norm)), k.Generation()
	case in.Token != "":
		if !agentToken.MatchString(in.Token) {
			return store.AllowRule{}, bad("token", "an agent token: 32 lower-case hex digits")
		}
		r.Kind, r.ValueType, r.Tokens, r.TokenGen = store.AllowValue, in.Type, []string{k.RekeyToken(in.Token)}, k.Generation()
	default:
		if !assetID.MatchString(in.AssetID) {
			return store.AllowRule{}, bad("asset_id", "an asset id as the API lists it")
		}
		r.Kind, r.AssetID, r.Type = store.AllowFinding, in.AssetID, in.Type
	}
	rules, err := s.st.AllowRules(ctx)
	if err != nil {
		return store.AllowRule{}, err
	}
	if len(rules) >= MaxAllowRules {
		return store.AllowRule{}, bad("allowlist", fmt.Sprintf("at most %d rules; delete some first", MaxAllowRules))
	}
	if err := s.st.PutAllowRule(ctx, r); err != nil {
		return store.AllowRule{}, err
	}
	return r, nil
}

// normalize is what agents tokenise for a value of typ.
func normalize(typ, value string) (string, bool) {
	if len(value) > maxValue {
		return "", false
	}
	if pii.IsBuiltIn(typ) {
		return pii.NormalizeAs(typ, value)
	}
	return pii.NormalizeCustom(value)
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AllowRules lists the rules (expired ones too, with their expiry).
func (s *Service) AllowRules(ctx context.Context) ([]store.AllowRule, error) {
	return s.st.AllowRules(ctx)
}

// Unallow deletes a rule; store.ErrNotFound when there is none.
func (s *Service) Unallow(ctx context.Context, id, by string) (store.AllowRule, error) {
	rules, err := s.st.AllowRules(ctx)
	if err != nil {
		return store.AllowRule{}, err
	}
	for _, r := range rules {
		if r.ID == id {
			r.Deleted, r.CreatedBy = true, by
			if err := s.st.PutAllowRule(ctx, r); err != nil {
				return store.AllowRule{}, err
			}
			return r, nil
		}
	}
	return store.AllowRule{}, fmt.Errorf("allow rule %q: %w", id, store.ErrNotFound)
}

// Triage states.
const (
	StateOpen          = "open"
	StateFalsePositive = "false_positive"
	StateAccepted      = "accepted"
	StateResolved      = "resolved"
)

// TriageInput is a state change as a caller writes it.
type TriageInput struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// SetState records a finding's new state, judged at its occurrences now.
// Only a finding the current scans report can be triaged (404 otherwise).
func (s *Service) SetState(ctx context.Context, asset, typ string, in TriageInput, by string) (store.TriageChange, error) {
	switch in.State {
	case StateOpen, StateFalsePositive, StateAccepted, StateResolved:
	default:
		return store.TriageChange{}, bad("state", "one of open, false_positive, accepted, resolved")
	}
	if !assetID.MatchString(asset) || !typeID.MatchString(typ) {
		return store.TriageChange{}, fmt.Errorf("finding %s/%s: %w", clip.String(asset, 64), clip.String(typ, 64), store.ErrNotFound)
	}
	reason := strings.TrimSpace(in.Reason)
	if in.State != StateOpen || reason != "" {
		var err error
		if reason, err = checkReason(in.Reason); err != nil {
			return store.TriageChange{}, err
		}
	}
	loc, count, found, err := s.st.CurrentFinding(ctx, asset, typ)
	if err != nil {
		return store.TriageChange{}, err
	}
	if !found {
		return store.TriageChange{}, fmt.Errorf("no current finding of type %s in asset %s: %w", typ, asset, store.ErrNotFound)
	}
	t := store.TriageChange{AssetID: asset, Type: typ, Location: loc, State: in.State, Reason: reason, CountAt: count,
		ChangedBy: by, ChangedAt: s.now().UTC().Truncate(time.Second)}
	if err := s.st.PutTriage(ctx, t); err != nil {
		return store.TriageChange{}, err
	}
	return t, nil
}

// History is every change of one finding, oldest first.
func (s *Service) History(ctx context.Context, asset, typ string) ([]store.TriageChange, error) {
	h, err := s.st.TriageHistory(ctx, asset, typ)
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("finding %s/%s has no triage: %w", clip.String(asset, 64), clip.String(typ, 64), store.ErrNotFound)
	}
	return h, nil
}

// Triaged lists triaged findings, state narrowing to one stored state.
func (s *Service) Triaged(ctx context.Context, state string) ([]store.TriagedFinding, error) {
	switch state {
	case "", StateOpen, StateFalsePositive, StateAccepted, StateResolved:
	default:
		return nil, bad("state", "one of open, false_positive, accepted, resolved")
	}
	return s.st.TriagedFindings(ctx, state)
}

// Effective is the state a triaged finding has now: its stored state,
// or open when a later scan reopened it.
func Effective(t store.TriagedFinding) (state string, reopened bool) {
	if t.State != StateOpen && !t.Suppressed && t.Count > 0 {
		return StateOpen, true
	}
	return t.State, false
}
