package api

import (
	agentpolicy "github.com/sightline-dev/sightline/agent/policy"
	"github.com/sightline-dev/sightline/collector/policy"
	"github.com/sightline-dev/sightline/collector/store"
)

// Response bodies of fleet control: policies, dry runs, labels, commands,
// and what agents fetch.

// Policy is one revision of a scan policy (collector/policy defines it),
// with an empty selector and settings shown as {} rather than null.
type Policy = policy.Policy

func policyOf(p policy.Policy) Policy {
	if p.Selector == nil {
		p.Selector = map[string]string{}
	}
	if p.Settings == nil {
		p.Settings = agentpolicy.Settings{}
	}
	return p
}

// DryRunResult lists the agents a change would reach, and what changes
// for each (policy.Reach).
type DryRunResult struct {
	DryRun bool           `json:"dry_run"`
	Agents []policy.Reach `json:"agents"`
}

// AgentLabels answers a change of labels.
type AgentLabels struct {
	AgentID string            `json:"agent_id"`
	Labels  map[string]string `json:"labels"`
}

// Command is a command to one agent and its state; scan is the only
// action.
type Command struct {
	store.Command
	Action string `json:"action"`
}

func commandOf(c store.Command) Command { return Command{Command: c, Action: "scan"} }

// policyStateOf is what an agent last reported about its policy, as the
// fleet view shows it (null: it never reported one).
func policyStateOf(p *store.PolicyStatus) *store.PolicyStatus {
	if p == nil {
		return nil
	}
	out := *p
	out.Conflicts = nonNil(p.Conflicts)
	return &out
}

func labelsOf(l map[string]string) map[string]string {
	if l == nil {
		return map[string]string{}
	}
	return l
}
