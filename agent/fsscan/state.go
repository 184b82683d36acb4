package fsscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/safeio"
)

// State remembers, per file, what identified its content last time (size,
// modification time, inode) and what was found in it, so an incremental
// rescan does not read unchanged files and still reports their findings as
// current. It holds only what records hold: counts, masked samples, keyed
// tokens — no raw values.
type State struct {
	path string
	// fingerprint ties the state to a token key and detector set: if either
	// changed, cached results are wrong and everything is read again.
	fingerprint string
	prev        map[string]fileState // read by workers, never written
	mu          sync.Mutex
	next        map[string]fileState
}

type fileState struct {
	Size    int64    `json:"size"`
	MtimeNs int64    `json:"mtime_ns"`
	Inode   uint64   `json:"inode"`
	Members []member `json:"members,omitempty"`
}

type stateFile struct {
	Fingerprint string               `json:"fingerprint"`
	Files       map[string]fileState `json:"files"`
}

// LoadState reads the state at path (a missing file is an empty state).
// A damaged file is reported and treated as empty: the scan then reads
// everything, which is slower but never wrong.
func LoadState(path string, tok *pii.Tokenizer) (*State, error) {
	s := &State{path: path, fingerprint: tok.Token([]byte("sightline-state/" + pii.DetectorVersion)),
		prev: map[string]fileState{}, next: map[string]fileState{}}
	// Never a FIFO, a device or a symlink planted at the state path.
	data, err := safeio.ReadFile(path, maxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading scan state %s: %w", path, err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return s, fmt.Errorf("scan state %s is damaged (%v); doing a full scan", path, err)
	}
	if f.Fingerprint == s.fingerprint && f.Files != nil {
		s.prev = f.Files
	}
	return s, nil
}

// begin starts a scan's record of what it sees, dropping what an earlier
// scan cut short had collected.
func (s *State) begin() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.next = map[string]fileState{}
	s.mu.Unlock()
}

// unchanged returns the last results of a file whose identity is the same.
func (s *State) unchanged(p string, info fs.FileInfo) ([]member, bool) {
	if s == nil {
		return nil, false
	}
	st, ok := s.prev[p]
	if !ok || st.Size != info.Size() || st.MtimeNs != info.ModTime().UnixNano() || st.Inode != inode(info) {
		return nil, false
	}
	return st.Members, true
}

// remember records what a file holds now, for the next scan.
func (s *State) remember(p string, info fs.FileInfo, members []member) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.next[p] = fileState{Size: info.Size(), MtimeNs: info.ModTime().UnixNano(), Inode: inode(info), Members: members}
	s.mu.Unlock()
}

// maxStateBytes bounds a state file read back: far above any real one
// (about 200 bytes a file), far below what would exhaust memory.
const maxStateBytes = 2 << 30

// Save writes the state of the scan just done (files no longer seen are
// dropped) atomically: a new temporary file with a random name (O_EXCL:
// a symlink planted at a predictable name is never followed), fsync,
// rename.
func (s *State) Save() error {
	s.mu.Lock()
	data, err := json.Marshal(stateFile{Fingerprint: s.fingerprint, Files: s.next})
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("saving scan state: %w", err)
	}
	if err := safeio.WriteFileAtomic(s.path, data, 0o600); err != nil {
		return fmt.Errorf("saving scan state: %w", err)
	}
	// The next scan starts from what this one saw.
	s.mu.Lock()
	s.prev, s.next = s.next, map[string]fileState{}
	s.mu.Unlock()
	return nil
}
