// Package wire is the one record schema that agents print, spool and ship and
// that the collector validates and stores (see shared/design.md, "Records").
//
// A Record is a flat union of the five kinds: every kind shares the envelope
// fields, and each kind uses its own subset of the rest. A flat struct keeps
// the NDJSON lines small (omitempty), the codec allocation-light and the
// store's column mapping obvious.
package wire

import (
	"fmt"
	"time"

	"github.com/sightline-dev/sightline/internal/clip"
)

// Kinds of record.
const (
	KindAsset       = "asset"
	KindPII         = "pii"
	KindPrincipal   = "principal"
	KindEntitlement = "entitlement"
	KindScan        = "scan"
)

// Sources of records.
const (
	SourceFS   = "fs"
	SourceHost = "host"
	SourceLDAP = "ldap"
	SourceS3   = "s3"
	SourceIAM  = "iam"
	// SourceDB is a database server (PostgreSQL, MySQL/MariaDB): its
	// tables, roles and grants.
	SourceDB = "db"
	// SourceSMB is an SMB file share (a Windows file server, a NAS): its
	// files, and the NT ACLs naming directory SIDs that let them be read.
	SourceSMB = "smb"
	// SourceAzureBlob is an Azure storage account's blob containers;
	// SourceGCS is Google Cloud Storage buckets.
	SourceAzureBlob = "azblob"
	SourceGCS       = "gcs"
)

// Scan statuses.
const (
	StatusOK      = "ok"
	StatusPartial = "partial"
	StatusFailed  = "failed"
)

// Confidence levels (pii-types.md, "Confidence").
const (
	ConfidenceHigh   = "high"
	ConfidenceMedium = "medium"
	ConfidenceLow    = "low"
)

// Bounds on record contents: they keep a single line small and keep tokens
// (keyed hashes of personal data) from turning a record into a list of people.
const (
	MaxSamples    = 3
	MaxTokens     = 100
	MaxWhere      = 10
	MaxErrors     = 100
	MaxAttributes = 64
	MaxStringLen  = 4096
	// MaxCount bounds a pii record's count (about 1.1 trillion matches in
	// one asset). The collector sums counts over every agent's records
	// (UInt64): unbounded, two records of 2^63-1 wrapped the
	// organisation's totals around, so one agent could subtract any
	// number from everyone's occurrences.
	MaxCount = 1 << 40
)

// Record is one NDJSON line. Field names are the contract; see design.md.
type Record struct {
	// Envelope: every kind.
	Kind       string    `json:"kind"`
	Source     string    `json:"source"`
	ScanID     string    `json:"scan_id"`
	ObservedAt time.Time `json:"observed_at"`
	AgentID    string    `json:"agent_id,omitempty"`
	// Host is the name of the host the scanner ran on (optional; the
	// collector fills it from the agent's enrollment when empty).
	Host string `json:"host,omitempty"`

	// asset (and the asset a pii record belongs to)
	AssetID    string            `json:"asset_id,omitempty"`
	AssetType  string            `json:"asset_type,omitempty"`
	Location   string            `json:"location,omitempty"`
	Owner      string            `json:"owner,omitempty"`
	Size       int64             `json:"size,omitempty"`
	ModifiedAt *time.Time        `json:"modified_at,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`

	// pii
	Type       string   `json:"type,omitempty"`
	Category   string   `json:"category,omitempty"`
	Count      int64    `json:"count,omitempty"`
	Distinct   int64    `json:"distinct,omitempty"`
	Confidence string   `json:"confidence,omitempty"`
	Samples    []string `json:"samples,omitempty"`
	Tokens     []string `json:"tokens,omitempty"`
	Where      []string `json:"where,omitempty"`

	// principal
	PrincipalID     string     `json:"principal_id,omitempty"`
	Name            string     `json:"name,omitempty"`
	PrincipalType   string     `json:"principal_type,omitempty"`
	Enabled         *bool      `json:"enabled,omitempty"`
	Privileged      bool       `json:"privileged,omitempty"`
	PrivilegedVia   []string   `json:"privileged_via,omitempty"`
	LastLogin       *time.Time `json:"last_login,omitempty"`
	PasswordLastSet *time.Time `json:"password_last_set,omitempty"`
	MFA             *bool      `json:"mfa,omitempty"`

	// entitlement (also uses PrincipalID and Privileged)
	ResourceID   string   `json:"resource_id,omitempty"`
	ResourceType string   `json:"resource_type,omitempty"`
	Permission   string   `json:"permission,omitempty"`
	Via          []string `json:"via,omitempty"`

	// scan
	Scanner    string           `json:"scanner,omitempty"`
	StartedAt  *time.Time       `json:"started_at,omitempty"`
	FinishedAt *time.Time       `json:"finished_at,omitempty"`
	Status     string           `json:"status,omitempty"`
	Stats      map[string]int64 `json:"stats,omitempty"`
	Errors     []string         `json:"errors,omitempty"`
}

// FieldError names the field of a record that is wrong and why.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %s", e.Field, e.Msg) }

// KnownSource reports whether source is one the wire format defines.
func KnownSource(source string) bool { return sources[source] }

var (
	sources     = set(SourceFS, SourceHost, SourceLDAP, SourceS3, SourceIAM, SourceDB, SourceSMB, SourceAzureBlob, SourceGCS)
	assetTypes  = set("host", "file", "bucket", "object", "directory", "account", "directory_service", "table")
	categories  = set("contact", "financial", "government_id", "personal", "network", "credential", "health")
	confidences = set(ConfidenceHigh, ConfidenceMedium, ConfidenceLow)
	statuses    = set(StatusOK, StatusPartial, StatusFailed)
	princTypes  = set("user", "group", "role", "service", "computer")
)

func set(v ...string) map[string]bool {
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[s] = true
	}
	return m
}

// Validate checks the envelope and the fields the record's kind requires. It
// returns a *FieldError naming the first bad field.
func (r *Record) Validate() error {
	if r.Kind == "" {
		return &FieldError{"kind", "is required"}
	}
	if err := required(field{"source", r.Source}); err != nil {
		return err
	}
	if err := known("source", "source", r.Source, sources, " (want fs, host, ldap, s3, iam, db, smb, azblob or gcs)"); err != nil {
		return err
	}
	if err := required(field{"scan_id", r.ScanID}); err != nil {
		return err
	}
	if r.ObservedAt.IsZero() {
		return &FieldError{"observed_at", "is required (RFC 3339, UTC)"}
	}
	if err := r.checkLengths(); err != nil {
		return err
	}
	switch r.Kind {
	case KindAsset:
		return r.validateAsset()
	case KindPII:
		return r.validatePII()
	case KindPrincipal:
		return r.validatePrincipal()
	case KindEntitlement:
		return r.validateEntitlement()
	case KindScan:
		return r.validateScan()
	default:
		return &FieldError{"kind", fmt.Sprintf("unknown kind %q (want asset, pii, principal, entitlement or scan)", clip.String(r.Kind, 40))}
	}
}

func (r *Record) validateAsset() error {
	if err := required(field{"asset_id", r.AssetID}, field{"asset_type", r.AssetType}); err != nil {
		return err
	}
	if err := known("asset_type", "asset type", r.AssetType, assetTypes, ""); err != nil {
		return err
	}
	if err := required(field{"location", r.Location}); err != nil {
		return err
	}
	if r.Size < 0 {
		return &FieldError{"size", "must not be negative"}
	}
	return nil
}

func (r *Record) validatePII() error {
	if err := required(field{"asset_id", r.AssetID}, field{"location", r.Location}, field{"type", r.Type},
		field{"category", r.Category}); err != nil {
		return err
	}
	if err := known("category", "category", r.Category, categories, ""); err != nil {
		return err
	}
	if r.Count <= 0 {
		return &FieldError{"count", "must be at least 1 (a pii record reports found data)"}
	}
	if r.Count > MaxCount {
		return &FieldError{"count", fmt.Sprintf("must be at most %d", int64(MaxCount))}
	}
	if r.Distinct < 0 || r.Distinct > r.Count {
		return &FieldError{"distinct", "must be between 0 and count"}
	}
	if r.Confidence != "" {
		if err := known("confidence", "confidence", r.Confidence, confidences, " (want high, medium or low)"); err != nil {
			return err
		}
	}
	if len(r.Samples) > MaxSamples {
		return &FieldError{"samples", fmt.Sprintf("at most %d masked samples", MaxSamples)}
	}
	if err := checkTokens(r.Tokens); err != nil {
		return err
	}
	if len(r.Where) > MaxWhere {
		return &FieldError{"where", fmt.Sprintf("at most %d locations", MaxWhere)}
	}
	return nil
}

func (r *Record) validatePrincipal() error {
	if err := required(field{"principal_id", r.PrincipalID}, field{"name", r.Name},
		field{"principal_type", r.PrincipalType}); err != nil {
		return err
	}
	if err := known("principal_type", "principal type", r.PrincipalType, princTypes, ""); err != nil {
		return err
	}
	// A principal's tokens are those of its credentials (an IAM user's
	// access keys), keyed as a pii record's are.
	if err := checkTokens(r.Tokens); err != nil {
		return err
	}
	return nil
}

func (r *Record) validateEntitlement() error {
	return required(field{"principal_id", r.PrincipalID}, field{"resource_id", r.ResourceID},
		field{"resource_type", r.ResourceType}, field{"permission", r.Permission})
}

func (r *Record) validateScan() error {
	if err := required(field{"scanner", r.Scanner}); err != nil {
		return err
	}
	if r.StartedAt == nil {
		return &FieldError{"started_at", "is required"}
	}
	if r.FinishedAt == nil {
		return &FieldError{"finished_at", "is required"}
	}
	if r.FinishedAt.Before(*r.StartedAt) {
		return &FieldError{"finished_at", "is before started_at"}
	}
	if err := known("status", "status", r.Status, statuses, " (want ok, partial or failed)"); err != nil {
		return err
	}
	if len(r.Errors) > MaxErrors {
		return &FieldError{"errors", fmt.Sprintf("at most %d messages", MaxErrors)}
	}
	return nil
}

func (r *Record) checkLengths() error {
	for _, f := range []field{
		{"scan_id", r.ScanID}, {"agent_id", r.AgentID}, {"host", r.Host}, {"asset_id", r.AssetID},
		{"location", r.Location}, {"owner", r.Owner}, {"type", r.Type}, {"name", r.Name},
		{"principal_id", r.PrincipalID}, {"resource_id", r.ResourceID}, {"permission", r.Permission},
	} {
		if len(f.v) > MaxStringLen {
			return &FieldError{f.name, fmt.Sprintf("longer than %d bytes", MaxStringLen)}
		}
	}
	if len(r.Attributes) > MaxAttributes {
		return &FieldError{"attributes", fmt.Sprintf("at most %d attributes", MaxAttributes)}
	}
	return nil
}

// field is a string field of a record with its name, for the checks that
// run over several.
type field struct{ name, v string }

// required names the first of fields that is empty.
func required(fields ...field) error {
	for _, f := range fields {
		if f.v == "" {
			return &FieldError{f.name, "is required"}
		}
	}
	return nil
}

// known refuses a value of field name that is not in set; noun is how the
// message calls the field, want (may be empty) lists what it accepts.
func known(name, noun, v string, set map[string]bool, want string) error {
	if !set[v] {
		return &FieldError{name, fmt.Sprintf("unknown %s %q%s", noun, clip.String(v, 40), want)}
	}
	return nil
}

// checkTokens bounds a record's keyed tokens and checks their form.
func checkTokens(tokens []string) error {
	if len(tokens) > MaxTokens {
		return &FieldError{"tokens", fmt.Sprintf("at most %d tokens", MaxTokens)}
	}
	for _, t := range tokens {
		if !isToken(t) {
			return &FieldError{"tokens", "each token must be 32 lower-case hex characters (HMAC-SHA256 truncated to 16 bytes)"}
		}
	}
	return nil
}

func isToken(t string) bool {
	if len(t) != 32 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// KnownCategory reports whether c is a category a pii record may carry
// (pii-types.md), for checking definitions before any record exists.
func KnownCategory(c string) bool { return categories[c] }
