// Package records keeps the records of processing (GDPR Art. 30): per
// system of the data map (collector/datamap: a host's files, a bucket, a
// database, a directory) what people maintain — purpose, legal basis,
// retention, recipients, transfers to third countries and their
// safeguards, controller, owner, DPO contact — beside what the scans
// discovered there as of the read index's build. Every change is a new
// revision; the history keeps who changed what and when.
package records

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/clip"
)

// LegalBases are the lawful bases of GDPR Art. 6(1)(a)–(f).
var LegalBases = []string{"consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"}

// Safeguards are the grounds of a transfer to a third country (GDPR
// Chapter V): Art. 45 adequacy, Art. 46 standard contractual clauses,
// binding corporate rules, codes of conduct, certification, and the
// Art. 49 derogations.
var Safeguards = []string{"adequacy_decision", "standard_contractual_clauses", "binding_corporate_rules",
	"code_of_conduct", "certification", "derogation"}

// Limits on what people type into a record.
const (
	maxText       = 4000
	maxShort      = 256
	maxRecipients = 100
	maxTransfers  = 100
	maxSystem     = 300
)

// ErrInvalid marks a record that cannot be right; the message says how
// to fix it.
var ErrInvalid = errors.New("invalid record of processing")

// ErrConflict marks a change made against a revision that is no longer
// the latest.
var ErrConflict = errors.New("record of processing changed meanwhile")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Transfer is personal data sent to a third country, and on what ground.
type Transfer struct {
	Country   string `json:"country"`
	Safeguard string `json:"safeguard"`
}

// Input is what people maintain about a system. BaseRevision, when given,
// must be the latest revision: the change is refused otherwise, so two
// editors do not overwrite each other unseen.
type Input struct {
	Purpose      string     `json:"purpose"`
	LegalBasis   string     `json:"legal_basis"`
	Retention    string     `json:"retention"`
	Recipients   []string   `json:"recipients"`
	Transfers    []Transfer `json:"transfers"`
	Controller   string     `json:"controller"`
	Owner        string     `json:"owner"`
	DPOContact   string     `json:"dpo_contact"`
	BaseRevision *uint32    `json:"base_revision,omitempty"`
}

// Record is one revision of a system's record of processing.
type Record struct {
	System     string
	Revision   uint32
	Purpose    string
	LegalBasis string
	Retention  string
	Recipients []string
	Transfers  []Transfer
	Controller string
	Owner      string
	DPOContact string
	ChangedBy  string
	ChangedAt  time.Time
}

// Entry is one system: what the scans discovered there (nil when the
// data map does not show it: a system people recorded that no scan
// covers) and its record of processing (nil when it has none yet).
type Entry struct {
	System     string
	Discovered *datamap.System
	Record     *Record
}

// Store is what records need.
type Store interface {
	datamap.Store
	AppendProcessingRecord(ctx context.Context, r store.ProcessingRecord) error
	ProcessingRecordHistory(ctx context.Context, system string) ([]store.ProcessingRecord, error)
	ProcessingRecords(ctx context.Context) ([]store.ProcessingRecord, error)
}

// Service keeps the records.
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

// SystemID names a data map system in records, PIAs and URLs: its source
// and host ("fs:web-1", "postgres:db-1") or, for a container of an object
// store, its source and the container's URL without the scheme, a '/' in
// it written ':' ("s3:corp-data", "gcs:corp-data", "azblob:acct:reports"),
// since an id is one URL path segment. Anything else an id may not hold
// (a space, a '\\') becomes '_'.
func SystemID(s datamap.System) string {
	name := s.System
	if _, rest, ok := strings.Cut(name, "://"); ok {
		name = strings.ReplaceAll(rest, "/", ":")
	}
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, name)
	if name == "" {
		name = "_"
	}
	return s.Source + ":" + name
}

var systemRE = regexp.MustCompile(`^[a-z0-9_-]+:[^\s/\\]+$`)

// CheckSystem says what is wrong with a system id, if anything.
func CheckSystem(id string) error {
	if len(id) > maxSystem || !systemRE.MatchString(id) {
		return invalid("system must be SOURCE:HOST or SOURCE:CONTAINER as the records list names it (for example fs:web-1, s3:corp-data, azblob:acct:reports), not %q", clip.String(id, 40))
	}
	return nil
}

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// check says what is wrong with in, if anything, as an ErrInvalid.
func (in Input) check() error {
	texts := []struct {
		name, v string
		max     int
	}{{"purpose", in.Purpose, maxText}, {"retention", in.Retention, maxText}, {"controller", in.Controller, maxShort},
		{"owner", in.Owner, maxShort}, {"dpo_contact", in.DPOContact, maxShort}}
	for _, t := range texts {
		if len(t.v) > t.max || !utf8.ValidString(t.v) {
			return invalid("%s must be valid UTF-8 of at most %d bytes", t.name, t.max)
		}
	}
	switch {
	case strings.TrimSpace(in.Purpose) == "":
		return invalid("purpose is required: say why the system's personal data is processed")
	case !oneOf(in.LegalBasis, LegalBases):
		return invalid("legal_basis must be one of %s (GDPR Art. 6(1))", strings.Join(LegalBases, ", "))
	case len(in.Recipients) > maxRecipients:
		return invalid("at most %d recipients", maxRecipients)
	case len(in.Transfers) > maxTransfers:
		return invalid("at most %d transfers", maxTransfers)
	}
	for i, r := range in.Recipients {
		if strings.TrimSpace(r) == "" || len(r) > maxShort || !utf8.ValidString(r) {
			return invalid("recipients[%d] must be a name of 1 to %d bytes", i, maxShort)
		}
	}
	for i, t := range in.Transfers {
		if !countryRE.MatchString(t.Country) {
			return invalid("transfers[%d].country must be an ISO 3166-1 alpha-2 code such as US", i)
		}
		if !oneOf(t.Safeguard, Safeguards) {
			return invalid("transfers[%d].safeguard must be one of %s", i, strings.Join(Safeguards, ", "))
		}
	}
	return nil
}

func recordOf(r store.ProcessingRecord) Record {
	out := Record{System: r.System, Revision: r.Revision, Purpose: r.Purpose, LegalBasis: r.LegalBasis,
		Retention: r.Retention, Recipients: r.Recipients, Controller: r.Controller, Owner: r.Owner,
		DPOContact: r.DPOContact, ChangedBy: r.ChangedBy, ChangedAt: r.ChangedAt}
	if out.Recipients == nil {
		out.Recipients = []string{}
	}
	out.Transfers = make([]Transfer, 0, len(r.TransferCountries))
	for i, c := range r.TransferCountries {
		t := Transfer{Country: c}
		if i < len(r.TransferSafeguards) {
			t.Safeguard = r.TransferSafeguards[i]
		}
		out.Transfers = append(out.Transfers, t)
	}
	return out
}

// Put records a new revision of a system's record and returns it.
func (s *Service) Put(ctx context.Context, system string, in Input, by string) (Record, error) {
	if err := CheckSystem(system); err != nil {
		return Record{}, err
	}
	if err := in.check(); err != nil {
		return Record{}, err
	}
	hist, err := s.st.ProcessingRecordHistory(ctx, system)
	if err != nil {
		return Record{}, err
	}
	rev := uint32(len(hist)) + 1
	if in.BaseRevision != nil && *in.BaseRevision != rev-1 {
		return Record{}, fmt.Errorf("%w: the latest revision is %d, not %d; read it and apply your change to it", ErrConflict, rev-1, *in.BaseRevision)
	}
	r := store.ProcessingRecord{System: system, Revision: rev, Purpose: in.Purpose, LegalBasis: in.LegalBasis,
		Retention: in.Retention, Recipients: in.Recipients, Controller: in.Controller, Owner: in.Owner,
		DPOContact: in.DPOContact, ChangedBy: by, ChangedAt: s.now().UTC().Truncate(time.Second)}
	for _, t := range in.Transfers {
		r.TransferCountries = append(r.TransferCountries, t.Country)
		r.TransferSafeguards = append(r.TransferSafeguards, t.Safeguard)
	}
	if err := s.st.AppendProcessingRecord(ctx, r); err != nil {
		return Record{}, err
	}
	return recordOf(r), nil
}

// discovered is the data map by system id.
func (s *Service) discovered(ctx context.Context) ([]datamap.System, error) {
	return datamap.Map(ctx, s.st)
}

// Get returns a system's entry and its record's revisions, oldest first;
// store.ErrNotFound when the system is neither discovered nor recorded.
func (s *Service) Get(ctx context.Context, system string) (Entry, []Record, error) {
	if err := CheckSystem(system); err != nil {
		return Entry{}, nil, err
	}
	systems, err := s.discovered(ctx)
	if err != nil {
		return Entry{}, nil, err
	}
	hist, err := s.st.ProcessingRecordHistory(ctx, system)
	if err != nil {
		return Entry{}, nil, err
	}
	e := Entry{System: system}
	for i := range systems {
		if SystemID(systems[i]) == system {
			e.Discovered = &systems[i]
			break
		}
	}
	out := make([]Record, len(hist))
	for i, h := range hist {
		out[i] = recordOf(h)
	}
	if len(out) > 0 {
		e.Record = &out[len(out)-1]
	}
	if e.Discovered == nil && e.Record == nil {
		return Entry{}, nil, fmt.Errorf("system %s: neither a scan nor a record of processing names it: %w", system, store.ErrNotFound)
	}
	return e, out, nil
}

// List returns every system discovered or recorded: discovered systems
// in the data map's order (most occurrences first), then those only
// people recorded, by id.
func (s *Service) List(ctx context.Context) ([]Entry, error) {
	systems, err := s.discovered(ctx)
	if err != nil {
		return nil, err
	}
	recs, err := s.st.ProcessingRecords(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Record, len(recs))
	for _, r := range recs {
		byID[r.System] = recordOf(r)
	}
	out := make([]Entry, 0, len(systems)+len(recs))
	for i := range systems {
		id := SystemID(systems[i])
		e := Entry{System: id, Discovered: &systems[i]}
		if r, ok := byID[id]; ok {
			e.Record = &r
			delete(byID, id)
		}
		out = append(out, e)
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		r := byID[id]
		out = append(out, Entry{System: id, Record: &r})
	}
	return out, nil
}

// CSVHeader is the export's header; CSVRow gives an entry's row.
var CSVHeader = []string{"system", "source", "has_record", "purpose", "legal_basis", "retention", "recipients", "transfers",
	"controller", "owner", "dpo_contact", "revision", "changed_by", "changed_at", "discovered", "data_categories", "data_types",
	"assets", "occurrences", "people_at_most", "jurisdiction", "public", "world_readable_assets", "public_assets", "max_readers"}

// CSVRow is e as the export's row (lists joined with "; ").
func CSVRow(e Entry) []string {
	row := make([]string, 0, len(CSVHeader))
	source, _, _ := strings.Cut(e.System, ":")
	row = append(row, e.System, source, strconv.FormatBool(e.Record != nil))
	if r := e.Record; r != nil {
		row = append(row, r.Purpose, r.LegalBasis, r.Retention, strings.Join(r.Recipients, "; "), TransfersText(r.Transfers),
			r.Controller, r.Owner, r.DPOContact, strconv.FormatUint(uint64(r.Revision), 10), r.ChangedBy,
			r.ChangedAt.UTC().Format(time.RFC3339))
	} else {
		row = append(row, "", "", "", "", "", "", "", "", "", "", "")
	}
	row = append(row, strconv.FormatBool(e.Discovered != nil))
	if d := e.Discovered; d != nil {
		u := func(n uint64) string { return strconv.FormatUint(n, 10) }
		row = append(row, strings.Join(d.Categories, "; "), strings.Join(d.Types, "; "), u(d.Assets), u(d.Occurrences),
			u(d.DistinctAtMost), d.Jurisdiction, strconv.FormatBool(d.Public), u(d.WorldReadableAssets), u(d.PublicAssets),
			u(d.MaxReaders))
	} else {
		row = append(row, "", "", "", "", "", "", "", "", "", "")
	}
	return row
}

// TransfersText is transfers as "US (standard_contractual_clauses); …".
func TransfersText(ts []Transfer) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Country + " (" + t.Safeguard + ")"
	}
	return strings.Join(parts, "; ")
}
