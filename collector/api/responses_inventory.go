package api

import (
	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/store"
)

// Response bodies of the inventory: findings, assets, the data map.

// FindingDetail is what was found in an asset.
type FindingDetail = store.FindingDetail

// Finding is a finding with the asset and scan it comes from.
type Finding = store.Finding

func findingDetailOf(f store.Finding) FindingDetail { return f.FindingDetail }

// Summary is the inventory's totals, by category and by type.
type Summary = store.Summary

// SummaryRow is one category's (or type's) totals.
type SummaryRow = store.SummaryRow

func summaryOf(s store.Summary) Summary {
	s.ByCategory, s.ByType = nonNil(s.ByCategory), nonNil(s.ByType)
	return s
}

// Asset is an asset as the API shows it: identity, attributes, and what
// personal data it holds and how many principals can read it.
type Asset = store.Asset

func assetOf(a store.Asset) Asset {
	a.Categories, a.Types = nonNil(a.Categories), nonNil(a.Types)
	return a
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
type System = datamap.System
