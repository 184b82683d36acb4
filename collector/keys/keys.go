// Package keys holds the collector's token keys and the file they live
// in.
//
// Agents hash personal values with the organisation's token key K1
// (HMAC-SHA256, truncated, hex; see internal/pii) and send those agent
// tokens. K1 has to be handed to every agent, so anyone holding one
// agent's credentials knows it. If the database stored agent tokens, a
// dump of it plus K1 would confirm guesses ("is bob@example.com in it?").
// So the collector re-keys every token before storing it, with two keys
// that never leave the key file:
//
//	stored = hex(AES-256(Kenc[g], HMAC-SHA256(K2, agent token)[:16]))
//
// the same 32-hex shape internal/wire validates. K2 makes the step
// one-way; the AES layer is a keyed permutation of the 16 bytes, so a
// stored token can be moved from one encryption key to the next without
// knowing the agent token (decrypt with the old, encrypt with the new):
// that is what makes the key file rotatable in place (Rotate). It is
// deterministic, so equal values still meet in a search. g is the key
// generation; generation 0 (no AES layer) is what versions before
// rotation stored, and the first start of this version encrypts those
// tokens under generation 1. Subject search applies every step. No key is
// in ClickHouse; the settings table holds which generation the stored
// tokens are at and a fingerprint of its key.
//
// The key file (config key_file, default DefaultPath) is JSON, mode 0600,
// owned by the collector's user:
//
//	{
//	  "version": 2,
//	  "token_key": "<K1, 64 hex digits>",
//	  "rekey_key": "<K2, 64 hex digits>",
//	  "enc_keys": [{"generation": 1, "key": "<64 hex digits>", "created_at": "..."}],
//	  "created_at": "2026-12-01T10:00:00Z"
//	}
//
// enc_keys holds one key, or two while a rotation is under way. Version 1
// files (no enc_keys) are read and upgraded. It is created on the first
// start (Open). Back it up: without it, stored tokens cannot be searched
// and agents must enroll again. Every collector of one database needs a
// copy of the same file; the settings table holds only fingerprints, so a
// collector with another (or an outdated) file refuses to start.
package keys

import (
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sync"
	"time"
)

// keyLen is the length of K2 and of every encryption key in bytes.
const keyLen = 32

// TokenLen is a token's length in hex characters (16 bytes), before and
// after re-keying.
const TokenLen = 32

// formatVersion is the key file's current format; version 1 (no enc_keys)
// is still read.
const formatVersion = 2

// maxEncKeys bounds the generations one file may hold (a rotation needs
// two).
const maxEncKeys = 8

// file is the key file's JSON.
type file struct {
	Version  int       `json:"version"`
	TokenKey string    `json:"token_key"` // K1, hex: agents hash with it
	RekeyKey string    `json:"rekey_key"` // K2, hex: never leaves this file
	EncKeys  []encFile `json:"enc_keys,omitempty"`
	// PreviousTokenKeys are K1s replaced by `keys rotate --agent-key`,
	// newest first: agents enrolled before hash with them, so search
	// tries them too until they are retired.
	PreviousTokenKeys []prevFile `json:"previous_token_keys,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
}

type prevFile struct {
	Key        string    `json:"key"`
	ReplacedAt time.Time `json:"replaced_at"`
}

// prevKey is a replaced K1.
type prevKey struct {
	key      []byte
	replaced time.Time
}

// maxPrevTokenKeys bounds the replaced K1s kept: each costs subject
// search one more token per identifier.
const maxPrevTokenKeys = 4

type encFile struct {
	Generation uint32    `json:"generation"`
	Key        string    `json:"key"`
	CreatedAt  time.Time `json:"created_at"`
}

// encKey is one generation's AES key.
type encKey struct {
	gen     uint32
	key     []byte
	block   cipher.Block // AES only reads its expanded key: safe to share
	created time.Time
}

// Keys is a loaded key set at one current generation: the one ingest and
// search use. It is immutable and safe for concurrent use; the With*
// methods return changed copies.
type Keys struct {
	k1, k2  []byte
	created time.Time
	enc     []encKey  // by generation, ascending
	cur     *encKey   // nil: generation 0, no AES layer
	prev    []prevKey // replaced K1s, newest first
	rekey   sync.Pool // *state keyed with K2
	agent   sync.Pool // *state keyed with K1
}

// state is one goroutine's HMAC with scratch space, so hashing a token
// allocates nothing but the output string.
type state struct {
	h   hash.Hash
	in  [64]byte
	sum [sha256.Size]byte
	blk [aes.BlockSize]byte
	hex [TokenLen]byte
}

// newKeys assembles a key set whose current generation is the newest of
// enc (0 when enc is empty).
func newKeys(k1, k2 []byte, created time.Time, enc []encKey) *Keys {
	k := &Keys{k1: k1, k2: k2, created: created, enc: enc}
	if len(enc) > 0 {
		k.cur = &k.enc[len(enc)-1]
	}
	k.rekey.New = func() any { return &state{h: hmac.New(sha256.New, k2)} }
	k.agent.New = func() any { return &state{h: hmac.New(sha256.New, k1)} }
	return k
}

func newEncKey(gen uint32, key []byte, created time.Time) (encKey, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return encKey{}, fmt.Errorf("%w: enc key of generation %d: %v", ErrBadKeyFile, gen, err)
	}
	return encKey{gen: gen, key: key, block: b, created: created}, nil
}

func randomKey(what string) ([]byte, error) {
	b := make([]byte, keyLen)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generating the %s: %w", what, err)
	}
	return b, nil
}

// Generate returns a new random key set at generation 1; tokenKey, when
// not nil, is taken as K1 (an upgrade keeps the key agents already use).
func Generate(tokenKey []byte, now time.Time) (*Keys, error) {
	k1 := append([]byte(nil), tokenKey...)
	if tokenKey == nil {
		var err error
		if k1, err = randomKey("token key"); err != nil {
			return nil, err
		}
	}
	k2, err := randomKey("re-keying key")
	if err != nil {
		return nil, err
	}
	created := now.UTC().Truncate(time.Second)
	k := newKeys(k1, k2, created, nil)
	return k.WithNewGeneration(now)
}

// ErrBadKeyFile is wrapped by every complaint about a key file's content.
var ErrBadKeyFile = errors.New("invalid key file")

// Parse reads a key file's content. Its current generation is the newest
// it holds.
func Parse(b []byte) (*Keys, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrBadKeyFile, err)
	}
	if f.Version != 1 && f.Version != formatVersion {
		return nil, fmt.Errorf("%w: version %d is not %d (a newer collector wrote it?)", ErrBadKeyFile, f.Version, formatVersion)
	}
	k1, err := decodeKey("token_key", f.TokenKey, 16)
	if err != nil {
		return nil, err
	}
	k2, err := decodeKey("rekey_key", f.RekeyKey, keyLen)
	if err != nil {
		return nil, err
	}
	if hmac.Equal(k1, k2) {
		return nil, fmt.Errorf("%w: token_key and rekey_key must differ", ErrBadKeyFile)
	}
	if f.Version == 1 && len(f.EncKeys) > 0 {
		return nil, fmt.Errorf("%w: a version 1 file has no enc_keys", ErrBadKeyFile)
	}
	if len(f.EncKeys) > maxEncKeys {
		return nil, fmt.Errorf("%w: more than %d enc_keys", ErrBadKeyFile, maxEncKeys)
	}
	var enc []encKey
	for _, e := range f.EncKeys {
		if e.Generation == 0 {
			return nil, fmt.Errorf("%w: enc key generations start at 1", ErrBadKeyFile)
		}
		if len(e.Key) != 2*keyLen {
			return nil, fmt.Errorf("%w: enc key of generation %d must be %d bytes of hex", ErrBadKeyFile, e.Generation, keyLen)
		}
		key, err := decodeKey("enc key", e.Key, keyLen)
		if err != nil {
			return nil, err
		}
		ek, err := newEncKey(e.Generation, key, e.CreatedAt)
		if err != nil {
			return nil, err
		}
		enc = append(enc, ek)
	}
	slices.SortFunc(enc, func(a, b encKey) int { return cmp.Compare(a.gen, b.gen) })
	for i := 1; i < len(enc); i++ {
		if enc[i].gen == enc[i-1].gen {
			return nil, fmt.Errorf("%w: enc key generation %d appears twice", ErrBadKeyFile, enc[i].gen)
		}
	}
	if len(f.PreviousTokenKeys) > maxPrevTokenKeys {
		return nil, fmt.Errorf("%w: more than %d previous_token_keys", ErrBadKeyFile, maxPrevTokenKeys)
	}
	var prev []prevKey
	for _, p := range f.PreviousTokenKeys {
		key, err := decodeKey("previous token key", p.Key, 16)
		if err != nil {
			return nil, err
		}
		if hmac.Equal(key, k1) || hmac.Equal(key, k2) {
			return nil, fmt.Errorf("%w: a previous token key equals a current key", ErrBadKeyFile)
		}
		prev = append(prev, prevKey{key: key, replaced: p.ReplacedAt})
	}
	k := newKeys(k1, k2, f.CreatedAt, enc)
	k.prev = prev
	return k, nil
}

// decodeKey checks one hex key of at least min bytes (K1 of older
// installations may be shorter than 32 bytes, as agents accept 16).
func decodeKey(name, h string, min int) ([]byte, error) {
	if len(h) > 1024 {
		return nil, fmt.Errorf("%w: %s is too long", ErrBadKeyFile, name)
	}
	k, err := hex.DecodeString(h)
	if err != nil || len(k) < min {
		return nil, fmt.Errorf("%w: %s must be at least %d bytes of hex", ErrBadKeyFile, name, min)
	}
	return k, nil
}

// Marshal returns the key file's content: every generation k holds.
func (k *Keys) Marshal() []byte {
	f := file{Version: formatVersion, TokenKey: hex.EncodeToString(k.k1),
		RekeyKey: hex.EncodeToString(k.k2), CreatedAt: k.created}
	for _, e := range k.enc {
		f.EncKeys = append(f.EncKeys, encFile{Generation: e.gen, Key: hex.EncodeToString(e.key), CreatedAt: e.created})
	}
	for _, p := range k.prev {
		f.PreviousTokenKeys = append(f.PreviousTokenKeys, prevFile{Key: hex.EncodeToString(p.key), ReplacedAt: p.replaced})
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	return append(b, '\n')
}

// ConsoleKey is the key the web console's sessions and single sign-on
// state are sealed with (collector/session): derived from K2, so every
// collector of the database has it and none stores it; a browser's
// session opens on any of them. It is not a token key, and learning it
// reveals nothing of K2.
func (k *Keys) ConsoleKey() []byte {
	m := hmac.New(sha256.New, k.k2)
	m.Write([]byte("sightline console session key v1"))
	return m.Sum(nil)
}

// TokenKeyHex is K1 as agents receive it at enrollment.
func (k *Keys) TokenKeyHex() string { return hex.EncodeToString(k.k1) }

// Fingerprint names K1 and K2 without revealing either: collectors
// sharing one database compare it so that none of them re-keys with a
// different K2 (which would make stored tokens unsearchable). It does not
// change when the encryption key is rotated (see GenerationFingerprint).
func (k *Keys) Fingerprint() string { return fingerprint(k.k2, k.k1) }

// MatchesFingerprint reports whether fp is the Fingerprint of this K2 with
// the current or a previous K1 (the settings row may still name the K1
// that `keys rotate --agent-key` replaced when it was interrupted).
func (k *Keys) MatchesFingerprint(fp string) bool {
	if fp == k.Fingerprint() {
		return true
	}
	for _, p := range k.prev {
		if fp == fingerprint(k.k2, p.key) {
			return true
		}
	}
	return false
}

func fingerprint(k2, k1 []byte) string {
	m := hmac.New(sha256.New, k2)
	m.Write([]byte("sightline key fingerprint v1\x00"))
	m.Write(k1)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// WithNewAgentKey returns k with a new random K1; the current one is kept
// as the newest previous key, so tokens of agents that still hash with it
// stay searchable (SearchTokens) until RetireAgentKeys.
func (k *Keys) WithNewAgentKey(now time.Time) (*Keys, error) {
	if len(k.prev) >= maxPrevTokenKeys {
		return nil, fmt.Errorf("the key file already keeps %d previous token keys: retire them first (keys retire-agent-keys)", len(k.prev))
	}
	k1, err := randomKey("token key")
	if err != nil {
		return nil, err
	}
	n := newKeys(k1, k.k2, k.created, k.enc)
	n.cur = nil
	for i := range n.enc {
		if k.cur != nil && n.enc[i].gen == k.cur.gen {
			n.cur = &n.enc[i]
		}
	}
	n.prev = append([]prevKey{{key: k.k1, replaced: now.UTC().Truncate(time.Second)}}, k.prev...)
	return n, nil
}

// WithoutPreviousAgentKeys returns k without the replaced K1s.
func (k *Keys) WithoutPreviousAgentKeys() *Keys {
	n, _ := k.AtGeneration(k.Generation())
	n.prev = nil
	return n
}

// PreviousAgentKeys reports how many replaced K1s k keeps and when the
// newest was replaced.
func (k *Keys) PreviousAgentKeys() (int, time.Time) {
	if len(k.prev) == 0 {
		return 0, time.Time{}
	}
	return len(k.prev), k.prev[0].replaced
}

// SearchTokens are the stored tokens a normalised value may have: with the
// current K1 first, then with each previous K1 not yet retired.
func (k *Keys) SearchTokens(normalized []byte) []string {
	out := []string{k.SearchToken(normalized)}
	for _, p := range k.prev {
		m := hmac.New(sha256.New, p.key)
		m.Write(normalized)
		out = append(out, k.RekeyToken(hex.EncodeToString(m.Sum(nil)[:TokenLen/2])))
	}
	return out
}

// Generation is the key generation k re-keys with (0: no AES layer).
func (k *Keys) Generation() uint32 {
	if k.cur == nil {
		return 0
	}
	return k.cur.gen
}

// Generations lists the encryption key generations k holds, ascending.
func (k *Keys) Generations() []uint32 {
	out := make([]uint32, len(k.enc))
	for i, e := range k.enc {
		out[i] = e.gen
	}
	return out
}

// GenerationFingerprint names the current generation's key without
// revealing it ("" for generation 0), so that a collector with an
// outdated key file (from before a rotation) refuses to start.
func (k *Keys) GenerationFingerprint() string {
	if k.cur == nil {
		return ""
	}
	m := hmac.New(sha256.New, k.cur.key)
	m.Write([]byte("sightline enc key fingerprint v1\x00"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func (k *Keys) find(gen uint32) (*encKey, bool) {
	if gen == 0 {
		return nil, true
	}
	for i := range k.enc {
		if k.enc[i].gen == gen {
			return &k.enc[i], true
		}
	}
	return nil, false
}

// ErrNoGeneration is wrapped when a key file lacks a generation's key.
var ErrNoGeneration = errors.New("the key file does not hold this key generation")

// AtGeneration returns k re-keying with generation gen, which it must
// hold (generation 0 is always there: no AES layer).
func (k *Keys) AtGeneration(gen uint32) (*Keys, error) {
	if _, ok := k.find(gen); !ok {
		return nil, fmt.Errorf("%w (%d; it holds %v)", ErrNoGeneration, gen, k.Generations())
	}
	enc := slices.Clone(k.enc)
	n := newKeys(k.k1, k.k2, k.created, enc)
	n.prev = k.prev
	n.cur = nil
	for i := range n.enc {
		if n.enc[i].gen == gen {
			n.cur = &n.enc[i]
		}
	}
	return n, nil
}

// WithNewGeneration returns k with a new random encryption key one
// generation above the newest it holds, as its current generation.
func (k *Keys) WithNewGeneration(now time.Time) (*Keys, error) {
	if len(k.enc) >= maxEncKeys {
		return nil, fmt.Errorf("the key file already holds %d generations: finish the rotation under way first", len(k.enc))
	}
	key, err := randomKey("token encryption key")
	if err != nil {
		return nil, err
	}
	next := uint32(1)
	if len(k.enc) > 0 {
		next = k.enc[len(k.enc)-1].gen + 1
	}
	ek, err := newEncKey(next, key, now.UTC().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	n := newKeys(k.k1, k.k2, k.created, append(slices.Clone(k.enc), ek))
	n.prev = k.prev
	return n, nil
}

// WithOnlyCurrent returns k without the generations other than its
// current one: what the key file holds once a rotation is done, so that
// the old key is gone.
func (k *Keys) WithOnlyCurrent() *Keys {
	var enc []encKey
	if k.cur != nil {
		enc = []encKey{*k.cur}
	}
	n := newKeys(k.k1, k.k2, k.created, enc)
	n.prev = k.prev
	return n
}

// Reencrypter returns what moves stored tokens from generation from to
// generation to, in place, without the agent tokens: decrypt with the
// old key, encrypt with the new. It fails on a token that is not 32 hex
// digits (nothing ingest stores).
func (k *Keys) Reencrypter(from, to uint32) (func(tokens []string) error, error) {
	f, ok := k.find(from)
	if !ok {
		return nil, fmt.Errorf("%w (%d, the generation the stored tokens are at)", ErrNoGeneration, from)
	}
	t, ok := k.find(to)
	if !ok {
		return nil, fmt.Errorf("%w (%d, the rotation's target)", ErrNoGeneration, to)
	}
	return func(tokens []string) error {
		var b, out [aes.BlockSize]byte
		var h [TokenLen]byte
		for i, tok := range tokens {
			if len(tok) != TokenLen {
				return fmt.Errorf("stored token %d of a finding is not %d hex digits", i, TokenLen)
			}
			if _, err := hex.Decode(b[:], []byte(tok)); err != nil {
				return fmt.Errorf("stored token %d of a finding is not hex", i)
			}
			out = b
			if f != nil {
				f.block.Decrypt(out[:], b[:])
			}
			if t != nil {
				t.block.Encrypt(out[:], out[:])
			}
			hex.Encode(h[:], out[:])
			tokens[i] = string(h[:])
		}
		return nil
	}, nil
}

// Rekey replaces each agent token in place by its stored form. It is the
// ingest hot path: one pooled HMAC per goroutine, one AES block, no
// allocation but each output string.
func (k *Keys) Rekey(tokens []string) {
	if len(tokens) == 0 {
		return
	}
	st := k.rekey.Get().(*state)
	for i, t := range tokens {
		tokens[i] = st.token(t, k.cur)
	}
	k.rekey.Put(st)
}

// RekeyToken returns one agent token's stored form.
func (k *Keys) RekeyToken(agentToken string) string {
	st := k.rekey.Get().(*state)
	out := st.token(agentToken, k.cur)
	k.rekey.Put(st)
	return out
}

// AgentToken is what an agent sends for a normalised value (HMAC with K1,
// as internal/pii computes it).
func (k *Keys) AgentToken(normalized []byte) string {
	st := k.agent.Get().(*state)
	st.h.Reset()
	st.h.Write(normalized)
	out := st.h.Sum(st.sum[:0])
	hex.Encode(st.hex[:], out[:TokenLen/2])
	s := string(st.hex[:])
	k.agent.Put(st)
	return s
}

// SearchToken is the stored token of a normalised value at the current
// generation: every step, as subject search needs them.
func (k *Keys) SearchToken(normalized []byte) string {
	return k.RekeyToken(k.AgentToken(normalized))
}

// token hashes t with the state's key, encrypts the first 16 bytes with
// enc (when not nil) and returns the 32-hex result.
func (st *state) token(t string, enc *encKey) string {
	st.h.Reset()
	if len(t) <= len(st.in) {
		n := copy(st.in[:], t)
		st.h.Write(st.in[:n])
	} else {
		st.h.Write([]byte(t))
	}
	out := st.h.Sum(st.sum[:0])
	src := out[:TokenLen/2]
	if enc != nil {
		enc.block.Encrypt(st.blk[:], src)
		src = st.blk[:]
	}
	hex.Encode(st.hex[:], src)
	return string(st.hex[:])
}
