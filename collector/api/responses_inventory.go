package api

import (
	"time"

	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/store"
)

// Response bodies of the inventory: findings, assets, the data map.

// FindingDetail is what was found in an asset.
type FindingDetail struct {
	Type       string    `json:"type"`
	Category   string    `json:"category"`
	Confidence string    `json:"confidence"`
	Count      uint64    `json:"count"`
	Distinct   uint64    `json:"distinct"`
	Samples    []string  `json:"samples"`
	Where      []string  `json:"where"`
	ObservedAt time.Time `json:"observed_at"`
}

// Finding is a finding with the asset and scan it comes from.
type Finding struct {
	AssetID  string `json:"asset_id"`
	Location string `json:"location"`
	Host     string `json:"host"`
	Source   string `json:"source"`
	AgentID  string `json:"agent_id"`
	ScanID   string `json:"scan_id"`
	FindingDetail
}

func findingDetailOf(f store.Finding) FindingDetail {
	return FindingDetail{Type: f.Type, Category: f.Category, Confidence: f.Confidence, Count: f.Count,
		Distinct: f.Distinct, Samples: f.Samples, Where: f.Locations, ObservedAt: f.ObservedAt}
}

func findingOf(f store.Finding) Finding {
	return Finding{AssetID: f.AssetID, Location: f.Location, Host: f.Host, Source: f.Source, AgentID: f.AgentID,
		ScanID: f.ScanID, FindingDetail: findingDetailOf(f)}
}

// Summary is the inventory's totals.
type Summary struct {
	Assets     uint64       `json:"assets"`
	Hosts      uint64       `json:"hosts"`
	ByCategory []SummaryRow `json:"by_category"`
	ByType     []SummaryRow `json:"by_type"`
}

// SummaryRow is one category's (or type's) totals.
type SummaryRow struct {
	Category    string `json:"category"`
	Type        string `json:"type,omitempty"`
	Assets      uint64 `json:"assets"`
	Findings    uint64 `json:"findings"`
	Occurrences uint64 `json:"occurrences"`
}

func summaryRowOf(r store.SummaryRow) SummaryRow {
	return SummaryRow{Category: r.Category, Type: r.Type, Assets: r.Assets, Findings: r.Findings, Occurrences: r.Occurrences}
}

// Asset is an asset as the API shows it: identity, attributes, and what
// personal data it holds (types, occurrences, at most how many distinct
// values) and how many principals hold a read grant.
type Asset struct {
	AssetID      string            `json:"asset_id"`
	AssetType    string            `json:"asset_type"`
	Location     string            `json:"location"`
	Host         string            `json:"host"`
	Source       string            `json:"source"`
	Owner        string            `json:"owner"`
	Size         int64             `json:"size"`
	ModifiedAt   *time.Time        `json:"modified_at,omitempty"`
	Attributes   map[string]string `json:"attributes"`
	Categories   []string          `json:"categories"`
	Types        []string          `json:"types"`
	Occurrences  uint64            `json:"occurrences"`
	PeopleAtMost uint64            `json:"people_at_most"`
	Readers      uint64            `json:"readers"`
}

func assetOf(a store.Asset) Asset {
	return Asset{AssetID: a.ID, AssetType: a.Type, Location: a.Location, Host: a.Host, Source: a.Source, Owner: a.Owner,
		Size: a.Size, ModifiedAt: a.ModifiedAt, Attributes: a.Attributes, Categories: nonNil(a.Categories),
		Types: nonNil(a.Types), Occurrences: a.Occurrences, PeopleAtMost: a.DistinctAtMost, Readers: a.Readers}
}

// AssetDetail is one asset with its findings, readers and risk. Its
// "readers" is the list of readers, where the asset list has their count.
type AssetDetail struct {
	Asset
	Readers  []Reader        `json:"readers"`
	Findings []FindingDetail `json:"findings"`
	Risk     *Risk           `json:"risk,omitempty"`
}

// AssetRisk is a scored asset.
type AssetRisk struct {
	AssetID   string `json:"asset_id"`
	Location  string `json:"location"`
	Host      string `json:"host"`
	Source    string `json:"source"`
	AssetType string `json:"asset_type"`
	Risk
}

// DataMap is the data map by system.
type DataMap struct {
	Systems []System `json:"systems"`
}

// System is one row of the data map: a host's files or a bucket.
type System struct {
	System              string   `json:"system"`
	Source              string   `json:"source"`
	Jurisdiction        string   `json:"jurisdiction"`
	Public              bool     `json:"public"`
	Categories          []string `json:"categories"`
	Types               []string `json:"types"`
	Assets              uint64   `json:"assets"`
	Occurrences         uint64   `json:"occurrences"`
	PeopleAtMost        uint64   `json:"people_at_most"`
	WorldReadableAssets uint64   `json:"world_readable_assets"`
	PublicAssets        uint64   `json:"public_assets"`
	MaxReaders          uint64   `json:"max_readers"`
}

func systemOf(m datamap.System) System {
	return System{System: m.System, Source: m.Source, Jurisdiction: m.Jurisdiction, Public: m.Public,
		Categories: m.Categories, Types: m.Types, Assets: m.Assets, Occurrences: m.Occurrences,
		PeopleAtMost: m.DistinctAtMost, WorldReadableAssets: m.WorldReadableAssets, PublicAssets: m.PublicAssets,
		MaxReaders: m.MaxReaders}
}
