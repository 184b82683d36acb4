// Package datamap answers the privacy office's first question — what
// personal data, where, how much, under which jurisdiction, reachable by
// whom — as a summary by system and as a record-of-processing export.
package datamap

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/sightline-dev/sightline/collector/store"
)

// HostRule says a host name glob's jurisdiction.
type HostRule struct {
	Glob, Jurisdiction string
}

// Store is what the map needs.
type Store interface {
	DataMap(ctx context.Context) ([]store.MapRow, map[store.SystemKey]store.SystemTotals, error)
}

// System is one place personal data is kept: a host's file system, a
// database server, an SMB server's shares, an object store's bucket or
// container, with what it holds.
type System struct {
	System       string   `json:"system"`
	Source       string   `json:"source"`
	Jurisdiction string   `json:"jurisdiction"`
	Public       bool     `json:"public"`
	Categories   []string `json:"categories"`
	Types        []string `json:"types"`
	Assets       uint64   `json:"assets"`
	Occurrences  uint64   `json:"occurrences"`
	// DistinctAtMost bounds the people: at most this many distinct values.
	DistinctAtMost uint64 `json:"people_at_most"`
	// Access: assets anyone on the host (world-readable) or on the
	// internet (public) can read, and the most principals holding a read
	// grant on one asset.
	WorldReadableAssets uint64 `json:"world_readable_assets"`
	PublicAssets        uint64 `json:"public_assets"`
	MaxReaders          uint64 `json:"max_readers"`
}

// Map returns one row per system, biggest first by occurrences. The
// jurisdictions are those the read index resolved at build (an asset's
// own, its bucket's, else its host's by the collector's rules, which the
// indexer applies).
func Map(ctx context.Context, st Store) ([]System, error) {
	rows, totals, err := st.DataMap(ctx)
	if err != nil {
		return nil, err
	}
	bySystem := map[string]*System{}
	cats := map[string]map[string]bool{}
	types := map[string]map[string]bool{}
	var order []string
	for _, r := range rows {
		// An object store's container is its own system, named by its
		// location (s3://B, gs://B, azblob://ACCOUNT/CONTAINER), which
		// no host's name can equal.
		key, sys := r.Source+"\x00"+r.Host, r.Host
		if r.Bucket != "" {
			key, sys = r.Bucket, r.Bucket
		}
		tot := totals[store.SystemKey{Source: r.Source, Host: r.Host, Bucket: r.Bucket}]
		s := bySystem[key]
		if s == nil {
			jur := tot.Jurisdiction
			if jur == "" {
				jur = "unknown"
			}
			s = &System{System: sys, Source: r.Source, Jurisdiction: jur, Public: tot.PublicBucket}
			bySystem[key] = s
			cats[key], types[key] = map[string]bool{}, map[string]bool{}
			order = append(order, key)
		}
		cats[key][r.Category], types[key][r.Type] = true, true
		s.Occurrences += r.Occurrences
		s.DistinctAtMost += r.Distinct
		s.Assets, s.WorldReadableAssets, s.PublicAssets, s.MaxReaders = tot.Assets, tot.WorldReadable, tot.Public, tot.MaxReaders
	}
	out := make([]System, 0, len(order))
	for _, k := range order {
		s := bySystem[k]
		s.Categories, s.Types = keys(cats[k]), keys(types[k])
		out = append(out, *s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Occurrences > out[j].Occurrences })
	return out, nil
}

// HostJurisdiction is the jurisdiction of the first rule whose glob
// matches host, or "".
func HostJurisdiction(host string, rules []HostRule) string {
	for _, r := range rules {
		if ok, _ := path.Match(r.Glob, host); ok {
			return r.Jurisdiction
		}
	}
	return ""
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Filter narrows the data map's systems; empty fields do not filter.
type Filter struct {
	Source, Jurisdiction, Category, Type string
	Public                               *bool
}

// Apply keeps the systems matching f, in their order.
func (f Filter) Apply(systems []System) []System {
	has := func(vs []string, v string) bool {
		for _, x := range vs {
			if x == v {
				return true
			}
		}
		return false
	}
	out := systems[:0:0]
	for _, s := range systems {
		switch {
		case f.Source != "" && s.Source != f.Source,
			f.Jurisdiction != "" && !strings.EqualFold(s.Jurisdiction, f.Jurisdiction),
			f.Category != "" && !has(s.Categories, f.Category),
			f.Type != "" && !has(s.Types, f.Type),
			f.Public != nil && s.Public != *f.Public:
			continue
		}
		out = append(out, s)
	}
	return out
}
