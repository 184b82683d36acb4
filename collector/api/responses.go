package api

import (
	"encoding/json"
	"time"

	"github.com/sightline-dev/sightline/collector/access"
	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/fleet"
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

// IngestResult is the answer to an agent batch.
type IngestResult struct {
	Accepted  int  `json:"accepted"`
	Duplicate bool `json:"duplicate,omitempty"`
}

// Agent is an enrolled agent with its staleness and latest scans.
type Agent struct {
	AgentID            string    `json:"agent_id"`
	Hostname           string    `json:"hostname"`
	OS                 string    `json:"os"`
	Version            string    `json:"version"`
	EnrolledAt         time.Time `json:"enrolled_at"`
	LastSeen           time.Time `json:"last_seen"`
	Stale              bool      `json:"stale"`
	Scans              []Scan    `json:"scans"`
	HostnameConflict   bool      `json:"hostname_conflict"`
	SameHostnameAgents []string  `json:"same_hostname_agents"`
}

func agentOf(a fleet.Status) Agent {
	return Agent{AgentID: a.ID, Hostname: a.Hostname, OS: a.OS, Version: a.Version, EnrolledAt: a.EnrolledAt,
		LastSeen: a.LastSeen, Stale: a.Stale, Scans: each(a.Scans, scanOf),
		HostnameConflict: len(a.SameHostname) > 0, SameHostnameAgents: nonNil(a.SameHostname)}
}

// Scan is the latest scan of one scanner.
type Scan struct {
	Scanner    string           `json:"scanner"`
	Source     string           `json:"source"`
	ScanID     string           `json:"scan_id"`
	Status     string           `json:"status"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt time.Time        `json:"finished_at"`
	Stats      map[string]int64 `json:"stats"`
	ErrorCount uint64           `json:"error_count"`
	Errors     []string         `json:"errors"`
}

func scanOf(sc store.ScanSummary) Scan {
	return Scan{Scanner: sc.Scanner, Source: sc.Source, ScanID: sc.ScanID, Status: sc.Status, StartedAt: sc.StartedAt,
		FinishedAt: sc.FinishedAt, Stats: sc.Stats, ErrorCount: sc.ErrorCount, Errors: sc.Errors}
}

// Token is a token as listings show it: never the token, nor its full
// hash, only the id (the hash prefix the audit log uses too).
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	AgentID   string     `json:"agent_id"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"` // null: never expires
	Revoked   bool       `json:"revoked"`
	Live      bool       `json:"live"`
	MaxUses   uint32     `json:"max_uses"`
}

// NewToken is a token just issued: the only answer that carries it.
type NewToken struct {
	Token
	Secret string `json:"token"`
}

// Authority is the agent that speaks for a shared source.
type Authority struct {
	Source  string    `json:"source"`
	Scope   string    `json:"scope"`
	AgentID string    `json:"agent_id"`
	SetBy   string    `json:"set_by"`
	SetAt   time.Time `json:"set_at"`
}

func authorityOf(a store.Authority) Authority {
	return Authority{Source: a.Source, Scope: a.Scope, AgentID: a.AgentID, SetBy: a.SetBy, SetAt: a.SetAt}
}

// AuthorityMoved answers a change of authority.
type AuthorityMoved struct {
	Source          string `json:"source"`
	Scope           string `json:"scope"`
	AgentID         string `json:"agent_id"`
	PreviousAgentID string `json:"previous_agent_id"`
}

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

// Principal is an account or group as the principal list shows it.
type Principal struct {
	PrincipalCore
	AgentID    string    `json:"agent_id"`
	ObservedAt time.Time `json:"observed_at"`
	// LastLogin and MFA are null when the source does not say; Enabled and
	// PasswordLastSet are left out then.
	LastLogin       *time.Time `json:"last_login"`
	MFA             *bool      `json:"mfa"`
	Stale           bool       `json:"stale"`
	Hygiene         []string   `json:"hygiene"`
	Enabled         *bool      `json:"enabled,omitempty"`
	PasswordLastSet *time.Time `json:"password_last_set,omitempty"`
}

func principalOf(p store.Principal) Principal {
	return Principal{PrincipalCore: principalCoreOf(p), AgentID: p.AgentID, ObservedAt: p.ObservedAt,
		LastLogin: p.LastLogin, MFA: p.MFA, Stale: p.Stale, Hygiene: p.Hygiene, Enabled: p.Enabled,
		PasswordLastSet: p.PasswordLastSet}
}

// PrincipalDetail is one principal, what it holds and what it can read.
type PrincipalDetail struct {
	PrincipalCore
	Entitlements []Entitlement `json:"entitlements"`
	Reachable    []AssetRef    `json:"reachable_assets_with_pii"`
}

// Entitlement is a permission a principal holds directly.
type Entitlement struct {
	ResourceID   string   `json:"resource_id"`
	ResourceType string   `json:"resource_type"`
	Permission   string   `json:"permission"`
	Via          []string `json:"via"`
	Privileged   bool     `json:"privileged"`
}

func entitlementOf(e store.Entitlement) Entitlement {
	return Entitlement{ResourceID: e.ResourceID, ResourceType: e.ResourceType, Permission: e.Permission, Via: e.Via,
		Privileged: e.Privileged}
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
type Reader struct {
	PrincipalID   string   `json:"principal_id"`
	Name          string   `json:"name"`
	PrincipalType string   `json:"principal_type"`
	Privileged    bool     `json:"privileged"`
	Via           []string `json:"via"`
}

func readerOf(r access.Reader) Reader {
	return Reader{PrincipalID: r.PrincipalID, Name: r.Name, PrincipalType: r.Type, Privileged: r.Privileged, Via: r.Via}
}

// AssetReaders answers "who can read file Y".
type AssetReaders struct {
	AssetID  string   `json:"asset_id"`
	Location string   `json:"location"`
	Host     string   `json:"host"`
	Owner    string   `json:"owner"`
	Readers  []Reader `json:"readers"`
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

// Factor is one reason for a risk score, and its weight.
type Factor struct {
	Factor string `json:"factor"`
	Points int    `json:"points"`
}

func factorOf(f risk.Factor) Factor { return Factor{Factor: f.Name, Points: f.Points} }

// Risk is a score with its factors.
type Risk struct {
	Score   int      `json:"score"`
	Factors []Factor `json:"factors"`
}

func riskOf(score int, fs []risk.Factor) Risk { return Risk{Score: score, Factors: each(fs, factorOf)} }

// AssetRisk is a scored asset.
type AssetRisk struct {
	AssetID   string `json:"asset_id"`
	Location  string `json:"location"`
	Host      string `json:"host"`
	Source    string `json:"source"`
	AssetType string `json:"asset_type"`
	Risk
}

// PrincipalRisk is a scored principal.
type PrincipalRisk struct {
	PrincipalID   string `json:"principal_id"`
	Name          string `json:"name"`
	PrincipalType string `json:"principal_type"`
	Source        string `json:"source"`
	Host          string `json:"host"`
	Risk
}

// RegisterItem is one risk of the register. Location (assets) or Name
// (principals) repeats the title; the change fields are there once the
// item has been changed.
type RegisterItem struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Title  string `json:"title"`
	Host   string `json:"host"`
	Source string `json:"source"`
	Risk
	Owner     string     `json:"owner"`
	Status    string     `json:"status"`
	Location  *string    `json:"location,omitempty"`
	Name      *string    `json:"name,omitempty"`
	ChangedBy *string    `json:"changed_by,omitempty"`
	ChangedAt *time.Time `json:"changed_at,omitempty"`
	Comment   *string    `json:"comment,omitempty"`
}

func registerItemOf(it risk.RegisterItem) RegisterItem {
	out := RegisterItem{Kind: it.Kind, ID: it.ID, Title: it.Title, Host: it.Host, Source: it.Source,
		Risk: riskOf(it.Score, it.Factors), Owner: it.Owner, Status: it.Status}
	title := it.Title
	if it.Kind == risk.KindAsset {
		out.Location = &title
	} else {
		out.Name = &title
	}
	if it.ChangedAt != nil {
		by, comment := it.ChangedBy, it.Comment
		out.ChangedBy, out.ChangedAt, out.Comment = &by, it.ChangedAt, &comment
	}
	return out
}

// RegisterEntry is one change of a register item.
type RegisterEntry struct {
	Kind      string    `json:"kind"`
	ID        string    `json:"id"`
	Owner     string    `json:"owner"`
	Status    string    `json:"status"`
	Comment   string    `json:"comment"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

func registerEntryOf(e store.RegisterEntry) RegisterEntry {
	return RegisterEntry{Kind: e.Kind, ID: e.ItemID, Owner: e.Owner, Status: e.Status, Comment: e.Comment,
		ChangedBy: e.ChangedBy, ChangedAt: e.ChangedAt}
}

// RegisterHistory is an item's changes, oldest first.
type RegisterHistory struct {
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	History []RegisterEntry `json:"history"`
}

// DataMap is the data map by system.
type DataMap struct {
	Systems []System `json:"systems"`
}

// System is one row of the data map: a host's files or a bucket.
// Records repeats Occurrences under its old name, for clients written
// before the rename (the e2e suite reads it); it will be removed.
type System struct {
	System              string   `json:"system"`
	Source              string   `json:"source"`
	Jurisdiction        string   `json:"jurisdiction"`
	Public              bool     `json:"public"`
	Categories          []string `json:"categories"`
	Types               []string `json:"types"`
	Assets              uint64   `json:"assets"`
	Occurrences         uint64   `json:"occurrences"`
	Records             uint64   `json:"records"`
	PeopleAtMost        uint64   `json:"people_at_most"`
	WorldReadableAssets uint64   `json:"world_readable_assets"`
	PublicAssets        uint64   `json:"public_assets"`
	MaxReaders          uint64   `json:"max_readers"`
}

func systemOf(m datamap.System) System {
	return System{System: m.System, Source: m.Source, Jurisdiction: m.Jurisdiction, Public: m.Public,
		Categories: m.Categories, Types: m.Types, Assets: m.Assets, Occurrences: m.Occurrences, Records: m.Occurrences,
		PeopleAtMost: m.DistinctAtMost, WorldReadableAssets: m.WorldReadableAssets, PublicAssets: m.PublicAssets,
		MaxReaders: m.MaxReaders}
}

// AuditEntry is one audited call.
type AuditEntry struct {
	At        time.Time `json:"at"`
	TokenName string    `json:"token_name"`
	TokenRole string    `json:"token_role"`
	TokenID   string    `json:"token_id"`
	Method    string    `json:"method"`
	Route     string    `json:"route"`
	Params    string    `json:"params"`
	Status    int       `json:"status"`
	Result    string    `json:"result"`
}

func auditEntryOf(e store.AuditEntry) AuditEntry {
	return AuditEntry{At: e.At, TokenName: e.TokenName, TokenRole: e.TokenRole, TokenID: e.TokenID, Method: e.Method,
		Route: e.Route, Params: e.Params, Status: e.Status, Result: e.Result}
}

// CampaignCreated answers a new review campaign.
type CampaignCreated struct {
	CampaignID string    `json:"campaign_id"`
	Name       string    `json:"name"`
	Items      int       `json:"items"`
	Due        time.Time `json:"due"`
}

// CampaignStatus is a campaign's header and progress.
type CampaignStatus struct {
	CampaignID   string          `json:"campaign_id"`
	Name         string          `json:"name"`
	Scope        json.RawMessage `json:"scope"`
	Due          time.Time       `json:"due"`
	CreatedBy    string          `json:"created_by"`
	Items        int             `json:"items"`
	Pending      int             `json:"pending"`
	Decided      map[string]int  `json:"decided"`
	StillPresent []StillPresent  `json:"revoked_but_still_present"`
}

// StillPresent is an item decided "revoke" whose grant the latest scans
// still see.
type StillPresent struct {
	ItemID     string    `json:"item_id"`
	Principal  string    `json:"principal"`
	ResourceID string    `json:"resource_id"`
	Permission string    `json:"permission"`
	RevokedBy  string    `json:"revoked_by"`
	RevokedAt  time.Time `json:"revoked_at"`
}

// ReviewItem is one grant under review.
type ReviewItem struct {
	ItemID         string   `json:"item_id"`
	PrincipalID    string   `json:"principal_id"`
	Principal      string   `json:"principal"`
	ResourceID     string   `json:"resource_id"`
	ResourceType   string   `json:"resource_type"`
	Permission     string   `json:"permission"`
	Via            []string `json:"via"`
	Privileged     bool     `json:"privileged"`
	Reviewer       string   `json:"reviewer"`
	ReviewerSource string   `json:"reviewer_source"`
	Decision       string   `json:"decision"`
	Comment        string   `json:"comment"`
}

func reviewItemOf(it store.ReviewItem) ReviewItem {
	return ReviewItem{ItemID: it.ItemID, PrincipalID: it.PrincipalID, Principal: it.PrincipalName, ResourceID: it.ResourceID,
		ResourceType: it.ResourceType, Permission: it.Permission, Via: it.Via, Privileged: it.Privileged,
		Reviewer: it.Reviewer, ReviewerSource: it.ReviewerSource, Decision: it.Decision, Comment: it.Comment}
}

// Decided answers a decision.
type Decided struct {
	ItemID   string `json:"item_id"`
	Decision string `json:"decision"`
}

// SubjectSearch answers a data-subject request; matches name identifiers
// by their index in the request, never by value.
type SubjectSearch struct {
	Matches []SubjectMatch `json:"matches"`
	Total   int            `json:"total"`
	Note    string         `json:"note"`
}

// SubjectMatch is an asset that holds some of the identifiers.
type SubjectMatch struct {
	Identifiers []int     `json:"identifiers"`
	AssetID     string    `json:"asset_id"`
	Location    string    `json:"location"`
	Host        string    `json:"host"`
	Source      string    `json:"source"`
	Type        string    `json:"type"`
	Count       uint64    `json:"count"`
	LastSeen    time.Time `json:"last_seen"`
}

// Impact answers "what personal data did this expose?". Records repeats
// Occurrences (here and in each type) under its old name, for clients
// written before the rename (the e2e suite reads it); it will be removed.
type Impact struct {
	Types       []ImpactType `json:"types"`
	Occurrences uint64       `json:"occurrences"`
	Records     uint64       `json:"records"`
	Rules       []Rule       `json:"notification_rules"`
}

// ImpactType is the exposure of one data type.
type ImpactType struct {
	Category         string   `json:"category"`
	Type             string   `json:"type"`
	Assets           uint64   `json:"assets"`
	Hosts            uint64   `json:"hosts"`
	Occurrences      uint64   `json:"occurrences"`
	Records          uint64   `json:"records"`
	PeopleAtLeast    uint64   `json:"people_at_least"`
	PeopleAtMost     uint64   `json:"people_at_most"`
	IssuingCountries []string `json:"issuing_countries,omitempty"`
}

// Rule is a notification rule that may apply, and why.
type Rule struct {
	Name    string `json:"name"`
	Action  string `json:"action"`
	Because string `json:"because"`
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
