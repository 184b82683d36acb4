// Package smbscan walks an SMB2/3 file share (a Windows file server, a
// NAS, Samba) with a read-only account, reads each file through the same
// content scanner as local files (agent/content), and reports what it
// found with who may read it: each file's NT ACL (its security
// descriptor, read with the SMB query-info for security) as entitlements
// whose principals are the directory SIDs the ACL names, with the ids the
// directory scan gives Active Directory principals (keyed by objectSid), so
// "who in AD can read the share with passports" has one answer.
//
// The share asset carries two sets of entitlements, told apart by their
// via: the share's own permissions ("share permission": the srvsvc
// NetrShareGetInfo level 502 descriptor, srvsvc.go), and its root
// folder's NT ACL ("ntacl", "share root"). Windows lets a user reach a
// file only when both the share permission and the file's ACL allow it;
// the scan reports both as they are, and each file's readers are those of
// its own ACL. Whether the share permission lets every user through is
// on each file as the attribute share_access: "everyone" (the file's ACL
// alone decides, the usual setting), "restricted" (its readers are at
// most the file ACL's: check the share's entitlements) or "unknown"
// (the server did not give the share's permissions to this account, as
// Windows does for administrators and server operators only; a problem
// of the scan says so).
package smbscan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	smb2 "github.com/cloudsoda/go-smb2"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/fsscan"
	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/ntsd"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options configures a share scan.
type Options struct {
	// Server is host[:port] (port 445 when left out).
	Server string
	// Share is the share's name (no slashes).
	Share string
	// Folder, when set, is where in the share the walk starts
	// (forward slashes).
	Folder string
	// User and Domain name the account (NTLMv2); Password comes from a
	// file or the environment, never a flag.
	User, Domain, Password string
	// Directory is the directory server as the directory scan names it
	// (the host of its LDAP URL), so SIDs here join its principals.
	// Default: the host of Server (a domain controller serving files).
	Directory string
	// Exclude holds path.Match globs matched against a file's or folder's
	// name and its path in the share; a matching folder is not entered.
	Exclude     []string
	MaxFileSize int64 // bytes read of one file; a larger one is read up to it and reported partial (default 100 MiB)
	// MaxFiles bounds the files looked at in one scan (default 1,000,000);
	// past it the scan stops, partial.
	MaxFiles int
	// MaxDepth bounds folder nesting (default 64), MaxFolders the folders
	// entered (default 1,000,000): past either the scan stops, partial,
	// so a server that lists folders without end cannot hold it.
	MaxDepth   int
	MaxFolders int
	// AllowUnsigned lets the scan run over a session whose messages the
	// server does not sign. Off, signing is required: without it someone
	// on the network could change the listings and permissions the scan
	// reports (Windows requires it by default since 24H2).
	AllowUnsigned bool
	// Timeout bounds each SMB operation but reading a file's content,
	// which MaxFileTime bounds (default limits.SMBCallTimeout, 30 s).
	Timeout        time.Duration
	MaxBytesPerSec int64
	// Content limits, as for local files (zero: defaults).
	MaxExpandedBytes int64
	MaxMembers       int
	MaxArchiveDepth  int
	MaxFileTime      time.Duration
	Detector         pii.Detector
	Tokenizer        *pii.Tokenizer
	// State, when set, makes the scan incremental: a file whose size and
	// modification time are unchanged is not read again.
	State   *State
	AgentID string
	Now     func() time.Time
	Logger  *slog.Logger
	// Dial, when set, opens the TCP connection (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Location is the location of a path in a share: smb://SERVER/SHARE/path.
func Location(server, share, p string) string {
	loc := "smb://" + server + "/" + share
	if p = strings.Trim(p, "/"); p != "" {
		loc += "/" + p
	}
	return loc
}

// securityInfo is the part of a descriptor read: owner, group and DACL
// (not the SACL, which needs a privilege a read-only account lacks).
const securityInfo = smb2.OwnerSecurityInformation | smb2.GroupSecurityInformation | smb2.DACLSecurityInformation

type scan struct {
	o      Options
	server string // the host, as locations name it
	sh     *smb2.Share
	sess   *smb2.Session
	run    *scanrun.Run
	emit   func(*wire.Record) error
	sc     *content.Scanner
	named  map[string]bool // well-known SIDs whose principal was emitted
	files  int
	// folders and listed count the folders queued and the entries of
	// every kind listed, against MaxFolders and MaxFiles+MaxFolders.
	folders, listed int
	// shareAccess is the files' share_access attribute (package doc).
	shareAccess string
}

// Scan walks the share and emits an asset for the share, and for each
// file with findings an asset, its pii records and its readers and
// writers; then the scan record. A failed connection, logon or mount is
// an error whose message says what to fix (and a failed scan record).
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	if o.Detector == nil || o.Tokenizer == nil {
		return nil, errors.New("smb scan: Detector and Tokenizer are required")
	}
	if o.Server == "" || o.Share == "" || strings.ContainsAny(o.Share, `/\`) {
		return nil, fmt.Errorf("smb scan: name the server (--server HOST[:PORT]) and one share (--share NAME, no slashes), not %q %q", o.Server, o.Share)
	}
	for _, g := range o.Exclude {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("smb scan: bad exclude glob %q: %w", g, err)
		}
	}
	o = o.withDefaults()
	addr := o.Server
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "445")
	}
	host, _, _ := net.SplitHostPort(addr)
	o.Directory = cmp.Or(o.Directory, host)
	s := &scan{o: o, server: host, emit: emit, named: map[string]bool{}}
	s.run = scanrun.Begin(scanrun.Options{Scanner: "smb", Source: wire.SourceSMB, Host: host, AgentID: o.AgentID, Now: o.Now})
	failed := func(err error) (*wire.Record, error) {
		s.run.Problem(err.Error())
		rec, eerr := s.run.Finish(wire.StatusFailed, emit)
		if eerr != nil {
			return nil, eerr
		}
		return rec, err
	}
	sess, err := s.logon(ctx, addr)
	if err != nil {
		return failed(err)
	}
	defer func() { _ = sess.Logoff() }()
	s.sess = sess
	mctx, cancel := context.WithTimeout(ctx, o.Timeout)
	sh, err := sess.WithContext(mctx).Mount(o.Share)
	cancel()
	if err != nil {
		return failed(fmt.Errorf("smb scan: mount \\\\%s\\%s as %s: %v (does the share exist, and may this account connect to it?)", host, o.Share, o.User, err))
	}
	defer func() { _ = sh.Umount() }()
	s.sh = sh
	o.State.Begin()
	s.sc = content.NewScanner(content.Options{Detector: o.Detector, Tokenizer: o.Tokenizer, MaxFileSize: o.MaxFileSize,
		MaxExpandedBytes: o.MaxExpandedBytes, MaxMembers: o.MaxMembers, MaxDepth: o.MaxArchiveDepth, MaxFileTime: o.MaxFileTime,
		Limiter: content.NewLimiter(o.MaxBytesPerSec)})
	for _, k := range []string{"files", "bytes", "skipped", "assets_with_pii", "unchanged"} {
		s.run.Stats[k] = 0
	}
	if err := s.shareAsset(ctx); err != nil {
		return nil, err
	}
	if err := s.walk(ctx, strings.Trim(o.Folder, "/"), 0); err != nil && !errors.Is(err, errWalkStopped) {
		return nil, err
	}
	return s.run.Finish(s.run.Status(), emit)
}

func (s *scan) logon(ctx context.Context, addr string) (*smb2.Session, error) {
	dial := s.o.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: s.o.Timeout}).DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smb scan: connect to %s: %w (is the server reachable on that port?)", addr, err)
	}
	lctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	d := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: s.o.User, Password: s.o.Password, Domain: s.o.Domain},
		Negotiator: smb2.Negotiator{RequireMessageSigning: !s.o.AllowUnsigned}}
	sess, err := d.DialConn(lctx, conn, addr)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("smb scan: log on to %s as %s\\%s refused: %v (check the user, domain and password)", addr, s.o.Domain, s.o.User, err)
	}
	return sess, nil
}

// op is the share bound to one operation's deadline.
func (s *scan) op(ctx context.Context, d time.Duration) (*smb2.Share, context.CancelFunc) {
	octx, cancel := context.WithTimeout(ctx, d)
	return s.sh.WithContext(octx), cancel
}

// shareAsset reports the share with its root folder's ACL.
func (s *scan) shareAsset(ctx context.Context) error {
	loc := Location(s.server, s.o.Share, "")
	id := wire.AssetID(wire.SourceSMB, s.server, loc)
	a := s.run.Record(wire.KindAsset)
	a.AssetID, a.AssetType, a.Location = id, "directory", loc
	a.Attributes = map[string]string{"share": s.o.Share}
	sd, err := s.descriptor(ctx, "")
	if err != nil {
		s.run.Problem(err.Error())
	}
	if sd != nil {
		a.Owner = sd.Owner
		a.Attributes["owner_sid"] = sd.Owner
	}
	perm, err := s.sharePermission(ctx)
	if err != nil {
		s.run.Problem(err.Error())
	}
	s.shareAccess = shareAccess(perm)
	a.Attributes["share_access"] = s.shareAccess
	if err := s.emit(&a); err != nil {
		return err
	}
	if err := s.grants(id, "directory", perm, "share permission"); err != nil {
		return err
	}
	return s.grants(id, "directory", sd, "share root")
}

// sharePermission reads the share's permissions over srvsvc (srvsvc.go).
// A share with no descriptor lets everyone through, as Windows treats it.
func (s *scan) sharePermission(ctx context.Context) (*ntsd.Descriptor, error) {
	loc := Location(s.server, s.o.Share, "")
	mctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	ipc, err := s.sess.WithContext(mctx).Mount("IPC$")
	if err != nil {
		return nil, fmt.Errorf("%s: share permissions: mount IPC$: %v (files are still scanned; their share_access is unknown)", loc, err)
	}
	defer func() { _ = ipc.Umount() }()
	raw, err := shareDescriptor(ipc.WithContext(mctx), s.server, s.o.Share)
	if err != nil {
		return nil, fmt.Errorf("%s: share permissions: %w (Windows gives them to administrators and server operators only; files are still scanned, their share_access is unknown)", loc, err)
	}
	if raw == nil {
		return &ntsd.Descriptor{}, nil
	}
	sd, err := ntsd.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: share permissions: %w", loc, err)
	}
	return sd, nil
}

// descriptor reads and parses p's security descriptor.
func (s *scan) descriptor(ctx context.Context, p string) (*ntsd.Descriptor, error) {
	sh, cancel := s.op(ctx, s.o.Timeout)
	defer cancel()
	raw, err := sh.SecurityInfoRaw(p, securityInfo)
	if err != nil {
		return nil, fmt.Errorf("%s: read security descriptor: %v (the account needs READ_CONTROL)", Location(s.server, s.o.Share, p), err)
	}
	sd, err := ntsd.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: security descriptor: %w", Location(s.server, s.o.Share, p), err)
	}
	return sd, nil
}

// limit records the problem and returns errWalkStopped once a bound of
// the walk is reached.
func (s *scan) limit() error {
	var why string
	switch {
	case s.files >= s.o.MaxFiles:
		why = fmt.Sprintf("stopped at %d files (max_files)", s.o.MaxFiles)
	case s.folders >= s.o.MaxFolders:
		why = fmt.Sprintf("stopped at %d folders (max_folders)", s.o.MaxFolders)
	case s.listed >= s.o.MaxFiles+s.o.MaxFolders:
		why = fmt.Sprintf("stopped after %d entries listed", s.listed)
	default:
		return nil
	}
	s.run.Problem(why)
	return errWalkStopped
}

// errWalkStopped ends a walk at a limit (the problem is recorded).
var errWalkStopped = errors.New("smb walk stopped at a limit")

// walk visits dir's entries, depth first, reading a directory in
// bounded batches. It stops the whole walk (errWalkStopped) at MaxFiles
// files, MaxFolders folders, or MaxFiles+MaxFolders entries of any kind
// listed (excluded ones and other kinds too, so no listing is endless).
func (s *scan) walk(ctx context.Context, dir string, depth int) error {
	if depth > s.o.MaxDepth {
		s.run.Problem(fmt.Sprintf("%s: deeper than %d folders, not entered", Location(s.server, s.o.Share, dir), s.o.MaxDepth))
		return nil
	}
	sh, cancel := s.op(ctx, s.o.Timeout)
	f, err := sh.Open(cmp.Or(dir, "."))
	if err != nil {
		cancel()
		s.run.Problem(fmt.Sprintf("%s: %v", Location(s.server, s.o.Share, dir), err))
		return nil
	}
	var subdirs []string
	for {
		if err := ctx.Err(); err != nil {
			f.Close()
			cancel()
			return fmt.Errorf("smb scan cancelled: %w", err)
		}
		infos, err := f.Readdir(256)
		for _, fi := range infos {
			if stop := s.limit(); stop != nil {
				f.Close()
				cancel()
				return stop
			}
			s.listed++
			p := path.Join(dir, fi.Name())
			switch {
			case s.excluded(p):
			case fi.IsDir():
				s.folders++
				subdirs = append(subdirs, p)
			case fi.Mode().IsRegular():
				s.files++
				if err := s.file(ctx, p, fi); err != nil {
					f.Close()
					cancel()
					return err
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.run.Problem(fmt.Sprintf("%s: list: %v", Location(s.server, s.o.Share, dir), err))
			}
			break
		}
		if len(infos) == 0 {
			break
		}
	}
	f.Close()
	cancel()
	for _, d := range subdirs {
		if stop := s.limit(); stop != nil {
			return stop
		}
		if err := s.walk(ctx, d, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (s *scan) excluded(p string) bool {
	for _, g := range s.o.Exclude {
		if ok, _ := path.Match(g, path.Base(p)); ok {
			return true
		}
		if ok, _ := path.Match(g, p); ok {
			return true
		}
	}
	return false
}

// file reads one file (or takes its last results when unchanged) and
// reports it when it holds findings.
func (s *scan) file(ctx context.Context, p string, fi os.FileInfo) error {
	loc := Location(s.server, s.o.Share, p)
	stats := s.run.Stats
	members, unchanged := fsscan.Unchanged(s.o.State, loc, fi)
	if !unchanged {
		var err error
		members, err = s.read(ctx, p, fi)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("smb scan cancelled: %w", ctx.Err())
			}
			s.run.Problem(fmt.Sprintf("%s: %v", loc, err))
			return nil
		}
		stats["bytes"] += fi.Size()
	} else {
		stats["unchanged"]++
	}
	if len(members) == 1 && members[0].Binary() {
		stats["skipped"]++
		return nil
	}
	stats["files"]++
	fsscan.Remember(s.o.State, loc, fi, members)
	var sd *ntsd.Descriptor
	for _, m := range members {
		if m.Partial != "" {
			s.run.Problem(fmt.Sprintf("%s: partial: %s", wire.MemberLocation(loc, m.Name), m.Partial))
		}
		if len(m.Results) == 0 {
			continue
		}
		if sd == nil {
			var err error
			if sd, err = s.descriptor(ctx, p); err != nil {
				s.run.Problem(err.Error())
			}
		}
		mloc := loc
		if m.Name != "" {
			mloc = wire.MemberLocation(loc, m.Name)
		}
		// A deep share path or an archive member's name can be longer
		// than a record holds: the collector would refuse the batch.
		mloc, shortened := wire.FitLocation(mloc)
		id := wire.AssetID(wire.SourceSMB, s.server, mloc)
		a := s.run.Record(wire.KindAsset)
		a.AssetID, a.AssetType, a.Location, a.Size = id, "file", mloc, fi.Size()
		mt := fi.ModTime().UTC().Truncate(time.Second)
		a.ModifiedAt = &mt
		a.Attributes = map[string]string{"share": s.o.Share, "share_access": s.shareAccess}
		if shortened {
			a.Attributes["location_shortened"] = "true"
			s.run.Problem(fmt.Sprintf("%s: location longer than a record holds (%d bytes): reported shortened", mloc, wire.MaxStringLen))
		}
		if sd != nil {
			a.Owner = sd.Owner
			a.Attributes["owner_sid"] = sd.Owner
			a.Attributes["everyone_readable"] = strconv.FormatBool(everyoneReads(sd))
		}
		if m.Partial != "" {
			a.Attributes["partial"] = m.Partial
		}
		if err := s.emit(&a); err != nil {
			return err
		}
		stats["assets_with_pii"]++
		// A member is as readable as the file holding it.
		if err := s.grants(id, "file", sd, ""); err != nil {
			return err
		}
		if err := content.EmitFindings(s.run.Record, id, mloc, m.Results, s.emit); err != nil {
			return err
		}
	}
	return nil
}

// read reads a file's content within the time bound.
func (s *scan) read(ctx context.Context, p string, fi os.FileInfo) ([]content.Member, error) {
	sh, cancel := s.op(ctx, s.o.MaxFileTime+s.o.Timeout)
	defer cancel()
	f, err := sh.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	members, _, err := s.sc.Read(ctx, p, f, f, fi.Size())
	return members, err
}

// shareAccess is the share_access attribute for the share's permission
// (nil: not known).
func shareAccess(perm *ntsd.Descriptor) string {
	switch {
	case perm == nil:
		return "unknown"
	case everyoneReads(perm):
		return "everyone"
	}
	return "restricted"
}

func everyoneReads(sd *ntsd.Descriptor) bool {
	for _, g := range sd.Grants() {
		if g.Read && (g.SID == ntsd.Everyone || g.SID == ntsd.AuthenticatedUsers) {
			return true
		}
	}
	return false
}

// grants emits an entitlement per right the descriptor gives each SID on
// the resource, and a principal for each well-known SID no directory
// reports (Everyone, Authenticated Users, …) the first time it is named.
func (s *scan) grants(resourceID, resourceType string, sd *ntsd.Descriptor, where string) error {
	if sd == nil {
		return nil
	}
	for _, g := range sd.Grants() {
		pid := wire.DirectoryPrincipalID(s.o.Directory, g.SID)
		if n := ntsd.WellKnownName(g.SID); n != "" && !s.named[g.SID] {
			s.named[g.SID] = true
			pr := s.run.Record(wire.KindPrincipal)
			pr.PrincipalID, pr.Name, pr.PrincipalType = pid, n, "group"
			if strings.HasPrefix(g.SID, "S-1-22-1-") {
				pr.PrincipalType = "user"
			}
			pr.Attributes = map[string]string{"sid": g.SID, "well_known": "true", "directory": s.o.Directory}
			if err := s.emit(&pr); err != nil {
				return err
			}
		}
		via := []string{"ntacl"}
		if where == "share permission" {
			via = nil
		}
		if where != "" {
			via = append(via, where)
		}
		if g.Full {
			via = append(via, "full control")
		}
		if g.Inherited {
			via = append(via, "inherited")
		}
		for _, perm := range []struct {
			name string
			ok   bool
		}{{"read", g.Read}, {"write", g.Write}} {
			if !perm.ok {
				continue
			}
			e := s.run.Record(wire.KindEntitlement)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = pid, resourceID, resourceType, perm.name
			e.Via = append([]string{g.SID}, via...)
			if err := s.emit(&e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	o.MaxFileSize = defaults.Positive(o.MaxFileSize, 100<<20)
	o.MaxFiles = defaults.Positive(o.MaxFiles, 1_000_000)
	o.MaxDepth = defaults.Positive(o.MaxDepth, 64)
	o.MaxFolders = defaults.Positive(o.MaxFolders, 1_000_000)
	o.Timeout = defaults.Positive(o.Timeout, limits.SMBCallTimeout)
	c := content.Options{MaxFileSize: o.MaxFileSize, MaxExpandedBytes: o.MaxExpandedBytes, MaxMembers: o.MaxMembers,
		MaxDepth: o.MaxArchiveDepth, MaxFileTime: o.MaxFileTime}.WithDefaults()
	o.MaxExpandedBytes, o.MaxMembers, o.MaxArchiveDepth, o.MaxFileTime = c.MaxExpandedBytes, c.MaxMembers, c.MaxDepth, c.MaxFileTime
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
