package fsscan

import (
	"io/fs"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/scanstate"
	"github.com/sightline-dev/sightline/internal/pii"
)

// State remembers, per file, what identified its content last time (size,
// modification time, inode) and what was found in it, so an incremental
// rescan does not read unchanged files and still reports their findings as
// current.
type State = scanstate.Store[fileState]

type fileState struct {
	Size    int64            `json:"size"`
	MtimeNs int64            `json:"mtime_ns"`
	Inode   uint64           `json:"inode"`
	Members []content.Member `json:"members,omitempty"`
}

// LoadState reads the state at path (a missing file is an empty state).
// A damaged file is reported and treated as empty: the scan then reads
// everything, which is slower but never wrong.
//
// detectors is pii.VersionOf the detector the scan runs ("" for the
// built-in set alone).
func LoadState(path string, tok *pii.Tokenizer, detectors string) (*State, error) {
	return scanstate.Load[fileState](scanstate.Options{Path: path, Name: "sightline-state", Items: "files", Label: "scan state", Detectors: detectors}, tok)
}

// unchanged returns the last results of a file whose identity is the same.
func unchanged(s *State, p string, info fs.FileInfo) ([]content.Member, bool) {
	st, ok := s.Prev(p)
	if !ok || st.Size != info.Size() || st.MtimeNs != info.ModTime().UnixNano() || st.Inode != inode(info) {
		return nil, false
	}
	return st.Members, true
}

// remember records what a file holds now, for the next scan.
func remember(s *State, p string, info fs.FileInfo, members []content.Member) {
	s.Remember(p, fileState{Size: info.Size(), MtimeNs: info.ModTime().UnixNano(), Inode: inode(info), Members: members})
}

// Unchanged and Remember are the same check and record for files read
// from elsewhere than this host's disks (an SMB share: key is the file's
// location; it has no inode, so size and modification time decide).
func Unchanged(s *State, key string, info fs.FileInfo) ([]content.Member, bool) {
	return unchanged(s, key, info)
}

// Remember: see Unchanged.
func Remember(s *State, key string, info fs.FileInfo, members []content.Member) {
	remember(s, key, info, members)
}
