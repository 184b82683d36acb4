// Package keys holds the collector's two token keys and the file they live
// in.
//
// Agents hash personal values with the organisation's token key K1
// (HMAC-SHA256, truncated, hex; see internal/pii) and send those agent
// tokens. K1 has to be handed to every agent, so anyone holding one
// agent's credentials knows it. If the database stored agent tokens, a
// dump of it plus K1 would confirm guesses ("is bob@example.com in it?").
// So the collector re-keys every token before storing it with a second
// key K2 that never leaves the key file: stored = hex(HMAC-SHA256(K2,
// agent token))[:32], the same 32-hex shape internal/wire validates.
// Subject search applies both steps. Neither key is in ClickHouse.
//
// The key file (config key_file, default DefaultPath) is JSON, mode 0600,
// owned by the collector's user:
//
//	{
//	  "version": 1,
//	  "token_key": "<K1, 64 hex digits>",
//	  "rekey_key": "<K2, 64 hex digits>",
//	  "created_at": "2026-12-01T10:00:00Z"
//	}
//
// It is created on the first start (Open). Back it up: without it, stored
// tokens cannot be searched and agents must enroll again. Every collector
// of one database needs a copy of the same file; the settings table holds
// only its Fingerprint, so a collector with another file refuses to start.
package keys

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"
)

// keyLen is the length of both keys in bytes.
const keyLen = 32

// TokenLen is a token's length in hex characters (16 bytes), before and
// after re-keying.
const TokenLen = 32

// formatVersion is the key file's current format.
const formatVersion = 1

// file is the key file's JSON.
type file struct {
	Version   int       `json:"version"`
	TokenKey  string    `json:"token_key"` // K1, hex: agents hash with it
	RekeyKey  string    `json:"rekey_key"` // K2, hex: never leaves this file
	CreatedAt time.Time `json:"created_at"`
}

// Keys is a loaded key pair. It is safe for concurrent use.
type Keys struct {
	k1, k2  []byte
	created time.Time
	rekey   sync.Pool // *state keyed with K2
	agent   sync.Pool // *state keyed with K1
}

// state is one goroutine's HMAC with scratch space, so hashing a token
// allocates nothing but the output string.
type state struct {
	h   hash.Hash
	in  [64]byte
	sum [sha256.Size]byte
	hex [TokenLen]byte
}

func newKeys(k1, k2 []byte, created time.Time) *Keys {
	k := &Keys{k1: k1, k2: k2, created: created}
	k.rekey.New = func() any { return &state{h: hmac.New(sha256.New, k2)} }
	k.agent.New = func() any { return &state{h: hmac.New(sha256.New, k1)} }
	return k
}

// Generate returns a new random key pair; tokenKey, when not nil, is
// taken as K1 (an upgrade keeps the key agents already use).
func Generate(tokenKey []byte, now time.Time) (*Keys, error) {
	k1 := append([]byte(nil), tokenKey...)
	if k1 == nil {
		k1 = make([]byte, keyLen)
		if _, err := rand.Read(k1); err != nil {
			return nil, fmt.Errorf("generating the token key: %w", err)
		}
	}
	k2 := make([]byte, keyLen)
	if _, err := rand.Read(k2); err != nil {
		return nil, fmt.Errorf("generating the re-keying key: %w", err)
	}
	return newKeys(k1, k2, now.UTC().Truncate(time.Second)), nil
}

// ErrBadKeyFile is wrapped by every complaint about a key file's content.
var ErrBadKeyFile = errors.New("invalid key file")

// Parse reads a key file's content.
func Parse(b []byte) (*Keys, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrBadKeyFile, err)
	}
	if f.Version != formatVersion {
		return nil, fmt.Errorf("%w: version %d is not %d", ErrBadKeyFile, f.Version, formatVersion)
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
	return newKeys(k1, k2, f.CreatedAt), nil
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

// Marshal returns the key file's content.
func (k *Keys) Marshal() []byte {
	b, _ := json.MarshalIndent(file{Version: formatVersion, TokenKey: hex.EncodeToString(k.k1),
		RekeyKey: hex.EncodeToString(k.k2), CreatedAt: k.created}, "", "  ")
	return append(b, '\n')
}

// TokenKeyHex is K1 as agents receive it at enrollment.
func (k *Keys) TokenKeyHex() string { return hex.EncodeToString(k.k1) }

// Fingerprint names this key pair without revealing either key: collectors
// sharing one database compare it so that none of them re-keys with a
// different K2 (which would make stored tokens unsearchable).
func (k *Keys) Fingerprint() string {
	m := hmac.New(sha256.New, k.k2)
	m.Write([]byte("sightline key fingerprint v1\x00"))
	m.Write(k.k1)
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Rekey replaces each agent token in place by its stored form. It is the
// ingest hot path: one pooled HMAC per goroutine, no allocation but each
// output string.
func (k *Keys) Rekey(tokens []string) {
	if len(tokens) == 0 {
		return
	}
	st := k.rekey.Get().(*state)
	for i, t := range tokens {
		tokens[i] = st.token(t)
	}
	k.rekey.Put(st)
}

// RekeyToken returns one agent token's stored form.
func (k *Keys) RekeyToken(agentToken string) string {
	st := k.rekey.Get().(*state)
	out := st.token(agentToken)
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

// SearchToken is the stored token of a normalised value: both steps, as
// subject search needs them.
func (k *Keys) SearchToken(normalized []byte) string {
	return k.RekeyToken(k.AgentToken(normalized))
}

// token hashes t with the state's key and returns the 32-hex result.
func (st *state) token(t string) string {
	st.h.Reset()
	if len(t) <= len(st.in) {
		n := copy(st.in[:], t)
		st.h.Write(st.in[:n])
	} else {
		st.h.Write([]byte(t))
	}
	out := st.h.Sum(st.sum[:0])
	hex.Encode(st.hex[:], out[:TokenLen/2])
	return string(st.hex[:])
}
