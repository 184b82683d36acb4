// Package incident answers "what personal data did this expose?" for a
// set of hosts, assets, locations or principals: categories and types,
// record counts, how many distinct people at least and at most, and the
// notification rules that may apply.
package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sightline-dev/sightline/collector/access"
	"github.com/sightline-dev/sightline/collector/store"
)

// Request is the incident's scope.
type Request struct {
	Hosts      []string `json:"hosts"`
	Assets     []string `json:"assets"`    // asset ids
	Locations  []string `json:"locations"` // location prefixes, e.g. s3://bucket/ or file:///srv/hr/
	Principals []string `json:"principals"`
}

// Store is what the impact needs.
type Store interface {
	Impact(ctx context.Context, sc store.ImpactScope) ([]store.ImpactRow, error)
	access.Store
}

// Type is what the scope holds of one personal-data type.
type Type struct {
	Category, Type   string
	Assets, Hosts    uint64
	Records          uint64 // occurrences
	PeopleAtLeast    uint64 // distinct keyed tokens seen
	PeopleAtMost     uint64 // sum of per-asset distinct counts
	IssuingCountries []string
}

// Rule is a notification rule that may apply, and why.
type Rule struct {
	Name, Action, Because string
}

// Impact is the answer.
type Impact struct {
	Types   []Type
	Records uint64
	Rules   []Rule
}

// Caps on a request: each list at most MaxItems entries, each entry at
// most MaxItemLen bytes. An incident names hosts, assets, locations and
// principals a person can list; beyond this it is a scan of everything,
// which the inventory endpoints serve.
const (
	MaxItems   = 1000
	MaxItemLen = 4096
)

// ErrTooMany says a list of the request is over its cap; the message names
// the field and the cap.
var ErrTooMany = errors.New("incident scope too large")

// Check enforces the caps.
func (r Request) Check() error {
	for _, l := range []struct {
		field string
		v     []string
	}{{"hosts", r.Hosts}, {"assets", r.Assets}, {"locations", r.Locations}, {"principals", r.Principals}} {
		if len(l.v) > MaxItems {
			return fmt.Errorf("%w: %s has %d entries; at most %d", ErrTooMany, l.field, len(l.v), MaxItems)
		}
		for i, s := range l.v {
			if len(s) > MaxItemLen {
				return fmt.Errorf("%w: %s[%d] is longer than %d bytes", ErrTooMany, l.field, i, MaxItemLen)
			}
		}
	}
	return nil
}

// ErrEmptyScope says the request names nothing.
var ErrEmptyScope = errors.New("name at least one host, asset, location or principal")

// Assess computes the impact of req.
func Assess(ctx context.Context, st Store, req Request) (Impact, error) {
	if err := req.Check(); err != nil {
		return Impact{}, err
	}
	// Principals expose what they can reach, by the read index's one
	// definition of reach; principals that reach nothing expose nothing.
	sc := store.ImpactScope{Hosts: req.Hosts, AssetIDs: slices.Clip(req.Assets), LocationPrefixes: req.Locations,
		Principals: req.Principals}
	if empty(sc) {
		return Impact{}, ErrEmptyScope
	}
	rows, err := st.Impact(ctx, sc)
	if err != nil {
		return Impact{}, err
	}
	return impactOf(rows), nil
}

// empty reports whether sc names nothing to look at.
func empty(sc store.ImpactScope) bool {
	return len(sc.Hosts) == 0 && len(sc.AssetIDs) == 0 && len(sc.LocationPrefixes) == 0 && len(sc.Principals) == 0
}

// impactOf is the impact of the scope's rows, one per personal-data type:
// the types with the people they concern, the records in all and the
// rules that may apply. IBANs also say which countries issued them.
func impactOf(rows []store.ImpactRow) Impact {
	im := Impact{Types: make([]Type, 0, len(rows))}
	for _, r := range rows {
		t := Type{Category: r.Category, Type: r.Type, Assets: r.Assets, Hosts: r.Hosts, Records: r.Occurrences,
			PeopleAtLeast: r.TokensUnique, PeopleAtMost: r.DistinctSum}
		if r.Type == "iban" {
			t.IssuingCountries = countries(r.SamplePrefixes)
		}
		im.Types = append(im.Types, t)
		im.Records += r.Occurrences
	}
	im.Rules = rules(im.Types)
	return im
}

func countries(prefixes []string) []string {
	var out []string
	for _, p := range prefixes {
		if len(p) == 2 && p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z' {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// eea are the countries whose residents' data GDPR covers (EU + EEA).
var eea = map[string]bool{"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true,
	"FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true, "LU": true,
	"MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
	"IS": true, "LI": true, "NO": true}

// rules says which notification rules may apply, from what the data
// shows of its subjects (identifier types and IBAN countries). Host and
// bucket jurisdiction are not configured yet, so a rule is a prompt for
// counsel, not a verdict.
func rules(types []Type) []Rule {
	has := map[string]Type{}
	for _, t := range types {
		has[t.Type] = t
	}
	var out []Rule
	if t, ok := has["iban"]; ok {
		var eu []string
		for _, c := range t.IssuingCountries {
			if eea[c] {
				eu = append(eu, c)
			}
		}
		if len(eu) > 0 {
			out = append(out, Rule{"GDPR Art. 33/34", "notify the lead supervisory authority within 72 hours of awareness unless unlikely to result in a risk; tell the people affected without undue delay if the risk is high",
				"bank accounts issued in " + strings.Join(eu, ", ")})
		}
		for _, c := range t.IssuingCountries {
			if c == "GB" {
				out = append(out, Rule{"UK GDPR", "notify the ICO within 72 hours unless unlikely to result in a risk", "bank accounts issued in GB"})
				break
			}
		}
	}
	if _, ok := has["uk_nino"]; ok {
		out = append(out, Rule{"UK GDPR", "notify the ICO within 72 hours unless unlikely to result in a risk", "UK National Insurance numbers"})
	}
	if _, ok := has["us_ssn"]; ok {
		out = append(out, Rule{"US state breach-notification laws", "notify affected residents (and some state attorneys general) under each state's deadline, often 30–60 days; SSNs are covered in every state",
			"US Social Security numbers"})
	}
	if _, ok := has["credit_card"]; ok {
		out = append(out, Rule{"PCI DSS", "tell the acquiring bank and card brands at once; a forensic investigation may be required", "payment card numbers"})
	}
	var ids []string
	for _, typ := range []string{"de_tax_id", "fr_nir", "es_dni", "it_fiscal_code", "nl_bsn"} {
		if _, ok := has[typ]; ok {
			ids = append(ids, typ)
		}
	}
	if len(ids) > 0 {
		out = append(out, Rule{"GDPR Art. 33/34", "notify the lead supervisory authority within 72 hours of awareness unless unlikely to result in a risk; tell the people affected without undue delay if the risk is high",
			"national identifiers issued in the EU (" + strings.Join(ids, ", ") + ")"})
	}
	if _, ok := has["health_record"]; ok {
		out = append(out, Rule{"health data (GDPR Art. 9, HIPAA)", "health data is a special category: notify the supervisory authority within 72 hours, and under HIPAA the people affected within 60 days",
			"diagnosis codes and medical record numbers"})
	}
	for _, typ := range []string{"aws_access_key", "private_key", "password", "github_token", "gitlab_token", "slack_token",
		"stripe_key", "gcp_service_account_key", "azure_storage_key", "jwt"} {
		if _, ok := has[typ]; ok {
			out = append(out, Rule{"credential exposure", "revoke and rotate the exposed keys now, then review their use", strings.ReplaceAll(typ, "_", " ") + "s"})
		}
	}
	// Dedupe (UK GDPR may be reached twice).
	seen := map[string]bool{}
	uniq := make([]Rule, 0, len(out))
	for _, r := range out {
		if !seen[r.Name] {
			seen[r.Name] = true
			uniq = append(uniq, r)
		}
	}
	return uniq
}
