// Package pii finds personal data in text and turns what it finds into
// what may leave the host: counts, masked samples and keyed tokens. A raw
// value lives only in a Match, in memory, for as long as emit runs.
package pii

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sync"
)

// Type ids and categories (shared/pii-types.md).
const (
	TypeEmail      = "email"
	TypeCreditCard = "credit_card"
	TypeUSSSN      = "us_ssn"

	CategoryContact      = "contact"
	CategoryFinancial    = "financial"
	CategoryGovernmentID = "government_id"
)

// Confidence levels, ordered.
const (
	Low    = "low"
	Medium = "medium"
	High   = "high"
)

func confidenceRank(c string) int {
	switch c {
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// Match is one detected value. Value is the normalized raw value and must
// not be kept after emit returns.
type Match struct {
	Type, Category, Confidence string
	Value                      []byte
	// Line is 1-based within the text passed to Detect.
	Line int
}

// Detector finds personal data in text. Implementations must be safe for
// concurrent use.
type Detector interface {
	Detect(text []byte, emit func(Match))
}

// LineCounter is a Detector that also returns how many newlines text
// holds, counted as it numbered its matches' lines: a caller numbering
// lines across texts (a stream read in windows) need not count them all
// again (the count cost a fortieth of a scan of logs).
type LineCounter interface {
	DetectLines(text []byte, emit func(Match)) int
}

// DetectLines runs d over text and returns the newlines text holds.
func DetectLines(d Detector, text []byte, emit func(Match)) int {
	if lc, ok := d.(LineCounter); ok {
		return lc.DetectLines(text, emit)
	}
	d.Detect(text, emit)
	return bytes.Count(text, []byte{'\n'})
}

// Tokenizer computes keyed tokens: HMAC-SHA256(key, normalized value),
// first 16 bytes, hex. The collector's subject search computes the same.
type Tokenizer struct {
	pool sync.Pool
	// countKey keys the fast hash that counts a file's distinct values
	// (Aggregator): derived from the key, so the same file counts the
	// same in every run (a sketch's estimate included), and a file
	// cannot be written to make its values collide without the key.
	countKey uint64
}

// NewTokenizer returns a Tokenizer for the organisation's key.
func NewTokenizer(key []byte) *Tokenizer {
	k := append([]byte(nil), key...)
	t := &Tokenizer{}
	t.pool.New = func() any { return hmac.New(sha256.New, k) }
	m := hmac.New(sha256.New, k)
	m.Write([]byte("sightline: distinct-count hash key"))
	t.countKey = binary.LittleEndian.Uint64(m.Sum(nil))
	return t
}

// Token returns the keyed token of a normalized value.
func (t *Tokenizer) Token(normalized []byte) string {
	h := t.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(normalized)
	var sum [sha256.Size]byte
	out := h.Sum(sum[:0])
	t.pool.Put(h)
	return hex.EncodeToString(out[:16])
}

// DetectorVersion changes whenever what NewDefault finds changes, so cached
// per-file results (the agent's incremental scan state) are recomputed.
const DetectorVersion = "2026-12-04.4"
