package api

import "time"

// Response bodies of privacy: subject search, incident impact.

// SubjectSearch answers a data-subject request; matches name identifiers
// by their index in the request, never by value.
type SubjectSearch struct {
	Matches []SubjectMatch `json:"matches"`
	Total   int            `json:"total"`
	// Invalid lists the identifiers that could not be searched.
	Invalid []SubjectInvalid `json:"invalid"`
	Note    string           `json:"note"`
}

// SubjectMatch is an asset that holds some of the identifiers.
type SubjectMatch struct {
	Identifiers []int     `json:"identifiers"`
	AssetID     string    `json:"asset_id"`
	Location    string    `json:"location"`
	Host        string    `json:"host"`
	Source      string    `json:"source"`
	Type        string    `json:"type"`
	Count       uint64    `json:"count"`
	LastSeen    time.Time `json:"last_seen"`
}

// Impact answers "what personal data did this expose?".
type Impact struct {
	Types       []ImpactType `json:"types"`
	Occurrences uint64       `json:"occurrences"`
	Rules       []Rule       `json:"notification_rules"`
}

// ImpactType is the exposure of one data type.
type ImpactType struct {
	Category         string   `json:"category"`
	Type             string   `json:"type"`
	Assets           uint64   `json:"assets"`
	Hosts            uint64   `json:"hosts"`
	Occurrences      uint64   `json:"occurrences"`
	PeopleAtLeast    uint64   `json:"people_at_least"`
	PeopleAtMost     uint64   `json:"people_at_most"`
	IssuingCountries []string `json:"issuing_countries,omitempty"`
}

// Rule is a notification rule that may apply, and why.
type Rule struct {
	Name    string `json:"name"`
	Action  string `json:"action"`
	Because string `json:"because"`
}
