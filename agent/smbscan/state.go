package smbscan

import (
	"github.com/sightline-dev/sightline/agent/fsscan"
	"github.com/sightline-dev/sightline/internal/pii"
)

// State makes a share scan incremental as a file scan is (fsscan.State,
// keyed by location): a file whose size and modification time are
// unchanged is not read again and its last results are reported as
// current. SMB gives no inode: a file replaced by another of the same
// size and time is not re-read.
type State = fsscan.State

// LoadState reads the state at path: see fsscan.LoadState.
func LoadState(path string, tok *pii.Tokenizer, detectors string) (*State, error) {
	return fsscan.LoadState(path, tok, detectors)
}
