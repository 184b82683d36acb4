package api

import (
	"time"

	"github.com/sightline-dev/sightline/collector/pia"
	"github.com/sightline-dev/sightline/collector/records"
)

// ProcessingRecord is one revision of a system's record of processing.
type ProcessingRecord struct {
	System     string             `json:"system"`
	Revision   uint32             `json:"revision"`
	Purpose    string             `json:"purpose"`
	LegalBasis string             `json:"legal_basis"`
	Retention  string             `json:"retention"`
	Recipients []string           `json:"recipients"`
	Transfers  []records.Transfer `json:"transfers"`
	Controller string             `json:"controller"`
	Owner      string             `json:"owner"`
	DPOContact string             `json:"dpo_contact"`
	ChangedBy  string             `json:"changed_by"`
	ChangedAt  time.Time          `json:"changed_at"`
}

func processingRecordOf(r records.Record) ProcessingRecord {
	return ProcessingRecord{System: r.System, Revision: r.Revision, Purpose: r.Purpose, LegalBasis: r.LegalBasis,
		Retention: r.Retention, Recipients: nonNil(r.Recipients), Transfers: nonNil(r.Transfers), Controller: r.Controller,
		Owner: r.Owner, DPOContact: r.DPOContact, ChangedBy: r.ChangedBy, ChangedAt: r.ChangedAt.UTC()}
}

// RecordEntry is one system of the records of processing: what the
// scans discovered (null when none covers it) and what people maintain
// (null, and missing_record true, when nobody has written it yet).
type RecordEntry struct {
	System        string            `json:"system"`
	MissingRecord bool              `json:"missing_record"`
	Discovered    *System           `json:"discovered"`
	Record        *ProcessingRecord `json:"record"`
}

func recordEntryOf(e records.Entry) RecordEntry {
	out := RecordEntry{System: e.System, MissingRecord: e.Record == nil, Discovered: e.Discovered}
	if e.Record != nil {
		r := processingRecordOf(*e.Record)
		out.Record = &r
	}
	return out
}

// RecordsList is every system, with the read index's build time the
// discovered facts are as of.
type RecordsList struct {
	Items   []RecordEntry `json:"items"`
	Total   int           `json:"total"`
	Missing int           `json:"missing"`
	AsOf    time.Time     `json:"as_of"`
}

// RecordDetail is a system's entry with its record's history, oldest
// first.
type RecordDetail struct {
	RecordEntry
	AsOf    time.Time          `json:"as_of"`
	History []ProcessingRecord `json:"history"`
}

// PIA is a privacy impact assessment as read.
type PIA struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Systems     []string    `json:"systems"`
	Purpose     string      `json:"purpose"`
	Necessity   string      `json:"necessity"`
	Retention   string      `json:"retention"`
	Safeguards  string      `json:"safeguards"`
	Likelihood  string      `json:"likelihood"`
	Severity    string      `json:"severity"`
	Rating      string      `json:"rating"`
	Score       int         `json:"score"`
	Status      string      `json:"status"`
	Facts       []pia.Facts `json:"facts"`
	FactsAsOf   time.Time   `json:"facts_as_of"`
	NeedsReview bool        `json:"needs_review"`
	Reasons     []string    `json:"review_reasons"`
	CreatedBy   string      `json:"created_by"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedBy   string      `json:"updated_by"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

func piaOf(a pia.Assessment) PIA {
	return PIA{ID: a.ID, Title: a.Title, Systems: nonNil(a.Systems), Purpose: a.Purpose, Necessity: a.Necessity,
		Retention: a.Retention, Safeguards: a.Safeguards, Likelihood: a.Likelihood, Severity: a.Severity,
		Rating: a.Rating, Score: a.Score, Status: a.Status, Facts: nonNil(a.Facts), FactsAsOf: a.FactsAsOf.UTC(),
		NeedsReview: a.NeedsReview, Reasons: nonNil(a.Reasons), CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt.UTC(),
		UpdatedBy: a.UpdatedBy, UpdatedAt: a.UpdatedAt.UTC()}
}
