package api

import (
	"time"

	agentpolicy "github.com/sightline-dev/sightline/agent/policy"
	"github.com/sightline-dev/sightline/collector/policy"
	"github.com/sightline-dev/sightline/collector/store"
)

// Response bodies of fleet control: policies, dry runs, labels, commands,
// and what agents fetch.

// Policy is one revision of a scan policy.
type Policy struct {
	ID          string               `json:"id"`
	Description string               `json:"description"`
	Revision    uint32               `json:"revision"`
	Selector    map[string]string    `json:"selector"`
	Priority    int32                `json:"priority"`
	Settings    agentpolicy.Settings `json:"settings"`
	Deleted     bool                 `json:"deleted"`
	ChangedBy   string               `json:"changed_by"`
	ChangedAt   time.Time            `json:"changed_at"`
}

func policyOf(p policy.Policy) Policy {
	sel := p.Selector
	if sel == nil {
		sel = map[string]string{}
	}
	set := p.Settings
	if set == nil {
		set = agentpolicy.Settings{}
	}
	return Policy{ID: p.ID, Description: p.Description, Revision: p.Revision, Selector: sel, Priority: p.Priority,
		Settings: set, Deleted: p.Deleted, ChangedBy: p.ChangedBy, ChangedAt: p.ChangedAt}
}

// DryRunResult lists the agents a change would reach.
type DryRunResult struct {
	DryRun bool         `json:"dry_run"`
	Agents []AgentReach `json:"agents"`
}

// AgentReach is one agent a change reaches and what changes for it.
type AgentReach struct {
	AgentID  string          `json:"agent_id"`
	Hostname string          `json:"hostname"`
	Changes  []SettingChange `json:"changes"`
}

// SettingChange is one setting before and after (JSON text; "" unset).
type SettingChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

func reachOf(r policy.Reach) AgentReach {
	return AgentReach{AgentID: r.AgentID, Hostname: r.Hostname, Changes: each(r.Changes, func(c agentpolicy.Change) SettingChange {
		return SettingChange{Field: c.Field, Before: c.Before, After: c.After}
	})}
}

// AgentLabels answers a change of labels.
type AgentLabels struct {
	AgentID string            `json:"agent_id"`
	Labels  map[string]string `json:"labels"`
}

// Command is a command to one agent and its state.
type Command struct {
	CommandID   string    `json:"command_id"`
	AgentID     string    `json:"agent_id"`
	Action      string    `json:"action"`
	Scanner     string    `json:"scanner"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	Status      string    `json:"status"`
	ScanID      string    `json:"scan_id"`
	Message     string    `json:"message"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func commandOf(c store.Command) Command {
	return Command{CommandID: c.ID, AgentID: c.AgentID, Action: "scan", Scanner: c.Scanner, RequestedBy: c.RequestedBy,
		RequestedAt: c.RequestedAt, Status: c.Status, ScanID: c.ScanID, Message: c.Message, UpdatedAt: c.UpdatedAt}
}

// AgentPolicyState is what an agent last reported about its policy, as
// the fleet view shows it.
type AgentPolicyState struct {
	ETag           string     `json:"etag"`
	Revisions      string     `json:"revisions"`
	AppliedAt      *time.Time `json:"applied_at"`
	RejectedETag   string     `json:"rejected_etag"`
	RejectedReason string     `json:"rejected_reason"`
	RejectedAt     *time.Time `json:"rejected_at"`
	Conflicts      []string   `json:"conflicts"`
	ReportedAt     time.Time  `json:"reported_at"`
}

func policyStateOf(p *store.PolicyStatus) *AgentPolicyState {
	if p == nil {
		return nil
	}
	return &AgentPolicyState{ETag: p.ETag, Revisions: p.Revisions, AppliedAt: p.AppliedAt, RejectedETag: p.RejectedETag,
		RejectedReason: p.RejectedReason, RejectedAt: p.RejectedAt, Conflicts: nonNil(p.Conflicts), ReportedAt: p.ReportedAt}
}

// EffectivePolicy is what an agent fetches.
type EffectivePolicy struct {
	ETag      string               `json:"etag"`
	Revisions string               `json:"revisions"`
	Settings  agentpolicy.Settings `json:"settings"`
	Commands  []AgentCommand       `json:"commands"`
}

// AgentCommand is a pending command as the agent receives it.
type AgentCommand struct {
	ID      string `json:"id"`
	Action  string `json:"action"`
	Scanner string `json:"scanner"`
}

func effectiveOf(e policy.Effective) EffectivePolicy {
	return EffectivePolicy{ETag: e.ETag, Revisions: e.Revisions, Settings: e.Settings, Commands: each(e.Commands, func(c policy.AgentCommand) AgentCommand {
		return AgentCommand{ID: c.ID, Action: c.Action, Scanner: c.Scanner}
	})}
}

func labelsOf(l map[string]string) map[string]string {
	if l == nil {
		return map[string]string{}
	}
	return l
}
