package alerts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event is what a rule fires, as every destination receives it (the
// webhook body; the e-mail and OCSF forms are made from it). It carries
// ids, locations, counts, types and scores: no raw personal value. An
// account's name is masked (first two characters).
type Event struct {
	ID       string    `json:"id"` // stable: a hash of the rule and the subject
	Rule     string    `json:"rule"`
	Kind     string    `json:"kind"`
	Severity string    `json:"severity"`
	Title    string    `json:"title"`
	Subject  string    `json:"subject"` // the asset, principal, case or grant id; campaign/reviewer/period; pia/facts/reasons
	FiredAt  time.Time `json:"fired_at"`
	// IndexGen is the read-index build the rule read (0 for rules that do
	// not read it).
	IndexGen uint64 `json:"index_gen"`
	Facts    Facts  `json:"facts"`
}

// Facts are what the event says of its subject; each kind fills some.
type Facts struct {
	AssetType     string     `json:"asset_type,omitempty"`
	Location      string     `json:"location,omitempty"`
	Host          string     `json:"host,omitempty"`
	Source        string     `json:"source,omitempty"`
	Exposure      string     `json:"exposure,omitempty"` // public_bucket, public, world_readable
	Categories    []string   `json:"categories,omitempty"`
	Types         []string   `json:"types,omitempty"`
	Occurrences   uint64     `json:"occurrences,omitempty"`
	Assets        uint64     `json:"assets,omitempty"`
	Score         int        `json:"score,omitempty"`
	Threshold     int        `json:"threshold,omitempty"`
	Factors       []string   `json:"factors,omitempty"`
	PrincipalType string     `json:"principal_type,omitempty"`
	AccountMasked string     `json:"account_masked,omitempty"`
	PrivilegedVia []string   `json:"privileged_via,omitempty"`
	Reference     string     `json:"reference,omitempty"` // a request case's reference
	Regulation    string     `json:"regulation,omitempty"`
	Status        string     `json:"status,omitempty"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	Overdue       bool       `json:"overdue,omitempty"`
	// review_reminder: the reviewer token's name, the campaign, how many
	// items are open, and which reminder of the campaign this is (1, 2, …).
	Reviewer   string `json:"reviewer,omitempty"`
	CampaignID string `json:"campaign_id,omitempty"`
	Campaign   string `json:"campaign,omitempty"`
	OpenItems  uint64 `json:"open_items,omitempty"`
	Reminder   int    `json:"reminder,omitempty"`
	// pia_review: the assessment, its systems and why it needs review.
	PIA           string   `json:"pia,omitempty"`
	Systems       []string `json:"systems,omitempty"`
	ReviewReasons []string `json:"review_reasons,omitempty"`
	// digest: how many events of the rule this evaluation fired that are
	// not delivered one by one (Rule.DigestOver).
	MoreEvents int `json:"more_events,omitempty"`
}

// EventID is the stable id of rule's event for subject.
func EventID(rule, subject string) string {
	h := sha256.Sum256([]byte(rule + "\x00" + subject))
	return hex.EncodeToString(h[:16])
}

// mask keeps the first two characters of s (one of a name of two or
// fewer).
func mask(s string) string {
	r := []rune(s)
	switch {
	case len(r) == 0:
		return ""
	case len(r) <= 2:
		return string(r[:1]) + "***"
	}
	return string(r[:2]) + "***"
}

// Signature headers of a webhook (and of a signed ocsf_http POST).
const (
	SignatureHeader = "X-Sightline-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
	TimestampHeader = "X-Sightline-Timestamp" // Unix seconds, part of what is signed
	EventIDHeader   = "X-Sightline-Event-Id"
)

// Sign returns the signature header value of body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received webhook: the signature over timestamp and
// body, and that the timestamp is within tolerance of now (a replay of an
// old delivery fails). Receivers in Go can call it; the README shows the
// same in shell.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: not Unix seconds", TimestampHeader)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%s: %s away from now, more than %s (a replay?)", TimestampHeader, d.Round(time.Second), tolerance)
	}
	want := Sign(secret, ts, body)
	if !strings.HasPrefix(signature, "sha256=") || !hmac.Equal([]byte(want), []byte(signature)) {
		return fmt.Errorf("%s: does not match the body", SignatureHeader)
	}
	return nil
}
