package api

import (
	"time"

	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/store"
)

// Response bodies of the fleet: ingest, agents, tokens, authorities, audit.

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
	// Fleet control (responses_policy.go): labels, the policy the agent
	// runs (null: it never reported one), its latest commands.
	Labels   map[string]string `json:"labels"`
	Policy   *AgentPolicyState `json:"policy"`
	Commands []Command         `json:"commands"`
}

func agentOf(a fleet.Status) Agent {
	return Agent{AgentID: a.ID, Hostname: a.Hostname, OS: a.OS, Version: a.Version, EnrolledAt: a.EnrolledAt,
		LastSeen: a.LastSeen, Stale: a.Stale, Scans: each(a.Scans, scanOf),
		HostnameConflict: len(a.SameHostname) > 0, SameHostnameAgents: nonNil(a.SameHostname),
		Labels: labelsOf(a.Labels), Policy: policyStateOf(a.Policy), Commands: each(a.Commands, commandOf)}
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
