// Package identity decides what an agent's records may speak for. The
// collector treats every agent as possibly compromised, so the agent's own
// claims about who it is and when things happened are not trusted:
//
//   - a record's agent is the agent whose token delivered it, and the
//     records of a host's own sources (files, the host's accounts) belong
//     to the host the agent enrolled as, whatever the record says;
//   - one agent speaks for a host name's own records (by default the
//     first that reported them, an admin can move it): anyone with an
//     enroll secret may enroll with any host name, and host-local ids are
//     derived from it, so a second agent enrolled as web-1 would otherwise
//     land its findings and grants on web-1's files and accounts;
//   - a source several agents could scan (an LDAP server or AD domain, an
//     AWS account: the record's host field names it) has one authority, by
//     default the first agent that reported it, which an admin can move;
//     records for it from any other agent are refused;
//   - a scan id belongs to the agent that first delivered a scan record
//     with it; another agent may not reuse it (a forged "failed" scan
//     record would otherwise hide the owner's findings);
//   - the ids a record gives itself (an asset's, a principal's) are derived
//     again here from what it says and the scope it may speak for
//     (wire.DeriveIDs): ids are hashes anyone can compute, and an agent
//     that reported another host's file or group under its id merged its
//     rows into that host's in the read index;
//   - times more than MaxClockSkew ahead of the collector's clock are
//     refused (row order itself comes from the collector; see
//     store.InsertRecords).
//
// Rows are also keyed by their agent in the store (migration 0011), so even
// a record that passes these checks cannot replace another agent's row.
package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/ntsd"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Store is what the guard reads and writes.
type Store interface {
	GetAuthority(ctx context.Context, source, scope string) (store.Authority, error)
	PutAuthority(ctx context.Context, a store.Authority) error
	ClaimAuthority(ctx context.Context, a store.Authority) error
	ListAuthorities(ctx context.Context) ([]store.Authority, error)
	ScanOwners(ctx context.Context, scanIDs []string) (map[string][]string, error)
	InsertRecords(ctx context.Context, recs []wire.Record) error
}

// Options configures a Guard.
type Options struct {
	Store Store
	// MaxClockSkew is how far ahead of the collector's clock a record's
	// times may be (default 5 minutes).
	MaxClockSkew time.Duration
	// CacheTTL bounds how long an authority or scan owner is remembered;
	// another collector's change is seen within it (default 30 s).
	CacheTTL time.Duration
	// CacheSize bounds the remembered scan owners (default 100,000).
	CacheSize int
	Now       func() time.Time
	Logger    *slog.Logger
}

// MaxSharedScopes bounds the shared sources one batch may name.
const MaxSharedScopes = 16

// FirstReport is the SetBy of an authority claimed by its first report.
const FirstReport = "first-report"

// RefusedError means a record speaks for something its agent may not:
// the API answers 403 and audits it. Line is 1-based in the batch.
type RefusedError struct {
	Line int
	Msg  string
}

func (e *RefusedError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ErrUnknownAgent is returned when an authority is given to an agent id
// that the caller does not know.
var ErrUnknownAgent = errors.New("no agent has this id; list agents with GET /api/v1/agents")

// Guard admits agents' batches.
type Guard struct {
	o Options

	mu     sync.Mutex
	owners map[scope]cachedAuthority
	scans  map[string]cachedScan
}

type scope struct{ source, name string }

type cachedAuthority struct {
	agentID string
	at      time.Time
}

type cachedScan struct {
	agentID string
	at      time.Time
}

// New returns a Guard.
func New(o Options) *Guard {
	o.MaxClockSkew = defaults.Positive(o.MaxClockSkew, 5*time.Minute)
	o.CacheTTL = defaults.Positive(o.CacheTTL, 30*time.Second)
	o.CacheSize = defaults.Positive(o.CacheSize, 100_000)
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = cmp.Or(o.Logger, slog.Default())
	return &Guard{o: o, owners: map[scope]cachedAuthority{}, scans: map[string]cachedScan{}}
}

// HostLocal reports whether a source describes the agent's own host (its
// files and accounts) rather than a system several agents could reach.
func HostLocal(source string) bool { return source == wire.SourceFS || source == wire.SourceHost }

// Admit checks a decoded, validated batch from agentID, enrolled as host,
// and fixes what the collector decides: every record's agent, the host of
// host-local records, and the ids records give themselves. It returns a *wire.LineError (400) for a time too
// far ahead, a *RefusedError (403) for a record the agent may not send, or
// a store error.
func (g *Guard) Admit(ctx context.Context, agentID, host string, recs []wire.Record) error {
	limit := g.o.Now().Add(g.o.MaxClockSkew)
	scopes := map[scope]int{} // first line of each shared scope
	hostLine := 0             // first host-local record's line
	scanIDs := map[string]int{}
	rederived := 0
	defer func() {
		if rederived > 0 {
			// An honest agent derives the same ids: a forgery or an
			// agent older than the rule (a location it shortened).
			g.o.Logger.Warn("records named ids not derived from their own scope; the collector's were used",
				"agent_id", agentID, "records", rederived)
		}
	}()
	for i := range recs {
		r := &recs[i]
		r.AgentID = agentID
		if HostLocal(r.Source) {
			r.Host = host
			if hostLine == 0 {
				hostLine = i + 1
			}
		} else if _, ok := scopes[scope{r.Source, r.Host}]; !ok {
			// Each new shared source is claimed by its first reporter: a
			// batch naming many would let one agent squat on every server
			// name it can guess, so a batch may name only a few.
			if len(scopes) == MaxSharedScopes {
				return &wire.LineError{Line: i + 1, Field: "host", Err: fmt.Errorf(
					"a batch may carry records of at most %d shared sources (ldap servers, aws accounts); send one scan's records per batch", MaxSharedScopes)}
			}
			scopes[scope{r.Source, r.Host}] = i + 1
		}
		if err := hostLocalLocation(i+1, r); err != nil {
			return err
		}
		if wire.DeriveIDs(r) {
			rederived++
		}
		if r.Kind == wire.KindPrincipal && r.Source == wire.SourceSMB {
			// A share's scan names well-known SIDs under the directory's
			// ids; whether one is privileged is the directory's to say.
			r.Privileged, r.PrivilegedVia = false, nil
			wellKnown(r)
		}
		if r.Kind == wire.KindPrincipal && r.Source == wire.SourceGCS {
			gcsMember(r)
		}
		if err := future(i+1, r, limit); err != nil {
			return err
		}
		if r.Kind == wire.KindScan {
			if _, ok := scanIDs[r.ScanID]; !ok {
				scanIDs[r.ScanID] = i + 1
			}
		}
	}
	if hostLine > 0 {
		// Host-local ids are derived from the host name, which another
		// agent may have enrolled with too: one agent speaks for it.
		scopes[hostScope(host)] = hostLine
	}
	for sc, line := range scopes {
		owner, err := g.authority(ctx, sc, agentID)
		if err != nil {
			return err
		}
		if owner == agentID {
			continue
		}
		if sc.source == wire.SourceHost {
			return &RefusedError{Line: line, Msg: fmt.Sprintf(
				"agent %s speaks for host %q (it reported the host's files and accounts first), and this agent enrolled with the same host name, "+
					"so its host and fs records are refused; if this host was reinstalled or renamed, an admin can move it with PUT /api/v1/authorities/host/%s",
				owner, clip.String(host, 64), url.PathEscape(clip.String(sc.name, 64)))}
		}
		return &RefusedError{Line: line, Msg: fmt.Sprintf(
			"agent %s is the authority for %s source %q, so records for it from this agent are refused; "+
				"an admin can move it with PUT /api/v1/authorities/%s/%s", owner, sc.source, sc.name, sc.source, sc.name)}
	}
	return g.checkScans(ctx, agentID, scanIDs)
}

// hostLocalLocation refuses a record of another source that gives a
// host's file or the host itself as its location. A shared source's scope
// is whatever name its records give (any host's name), so the authority
// of a made-up SMB server named "web-1" reported web-1's payroll file's
// location, and the readers of "file:///…" on web-1 were its asset's
// (TestSharedSourceCannotPassAsAHostsFile). No scanner of another source
// writes these schemes.
func hostLocalLocation(line int, r *wire.Record) error {
	if r.Location == "" || HostLocal(r.Source) {
		return nil
	}
	// In any case and after spaces: the console shows " FILE:///x" much
	// as it shows file:///x.
	// Only the scheme's bytes are compared: lowering the whole location
	// copied every record's location on ingest.
	loc := strings.TrimLeftFunc(r.Location, unicode.IsSpace)
	for _, scheme := range []string{"file:", "host:"} {
		if len(loc) >= len(scheme) && strings.EqualFold(loc[:len(scheme)], scheme) {
			return &wire.LineError{Line: line, Field: "location", Err: fmt.Errorf(
				"a %s location is a host's own file or the host itself, which only fs and host records may give, not %s records",
				scheme, clip.String(r.Source, 16))}
		}
	}
	return nil
}

// wellKnown makes an SMB principal record that names a well-known SID
// (its id is the directory's, shared by every share of that directory:
// wire.DeriveIDs) say only what the SID itself says, as the SMB scanner
// writes it. The read index keeps one name and type per id, whichever
// row it meets: the authority of a made-up share named a directory's
// Authenticated Users "Domain Admins", a user, and web-1's share showed
// that grantee, counted as a reader rather than a group
// (TestSMBWellKnownSIDKeepsItsName).
func wellKnown(r *wire.Record) {
	sid := r.Attributes["sid"]
	name := ntsd.WellKnownName(sid)
	if name == "" {
		return // in the share's own scope: its to describe
	}
	r.Name, r.PrincipalType = name, "group"
	if strings.HasPrefix(sid, "S-1-22-1-") { // Samba's Unix user
		r.PrincipalType = "user"
	}
	attrs := map[string]string{"sid": sid, "well_known": "true"}
	if d := r.Attributes["directory"]; d != "" {
		attrs["directory"] = d
	}
	r.Attributes = attrs
	r.Enabled, r.LastLogin, r.PasswordLastSet, r.MFA, r.Tokens = nil, nil, nil, nil, nil
}

// gcsMember makes a GCS principal record that names a member (its id is
// the member's, in every project: wire.DeriveIDs) say only what the
// member string says, as the GCS scanner writes it: the authority of a
// made-up project renamed another project's reader ann@example.com, made
// her a disabled service account (TestGCSMemberKeepsItsName). Whether
// she is privileged is still the record's to say (SECURITY.md).
func gcsMember(r *wire.Record) {
	m := r.Attributes["member"]
	if m == "" {
		return // in the record's own scope: its to describe
	}
	info := wire.DescribeGCSMember(m)
	r.Name, r.PrincipalType = info.Name, info.Type
	r.Attributes = map[string]string{"member": m}
	if info.Public {
		r.Attributes["public"] = "true"
	}
	r.Enabled = nil
	if info.Type != "group" {
		enabled := !info.Deleted
		r.Enabled = &enabled
	}
	r.LastLogin, r.PasswordLastSet, r.MFA, r.Tokens = nil, nil, nil, nil
}

// hostScope is the authority scope of a host's own records: one per host
// name as wire.HostKey compares them, under the host source.
func hostScope(host string) scope { return scope{wire.SourceHost, wire.HostKey(host)} }

// future refuses a record whose times lie ahead of limit.
func future(line int, r *wire.Record, limit time.Time) error {
	check := func(field string, t *time.Time) error {
		if t != nil && t.After(limit) {
			return &wire.LineError{Line: line, Field: field,
				Err: errors.New("is ahead of the collector's clock by more than the allowed skew; fix the agent host's clock (NTP)")}
		}
		return nil
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"observed_at", &r.ObservedAt}, {"started_at", r.StartedAt}, {"finished_at", r.FinishedAt}} {
		if err := check(f.name, f.t); err != nil {
			return err
		}
	}
	return nil
}

// authority returns the agent that speaks for sc, making agentID the
// authority when nobody is yet.
func (g *Guard) authority(ctx context.Context, sc scope, agentID string) (string, error) {
	now := g.o.Now()
	g.mu.Lock()
	c, ok := g.owners[sc]
	g.mu.Unlock()
	if ok && now.Sub(c.at) < g.o.CacheTTL {
		return c.agentID, nil
	}
	a, err := g.o.Store.GetAuthority(ctx, sc.source, sc.name)
	if errors.Is(err, store.ErrNotFound) {
		// A claim, not a setting: of two first reports that cross, the
		// first stored holds (store.ClaimAuthority), and the read back
		// below tells the other one.
		if err := g.o.Store.ClaimAuthority(ctx, store.Authority{Source: sc.source, Scope: sc.name, AgentID: agentID,
			SetBy: FirstReport, SetAt: now.UTC()}); err != nil {
			return "", fmt.Errorf("claiming the %s source %q: %w", sc.source, sc.name, err)
		}
		// Read back rather than trust our write: two agents reporting a
		// new source at once both write, and both must settle on one.
		a, err = g.o.Store.GetAuthority(ctx, sc.source, sc.name)
		if err == nil && a.AgentID == agentID {
			g.o.Logger.Info("source authority claimed by first report", "source", sc.source, "scope", sc.name, "agent_id", agentID)
		}
	}
	if err != nil {
		return "", fmt.Errorf("reading the authority of the %s source %q: %w", sc.source, sc.name, err)
	}
	g.mu.Lock()
	if len(g.owners) >= g.o.CacheSize {
		clear(g.owners)
	}
	g.owners[sc] = cachedAuthority{agentID: a.AgentID, at: now}
	g.mu.Unlock()
	return a.AgentID, nil
}

// checkScans refuses scan records whose id another agent already used.
func (g *Guard) checkScans(ctx context.Context, agentID string, ids map[string]int) error {
	if len(ids) == 0 {
		return nil
	}
	now := g.o.Now()
	var ask []string
	g.mu.Lock()
	for id := range ids {
		if c, ok := g.scans[id]; ok && now.Sub(c.at) < g.o.CacheTTL && c.agentID == agentID {
			continue
		}
		ask = append(ask, id)
	}
	g.mu.Unlock()
	if len(ask) == 0 {
		return nil
	}
	owners, err := g.o.Store.ScanOwners(ctx, ask)
	if err != nil {
		return err
	}
	for _, id := range ask {
		for _, a := range owners[id] {
			if a != agentID {
				return &RefusedError{Line: ids[id], Msg: fmt.Sprintf(
					"scan_id %q was already reported by another agent; scan ids are per agent, use a new one", clip.String(id, 64))}
			}
		}
	}
	g.mu.Lock()
	if len(g.scans)+len(ask) > g.o.CacheSize {
		clear(g.scans)
	}
	for _, id := range ask {
		g.scans[id] = cachedScan{agentID: agentID, at: now}
	}
	g.mu.Unlock()
	return nil
}

// Authorities lists every shared source and host name and the agent that
// speaks for it.
func (g *Guard) Authorities(ctx context.Context) ([]store.Authority, error) {
	return g.o.Store.ListAuthorities(ctx)
}

// SetAuthority makes agentID the authority for (source, name), as an admin
// (setBy: the admin token's id). For a host-local source (host or fs) name
// is a host name, and the agent then speaks for both of its sources. The former authority's rows for that
// source stop being current at once: the guard stores an empty completed
// scan for it, which is what "current" is measured by (its rows belong to
// an older scan from then on). It returns the former authority, if any.
func (g *Guard) SetAuthority(ctx context.Context, source, name, agentID, setBy string) (store.Authority, error) {
	switch {
	case !wire.KnownSource(source):
		// Every source that is not host-local is shared (Admit claims it
		// for its first reporter), so an admin can move every one of them.
		return store.Authority{}, fmt.Errorf("%w: unknown source %q; give host (a host name's files and accounts) or a shared source: ldap, s3, iam, db, smb, azblob, gcs", ErrBadRequest, clip.String(source, 64))
	case len(name) > wire.MaxStringLen:
		return store.Authority{}, fmt.Errorf("%w: scope longer than %d bytes", ErrBadRequest, wire.MaxStringLen)
	}
	retire := []string{source}
	if HostLocal(source) {
		// A host name's files and accounts move together (host or fs in
		// the path: both name the one scope).
		sc := hostScope(name)
		source, name = sc.source, sc.name
		retire = []string{wire.SourceHost, wire.SourceFS}
	}
	now := g.o.Now().UTC()
	prev, err := g.o.Store.GetAuthority(ctx, source, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Authority{}, err
	}
	if err := g.o.Store.PutAuthority(ctx, store.Authority{Source: source, Scope: name, AgentID: agentID, SetBy: setBy, SetAt: now}); err != nil {
		return store.Authority{}, err
	}
	g.mu.Lock()
	g.owners[scope{source, name}] = cachedAuthority{agentID: agentID, at: g.o.Now()}
	g.mu.Unlock()
	if prev.AgentID != "" && prev.AgentID != agentID {
		// The handover must be the former authority's latest scan and
		// start after every row it may already have sent: an agent dates
		// its rows and scans up to MaxClockSkew ahead, and another
		// collector may still admit it for up to CacheTTL. Dated now, a
		// squatter whose last scan finished four minutes "ahead" kept it
		// current after the move, and its findings and grants on the
		// host's files stayed for good, since it is refused from then on
		// (TestMovedHostRetiresAFutureDatedSquatter). If the name is moved
		// back, that agent's own scans are current again once this time
		// has passed.
		started := now.Add(g.o.MaxClockSkew + g.o.CacheTTL + time.Second)
		var handover []wire.Record
		for _, src := range retire {
			handover = append(handover, wire.Record{Kind: wire.KindScan, Source: src, ScanID: "handover-" + uuid.NewString(), ObservedAt: started,
				AgentID: prev.AgentID, Host: name, Scanner: src, StartedAt: &started, FinishedAt: &started,
				Status: wire.StatusOK, Attributes: map[string]string{"authority_moved_to": agentID}})
		}
		if err := g.o.Store.InsertRecords(ctx, handover); err != nil {
			return prev, fmt.Errorf("authority moved, but retiring the former authority's rows failed (set it again to retry): %w", err)
		}
	}
	return prev, nil
}

// ErrBadRequest marks an authority change that can never be valid.
var ErrBadRequest = errors.New("bad request")
