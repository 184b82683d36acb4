package store

import (
	"context"
	"time"
)

// PolicyRevision is one stored revision of a scan policy (collector/policy
// says what the fields mean).
type PolicyRevision struct {
	ID, Description string
	Revision        uint32
	Selector        map[string]string
	Priority        int32
	Settings        string // JSON
	Deleted         bool
	ChangedBy       string
	ChangedAt       time.Time
}

// PutPolicyRevision appends a revision; earlier ones are kept.
func (s *Store) PutPolicyRevision(ctx context.Context, p PolicyRevision) error {
	k, v := sortedKV(p.Selector)
	return s.insert(ctx, "policies", "policy_id, revision, description, selector_keys, selector_values, priority, settings, deleted, changed_by, changed_at, version", 1, func(int) []any {
		return []any{p.ID, p.Revision, p.Description, k, v, p.Priority, p.Settings, flag(p.Deleted), p.ChangedBy, dateTime(&p.ChangedAt), s.nextVersion()}
	})
}

type policyRow struct {
	ID          string    `ch:"policy_id"`
	Revision    uint32    `ch:"revision"`
	Description string    `ch:"description"`
	Keys        []string  `ch:"selector_keys"`
	Values      []string  `ch:"selector_values"`
	Priority    int32     `ch:"priority"`
	Settings    string    `ch:"settings"`
	Deleted     uint8     `ch:"deleted"`
	ChangedBy   string    `ch:"changed_by"`
	ChangedAt   time.Time `ch:"changed_at"`
}

func (r policyRow) revision() PolicyRevision {
	return PolicyRevision{ID: r.ID, Revision: r.Revision, Description: r.Description, Selector: kvMap(r.Keys, r.Values),
		Priority: r.Priority, Settings: r.Settings, Deleted: r.Deleted != 0, ChangedBy: r.ChangedBy, ChangedAt: r.ChangedAt.UTC()}
}

// PolicyRevisions returns every revision of one policy, or of all
// (id empty), ordered by policy and revision. Policies are few: the
// current revisions are picked by the caller.
func (s *Store) PolicyRevisions(ctx context.Context, id string) ([]PolicyRevision, error) {
	var w where
	w.filter("policy_id = ?", id)
	return selectAll(ctx, s, "reading policies", policyRow.revision,
		`SELECT policy_id, revision, description, selector_keys, selector_values, priority, settings, deleted, changed_by, changed_at
		FROM {db}.policies`+w.sql()+` ORDER BY policy_id, revision`, w.args...)
}

// AgentLabels are an agent's labels.
type AgentLabels struct {
	AgentID string
	Labels  map[string]string
	SetBy   string
	SetAt   time.Time
}

// PutAgentLabels replaces an agent's labels.
func (s *Store) PutAgentLabels(ctx context.Context, l AgentLabels) error {
	k, v := sortedKV(l.Labels)
	return s.insert(ctx, "agent_labels", "agent_id, label_keys, label_values, set_by, set_at, version", 1, func(int) []any {
		return []any{l.AgentID, k, v, l.SetBy, dateTime(&l.SetAt), s.nextVersion()}
	})
}

// AllAgentLabels returns every agent's labels by agent id.
func (s *Store) AllAgentLabels(ctx context.Context) (map[string]AgentLabels, error) {
	rows, err := selectAll(ctx, s, "reading agent labels", func(r struct {
		AgentID string    `ch:"agent_id"`
		Keys    []string  `ch:"label_keys"`
		Values  []string  `ch:"label_values"`
		SetBy   string    `ch:"set_by"`
		SetAt   time.Time `ch:"set_at"`
	}) AgentLabels {
		return AgentLabels{AgentID: r.AgentID, Labels: kvMap(r.Keys, r.Values), SetBy: r.SetBy, SetAt: r.SetAt.UTC()}
	}, `SELECT agent_id, label_keys, label_values, set_by, set_at FROM {db}.agent_labels FINAL`)
	return keyedBy(rows, err, func(l AgentLabels) string { return l.AgentID })
}

// PolicyStatus is what an agent last reported about its policy; the API
// shows it in the agent's view (times it does not know are null there).
// It is also the row of agent_policy_status.
type PolicyStatus struct {
	AgentID        string     `ch:"agent_id" json:"-"`
	ETag           string     `ch:"etag" json:"etag"`
	Revisions      string     `ch:"revisions" json:"revisions"`
	AppliedAt      *time.Time `ch:"applied_at" json:"applied_at"`
	RejectedETag   string     `ch:"rejected_etag" json:"rejected_etag"`
	RejectedReason string     `ch:"rejected_reason" json:"rejected_reason"`
	RejectedAt     *time.Time `ch:"rejected_at" json:"rejected_at"`
	Conflicts      []string   `ch:"conflicts" json:"conflicts"`
	ReportedAt     time.Time  `ch:"reported_at" json:"reported_at"`
}

// read is p as read: times in UTC, the unset ones (stored as 0) nil.
func (p PolicyStatus) read() PolicyStatus {
	p.AppliedAt, p.RejectedAt, p.ReportedAt = optTimeOf(p.AppliedAt), optTimeOf(p.RejectedAt), p.ReportedAt.UTC()
	return p
}

// PutPolicyStatus replaces an agent's policy status.
func (s *Store) PutPolicyStatus(ctx context.Context, p PolicyStatus) error {
	return s.insert(ctx, "agent_policy_status", "agent_id, etag, revisions, applied_at, rejected_etag, rejected_reason, rejected_at, conflicts, reported_at, version", 1, func(int) []any {
		return []any{p.AgentID, p.ETag, p.Revisions, dateTime(p.AppliedAt), p.RejectedETag, p.RejectedReason, dateTime(p.RejectedAt),
			strs(p.Conflicts), dateTime(&p.ReportedAt), s.nextVersion()}
	})
}

// PolicyStatuses returns the agents' policy statuses by agent id (one
// agent's, or all with agentID empty).
func (s *Store) PolicyStatuses(ctx context.Context, agentID string) (map[string]PolicyStatus, error) {
	var w where
	w.filter("agent_id = ?", agentID)
	rows, err := selectAll(ctx, s, "reading agent policy status", PolicyStatus.read, `SELECT agent_id, etag, revisions, applied_at, rejected_etag, rejected_reason, rejected_at, conflicts, reported_at
		FROM {db}.agent_policy_status FINAL`+w.sql(), w.args...)
	return keyedBy(rows, err, func(p PolicyStatus) string { return p.AgentID })
}

// Command is one command to one agent and its current state: a row of
// agent_commands, and the API's answer.
type Command struct {
	ID          string    `ch:"command_id" json:"command_id"`
	AgentID     string    `ch:"agent_id" json:"agent_id"`
	Scanner     string    `ch:"scanner" json:"scanner"`
	RequestedBy string    `ch:"requested_by" json:"requested_by"`
	RequestedAt time.Time `ch:"requested_at" json:"requested_at"`
	// Status: pending, running, done, failed.
	Status    string    `ch:"status" json:"status"`
	ScanID    string    `ch:"scan_id" json:"scan_id"`
	Message   string    `ch:"message" json:"message"`
	UpdatedAt time.Time `ch:"updated_at" json:"updated_at"`
}

// utc is c as read, with its times in UTC.
func (c Command) utc() Command {
	c.RequestedAt, c.UpdatedAt = c.RequestedAt.UTC(), c.UpdatedAt.UTC()
	return c
}

// PutCommands writes commands (new, or a new state of existing ones).
func (s *Store) PutCommands(ctx context.Context, cs []Command) error {
	if len(cs) == 0 {
		return nil
	}
	return s.insert(ctx, "agent_commands", "command_id, agent_id, scanner, requested_by, requested_at, status, scan_id, message, updated_at, version", len(cs), func(i int) []any {
		c := cs[i]
		return []any{c.ID, c.AgentID, c.Scanner, c.RequestedBy, dateTime(&c.RequestedAt), c.Status, c.ScanID, c.Message, dateTime(&c.UpdatedAt), s.nextVersion()}
	})
}

// Commands returns commands, newest first: one agent's (or all, agentID
// empty), at most limit.
func (s *Store) Commands(ctx context.Context, agentID string, limit int) ([]Command, error) {
	var w where
	w.filter("agent_id = ?", agentID)
	return selectAll(ctx, s, "reading agent commands", Command.utc, `SELECT command_id, agent_id, scanner, requested_by, requested_at, status, scan_id, message, updated_at
		FROM {db}.agent_commands FINAL`+w.sql()+` ORDER BY requested_at DESC, command_id LIMIT ?`, append(w.args, uint64(limit))...)
}
