package s3scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sightline-dev/sightline/agent/fsscan"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/safeio"
)

// State makes object scans incremental: an object whose ETag and
// last-modified time are unchanged is not read again, and its last results
// are reported as current. It holds only what records hold (counts, masked
// samples, keyed tokens), and is tied to the token key and detector set.
type State struct {
	path        string
	fingerprint string
	prev, next  map[string]objectState
}

type objectState struct {
	ETag       string                `json:"etag"`
	Modified   time.Time             `json:"modified"`
	Encryption string                `json:"encryption,omitempty"`
	Results    []fsscan.StreamResult `json:"results,omitempty"`
}

type stateFile struct {
	Fingerprint string                 `json:"fingerprint"`
	Objects     map[string]objectState `json:"objects"`
}

// LoadState reads the state at path; a missing or damaged file is an empty
// state (the next scan reads everything), a damaged one also an error to
// report.
func LoadState(path string, tok *pii.Tokenizer) (*State, error) {
	s := &State{path: path, fingerprint: tok.Token([]byte("sightline-s3-state/" + pii.DetectorVersion)),
		prev: map[string]objectState{}, next: map[string]objectState{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading S3 scan state %s: %w", path, err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return s, fmt.Errorf("S3 scan state %s is damaged (%v); reading every object again", path, err)
	}
	if f.Fingerprint == s.fingerprint && f.Objects != nil {
		s.prev = f.Objects
	}
	return s, nil
}

func (s *State) unchanged(key, etag string, modified time.Time) (objectState, bool) {
	if s == nil {
		return objectState{}, false
	}
	o, ok := s.prev[key]
	if !ok || o.ETag != etag || !o.Modified.Equal(modified) {
		return objectState{}, false
	}
	return o, true
}

func (s *State) remember(key string, o objectState) {
	if s != nil {
		s.next[key] = o
	}
}

// Save writes what this scan saw (objects no longer listed are forgotten),
// atomically.
func (s *State) Save() error {
	if s == nil {
		return nil
	}
	data, err := json.Marshal(stateFile{Fingerprint: s.fingerprint, Objects: s.next})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	// A random O_EXCL temporary name: a symlink planted at a predictable
	// one is never written through.
	return safeio.WriteFileAtomic(s.path, data, 0o600)
}
