package policy

import (
	"context"
	"fmt"

	agentpolicy "github.com/sightline-dev/sightline/agent/policy"
	"github.com/sightline-dev/sightline/collector/store"
)

// Change is a policy change to try: a create or update (Policy), or the
// deletion of Delete.
type Change struct {
	Policy *Input `json:"policy"`
	Delete string `json:"delete"`
}

// Reach is one agent a change reaches: it is selected by the changed
// policy before or after the change; Changes lists what its effective
// policy would gain, lose or change (empty when other policies with a
// higher priority decide every setting the change touches).
type Reach struct {
	AgentID  string               `json:"agent_id"`
	Hostname string               `json:"hostname"`
	Changes  []agentpolicy.Change `json:"changes"`
}

// DryRun answers which agents a change would reach and what would change
// for each, storing nothing. The change is validated as the real one is.
func (s *Service) DryRun(ctx context.Context, c Change) ([]Reach, error) {
	if (c.Policy == nil) == (c.Delete == "") {
		return nil, fmt.Errorf("%w: give exactly one of policy or delete", ErrInvalid)
	}
	before, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	var after []Policy
	var changed, was *Policy
	id := c.Delete
	if c.Policy != nil {
		p, err := Check(*c.Policy)
		if err != nil {
			return nil, err
		}
		changed, id = &p, p.ID
	}
	for i := range before {
		if before[i].ID == id {
			was = &before[i]
			continue
		}
		after = append(after, before[i])
	}
	if c.Delete != "" && was == nil {
		return nil, fmt.Errorf("%w: delete: no live policy %q", ErrInvalid, c.Delete)
	}
	if changed != nil {
		after = append(after, *changed)
	}
	sortPolicies(after)
	agents, err := s.labelledAgents(ctx)
	if err != nil {
		return nil, err
	}
	out := []Reach{}
	for _, a := range agents {
		l := a.labels
		if !(was != nil && Matches(was.Selector, l)) && !(changed != nil && Matches(changed.Selector, l)) {
			continue
		}
		b, _ := effective(before, l)
		n, _ := effective(after, l)
		ch := agentpolicy.Diff(b, n)
		if ch == nil {
			ch = []agentpolicy.Change{}
		}
		out = append(out, Reach{AgentID: a.ID, Hostname: a.Hostname, Changes: ch})
	}
	return out, nil
}

// labelledAgent is an enrolled agent with its labels.
type labelledAgent struct {
	store.Agent
	labels map[string]string
}

// labelledAgents lists every enrolled agent with its labels (nil when it
// has none), for matching selectors against.
func (s *Service) labelledAgents(ctx context.Context) ([]labelledAgent, error) {
	agents, err := s.o.Store.ListAgents(ctx)
	if err != nil {
		return nil, err
	}
	labels, err := s.o.Store.AllAgentLabels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]labelledAgent, len(agents))
	for i, a := range agents {
		out[i] = labelledAgent{Agent: a, labels: labels[a.ID].Labels}
	}
	return out, nil
}
