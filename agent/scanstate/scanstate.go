// Package scanstate makes scans incremental: a Store remembers, per item (a
// file path, an object key), what identified the item last time and what was
// found in it, so a rescan skips unchanged items and still reports their
// findings as current. It holds only what records hold (counts, masked
// samples, keyed tokens), never a raw value.
//
// A store is tied to the token key and the detector set by a fingerprint:
// when either changes, what was cached is wrong, and the store loads empty
// so every item is read again. A missing or damaged file is likewise an
// empty store: slower, never wrong.
//
// The file is {"fingerprint": …, "<items>": {key: value}}; the items field
// is named per scanner ("files", "objects") as it always was, so state files
// written by earlier agents still load.
package scanstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/safeio"
)

// Options say where a store lives and how it is named.
type Options struct {
	// Path is the state file.
	Path string
	// Name goes into the fingerprint, so two scanners' states never match
	// each other ("sightline-state" for files, "sightline-s3-state" for
	// objects).
	Name string
	// Detectors is the version of the custom detectors the scan runs
	// (pii.VersionOf): a change of definitions, like a change of
	// pii.DetectorVersion, makes the next scan read everything again.
	Detectors string
	// Items is the JSON field holding the items ("files", "objects").
	Items string
	// Label names the state in messages ("scan state", "S3 scan state").
	Label string
}

// Store is a scan's incremental state, items of type V by key. Prev may be
// called from many goroutines during a scan, Remember too; Begin and Save
// only between scans.
type Store[V any] struct {
	o           Options
	fingerprint string
	mu          sync.RWMutex
	prev        map[string]V // read during a scan, never written
	next        map[string]V
}

// maxStateBytes bounds a state file read back: far above any real one
// (about 200 bytes an item), far below what would exhaust memory.
const maxStateBytes = 2 << 30

// Load reads the store at o.Path (a missing file is an empty store). A
// damaged file is reported and the store is empty.
func Load[V any](o Options, tok *pii.Tokenizer) (*Store[V], error) {
	s := &Store[V]{o: o, fingerprint: fingerprint(o, tok),
		prev: map[string]V{}, next: map[string]V{}}
	// Never a FIFO, a device or a symlink planted at the state path.
	data, err := safeio.ReadFile(o.Path, maxStateBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading %s %s: %w", o.Label, o.Path, err)
	}
	var f map[string]json.RawMessage
	var fp string
	items := map[string]V{}
	err = json.Unmarshal(data, &f)
	if err == nil && f["fingerprint"] != nil {
		err = json.Unmarshal(f["fingerprint"], &fp)
	}
	if err == nil && f[o.Items] != nil {
		err = json.Unmarshal(f[o.Items], &items)
	}
	if err != nil {
		return s, fmt.Errorf("%s %s is damaged (%v); doing a full scan", o.Label, o.Path, err)
	}
	if fp == s.fingerprint && f[o.Items] != nil && items != nil {
		s.prev = items
	}
	return s, nil
}

// Begin starts a scan's record of what it sees, dropping what an earlier
// scan cut short had collected.
func (s *Store[V]) Begin() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.next = map[string]V{}
	s.mu.Unlock()
}

// Prev returns what the last scan saved for key.
func (s *Store[V]) Prev(key string) (V, bool) {
	var zero V
	if s == nil {
		return zero, false
	}
	// Locked: a worker of a scan that stopped early may still look a
	// file up while the stopped scan's state is saved.
	s.mu.RLock()
	v, ok := s.prev[key]
	s.mu.RUnlock()
	return v, ok
}

// Len is how many items the last scan saved.
func (s *Store[V]) Len() int {
	if s == nil {
		return 0
	}
	return len(s.prev)
}

// Remember records what key holds now, for the next scan.
func (s *Store[V]) Remember(key string, v V) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.next[key] = v
	s.mu.Unlock()
}

// Save writes what the scan just done saw (items no longer seen are
// dropped) atomically: a new temporary file with a random name (O_EXCL: a
// symlink planted at a predictable name is never followed), fsync, rename.
// The next scan then starts from it. A nil store saves nothing.
func (s *Store[V]) Save() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	data, err := json.Marshal(map[string]any{"fingerprint": s.fingerprint, s.o.Items: s.next})
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("saving %s: %w", s.o.Label, err)
	}
	if err := os.MkdirAll(filepath.Dir(s.o.Path), 0o700); err != nil {
		return fmt.Errorf("saving %s: %w", s.o.Label, err)
	}
	if err := safeio.WriteFileAtomic(s.o.Path, data, 0o600); err != nil {
		return fmt.Errorf("saving %s: %w", s.o.Label, err)
	}
	s.mu.Lock()
	s.prev, s.next = s.next, map[string]V{}
	s.mu.Unlock()
	return nil
}

// suffix ends every state file the agent keeps in its data directory.
const suffix = "-state.json"

// Path is where the agent keeps scanner's state in dataDir
// (fs-state.json, s3-state.json).
func Path(dataDir, scanner string) string {
	return filepath.Join(dataDir, scanner+suffix)
}

// Reset deletes every scanner's state in dataDir, so the next scans read
// everything again (after the token key changes, say: cached tokens would
// no longer match). A missing state is not an error. It removes the file
// names only; a scan running meanwhile may still save its own state when
// it ends, which the new key's fingerprint then refuses on load.
func Reset(dataDir string) error {
	entries, err := os.ReadDir(dataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resetting scan state in %s: %w", dataDir, err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), suffix) {
			continue
		}
		if err := os.Remove(filepath.Join(dataDir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("resetting scan state: %w; delete %s by hand", err, filepath.Join(dataDir, e.Name()))
		}
	}
	return nil
}

// fingerprint ties a state to its token key and what the detectors find;
// without custom detectors it is what it was before they existed, so an
// upgrade keeps the states it can.
func fingerprint(o Options, tok *pii.Tokenizer) string {
	v := o.Name + "/" + pii.DetectorVersion
	if o.Detectors != "" {
		v += "/" + o.Detectors
	}
	return tok.Token([]byte(v))
}
