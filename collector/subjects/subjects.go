// Package subjects answers data-subject requests: where does this person
// appear? Identifiers are normalized and hashed with the organisation's
// key exactly as agents do, then re-keyed as the collector stores tokens
// (collector/keys), and only those tokens meet the store; no identifier
// is kept or logged. Budget keeps the search from serving as an oracle.
package subjects

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/pii"
)

// Identifier is one thing a person is known by.
type Identifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Match is one asset where an identifier appears.
type Match struct {
	Identifiers                           []int // indexes into the request's identifiers
	AssetID, Location, Host, Source, Type string
	Count                                 uint64 // occurrences of the type in the asset
	LastSeen                              time.Time
}

// Store is what the search needs.
type Store interface {
	SubjectHits(ctx context.Context, tokens []string) ([]store.SubjectHit, error)
}

// InvalidError says which identifier could not be used, by index, never
// by value.
type InvalidError struct {
	Index int
	Type  string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("identifiers[%d] is not a valid %s", e.Index, e.Type)
}

// MaxIdentifiers bounds one request.
const MaxIdentifiers = 50

// Hasher turns a normalized value into its stored token (keys.Keys: the
// agents' HMAC, then the collector's re-keying at the current key
// generation).
type Hasher interface {
	SearchToken(normalized []byte) string
}

// MultiHasher is a Hasher that knows several tokens a value may be stored
// as: after the agents' token key was rotated, agents enrolled before
// still hash with the previous key until it is retired (keys.Keys).
type MultiHasher interface {
	Hasher
	SearchTokens(normalized []byte) []string
}

// searchTokens returns every stored token v may have.
func searchTokens(h Hasher, v []byte) []string {
	if m, ok := h.(MultiHasher); ok {
		return m.SearchTokens(v)
	}
	return []string{h.SearchToken(v)}
}

// Search finds the current findings holding any of ids.
func Search(ctx context.Context, st Store, keys Hasher, ids []Identifier) ([]Match, error) {
	if len(ids) == 0 || len(ids) > MaxIdentifiers {
		return nil, fmt.Errorf("give between 1 and %d identifiers", MaxIdentifiers)
	}
	byToken := map[string][]int{}
	var tokens []string
	for i, id := range ids {
		v, ok := pii.NormalizeAs(id.Type, id.Value)
		if !ok {
			return nil, &InvalidError{i, id.Type}
		}
		for _, t := range searchTokens(keys, []byte(v)) {
			if _, seen := byToken[t]; !seen {
				tokens = append(tokens, t)
			}
			byToken[t] = append(byToken[t], i)
		}
	}
	hits, err := st.SubjectHits(ctx, tokens)
	if err != nil {
		return nil, err
	}
	out := make([]Match, 0, len(hits))
	for _, h := range hits {
		m := Match{AssetID: h.AssetID, Location: h.Location, Host: h.Host, Source: h.Source, Type: h.Type,
			Count: h.Count, LastSeen: h.ObservedAt}
		for _, t := range h.Tokens {
			m.Identifiers = append(m.Identifiers, byToken[t]...)
		}
		// A finding may hold one identifier under two token keys.
		slices.Sort(m.Identifiers)
		m.Identifiers = slices.Compact(m.Identifiers)
		out = append(out, m)
	}
	return out, nil
}
