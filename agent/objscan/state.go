package objscan

import (
	"time"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/scanstate"
	"github.com/sightline-dev/sightline/internal/pii"
)

// State makes object scans incremental: an object whose ETag and
// last-modified time are unchanged is not read again, and its last results
// are reported as current.
type State = scanstate.Store[ObjectState]

// ObjectState is what the state keeps of one object. Its JSON is the S3
// scanner's state file as it always was.
type ObjectState struct {
	ETag       string                 `json:"etag"`
	Modified   time.Time              `json:"modified"`
	Encryption string                 `json:"encryption,omitempty"`
	Results    []content.StreamResult `json:"results,omitempty"`
}

// LoadState reads the state at path; a missing or damaged file is an empty
// state (the next scan reads everything), a damaged one also an error to
// report. name ("sightline-s3-state") keeps each scanner's states apart;
// label names the state in messages ("S3 scan state"); detectors is
// pii.VersionOf the detector the scan runs.
func LoadState(path, name, label string, tok *pii.Tokenizer, detectors string) (*State, error) {
	return scanstate.Load[ObjectState](scanstate.Options{Path: path, Name: name, Items: "objects", Label: label, Detectors: detectors}, tok)
}

// unchanged returns the last results of an object whose ETag and
// last-modified time are the same.
func unchanged(s *State, key, etag string, modified time.Time) (ObjectState, bool) {
	o, ok := s.Prev(key)
	if !ok || o.ETag != etag || !o.Modified.Equal(modified) {
		return ObjectState{}, false
	}
	return o, true
}
