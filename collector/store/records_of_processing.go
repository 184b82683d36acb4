package store

import (
	"context"
	"time"
)

// Records of processing (migration 0022; collector/records says what the
// fields mean). Append-only: a change is a new revision of the system's
// record, and the newest revision is the record.

// ProcessingRecord is one revision of a system's record of processing.
type ProcessingRecord struct {
	System     string
	Revision   uint32
	Purpose    string
	LegalBasis string
	Retention  string
	Recipients []string
	// TransferCountries[i] is safeguarded by TransferSafeguards[i].
	TransferCountries  []string
	TransferSafeguards []string
	Controller, Owner  string
	DPOContact         string
	ChangedBy          string
	ChangedAt          time.Time
}

type processingRecordRow struct {
	System     string    `ch:"system"`
	Revision   uint32    `ch:"revision"`
	Purpose    string    `ch:"purpose"`
	LegalBasis string    `ch:"legal_basis"`
	Retention  string    `ch:"retention"`
	Recipients []string  `ch:"recipients"`
	Countries  []string  `ch:"transfer_countries"`
	Safeguards []string  `ch:"transfer_safeguards"`
	Controller string    `ch:"controller"`
	Owner      string    `ch:"owner"`
	DPOContact string    `ch:"dpo_contact"`
	ChangedBy  string    `ch:"changed_by"`
	ChangedAt  time.Time `ch:"changed_at"`
}

func (r processingRecordRow) record() ProcessingRecord {
	return ProcessingRecord{System: r.System, Revision: r.Revision, Purpose: r.Purpose, LegalBasis: r.LegalBasis,
		Retention: r.Retention, Recipients: r.Recipients, TransferCountries: r.Countries, TransferSafeguards: r.Safeguards,
		Controller: r.Controller, Owner: r.Owner, DPOContact: r.DPOContact, ChangedBy: r.ChangedBy, ChangedAt: r.ChangedAt.UTC()}
}

const processingRecordColumns = `system, revision, purpose, legal_basis, retention, recipients, transfer_countries,
	transfer_safeguards, controller, owner, dpo_contact, changed_by, changed_at`

// AppendProcessingRecord stores a new revision of a system's record.
func (s *Store) AppendProcessingRecord(ctx context.Context, r ProcessingRecord) error {
	return s.insert(ctx, "ropa_records", processingRecordColumns+", seq", 1, func(int) []any {
		return []any{r.System, r.Revision, r.Purpose, r.LegalBasis, r.Retention, strs(r.Recipients), strs(r.TransferCountries),
			strs(r.TransferSafeguards), r.Controller, r.Owner, r.DPOContact, r.ChangedBy, dateTime(&r.ChangedAt), s.nextVersion()}
	})
}

// ProcessingRecordHistory returns a system's revisions, oldest first
// (none when it has no record).
func (s *Store) ProcessingRecordHistory(ctx context.Context, system string) ([]ProcessingRecord, error) {
	return selectAll(ctx, s, "reading a record of processing's history", processingRecordRow.record,
		`SELECT `+processingRecordColumns+` FROM {db}.ropa_records WHERE system = ? ORDER BY seq`, system)
}

// ProcessingRecords returns the newest revision of every system's
// record, by system; argMax over the whole row (one tuple) so two
// revisions are never mixed.
func (s *Store) ProcessingRecords(ctx context.Context) ([]ProcessingRecord, error) {
	return selectAll(ctx, s, "reading the records of processing", processingRecordRow.record,
		`SELECT system, t.1 AS revision, t.2 AS purpose, t.3 AS legal_basis, t.4 AS retention, t.5 AS recipients,
			t.6 AS transfer_countries, t.7 AS transfer_safeguards, t.8 AS controller, t.9 AS owner, t.10 AS dpo_contact,
			t.11 AS changed_by, t.12 AS changed_at
		FROM (
			SELECT system, argMax(tuple(revision, purpose, legal_basis, retention, recipients, transfer_countries,
				transfer_safeguards, controller, owner, dpo_contact, changed_by, changed_at), seq) AS t
			FROM {db}.ropa_records GROUP BY system
		) ORDER BY system`)
}
