package s3scan

import (
	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/pii"
)

// State makes object scans incremental (see objscan.State).
type State = objscan.State

// LoadState reads the state at path; a missing or damaged file is an empty
// state (the next scan reads everything), a damaged one also an error to
// report.
//
// detectors is pii.VersionOf the detector the scan runs ("" for the
// built-in set alone).
func LoadState(path string, tok *pii.Tokenizer, detectors string) (*State, error) {
	return objscan.LoadState(path, "sightline-s3-state", "S3 scan state", tok, detectors)
}
