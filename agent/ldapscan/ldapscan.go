// Package ldapscan reads identities from an LDAP directory (OpenLDAP,
// FreeIPA-style: inetOrgPerson/posixAccount users, groupOfNames,
// groupOfUniqueNames and posixGroup groups), resolves nested membership on
// the client, cycle-safe, with the chain kept, and marks as privileged the
// transitive members of the groups the user names. It pages through the
// directory (simple paged results) with a pause between pages, so a
// production server is not hammered.
//
// On Active Directory (recognised from the root DSE) it also reads
// objectSid, primaryGroupID, userAccountControl, adminCount, logon and
// password times and SPNs, retrieves big groups' members in ranges, marks
// the well-known privileged groups by SID, and flags hygiene problems.
package ldapscan

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/agent/transport"
	"github.com/sightline-dev/sightline/internal/capool"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options configures a directory scan.
type Options struct {
	URL      string // ldap://host:389 or ldaps://host:636
	BaseDN   string
	BindDN   string
	Password string // from a file or the environment, never a flag
	StartTLS bool   // upgrade ldap:// with StartTLS
	// AllowPlaintext lets ldap:// without StartTLS reach a host other than
	// loopback: the bind password and the directory then cross the
	// network in clear (refused otherwise).
	AllowPlaintext bool
	CAFile         string // PEM CA bundle to verify the server
	// SkipVerify turns certificate verification off (test directories).
	SkipVerify bool
	Timeout    time.Duration // per operation (default 30 s)
	PageSize   uint32        // default 500
	PagePause  time.Duration // pause between pages
	// PrivilegedGroups are DNs whose transitive members are privileged (on
	// Active Directory, in addition to the well-known privileged groups).
	PrivilegedGroups []string
	// StaleDays: an enabled AD account with no logon for this long is
	// stale (default 90; lastLogonTimestamp lags by up to 14 days).
	StaleDays int
	// RangeStep, when set, reads every AD group's members in ranges of
	// this size (member;range=…) even when the server would send them
	// whole; AD itself sends ranges of 1500 for bigger groups.
	RangeStep int
	// MaxEntries bounds the entries read, and the members read in
	// ranges of one group (default DefaultMaxEntries): a directory that
	// sends more makes the scan partial, not the agent's memory grow.
	MaxEntries int
	// MaxMessageBytes bounds one message from the server (default
	// DefaultMaxMessageBytes): a bigger one ends the read, partial.
	MaxMessageBytes int
	// MaxKeptBytes bounds the names, DNs and member lists the scan keeps
	// (default DefaultMaxKeptBytes): past it the read stops, partial.
	MaxKeptBytes int
	AgentID      string
	Now          func() time.Time
	Logger       *slog.Logger
}

// DefaultMaxEntries is the default bound on the entries a scan reads: a
// very large directory, far beyond what memory would hold otherwise
// (scans.ldap.max_entries).
const DefaultMaxEntries = limits.LDAPMaxEntries

// errTooMany is a search stopped at the scan's entry bound.
var errTooMany = errors.New("too many entries")

// DefaultMaxKeptBytes bounds what a scan keeps of the directory: the
// names, DNs and member lists of its entries (a directory of 100,000
// users and 10,000 nested groups keeps well under 100 MiB;
// scans.ldap.max_kept_bytes).
const DefaultMaxKeptBytes = limits.LDAPMaxKeptBytes

// budget is what the scan may keep, in bytes, and has kept.
type budget struct{ limit, used int64 }

// overBudget is a read stopped at the budget of limit bytes.
type overBudget struct{ limit int64 }

func (e *overBudget) Error() string { return fmt.Sprintf("over the %d-byte budget", e.limit) }

// take spends n bytes, or says the budget is spent.
func (b *budget) take(n int) error {
	b.used += int64(n)
	if b.used > b.limit {
		return &overBudget{limit: b.limit}
	}
	return nil
}

// entry is what the scan keeps of a directory entry.
type entry struct {
	dn, name  string
	isGroup   bool
	members   []string // member / uniqueMember DNs (lower-cased)
	memberUID []string // posixGroup memberUid
	uid       string
	gidNumber string // posixAccount: primary group; posixGroup: its number
	disabled  bool

	// Active Directory
	sid, sam, manager     string
	primaryGroupID        string
	uac, adminCount       int64
	lastLogon, pwdLastSet *time.Time
	created               *time.Time
	spns                  int
	computer, gmsa        bool
	rangedMembers         bool // the server sent member;range=…
}

// Scan reads the directory and emits principal and entitlement records and
// a scan record. A failed connection or bind is an error whose message
// says what to fix; a partial read is a partial scan.
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	o.Timeout = defaults.Positive(o.Timeout, 30*time.Second)
	if o.PageSize == 0 {
		o.PageSize = 500
	}
	o.MaxEntries = defaults.Positive(o.MaxEntries, DefaultMaxEntries)
	o.MaxMessageBytes = defaults.Positive(o.MaxMessageBytes, DefaultMaxMessageBytes)
	o.MaxKeptBytes = defaults.Positive(o.MaxKeptBytes, DefaultMaxKeptBytes)
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = cmp.Or(o.Logger, slog.Default())
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
		return nil, fmt.Errorf("ldap scan: --url must be ldap://host[:port] or ldaps://host[:port], not %q", o.URL)
	}
	server := u.Hostname()
	run := scanrun.Begin(scanrun.Options{Scanner: "ldap", Source: wire.SourceLDAP, Host: server, AgentID: o.AgentID, Now: o.Now})
	env := run.Record
	// failed reports a scan that could not run: a scan record with the
	// reason (so the collector shows it), and the error for the caller.
	failed := func(err error) (*wire.Record, error) {
		run.Problem(err.Error())
		rec, eerr := run.Finish(wire.StatusFailed, emit)
		if eerr != nil {
			return nil, eerr
		}
		return rec, err
	}
	if u.Scheme == "ldap" && !o.StartTLS && !o.AllowPlaintext && !transport.IsLoopback(server) {
		return failed(fmt.Errorf("ldap scan: ldap://%s without StartTLS would send the bind password and the directory in clear: use ldaps://, start_tls: true (--start-tls), or allow_plaintext: true (--allow-plaintext) to accept that", u.Host))
	}
	conn, lc, err := dial(ctx, o, u)
	if err != nil {
		return failed(err)
	}
	defer conn.Close()
	// A cancelled scan closes the connection: a bind or search waiting on
	// a server that does not answer ends now, not at its timeout.
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	if o.BindDN != "" {
		if err := conn.Bind(o.BindDN, o.Password); err != nil {
			if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
				return failed(fmt.Errorf("ldap scan: bind as %s refused: wrong DN or password (result code 49)", o.BindDN))
			}
			return failed(fmt.Errorf("ldap scan: bind as %s failed: %s", o.BindDN, oneLine(err)))
		}
	}

	entries := map[string]*entry{}
	ad := isActiveDirectory(ctx, conn)
	filter := "(|(objectClass=inetOrgPerson)(objectClass=posixAccount)(objectClass=person)" +
		"(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))"
	attrs := []string{"objectClass", "cn", "uid", "member", "uniqueMember", "memberUid", "gidNumber", "pwdAccountLockedTime", "manager"}
	if ad {
		filter = "(|(objectClass=user)(objectClass=group))"
		attrs = []string{"objectClass", "cn", "sAMAccountName", "member", "objectSid", "primaryGroupID", "userAccountControl",
			"adminCount", "lastLogonTimestamp", "pwdLastSet", "servicePrincipalName", "manager", "whenCreated"}
	}
	// Many reports share one manager: keep one copy of each manager DN.
	managerDNs := map[string]string{}
	longNames := 0
	kept := &budget{limit: int64(o.MaxKeptBytes)}
	err = page(ctx, conn, o, filter, attrs, func(e *ldap.Entry) error {
		x := &entry{dn: strings.ToLower(e.DN), uid: e.GetAttributeValue("uid"), gidNumber: e.GetAttributeValue("gidNumber")}
		for _, oc := range e.GetAttributeValues("objectClass") {
			switch strings.ToLower(oc) {
			case "groupofnames", "groupofuniquenames", "posixgroup", "group":
				x.isGroup = true
			case "computer":
				x.computer = true
			case "msds-groupmanagedserviceaccount":
				x.gmsa = true
			}
		}
		x.name = e.GetAttributeValue("cn")
		if !x.isGroup && x.uid != "" {
			x.name = x.uid
		}
		if ad {
			readAD(x, e)
		}
		if x.name == "" {
			x.name = e.DN
		}
		for _, a := range e.Attributes {
			n := strings.ToLower(a.Name)
			switch {
			case n == "member" || n == "uniquemember":
			case strings.HasPrefix(n, "member;range="):
				x.rangedMembers = true
			default:
				continue
			}
			for _, m := range a.Values {
				x.members = append(x.members, strings.ToLower(m))
			}
		}
		x.memberUID = e.GetAttributeValues("memberUid")
		if m := strings.ToLower(e.GetAttributeValue("manager")); m != "" {
			if d, ok := managerDNs[m]; ok {
				m = d
			} else {
				managerDNs[m] = m
			}
			x.manager = m
		}
		x.disabled = x.disabled || e.GetAttributeValue("pwdAccountLockedTime") != ""
		if len(x.name) > wire.MaxStringLen || len(x.dn) > wire.MaxStringLen {
			// No directory names an account so; its record would be
			// refused by the collector with the rest of its batch.
			longNames++
			return nil
		}
		if err := kept.take(x.size()); err != nil {
			return err
		}
		entries[x.dn] = x
		return nil
	})
	if longNames > 0 {
		run.Problem(fmt.Sprintf("%d entries with a name or DN longer than %d bytes: left out", longNames, wire.MaxStringLen))
	}
	if ad && err == nil {
		if rerr := rangedMembers(ctx, conn, o, entries, kept); rerr != nil {
			err = rerr
		}
		primaryGroups(entries)
	}
	err = lc.explain(err)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		if len(entries) == 0 {
			return failed(fmt.Errorf("ldap scan: %w", err))
		}
		run.Problem(err.Error())
	}

	id := func(dn string) string {
		if x := entries[dn]; x != nil && x.sid != "" {
			return wire.DirectoryPrincipalID(server, x.sid) // SIDs survive renames and moves
		}
		return wire.DirectoryPrincipalID(server, dn)
	}
	parents := memberParents(entries)
	privileged := map[string]bool{}
	for _, dn := range o.PrivilegedGroups {
		privileged[strings.ToLower(dn)] = true
	}
	wellKnown := map[string]string{}
	for dn, x := range entries {
		if !x.isGroup || !ad {
			continue
		}
		if n := privilegedSID(x.sid); n != "" {
			wellKnown[dn] = n
		} else if strings.EqualFold(x.sam, "DnsAdmins") {
			wellKnown[dn] = "DnsAdmins"
		}
	}
	for dn := range wellKnown {
		privileged[dn] = true
	}
	o.StaleDays = defaults.Positive(o.StaleDays, 90)
	staleBefore := o.Now().Add(-time.Duration(o.StaleDays) * 24 * time.Hour)
	stats := run.Stats
	for _, dn := range slices.Sorted(maps.Keys(entries)) {
		x := entries[dn]
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name = id(dn), x.name
		r.PrincipalType = "user"
		switch {
		case x.isGroup:
			r.PrincipalType = "group"
			stats["groups"]++
		case x.computer:
			r.PrincipalType = "computer"
			stats["computers"]++
		case x.gmsa:
			r.PrincipalType = "service"
			stats["users"]++
		default:
			stats["users"]++
		}
		if !x.isGroup {
			enabled := !x.disabled
			r.Enabled = &enabled
		}
		r.Attributes = map[string]string{"dn": dn}
		if ad {
			r.LastLogin, r.PasswordLastSet = x.lastLogon, x.pwdLastSet
			adAttributes(r.Attributes, x)
		}
		managerAttributes(r.Attributes, x, entries, ad, id)
		chains := chainsOf(dn, parents)
		var via []string
		for _, c := range chains {
			if privileged[c.group] {
				via = append(via, "member of "+entries[c.group].name+c.text(entries))
			}
		}
		if n, ok := wellKnown[dn]; ok {
			via = append(via, "well-known privileged group "+n)
		} else if privileged[dn] {
			via = append(via, "privileged group (configured)")
		}
		sort.Strings(via)
		r.Privileged, r.PrivilegedVia = len(via) > 0, via
		if r.Privileged {
			stats["privileged"]++
		}
		stale := ad && !x.isGroup && !x.disabled && (x.lastLogon == nil || x.lastLogon.Before(staleBefore))
		if h := hygiene(x, r.Privileged, stale); len(h) > 0 {
			r.Attributes["hygiene"] = strings.Join(h, ",")
		}
		if stale {
			r.Attributes["stale"] = "true"
		}
		if err := emit(&r); err != nil {
			return nil, err
		}
		for _, c := range chains {
			e := env(wire.KindEntitlement)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = id(dn), id(c.group), "group", "member"
			e.Via = c.names(entries)
			e.Privileged = privileged[c.group]
			if err := emit(&e); err != nil {
				return nil, err
			}
		}
	}
	return run.Finish(run.Status(), emit)
}

// size is about what x holds, in bytes, for the scan's budget.
func (x *entry) size() int {
	n := 128 + len(x.dn) + len(x.name) + len(x.uid) + len(x.gidNumber) + len(x.sid) + len(x.sam) + len(x.manager) + len(x.primaryGroupID)
	for _, m := range x.members {
		n += 16 + len(m)
	}
	for _, m := range x.memberUID {
		n += 16 + len(m)
	}
	return n
}

// managerAttributes names the entry's manager (the manager attribute of
// inetOrgPerson and AD users): manager_dn (lower-cased, as member DNs are), manager
// as the manager's principal_id, and manager_name as the manager's account
// name (uid, sAMAccountName) when the manager's entry was read in this
// scan. On AD the id is made from the manager's objectSid, which only its
// entry gives: a manager outside the scanned base has no manager id there
// rather than a DN-based one that no principal would carry.
func managerAttributes(a map[string]string, x *entry, entries map[string]*entry, ad bool, id func(string) string) {
	if x.manager == "" {
		return
	}
	a["manager_dn"] = x.manager
	m := entries[x.manager]
	if m == nil || m.isGroup {
		if !ad && m == nil {
			a["manager"] = id(x.manager)
		}
		return
	}
	a["manager"] = id(x.manager)
	if n := accountName(m); n != "" {
		a["manager_name"] = n
	}
}

// accountName is the name an account logs in with: sAMAccountName on AD,
// uid elsewhere; "" for an entry without one.
func accountName(x *entry) string {
	if x.sam != "" {
		return x.sam
	}
	return x.uid
}

func dial(ctx context.Context, o Options, u *url.URL) (*ldap.Conn, *limitConn, error) {
	tc := &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: o.SkipVerify} //nolint:gosec // only when asked for
	if o.CAFile != "" {
		pool, err := capool.Load(o.CAFile, "CA file")
		if err != nil {
			return nil, nil, fmt.Errorf("ldap scan: %w", err)
		}
		tc.RootCAs = pool
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"ldap": ldap.DefaultLdapPort, "ldaps": ldap.DefaultLdapsPort}[u.Scheme])
	}
	conn, lc, err := connect(ctx, o, u.Scheme, addr, tc)
	var se *stepError
	switch {
	case err == nil:
		return conn, lc, nil
	case errors.As(err, &se) && se.step == "tls":
		// A connection that was made and then failed is the TLS handshake
		// (a certificate not trusted, or a server that does not speak TLS).
		return nil, nil, fmt.Errorf("ldap scan: TLS with %s failed (give --ca-file for its CA, or check it serves LDAPS): %s", u.Host, oneLine(err))
	case errors.As(err, &se) && se.step == "starttls":
		return nil, nil, fmt.Errorf("ldap scan: StartTLS with %s failed (give --ca-file, or use ldaps://): %s", u.Host, oneLine(err))
	}
	return nil, nil, fmt.Errorf("ldap scan: cannot reach %s: %s", u.Host, oneLine(err))
}

// page runs a paged subtree search, calling fn for each entry as it
// arrives, pausing between pages; the server's size and time limits, more
// than MaxEntries entries, or paging that would not end (a thousand empty
// pages in a row, an oversized cookie) end it with an error that keeps
// what was read.
func page(ctx context.Context, conn *ldap.Conn, o Options, filter string, attrs []string, fn func(*ldap.Entry) error) error {
	paging := ldap.NewControlPaging(o.PageSize)
	var guard objscan.Paging
	total := 0
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		req := ldap.NewSearchRequest(o.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			filter, attrs, []ldap.Control{paging})
		got, controls, err := searchEach(ctx, conn, req, o.MaxEntries-total, fn)
		total += got
		if err != nil {
			var over *overBudget
			if errors.As(err, &over) {
				return fmt.Errorf("the names, DNs and member lists read passed %d MiB: the rest were not read (narrow --base-dn)", over.limit>>20)
			}
			if errors.Is(err, errTooMany) {
				return fmt.Errorf("more than %d entries under %s: the rest were not read (narrow --base-dn)", o.MaxEntries, o.BaseDN)
			}
			if ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) || ldap.IsErrorWithCode(err, ldap.LDAPResultTimeLimitExceeded) {
				return fmt.Errorf("the server's size or time limit ended the search after page %d: raise it for the bind DN", n+1)
			}
			if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
				return fmt.Errorf("base DN %s does not exist on the server: check --base-dn", o.BaseDN)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("search under %s failed on page %d: %s", o.BaseDN, n+1, oneLine(err))
		}
		ctrl := ldap.FindControl(controls, ldap.ControlTypePaging)
		pc, ok := ctrl.(*ldap.ControlPaging)
		if !ok || len(pc.Cookie) == 0 {
			return nil
		}
		// An RFC 2696 cookie is opaque and a server may send the same one
		// for every page (Samba AD does), so a repeated cookie is no loop:
		// pages without entries are, and an endless answer ends at
		// MaxEntries. The guard sees no token, only the pages' counts.
		if len(pc.Cookie) > objscan.MaxPageToken {
			return fmt.Errorf("paged search under %s stopped after page %d: a paging cookie of %d bytes, over %d KiB: not a directory's answer", o.BaseDN, n+1, len(pc.Cookie), objscan.MaxPageToken>>10)
		}
		if err := guard.Next("", got); err != nil {
			return fmt.Errorf("paged search under %s stopped after page %d: %w", o.BaseDN, n+1, err)
		}
		paging.SetCookie(pc.Cookie)
		if o.PagePause > 0 {
			select {
			case <-time.After(o.PagePause):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// searchEach runs req, handing each entry to fn as it arrives (memory
// holds one entry of the answer at a time, not the whole answer); an
// entry beyond limit stops the search with errTooMany, an error of fn
// with that error. It returns the entries handed to fn and the controls
// that ended the search.
func searchEach(ctx context.Context, conn *ldap.Conn, req *ldap.SearchRequest, limit int, fn func(*ldap.Entry) error) (int, []ldap.Control, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops reading an answer left unfinished
	r := conn.SearchAsync(sctx, req, 16)
	n := 0
	for r.Next() {
		e := r.Entry()
		if e == nil {
			continue // a referral or a control
		}
		if n >= limit {
			return n, nil, errTooMany
		}
		if err := fn(e); err != nil {
			return n, nil, err
		}
		n++
	}
	if err := r.Err(); err != nil {
		return n, nil, err
	}
	if err := ctx.Err(); err != nil {
		return n, nil, err // cancellation is not an error of SearchAsync
	}
	if conn.IsClosing() {
		// SearchAsync on a connection already lost ends as an empty
		// search would: not a search that ended.
		if err := conn.GetLastError(); err != nil {
			return n, nil, fmt.Errorf("the connection was lost: %w", err)
		}
		return n, nil, errors.New("the connection was lost")
	}
	return n, r.Controls(), nil
}

// chain is one transitive membership: the group, and the groups between it
// and the member (innermost first).
type chain struct {
	group string
	path  []string
}

func (c chain) names(es map[string]*entry) []string {
	out := make([]string, 0, len(c.path))
	for _, g := range c.path {
		out = append(out, es[g].name)
	}
	return out
}

func (c chain) text(es map[string]*entry) string {
	if len(c.path) == 0 {
		return ""
	}
	return " via " + strings.Join(c.names(es), " → ")
}

// memberParents maps each entry to the groups that list it directly
// (member, uniqueMember, memberUid, a posixGroup's gidNumber as primary
// group), and drops the member lists it was built from.
func memberParents(es map[string]*entry) map[string][]string {
	byUID := map[string]string{}
	byGID := map[string][]string{} // gidNumber → users whose primary group it is
	for dn, e := range es {
		if !e.isGroup {
			if e.uid != "" {
				byUID[e.uid] = dn
			}
			if e.gidNumber != "" {
				byGID[e.gidNumber] = append(byGID[e.gidNumber], dn)
			}
		}
	}
	parents := map[string][]string{}
	for dn, e := range es {
		if !e.isGroup {
			continue
		}
		direct := e.members
		for _, u := range e.memberUID {
			if m, ok := byUID[u]; ok {
				direct = append(direct, m)
			}
		}
		if e.gidNumber != "" {
			direct = append(direct, byGID[e.gidNumber]...)
		}
		seen := make(map[string]bool, len(direct))
		for _, m := range direct {
			if !seen[m] && m != dn {
				seen[m] = true
				parents[m] = append(parents[m], dn)
			}
		}
		e.members, e.memberUID = nil, nil
	}
	return parents
}

// chainsOf returns the groups dn belongs to directly or through other
// groups, each with its shortest chain, breadth first up the parent links;
// a group already visited is not entered again, so cycles end. Computed
// per entry while emitting, so memory holds one entry's chains at a time.
func chainsOf(dn string, parents map[string][]string) []chain {
	var out []chain
	visited := map[string]bool{dn: true}
	type item struct {
		group string
		path  []string
	}
	var queue []item
	for _, p := range parents[dn] {
		queue = append(queue, item{p, nil})
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if visited[it.group] {
			continue
		}
		visited[it.group] = true
		out = append(out, chain{it.group, it.path})
		for _, p := range parents[it.group] {
			if !visited[p] {
				queue = append(queue, item{p, append(append([]string(nil), it.path...), it.group)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].group < out[j].group })
	return out
}

// oneLine flattens a library error to one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
