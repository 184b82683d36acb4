package api

import (
	"encoding/json"
	"time"

	"github.com/sightline-dev/sightline/collector/pia"
	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
)

// Response bodies of access: principals, readers, reviews, the risk register.

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
type Entitlement = store.Entitlement

// AssetReaders answers "who can read file Y".
type AssetReaders struct {
	AssetID  string   `json:"asset_id"`
	Location string   `json:"location"`
	Host     string   `json:"host"`
	Owner    string   `json:"owner"`
	Readers  []Reader `json:"readers"`
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
	// Link is where a PIA item is read (kind pia only).
	Link *string `json:"link,omitempty"`
}

func registerItemOf(it risk.RegisterItem) RegisterItem {
	out := RegisterItem{Kind: it.Kind, ID: it.ID, Title: it.Title, Host: it.Host, Source: it.Source,
		Risk: riskOf(it.Score, it.Factors), Owner: it.Owner, Status: it.Status}
	title := it.Title
	if it.Kind == risk.KindAsset {
		out.Location = &title
	} else if it.Kind == risk.KindPrincipal {
		out.Name = &title
	} else if it.Kind == pia.RegisterKind {
		link := "/api/v1/pias/" + it.ID
		out.Link = &link
	}
	if it.ChangedAt != nil {
		by, comment := it.ChangedBy, it.Comment
		out.ChangedBy, out.ChangedAt, out.Comment = &by, it.ChangedAt, &comment
	}
	return out
}

// RegisterEntry is one change of a register item.
type RegisterEntry = store.RegisterEntry

// RegisterHistory is an item's changes, oldest first.
type RegisterHistory struct {
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	History []RegisterEntry `json:"history"`
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
type ReviewItem = store.ReviewItem

// Decided answers a decision.
type Decided struct {
	ItemID   string `json:"item_id"`
	Decision string `json:"decision"`
}
