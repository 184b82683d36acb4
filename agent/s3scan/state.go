package s3scan

import (
	"time"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/scanstate"
	"github.com/sightline-dev/sightline/internal/pii"
)

// State makes object scans incremental: an object whose ETag and
// last-modified time are unchanged is not read again, and its last results
// are reported as current.
type State = scanstate.Store[objectState]

type objectState struct {
	ETag       string                 `json:"etag"`
	Modified   time.Time              `json:"modified"`
	Encryption string                 `json:"encryption,omitempty"`
	Results    []content.StreamResult `json:"results,omitempty"`
}

// LoadState reads the state at path; a missing or damaged file is an empty
// state (the next scan reads everything), a damaged one also an error to
// report.
//
// detectors is pii.VersionOf the detector the scan runs ("" for the
// built-in set alone).
func LoadState(path string, tok *pii.Tokenizer, detectors string) (*State, error) {
	return scanstate.Load[objectState](scanstate.Options{Path: path, Name: "sightline-s3-state", Items: "objects", Label: "S3 scan state", Detectors: detectors}, tok)
}

// unchanged returns the last results of an object whose ETag and
// last-modified time are the same.
func unchanged(s *State, key, etag string, modified time.Time) (objectState, bool) {
	o, ok := s.Prev(key)
	if !ok || o.ETag != etag || !o.Modified.Equal(modified) {
		return objectState{}, false
	}
	return o, true
}
