// Package policy is fleet control on the collector: scan policies that
// admins define and agents fetch, agents' labels that select them, what
// each agent reports having applied, and commands ("scan now").
//
// A policy has an id, a selector (labels an agent must all carry; empty:
// every agent), a priority, and settings shaped like agent.yaml's scans
// section (validated by agent/policy, the agent's own definition). An
// agent's effective policy is the settings of every policy that selects
// it, merged in ascending priority, then id: a higher priority wins a
// setting both name. On the agent, the order is: built-in defaults <
// agent.yaml < effective policy < agent.yaml's pinned settings.
//
// Every change is a new revision (kept: the history is the audit of who
// changed what). Agents fetch with an ETag, so an unchanged policy costs
// a 304; the ETag covers pending commands too, so a "scan now" changes it.
package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	agentpolicy "github.com/sightline-dev/sightline/agent/policy"
	"github.com/sightline-dev/sightline/collector/revision"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/pii"
)

// ErrInvalid marks a policy, label set or command the collector refuses;
// the message names the field.
var ErrInvalid = errors.New("invalid request")

// ErrExists is a create for an id that is taken.
var ErrExists = errors.New("a policy with this id exists; change it with PUT /api/v1/policies/{id}")

// Store is the part of the store policies use.
type Store interface {
	PutPolicyRevision(ctx context.Context, p store.PolicyRevision) error
	PolicyRevisions(ctx context.Context, id string) ([]store.PolicyRevision, error)
	PutAgentLabels(ctx context.Context, l store.AgentLabels) error
	AllAgentLabels(ctx context.Context) (map[string]store.AgentLabels, error)
	PutPolicyStatus(ctx context.Context, p store.PolicyStatus) error
	PolicyStatuses(ctx context.Context, agentID string) (map[string]store.PolicyStatus, error)
	PutCommands(ctx context.Context, cs []store.Command) error
	Commands(ctx context.Context, agentID string, limit int) ([]store.Command, error)
	ListAgents(ctx context.Context) ([]store.Agent, error)
	GetAgent(ctx context.Context, id string) (store.Agent, error)
	LatestScans(ctx context.Context, agentID string) ([]store.ScanSummary, error)
}

// Options configures a Service.
type Options struct {
	Store Store
	Now   func() time.Time
	// Detectors gives the organisation's custom detectors
	// (collector/detectors); every agent's effective policy carries them
	// as its scans.detectors, so a change of definitions changes the ETag
	// and agents pick it up at their next poll. Nil: none.
	Detectors func(ctx context.Context) ([]pii.Definition, error)
}

// Service holds policies, labels, statuses and commands.
type Service struct {
	o     Options
	chain revision.Chain[store.PolicyRevision, Policy]
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{o: o, chain: revision.Chain[store.PolicyRevision, Policy]{
		What: "policy", Load: o.Store.PolicyRevisions, Of: fromRevision,
		Deleted: func(r store.PolicyRevision) bool { return r.Deleted },
		ID:      func(r store.PolicyRevision) string { return r.ID },
	}}
}

// Policy is the current revision of a policy.
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

// Input is a policy as an admin writes it.
type Input struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	Selector    map[string]string `json:"selector"`
	Priority    int32             `json:"priority"`
	Settings    json.RawMessage   `json:"settings"`
}

var policyID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// Check validates an input, naming the field, and returns the policy it
// would be (revision and authorship not set).
func Check(in Input) (Policy, error) {
	if !policyID.MatchString(in.ID) {
		return Policy{}, fmt.Errorf("%w: id: use lower-case letters, digits, - and _ (at most 63, starting with a letter or digit)", ErrInvalid)
	}
	if len(in.Description) > 1024 {
		return Policy{}, fmt.Errorf("%w: description: at most 1024 bytes", ErrInvalid)
	}
	if err := CheckLabels("selector", in.Selector); err != nil {
		return Policy{}, err
	}
	if len(in.Settings) == 0 {
		return Policy{}, fmt.Errorf("%w: settings: required (an object shaped like agent.yaml's scans section)", ErrInvalid)
	}
	s, err := agentpolicy.Parse(in.Settings)
	if err == nil {
		err = agentpolicy.Check(s)
	}
	if err != nil {
		return Policy{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	sel := in.Selector
	if sel == nil {
		sel = map[string]string{}
	}
	return Policy{ID: in.ID, Description: in.Description, Selector: sel, Priority: in.Priority, Settings: s}, nil
}

func fromRevision(r store.PolicyRevision) Policy {
	s, err := agentpolicy.Parse([]byte(r.Settings))
	if err != nil {
		s = agentpolicy.Settings{} // stored only after Check: not reached
	}
	return Policy{ID: r.ID, Description: r.Description, Revision: r.Revision, Selector: r.Selector, Priority: r.Priority,
		Settings: s, Deleted: r.Deleted, ChangedBy: r.ChangedBy, ChangedAt: r.ChangedAt}
}

// current reads the current revision of every live policy, in merge
// order (never nil).
func (s *Service) current(ctx context.Context) ([]Policy, error) {
	out, err := s.chain.Live(ctx)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []Policy{}
	}
	sortPolicies(out)
	return out, nil
}

// sortPolicies orders policies as they merge: ascending priority, then id.
func sortPolicies(ps []Policy) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Priority != ps[j].Priority {
			return ps[i].Priority < ps[j].Priority
		}
		return ps[i].ID < ps[j].ID
	})
}

// List returns the live policies in merge order.
func (s *Service) List(ctx context.Context) ([]Policy, error) { return s.current(ctx) }

// History returns every revision of a policy, oldest first, or an error
// wrapping store.ErrNotFound.
func (s *Service) History(ctx context.Context, id string) ([]Policy, error) {
	return s.chain.History(ctx, id)
}

// Get returns a live policy or an error wrapping store.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Policy, error) {
	return s.chain.Get(ctx, id)
}

// Create stores a new policy (revision 1, or the next after a deleted one).
func (s *Service) Create(ctx context.Context, in Input, by string) (Policy, error) {
	p, err := Check(in)
	if err != nil {
		return Policy{}, err
	}
	rev, err := s.chain.Next(ctx, p.ID, ErrExists)
	if err != nil {
		return Policy{}, err
	}
	return s.write(ctx, p, rev, by, false)
}

// Update stores a new revision of a live policy; in.ID is set from id.
func (s *Service) Update(ctx context.Context, id string, in Input, by string) (Policy, error) {
	in.ID = id
	p, err := Check(in)
	if err != nil {
		return Policy{}, err
	}
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Policy{}, err
	}
	return s.write(ctx, p, cur.Revision+1, by, false)
}

// Delete stores a deleting revision; agents drop its settings.
func (s *Service) Delete(ctx context.Context, id, by string) (Policy, error) {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Policy{}, err
	}
	return s.write(ctx, cur, cur.Revision+1, by, true)
}

func (s *Service) write(ctx context.Context, p Policy, rev uint32, by string, deleted bool) (Policy, error) {
	raw, err := json.Marshal(p.Settings)
	if err != nil {
		return Policy{}, fmt.Errorf("encoding policy settings: %w", err)
	}
	p.Revision, p.ChangedBy, p.ChangedAt, p.Deleted = rev, by, s.o.Now().UTC().Truncate(time.Second), deleted
	if err := s.o.Store.PutPolicyRevision(ctx, store.PolicyRevision{ID: p.ID, Description: p.Description, Revision: rev,
		Selector: p.Selector, Priority: p.Priority, Settings: string(raw), Deleted: deleted, ChangedBy: by, ChangedAt: p.ChangedAt}); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// effective merges the policies that select labels, in merge order; it
// returns the settings and the revisions used ("id@rev,…").
func effective(ps []Policy, labels map[string]string) (agentpolicy.Settings, string) {
	var layers []agentpolicy.Settings
	var revs []string
	for _, p := range ps {
		if Matches(p.Selector, labels) {
			layers = append(layers, p.Settings)
			revs = append(revs, p.ID+"@"+strconv.FormatUint(uint64(p.Revision), 10))
		}
	}
	return agentpolicy.Merge(layers...), strings.Join(revs, ",")
}

// Effective is what an agent fetches: its merged settings, the policy
// revisions they come from, and its pending commands.
type Effective struct {
	ETag      string               `json:"etag"`
	Revisions string               `json:"revisions"`
	Settings  agentpolicy.Settings `json:"settings"`
	Commands  []AgentCommand       `json:"commands"`
}

// AgentCommand is a command as the agent receives it.
type AgentCommand struct {
	ID      string `json:"id"`
	Action  string `json:"action"` // "scan"
	Scanner string `json:"scanner"`
}

// For returns an agent's effective policy and pending commands.
func (s *Service) For(ctx context.Context, agentID string) (Effective, error) {
	ps, err := s.current(ctx)
	if err != nil {
		return Effective{}, err
	}
	labels, err := s.o.Store.AllAgentLabels(ctx)
	if err != nil {
		return Effective{}, err
	}
	set, revs := effective(ps, labels[agentID].Labels)
	if err := s.addDetectors(ctx, set); err != nil {
		return Effective{}, err
	}
	cmds, err := s.o.Store.Commands(ctx, agentID, maxPending)
	if err != nil {
		return Effective{}, err
	}
	e := Effective{Revisions: revs, Settings: set, Commands: []AgentCommand{}}
	for _, c := range cmds {
		if c.Status == StatusPending {
			e.Commands = append(e.Commands, AgentCommand{ID: c.ID, Action: "scan", Scanner: c.Scanner})
		}
	}
	sort.Slice(e.Commands, func(i, j int) bool { return e.Commands[i].ID < e.Commands[j].ID })
	body, _ := json.Marshal(struct {
		R string
		S agentpolicy.Settings
		C []AgentCommand
	}{revs, set, e.Commands})
	sum := sha256.Sum256(body)
	e.ETag = `"` + hex.EncodeToString(sum[:16]) + `"`
	return e, nil
}

// addDetectors sets the custom detectors into settings, as agent.yaml's
// scans.detectors (replacing what a policy or agent.yaml sets there,
// unless the agent pins it); with none defined, settings are unchanged.
func (s *Service) addDetectors(ctx context.Context, set agentpolicy.Settings) error {
	if s.o.Detectors == nil {
		return nil
	}
	ds, err := s.o.Detectors(ctx)
	if err != nil || len(ds) == 0 {
		return err
	}
	raw, err := json.Marshal(ds)
	if err != nil {
		return fmt.Errorf("encoding custom detectors: %w", err)
	}
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("encoding custom detectors: %w", err)
	}
	set["detectors"] = list
	return nil
}

// maxPending bounds the commands read per fetch.
const maxPending = 50

// Command statuses.
const (
	StatusPending = "pending"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// Report is what an agent tells the collector after a fetch, and
// CommandReport a command's new state on it: the agent's own message
// types, so the two ends cannot drift apart.
type (
	Report        = agentpolicy.Report
	CommandReport = agentpolicy.CommandReport
)

// Record stores an agent's report. Commands it names must be its own.
func (s *Service) Record(ctx context.Context, agentID string, r Report) error {
	if len(r.Conflicts) > 64 || len(r.RejectedReason) > 2048 || len(r.Commands) > maxPending {
		return fmt.Errorf("%w: report too large", ErrInvalid)
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	prev, err := s.o.Store.PolicyStatuses(ctx, agentID)
	if err != nil {
		return err
	}
	st := prev[agentID]
	st.AgentID, st.ReportedAt = agentID, now
	if r.Applied != "" && r.Applied != st.ETag {
		st.ETag, st.Revisions, st.AppliedAt = clip.Prefix(r.Applied, 128), clip.Prefix(r.Revisions, 4096), &now
	}
	if r.Applied != "" {
		st.Conflicts = make([]string, 0, len(r.Conflicts))
		for _, c := range r.Conflicts {
			st.Conflicts = append(st.Conflicts, clip.Prefix(c, 256))
		}
	}
	if r.Rejected != "" {
		st.RejectedETag, st.RejectedReason, st.RejectedAt = clip.Prefix(r.Rejected, 128), r.RejectedReason, &now
	} else if r.Applied != "" && r.Applied == st.ETag {
		st.RejectedETag, st.RejectedReason, st.RejectedAt = "", "", nil
	}
	if err := s.o.Store.PutPolicyStatus(ctx, st); err != nil {
		return err
	}
	if len(r.Commands) == 0 {
		return nil
	}
	mine, err := s.o.Store.Commands(ctx, agentID, 1000)
	if err != nil {
		return err
	}
	byID := map[string]store.Command{}
	for _, c := range mine {
		byID[c.ID] = c
	}
	var upd []store.Command
	for _, cr := range r.Commands {
		c, ok := byID[cr.ID]
		if !ok {
			return fmt.Errorf("%w: commands: %q is not a command for this agent", ErrInvalid, cr.ID)
		}
		switch cr.Status {
		case StatusRunning, StatusDone, StatusFailed:
		default:
			return fmt.Errorf("%w: commands.status: must be running, done or failed", ErrInvalid)
		}
		if cr.Status == StatusRunning && (c.Status == StatusDone || c.Status == StatusFailed) {
			continue // a late "running": the outcome is already known
		}
		c.Status, c.ScanID, c.Message, c.UpdatedAt = cr.Status, clip.Prefix(cr.ScanID, 1024), clip.Prefix(cr.Message, 512), now
		upd = append(upd, c)
	}
	return s.o.Store.PutCommands(ctx, upd)
}

// SetLabels replaces an agent's labels.
func (s *Service) SetLabels(ctx context.Context, agentID string, labels map[string]string, by string) error {
	if err := CheckLabels("labels", labels); err != nil {
		return err
	}
	if _, err := s.o.Store.GetAgent(ctx, agentID); err != nil {
		return err
	}
	return s.o.Store.PutAgentLabels(ctx, store.AgentLabels{AgentID: agentID, Labels: labels, SetBy: by, SetAt: s.o.Now().UTC()})
}

// ScanTarget says which agents a "scan now" goes to: exactly one of
// AgentID, Selector (labels) or Source (agents whose latest scan of some
// scanner read this source, e.g. an LDAP server). Scanner names the scan
// (fs, host, ldap, s3, iam); empty with Source: the scanner of that scan;
// empty otherwise: every scanner the agent has enabled.
type ScanTarget struct {
	AgentID  string            `json:"agent_id"`
	Selector map[string]string `json:"selector"`
	Source   string            `json:"source"`
	Scanner  string            `json:"scanner"`
}

// ScanNow records a pending scan command for each agent the target names.
func (s *Service) ScanNow(ctx context.Context, t ScanTarget, by string) ([]store.Command, error) {
	n := 0
	for _, set := range []bool{t.AgentID != "", t.Selector != nil, t.Source != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("%w: give exactly one of agent_id, selector or source", ErrInvalid)
	}
	if t.Scanner != "" && !knownScanner(t.Scanner) {
		return nil, fmt.Errorf("%w: scanner: must be one of %s", ErrInvalid, strings.Join(agentpolicy.Scanners(), ", "))
	}
	if err := CheckLabels("selector", t.Selector); err != nil {
		return nil, err
	}
	type hit struct{ agent, scanner string }
	var hits []hit
	switch {
	case t.AgentID != "":
		if _, err := s.o.Store.GetAgent(ctx, t.AgentID); err != nil {
			return nil, err
		}
		hits = append(hits, hit{t.AgentID, t.Scanner})
	case t.Selector != nil:
		agents, err := s.labelledAgents(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range agents {
			if Matches(t.Selector, a.labels) {
				hits = append(hits, hit{a.ID, t.Scanner})
			}
		}
	default:
		scans, err := s.o.Store.LatestScans(ctx, "")
		if err != nil {
			return nil, err
		}
		seen := map[hit]bool{}
		for _, sc := range scans {
			h := hit{sc.AgentID, t.Scanner}
			if h.scanner == "" {
				h.scanner = sc.Scanner
			}
			if sc.Source == t.Source && (t.Scanner == "" || t.Scanner == sc.Scanner) && !seen[h] {
				seen[h] = true
				hits = append(hits, h)
			}
		}
	}
	if len(hits) == 0 {
		return nil, fmt.Errorf("%w: no agent matches this target", ErrInvalid)
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	cs := make([]store.Command, 0, len(hits))
	for _, h := range hits {
		cs = append(cs, store.Command{ID: uuid.NewString(), AgentID: h.agent, Scanner: h.scanner, RequestedBy: by,
			RequestedAt: now, Status: StatusPending, UpdatedAt: now})
	}
	if err := s.o.Store.PutCommands(ctx, cs); err != nil {
		return nil, err
	}
	return cs, nil
}

func knownScanner(name string) bool {
	for _, s := range agentpolicy.Scanners() {
		if s == name {
			return true
		}
	}
	return false
}
