// Package fleet enrolls agents and keeps track of them: who they are, when
// they were last heard from, and the organisation's token key they hash
// personal data with (held by collector/keys, never by the database).
package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/policy"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/wire"
)

// ErrEnrollDenied is returned for a wrong, revoked, expired or used-up
// enroll secret.
var ErrEnrollDenied = errors.New("enrollment denied: the enroll secret is unknown, revoked, expired or used up; create one with `sightline-collector token create --role agent-enroll`")

// ErrInvalidEnrollment is an enrollment whose host name, OS or version
// the collector will not keep (the API answers 400).
var ErrInvalidEnrollment = errors.New("invalid enrollment")

// Bounds of what an agent says of itself at enrollment: a DNS name is at
// most 253 bytes; OS and version are short labels.
const (
	MaxHostnameLen = 253
	maxLabelLen    = 128
)

// Store is the part of the store fleet uses.
type Store interface {
	PutAgent(ctx context.Context, a store.Agent) error
	GetAgent(ctx context.Context, id string) (store.Agent, error)
	ListAgents(ctx context.Context) ([]store.Agent, error)
	LatestScans(ctx context.Context, agentID string) ([]store.ScanSummary, error)
	// Labels, policy status and commands (collector/policy writes them).
	PutAgentLabels(ctx context.Context, l store.AgentLabels) error
	AllAgentLabels(ctx context.Context) (map[string]store.AgentLabels, error)
	PolicyStatuses(ctx context.Context, agentID string) (map[string]store.PolicyStatus, error)
	Commands(ctx context.Context, agentID string, limit int) ([]store.Command, error)
	// Authorities say which agent speaks for each host name
	// (collector/identity claims and moves them).
	ListAuthorities(ctx context.Context) ([]store.Authority, error)
}

// Options configures a Fleet.
type Options struct {
	Store Store
	Auth  *auth.Authenticator
	// Keys are the token keys (keys.Open). Nil gives a random pair that
	// lives as long as the Fleet: for tests and tools only, as tokens
	// stored with it cannot be searched after a restart.
	Keys *keys.Keys
	Now  func() time.Time
	// SeenEvery bounds how often an agent's last_seen is written. It is
	// lowered to half of StaleAfter, so a working agent never looks stale
	// for want of a write.
	SeenEvery time.Duration
	// StaleAfter is how long an agent may stay silent before the fleet
	// view marks it stale (default DefaultStaleAfter).
	StaleAfter time.Duration
}

// DefaultStaleAfter is Options.StaleAfter's default: a day covers agents
// that scan daily and ship once.
const DefaultStaleAfter = 24 * time.Hour

// Fleet is the agents' registry.
type Fleet struct {
	o    Options
	mu   sync.Mutex
	seen map[string]seenAgent
}

type seenAgent struct {
	hostname, clientCert string
	written              time.Time // zero: read, last_seen not yet written
}

// New returns a Fleet.
func New(o Options) *Fleet {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SeenEvery == 0 {
		o.SeenEvery = time.Minute
	}
	o.StaleAfter = defaults.Positive(o.StaleAfter, DefaultStaleAfter)
	if o.SeenEvery > o.StaleAfter/2 {
		o.SeenEvery = o.StaleAfter / 2
	}
	if o.Keys == nil {
		k, err := keys.Generate(nil, o.Now())
		if err != nil {
			// crypto/rand does not fail on supported platforms.
			panic(fmt.Sprintf("fleet: generating ephemeral token keys: %v", err))
		}
		o.Keys = k
	}
	return &Fleet{o: o, seen: map[string]seenAgent{}}
}

// Keys returns the token keys: ingest re-keys with them, subject search
// hashes with them.
func (f *Fleet) Keys() *keys.Keys { return f.o.Keys }

// TokenKey returns the organisation's token key K1 (hex), which agents
// hash personal data with. It lives in the key file, not the database.
func (f *Fleet) TokenKey(context.Context) (string, error) {
	return f.o.Keys.TokenKeyHex(), nil
}

// EnrollRequest is what an agent sends to enroll.
type EnrollRequest struct {
	EnrollSecret string `json:"enroll_secret"`
	Hostname     string `json:"hostname"`
	OS           string `json:"os"`
	Version      string `json:"version"`
	// Labels select the policies that apply to the agent (enroll
	// --label k=v); an admin may change them later.
	Labels map[string]string `json:"labels,omitempty"`
	// ClientCert names the verified client certificate the request came
	// with (the API sets it from the connection, never from the body):
	// the agent is bound to it.
	ClientCert string `json:"-"`
}

// Enrollment is what an agent gets back.
type Enrollment struct {
	AgentID  string `json:"agent_id"`
	Token    string `json:"token"`
	TokenKey string `json:"token_key"`
}

// Enroll checks the enroll secret, registers the agent and issues its token.
func (f *Fleet) Enroll(ctx context.Context, req EnrollRequest) (Enrollment, error) {
	now := f.o.Now().UTC()
	a := store.Agent{ID: uuid.NewString(), Hostname: req.Hostname, OS: req.OS, Version: req.Version, EnrolledAt: now, LastSeen: now,
		ClientCert: req.ClientCert}
	if err := policy.CheckLabels("labels", req.Labels); err != nil {
		return Enrollment{}, err
	}
	if err := checkEnrollFields(req); err != nil {
		// A caller without a valid secret learns only that; one with a
		// secret is told what to fix before a use of it is spent.
		if serr := f.checkSecret(ctx, req.EnrollSecret); serr != nil {
			return Enrollment{}, serr
		}
		return Enrollment{}, err
	}
	_, err := f.o.Auth.UseEnrollSecret(ctx, req.EnrollSecret, a.ID)
	if errors.Is(err, auth.ErrInvalidToken) || errors.Is(err, auth.ErrNoToken) {
		return Enrollment{}, ErrEnrollDenied
	}
	if err != nil {
		return Enrollment{}, err
	}
	key := f.o.Keys.TokenKeyHex()
	tok, _, err := f.o.Auth.Create(ctx, auth.RoleAgent, "agent "+req.Hostname, a.ID, 0)
	if err != nil {
		return Enrollment{}, err
	}
	if err := f.o.Store.PutAgent(ctx, a); err != nil {
		return Enrollment{}, fmt.Errorf("registering agent: %w", err)
	}
	if len(req.Labels) > 0 {
		if err := f.o.Store.PutAgentLabels(ctx, store.AgentLabels{AgentID: a.ID, Labels: req.Labels, SetBy: "enrollment", SetAt: now}); err != nil {
			return Enrollment{}, fmt.Errorf("registering agent labels: %w", err)
		}
	}
	f.mu.Lock()
	f.seen[a.ID] = seenAgent{hostname: a.Hostname, clientCert: a.ClientCert, written: now}
	f.mu.Unlock()
	return Enrollment{AgentID: a.ID, Token: tok, TokenKey: key}, nil
}

// checkSecret checks an enroll secret without spending a use of it.
func (f *Fleet) checkSecret(ctx context.Context, secret string) error {
	t, err := f.o.Auth.Verify(ctx, secret)
	switch {
	case errors.Is(err, auth.ErrInvalidToken) || errors.Is(err, auth.ErrNoToken):
		return ErrEnrollDenied
	case err != nil:
		return err
	case t.Role != auth.RoleAgentEnroll:
		return ErrEnrollDenied
	}
	return nil
}

// checkEnrollFields refuses what an agent says of itself that the
// collector would otherwise keep as it came: the host name becomes the
// host of every file and account record the agent sends (whatever the
// record says, collector/identity), the name of its token in every audit
// row, and a system in the data map and the records of processing. It
// is at most 253 bytes of UTF-8 without control or format characters or
// spaces at either end (a right-to-left override, a zero-width or a
// trailing space would show another host's name in the console; markup
// and formulas are shown and exported as text). OS and version are at
// most 128 bytes, without control or format characters. All three may be
// empty, as before.
func checkEnrollFields(req EnrollRequest) error {
	bad := func(field, msg string) error {
		return fmt.Errorf("%w: %s %s", ErrInvalidEnrollment, field, msg)
	}
	switch h := req.Hostname; {
	case len(h) > MaxHostnameLen:
		return bad("hostname", fmt.Sprintf("is longer than %d bytes", MaxHostnameLen))
	case !utf8.ValidString(h) || strings.ContainsFunc(h, hidden):
		return bad("hostname", "must be valid UTF-8 without control or format characters")
	case strings.TrimSpace(h) != h:
		return bad("hostname", "must not begin or end with a space")
	}
	for _, f := range []struct{ name, v string }{{"os", req.OS}, {"version", req.Version}} {
		if len(f.v) > maxLabelLen || !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, hidden) {
			return bad(f.name, fmt.Sprintf("must be at most %d bytes of UTF-8 without control or format characters", maxLabelLen))
		}
	}
	return nil
}

// hidden reports a character that is not shown as itself: a control
// character or a format character (bidirectional overrides, zero-width
// spaces and joiners).
func hidden(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// Touch records that an agent shipped a batch and returns the hostname it
// enrolled with. Both are cached: last_seen is written at most once per
// SeenEvery, so ingest does not cost a store round trip per batch.
func (f *Fleet) Touch(ctx context.Context, agentID string) (string, error) {
	now := f.o.Now().UTC()
	f.mu.Lock()
	c, ok := f.seen[agentID]
	f.mu.Unlock()
	if ok && now.Sub(c.written) < f.o.SeenEvery {
		return c.hostname, nil
	}
	a, err := f.o.Store.GetAgent(ctx, agentID)
	if err != nil {
		return "", fmt.Errorf("looking up agent %s: %w", agentID, err)
	}
	a.LastSeen = now
	if err := f.o.Store.PutAgent(ctx, a); err != nil {
		return "", fmt.Errorf("updating agent %s: %w", agentID, err)
	}
	f.mu.Lock()
	f.seen[agentID] = seenAgent{hostname: a.Hostname, clientCert: a.ClientCert, written: now}
	f.mu.Unlock()
	return a.Hostname, nil
}

// ErrCertMismatch means an agent's token came with a client certificate
// other than the one the agent enrolled with.
var ErrCertMismatch = errors.New("this agent's token is bound to the client certificate it enrolled with")

// CheckCert checks that an agent's request came with the client
// certificate it enrolled with (presented: its subject and issuer, "" for
// none), if it enrolled with one. A renewed certificate with the same
// subject and issuer will do; another host's will not, so a token copied
// off a host is of no use without that host's key.
func (f *Fleet) CheckCert(ctx context.Context, agentID, presented string) error {
	f.mu.Lock()
	c, ok := f.seen[agentID]
	f.mu.Unlock()
	if !ok {
		a, err := f.o.Store.GetAgent(ctx, agentID)
		if err != nil {
			return fmt.Errorf("looking up agent %s: %w", agentID, err)
		}
		c = seenAgent{hostname: a.Hostname, clientCert: a.ClientCert}
		f.mu.Lock()
		if _, raced := f.seen[agentID]; !raced {
			f.seen[agentID] = c
		}
		f.mu.Unlock()
	}
	if c.clientCert == "" || c.clientCert == presented {
		return nil
	}
	// Which certificate it is bound to is not said: the caller may hold
	// a stolen token. The audit row and the fleet view name it.
	return fmt.Errorf("%w: use that certificate (or one renewed with its subject and issuer), or enroll the agent again", ErrCertMismatch)
}

// Status is an agent as the fleet view shows it: its enrollment, whether
// it has gone quiet, and the latest scan of each of its scanners.
type Status struct {
	store.Agent
	Stale bool
	Scans []store.ScanSummary
	// SameHostname lists the other agents enrolled with this agent's host
	// name. They are separate systems to the collector (each agent's rows
	// are its own), so two of them is a conflict for an admin to resolve:
	// a re-installed agent whose old token should be revoked, or two hosts
	// with one name.
	SameHostname []string
	// SpeaksForHost: this agent's host and fs records are admitted for its
	// host name (collector/identity: the first agent to report them, or
	// the one an admin moved the name to). Of agents in conflict, the
	// others' host records are refused until an admin moves the name.
	SpeaksForHost bool
	// Labels select the agent's policies; Policy is what it last reported
	// about them (nil: never reported); Commands are its latest commands,
	// newest first.
	Labels   map[string]string
	Policy   *store.PolicyStatus
	Commands []store.Command
}

// recentCommands bounds the commands the fleet view shows per agent.
const recentCommands = 5

// policyView reads labels, policy statuses and commands for one agent
// (agentID set) or all.
type policyView struct {
	labels   map[string]store.AgentLabels
	statuses map[string]store.PolicyStatus
	commands map[string][]store.Command
}

func (f *Fleet) policyView(ctx context.Context, agentID string) (policyView, error) {
	var v policyView
	var err error
	if v.labels, err = f.o.Store.AllAgentLabels(ctx); err != nil {
		return v, err
	}
	if v.statuses, err = f.o.Store.PolicyStatuses(ctx, agentID); err != nil {
		return v, err
	}
	cmds, err := f.o.Store.Commands(ctx, agentID, 1000)
	if err != nil {
		return v, err
	}
	v.commands = map[string][]store.Command{}
	for _, c := range cmds {
		if len(v.commands[c.AgentID]) < recentCommands {
			v.commands[c.AgentID] = append(v.commands[c.AgentID], c)
		}
	}
	return v, nil
}

func (v policyView) fill(st *Status) {
	st.Labels = v.labels[st.ID].Labels
	if st.Labels == nil {
		st.Labels = map[string]string{}
	}
	if p, ok := v.statuses[st.ID]; ok {
		st.Policy = &p
	}
	st.Commands = v.commands[st.ID]
	if st.Commands == nil {
		st.Commands = []store.Command{}
	}
}

// Filter narrows the fleet view. Empty fields do not filter.
type Filter struct {
	// Stale keeps agents that are (true) or are not (false) stale.
	Stale *bool
	// ScanStatus keeps agents whose latest scan of at least one scanner
	// has this status (ok, partial, failed).
	ScanStatus string
}

// ErrBadFilter is a filter value the fleet view does not know.
var ErrBadFilter = errors.New("invalid fleet filter")

// List returns the fleet: every agent matching f, ordered by hostname,
// with the latest scan per scanner (read for all agents in one query).
func (f *Fleet) List(ctx context.Context, flt Filter) ([]Status, error) {
	switch flt.ScanStatus {
	case "", wire.StatusOK, wire.StatusPartial, wire.StatusFailed:
	default:
		return nil, fmt.Errorf("%w: status must be ok, partial or failed", ErrBadFilter)
	}
	agents, err := f.o.Store.ListAgents(ctx)
	if err != nil {
		return nil, err
	}
	scans, err := f.o.Store.LatestScans(ctx, "")
	if err != nil {
		return nil, err
	}
	byAgent := map[string][]store.ScanSummary{}
	for _, sc := range scans {
		byAgent[sc.AgentID] = append(byAgent[sc.AgentID], sc)
	}
	pv, err := f.policyView(ctx, "")
	if err != nil {
		return nil, err
	}
	speakers, err := f.hostSpeakers(ctx)
	if err != nil {
		return nil, err
	}
	now := f.o.Now()
	names := byHostname(agents)
	out := make([]Status, 0, len(agents))
	for _, a := range agents {
		st := f.status(a, byAgent[a.ID], now)
		st.SameHostname = others(names[wire.HostKey(a.Hostname)], a.ID)
		st.SpeaksForHost = speakers[wire.HostKey(a.Hostname)] == a.ID
		pv.fill(&st)
		if flt.Stale != nil && st.Stale != *flt.Stale {
			continue
		}
		if flt.ScanStatus != "" && !hasStatus(st.Scans, flt.ScanStatus) {
			continue
		}
		out = append(out, st)
	}
	return out, nil
}

// Get returns one agent's status, or an error wrapping store.ErrNotFound.
func (f *Fleet) Get(ctx context.Context, id string) (Status, error) {
	a, err := f.o.Store.GetAgent(ctx, id)
	if err != nil {
		return Status{}, err
	}
	scans, err := f.o.Store.LatestScans(ctx, id)
	if err != nil {
		return Status{}, err
	}
	all, err := f.o.Store.ListAgents(ctx)
	if err != nil {
		return Status{}, err
	}
	pv, err := f.policyView(ctx, id)
	if err != nil {
		return Status{}, err
	}
	speakers, err := f.hostSpeakers(ctx)
	if err != nil {
		return Status{}, err
	}
	st := f.status(a, scans, f.o.Now())
	st.SameHostname = others(byHostname(all)[wire.HostKey(a.Hostname)], a.ID)
	st.SpeaksForHost = speakers[wire.HostKey(a.Hostname)] == a.ID
	pv.fill(&st)
	return st, nil
}

// hostSpeakers maps each host name (wire.HostKey) to the agent that
// speaks for its host-local records.
func (f *Fleet) hostSpeakers(ctx context.Context) (map[string]string, error) {
	as, err := f.o.Store.ListAuthorities(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading which agent speaks for each host name: %w", err)
	}
	m := map[string]string{}
	for _, a := range as {
		if a.Source == wire.SourceHost {
			m[a.Scope] = a.AgentID
		}
	}
	return m, nil
}

func byHostname(agents []store.Agent) map[string][]string {
	m := make(map[string][]string, len(agents))
	for _, a := range agents {
		k := wire.HostKey(a.Hostname)
		m[k] = append(m[k], a.ID)
	}
	return m
}

// others is ids without self, never nil (the API shows an empty list).
func others(ids []string, self string) []string {
	out := []string{}
	for _, id := range ids {
		if id != self {
			out = append(out, id)
		}
	}
	return out
}

func (f *Fleet) status(a store.Agent, scans []store.ScanSummary, now time.Time) Status {
	if scans == nil {
		scans = []store.ScanSummary{}
	}
	for i := range scans {
		for j, e := range scans[i].Errors {
			scans[i].Errors[j] = clip.String(e, maxErrorLen)
		}
	}
	return Status{Agent: a, Stale: now.Sub(a.LastSeen) > f.o.StaleAfter, Scans: scans}
}

func hasStatus(scans []store.ScanSummary, status string) bool {
	for _, sc := range scans {
		if sc.Status == status {
			return true
		}
	}
	return false
}

// maxErrorLen bounds one error message in the fleet view: enough for a
// path and a reason.
const maxErrorLen = 512
