package api

import (
	"github.com/sightline-dev/sightline/collector/access"
	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
)

// The response bodies, one type per shape: every endpoint that returns a
// shape uses its type, so the same thing is named the same way everywhere
// (openapi.json documents them; openapi_test.go checks both agree).

// Page is a window of a longer list.
type Page[T any] struct {
	Items  []T    `json:"items"`
	Total  uint64 `json:"total"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
}

// List is a whole list and its length.
type List[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// Items is a list cut at the request's limit.
type Items[T any] struct {
	Items []T `json:"items"`
}

func listOf[T any](items []T) List[T] { return List[T]{Items: items, Total: len(items)} }

// StatusBody is the health endpoints' answer.
type StatusBody struct {
	Status string `json:"status"`
}

// PrincipalCore is what every view of a principal says.
type PrincipalCore struct {
	PrincipalID   string            `json:"principal_id"`
	Name          string            `json:"name"`
	PrincipalType string            `json:"principal_type"`
	Source        string            `json:"source"`
	Host          string            `json:"host"`
	Privileged    bool              `json:"privileged"`
	PrivilegedVia []string          `json:"privileged_via"`
	Attributes    map[string]string `json:"attributes"`
}

func principalCoreOf(p store.Principal) PrincipalCore {
	return PrincipalCore{PrincipalID: p.ID, Name: p.Name, PrincipalType: p.Type, Source: p.Source, Host: p.Host,
		Privileged: p.Privileged, PrivilegedVia: p.PrivilegedVia, Attributes: p.Attributes}
}

// AssetRef names an asset.
type AssetRef struct {
	AssetID   string `json:"asset_id"`
	AssetType string `json:"asset_type"`
	Location  string `json:"location"`
	Host      string `json:"host"`
}

func assetRefOf(a store.Asset) AssetRef {
	return AssetRef{AssetID: a.ID, AssetType: a.Type, Location: a.Location, Host: a.Host}
}

// Reader is a principal that can read an asset, and how.
type Reader = access.Reader

// Factor is one reason for a risk score, and its weight.
type Factor = risk.Factor

// Risk is a score with its factors.
type Risk struct {
	Score   int      `json:"score"`
	Factors []Factor `json:"factors"`
}

func riskOf(score int, fs []risk.Factor) Risk { return Risk{Score: score, Factors: nonNil(fs)} }

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
