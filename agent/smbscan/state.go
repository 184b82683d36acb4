package smbscan

import (
	"os"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/scanstate"
	"github.com/sightline-dev/sightline/internal/pii"
)

// State remembers, per file location, its size and modification time and
// what was found in it, so a rescan does not read an unchanged file again
// and still reports its findings as current. (SMB gives no inode; a file
// replaced by another of the same size and time is not re-read.)
type State = scanstate.Store[fileState]

type fileState struct {
	Size    int64            `json:"size"`
	MtimeNs int64            `json:"mtime_ns"`
	Members []content.Member `json:"members,omitempty"`
}

// LoadState reads the state at path (missing: empty; damaged: reported
// and empty, so the scan reads everything). detectors is pii.VersionOf the
// detector the scan runs.
func LoadState(path string, tok *pii.Tokenizer, detectors string) (*State, error) {
	return scanstate.Load[fileState](scanstate.Options{Path: path, Name: "sightline-smb-state", Items: "files", Label: "SMB scan state", Detectors: detectors}, tok)
}

// unchanged returns the last results of a file whose size and
// modification time are the same.
func unchanged(s *State, loc string, fi os.FileInfo) ([]content.Member, bool) {
	st, ok := s.Prev(loc)
	if !ok || st.Size != fi.Size() || st.MtimeNs != fi.ModTime().UnixNano() {
		return nil, false
	}
	return st.Members, true
}

// remember records what a file holds now, for the next scan.
func remember(s *State, loc string, fi os.FileInfo, members []content.Member) {
	s.Remember(loc, fileState{Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano(), Members: members})
}
