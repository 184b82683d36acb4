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

// Identifier is one thing a person is known by. Region (ISO 3166, "DE")
// says which numbering plan a national phone number is in; without it a
// national number is searched in every plan where it is valid.
type Identifier struct {
	Type   string `json:"type"`
	Value  string `json:"value"`
	Region string `json:"region,omitempty"`
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
// by value, and why; Others counts further invalid identifiers.
type InvalidError struct {
	Index  int
	Type   string
	Reason string
	Others int
}

func (e *InvalidError) Error() string {
	msg := fmt.Sprintf("identifiers[%d] is not a valid %s", e.Index, e.Type)
	if e.Reason != "" && e.Reason != "not a valid "+e.Type {
		msg += ": " + e.Reason
	}
	if e.Others > 0 {
		msg += fmt.Sprintf("; %d more identifiers are invalid and nothing was searched", e.Others)
	}
	return msg
}

// Invalid is an identifier left out of a search, by index, and why (the
// reason never repeats the value).
type Invalid struct {
	Index        int
	Type, Reason string
}

// Result is a search's answer: the matches of the valid identifiers, and
// the identifiers that could not be used.
type Result struct {
	Matches []Match
	Invalid []Invalid
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

// Search finds the current findings holding any of ids; one invalid
// identifier fails it (SearchAll reports it beside the others' matches).
func Search(ctx context.Context, st Store, keys Hasher, ids []Identifier) ([]Match, error) {
	res, err := SearchAll(ctx, st, keys, ids)
	if err != nil {
		return nil, err
	}
	if len(res.Invalid) > 0 {
		inv := res.Invalid[0]
		return nil, &InvalidError{Index: inv.Index, Type: inv.Type, Reason: inv.Reason, Others: len(res.Invalid) - 1}
	}
	return res.Matches, nil
}

// SearchAll finds the current findings holding any of ids. Each
// identifier is read as leniently as its standard allows
// (pii.SubjectForms); one that is still not valid is reported in
// Result.Invalid and the others are searched. Only when none is valid is
// there nothing to search: that is an *InvalidError.
func SearchAll(ctx context.Context, st Store, keys Hasher, ids []Identifier) (Result, error) {
	toks, err := Tokenise(keys, ids)
	if err != nil {
		return Result{}, err
	}
	matches, err := toks.Search(ctx, st)
	if err != nil {
		return Result{}, err
	}
	return Result{Matches: matches, Invalid: toks.Invalid}, nil
}

// Tokens are the stored tokens a request's identifiers may have, and
// which identifiers (by index) each stands for: what a search needs, and
// all a data-subject request case keeps of its identifiers (collector/dsr).
type Tokens struct {
	List    []string         // distinct, in the order met
	Of      map[string][]int // token -> identifier indexes
	Invalid []Invalid        // identifiers that gave no token
}

// Tokenise normalises each identifier in every form its standard allows
// and turns each form into every stored token it may have. An identifier
// that is not valid is reported in Invalid; when none is valid it is an
// *InvalidError.
func Tokenise(keys Hasher, ids []Identifier) (Tokens, error) {
	if len(ids) == 0 || len(ids) > MaxIdentifiers {
		return Tokens{}, fmt.Errorf("give between 1 and %d identifiers", MaxIdentifiers)
	}
	t := Tokens{Of: map[string][]int{}, Invalid: []Invalid{}}
	for i, id := range ids {
		forms, err := pii.SubjectForms(id.Type, id.Value, id.Region)
		if err != nil {
			t.Invalid = append(t.Invalid, Invalid{Index: i, Type: id.Type, Reason: err.Error()})
			continue
		}
		for _, v := range forms {
			for _, tok := range searchTokens(keys, []byte(v)) {
				t.add(tok, i)
			}
		}
	}
	if len(t.List) == 0 {
		inv := t.Invalid[0]
		return Tokens{}, &InvalidError{Index: inv.Index, Type: inv.Type, Reason: inv.Reason, Others: len(t.Invalid) - 1}
	}
	return t, nil
}

// TokensOf rebuilds Tokens from stored (token, identifier index) pairs.
func TokensOf(tokens []string, idents []int) Tokens {
	t := Tokens{Of: map[string][]int{}, Invalid: []Invalid{}}
	for i, tok := range tokens {
		if i < len(idents) {
			t.add(tok, idents[i])
		}
	}
	return t
}

func (t *Tokens) add(tok string, ident int) {
	if _, seen := t.Of[tok]; !seen {
		t.List = append(t.List, tok)
	}
	if !slices.Contains(t.Of[tok], ident) {
		t.Of[tok] = append(t.Of[tok], ident)
	}
}

// Search finds the current findings holding any of the tokens.
func (t Tokens) Search(ctx context.Context, st Store) ([]Match, error) {
	hits, err := st.SubjectHits(ctx, t.List)
	if err != nil {
		return nil, err
	}
	out := []Match{}
	for _, h := range hits {
		m := Match{AssetID: h.AssetID, Location: h.Location, Host: h.Host, Source: h.Source, Type: h.Type,
			Count: h.Count, LastSeen: h.ObservedAt}
		for _, tok := range h.Tokens {
			m.Identifiers = append(m.Identifiers, t.Of[tok]...)
		}
		// A finding may hold one identifier under two token keys.
		slices.Sort(m.Identifiers)
		m.Identifiers = slices.Compact(m.Identifiers)
		out = append(out, m)
	}
	return out, nil
}
