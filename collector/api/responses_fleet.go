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
	store.Agent
	Stale              bool     `json:"stale"`
	Scans              []Scan   `json:"scans"`
	HostnameConflict   bool     `json:"hostname_conflict"`
	SameHostnameAgents []string `json:"same_hostname_agents"`
	SpeaksForHost      bool     `json:"speaks_for_host"`
	// Fleet control (responses_policy.go): labels, the policy the agent
	// runs (null: it never reported one), its latest commands.
	Labels   map[string]string   `json:"labels"`
	Policy   *store.PolicyStatus `json:"policy"`
	Commands []Command           `json:"commands"`
}

func agentOf(a fleet.Status) Agent {
	return Agent{Agent: a.Agent, Stale: a.Stale, Scans: nonNil(a.Scans),
		HostnameConflict: len(a.SameHostname) > 0, SameHostnameAgents: nonNil(a.SameHostname), SpeaksForHost: a.SpeaksForHost,
		Labels: labelsOf(a.Labels), Policy: policyStateOf(a.Policy), Commands: each(a.Commands, commandOf)}
}

// Scan is the latest scan of one scanner.
type Scan = store.ScanSummary

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
type Authority = store.Authority

// AuthorityMoved answers a change of authority.
type AuthorityMoved struct {
	Source          string `json:"source"`
	Scope           string `json:"scope"`
	AgentID         string `json:"agent_id"`
	PreviousAgentID string `json:"previous_agent_id"`
}

// AuditEntry is one audited call.
type AuditEntry = store.AuditEntry
