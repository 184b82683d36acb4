// Package risk scores assets holding personal data, 0–100, and explains
// every score with its factors and their points. The model (README, "Risk
// model") adds sensitivity (the most sensitive category held, how much, how
// many people) and exposure (public, world-readable, how many can read it,
// unencrypted storage), capped at 100.
package risk

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/sightline-dev/sightline/collector/store"
)

// categoryPoints is what holding a category is worth: government ids,
// credentials and health data weigh most (pii-types.md).
var categoryPoints = map[string]int{
	"government_id": 30, "credential": 30, "health": 30, "financial": 25, "personal": 15, "contact": 10, "network": 5,
}

// Factor is one reason for a score.
type Factor struct {
	Name   string `json:"factor"`
	Points int    `json:"points"`
}

// Score is an asset's risk and why.
type Score struct {
	AssetID, Location, Host, Source, AssetType string
	Score                                      int
	Factors                                    []Factor
}

// Store is where scores are read: the read index, which scores every
// asset with Assess when it is built (collector/index).
type Store interface {
	TopRisks(ctx context.Context, n int) ([]store.RiskRow, error)
	RiskOf(ctx context.Context, assetID string) (store.RiskRow, bool, error)
}

// volume gives up to max points on a log scale: 10 → a quarter, 1,000 →
// three quarters, 10,000 and more → all.
func volume(n uint64, max int) int {
	if n == 0 {
		return 0
	}
	return int(math.Min(float64(max), math.Round(math.Log10(float64(n)+1)/4*float64(max))))
}

// Assess scores one asset with no home jurisdiction (no cross-border
// factor).
func Assess(e store.AssetExposure) Score { return AssessIn(e, "") }

// AssessIn scores one asset for an organisation whose personal data
// belongs in home ("EU", "US", …): stored elsewhere is a cross-border
// transfer and adds to the risk. An empty home leaves that factor out.
func AssessIn(e store.AssetExposure, home string) Score {
	s := Score{AssetID: e.AssetID, Location: e.Location, Host: e.Host, Source: e.Source, AssetType: e.AssetType}
	add := func(name string, p int) {
		if p > 0 {
			s.Factors = append(s.Factors, Factor{name, p})
			s.Score += p
		}
	}
	top, topCat := 0, ""
	for _, c := range e.Categories {
		if p := categoryPoints[c]; p > top || (p == top && c < topCat) {
			top, topCat = p, c
		}
	}
	add("holds "+topCat+" data", top)
	add(fmt.Sprintf("%d occurrences", e.Occurrences), volume(e.Occurrences, 15))
	add(fmt.Sprintf("up to %d distinct values", e.Distinct), volume(e.Distinct, 15))
	switch {
	case e.Attributes["public"] == "true":
		add("public (anyone on the internet can read it)", 30)
	case e.Attributes["world_readable"] == "true":
		add("world-readable (every account of the host)", 20)
	}
	if e.Readers > 0 {
		add(fmt.Sprintf("%d principals can read it", e.Readers), volume(e.Readers, 10))
	}
	// Readers all privileged is the expected case for sensitive data;
	// ordinary accounts among them widen who can leak it.
	if e.UnprivilegedReaders > 0 {
		add(fmt.Sprintf("%d of them not privileged", e.UnprivilegedReaders), 5)
	}
	if home != "" && e.Jurisdiction != "" && e.Jurisdiction != "unknown" && !strings.EqualFold(e.Jurisdiction, home) {
		add(fmt.Sprintf("stored in %s, outside %s (cross-border)", e.Jurisdiction, home), 10)
	}
	if e.Attributes["encrypted"] == "false" {
		add("stored unencrypted", 5)
	}
	if s.Score > 100 {
		s.Score = 100
	}
	return s
}

// Row is a score as the read index keeps it.
func (s Score) Row() store.RiskRow {
	r := store.RiskRow{AssetID: s.AssetID, AssetType: s.AssetType, Location: s.Location, Host: s.Host, Source: s.Source,
		Score: uint8(s.Score)}
	for _, f := range s.Factors {
		r.FactorNames = append(r.FactorNames, f.Name)
		r.FactorPoints = append(r.FactorPoints, uint8(f.Points))
	}
	return r
}

func fromRow(r store.RiskRow) Score {
	s := Score{AssetID: r.AssetID, AssetType: r.AssetType, Location: r.Location, Host: r.Host, Source: r.Source, Score: int(r.Score)}
	for i, n := range r.FactorNames {
		if i < len(r.FactorPoints) {
			s.Factors = append(s.Factors, Factor{Name: n, Points: int(r.FactorPoints[i])})
		}
	}
	return s
}

// Top returns the n highest-scored assets, highest first.
func Top(ctx context.Context, st Store, n int) ([]Score, error) {
	rows, err := st.TopRisks(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]Score, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// Of scores one asset, or reports it holds no current personal data.
func Of(ctx context.Context, st Store, assetID string) (Score, bool, error) {
	r, ok, err := st.RiskOf(ctx, assetID)
	if err != nil || !ok {
		return Score{}, false, err
	}
	return fromRow(r), true, nil
}
