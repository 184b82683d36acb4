package pii

import (
	"sort"
	"strconv"
)

// Bounds of a Result (and of a pii record).
const (
	MaxSamples = 3
	MaxTokens  = 100
	MaxWhere   = 10
)

// Result is what a file yields for one type.
type Result struct {
	Type, Category, Confidence string
	Count, Distinct            int64
	Samples                    []string // masked, distinct
	Tokens                     []string // keyed, distinct, first seen first
	Where                      []string // "line N" of the first matches
}

// Aggregator folds matches into per-type results. Not safe for concurrent
// use: one per file.
type Aggregator struct {
	tok   *Tokenizer
	types map[string]*agg
}

type agg struct {
	Result
	// distinct counts fast keyed hashes of the values (countHash): the keyed token
	// (HMAC-SHA256) is computed only for the first MaxTokens values, so a
	// PII-dense file costs a fast hash per match, not an HMAC; and its
	// memory is bounded however many different values a file holds.
	distinct distinct
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(tok *Tokenizer) *Aggregator {
	return &Aggregator{tok: tok, types: map[string]*agg{}}
}

// Add counts one match located by its line. The raw value is reduced to
// its token and mask here.
func (a *Aggregator) Add(m Match) {
	a.add(m, "", true)
}

// WantsWhere reports whether a match of typ would still have its location
// kept, so callers build a location string only when it is used.
func (a *Aggregator) WantsWhere(typ string) bool {
	g := a.types[typ]
	return g == nil || len(g.Where) < MaxWhere
}

// AddWhere counts one match located by where (a CSV row and column, a JSON
// path, a spreadsheet cell, a PDF page).
func (a *Aggregator) AddWhere(m Match, where string) {
	a.add(m, where, false)
}

func (a *Aggregator) add(m Match, where string, byLine bool) {
	g := a.types[m.Type]
	if g == nil {
		g = &agg{Result: Result{Type: m.Type, Category: m.Category}}
		a.types[m.Type] = g
	}
	g.Count++
	if confidenceRank(m.Confidence) > confidenceRank(g.Confidence) {
		g.Confidence = m.Confidence
	}
	if len(g.Where) < MaxWhere {
		if byLine {
			where = "line " + strconv.Itoa(m.Line)
		}
		g.Where = append(g.Where, where)
	}
	if !g.distinct.add(countHash(a.tok.countKey, m.Value)) {
		return
	}
	if len(g.Tokens) < MaxTokens {
		g.Tokens = append(g.Tokens, a.tok.Token(m.Value))
	}
	if len(g.Samples) < MaxSamples {
		s := Mask(m.Type, m.Value)
		for _, have := range g.Samples {
			if have == s {
				return
			}
		}
		g.Samples = append(g.Samples, s)
	}
}

// Results returns one Result per type found, sorted by type.
func (a *Aggregator) Results() []Result {
	out := make([]Result, 0, len(a.types))
	for _, g := range a.types {
		g.Distinct = g.distinct.count(g.Count)
		out = append(out, g.Result)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Empty reports whether nothing was added.
func (a *Aggregator) Empty() bool { return len(a.types) == 0 }
