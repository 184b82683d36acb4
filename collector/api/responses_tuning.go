package api

import (
	"time"

	"github.com/sightline-dev/sightline/collector/detectors"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/triage"
	"github.com/sightline-dev/sightline/internal/pii"
)

// Response bodies of tuning detection: custom detectors, allow rules,
// finding triage.

// CustomDetector is one revision of a custom detector definition.
type CustomDetector = detectors.Detector

// DetectorsFile is the live definitions as agents read them from a file.
type DetectorsFile struct {
	Detectors []pii.Definition `json:"detectors"`
}

// DetectorDryRun is what a definition finds in a sample: masked matches
// only, never a value.
type DetectorDryRun struct {
	DryRun     bool            `json:"dry_run"`
	Definition pii.Definition  `json:"definition"`
	Count      int             `json:"count"`
	Distinct   int             `json:"distinct"`
	Matches    []DryRunMatched `json:"matches"`
}

// DryRunMatched is one match of a dry run.
type DryRunMatched = detectors.DryRunMatch

func detectorDryRunOf(r detectors.DryRunResult) DetectorDryRun {
	return DetectorDryRun{DryRun: true, Definition: r.Definition, Count: r.Count, Distinct: r.Distinct, Matches: nonNil(r.Matches)}
}

// AllowRule is an allow-list rule; a value's tokens are never shown.
type AllowRule struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	Type      string     `json:"type"`
	AssetID   string     `json:"asset_id"`
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at"`
	Expired   bool       `json:"expired"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	Deleted   bool       `json:"deleted"`
}

func allowRuleOf(now time.Time) func(store.AllowRule) AllowRule {
	return func(r store.AllowRule) AllowRule {
		out := AllowRule{ID: r.ID, Kind: r.Kind, Type: r.Type, AssetID: r.AssetID, Reason: r.Reason,
			CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Deleted: r.Deleted}
		if r.Kind == store.AllowValue {
			out.Type = r.ValueType
		}
		if !r.ExpiresAt.IsZero() {
			t := r.ExpiresAt
			out.ExpiresAt, out.Expired = &t, !t.After(now)
		}
		return out
	}
}

// TriageEntry is one triage change of a finding.
type TriageEntry = store.TriageChange

// TriagedFinding is a finding's triage now: the state people gave it
// (stored_state), the state it has (state: open again when a later scan
// reopened it) and its occurrences now.
type TriagedFinding struct {
	TriageEntry
	StoredState string `json:"stored_state"`
	Reopened    bool   `json:"reopened"`
	Count       uint64 `json:"count"`
	Suppressed  bool   `json:"suppressed"`
}

func triagedFindingOf(t store.TriagedFinding) TriagedFinding {
	state, reopened := triage.Effective(t)
	e := t.TriageChange
	e.State = state
	return TriagedFinding{TriageEntry: e, StoredState: t.State, Reopened: reopened, Count: t.Count, Suppressed: t.Suppressed}
}
