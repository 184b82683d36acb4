// Package jobs is the agent's one table of scanners. Each entry names a
// scanner, says whether a config enables it and on what schedule, and
// builds a ready scan from its config section. `sightline-agent run`
// schedules every enabled entry; each `sightline-agent scan NAME`
// subcommand fills the same config section from its flags and runs the
// entry once. So a scan is set up one way whichever mode starts it.
//
// One exit rule holds for every scanner:
//
//   - A one-shot scan (Once) that could not run, or whose scan record says
//     failed (nothing could be read: no path, no bucket list, no
//     directory), returns an error naming the scanner and its errors: the
//     command exits non-zero. A partial scan returns nil and logs each
//     problem as a warning; its records are complete for what was read.
//   - In run mode (Deliver) the same failure is returned to the scheduler,
//     which logs it as an error ("scan failed; will try again at the next
//     interval") and tries again at the next interval; the agent keeps
//     running, and the scan record, failed status and errors included,
//     still ships to the collector.
//
// A scan runs for at most its section's max_duration (when set; see
// Job.run): a server that answers slowly cannot hold it for hours. A scan
// that deadline ends keeps what it emitted, and its scan record says so
// ("scan stopped at max_duration 2h0m0s"): partial when it had emitted
// records, failed when it had emitted none. Either way the exit rule
// above applies as to any other partial or failed scan.
//
// Incremental state (fs, s3, db, smb, azblob, gcs) is saved only after a scan that did not fail
// and whose records were all delivered: a failed or cut-short scan (one
// max_duration ended included) is redone in full next time, never
// half-remembered.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sightline-dev/sightline/agent/awsclient"
	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/dbscan"
	"github.com/sightline-dev/sightline/agent/fsscan"
	"github.com/sightline-dev/sightline/agent/hostscan"
	"github.com/sightline-dev/sightline/agent/iamscan"
	"github.com/sightline-dev/sightline/agent/ldapscan"
	"github.com/sightline-dev/sightline/agent/s3scan"
	"github.com/sightline-dev/sightline/agent/smbscan"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Env is what a scan needs beyond its config section.
type Env struct {
	AgentID string
	// Host is the host name fs and host records report ("" = this host's).
	Host string
	// TokenKey keys the tokens of what fs and s3 find; required by the
	// entries whose Tokens is set.
	TokenKey []byte
	// StatePath gives a scanner's incremental state file; nil or "" means
	// a full scan with no state.
	StatePath func(scanner string) string
	// Getenv reads the environment (default os.Getenv): the LDAP password
	// may come from SIGHTLINE_LDAP_PASSWORD.
	Getenv func(string) string
	Logger *slog.Logger
	Now    func() time.Time
}

func (e Env) withDefaults() Env {
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.StatePath == nil {
		e.StatePath = func(string) string { return "" }
	}
	return e
}

// Emit takes one record of a scan.
type Emit = func(*wire.Record) error

// Job is one scan, ready to run once.
type Job struct {
	Name string
	// Scan runs the scan, emitting every record and last the scan record,
	// which it returns.
	Scan func(ctx context.Context, emit Emit) (*wire.Record, error)
	// Commit, when set, keeps what the scan learnt (its incremental
	// state); called once the records are all delivered.
	Commit func() error
	// MaxDuration bounds the whole scan (0: no bound): the section's
	// max_duration, set by the table's Build.
	MaxDuration time.Duration
	// Host is what the scan reads as its scan record names it (an LDAP
	// server, a DSN's host:port, an account or project; "" for this
	// host), for the record written when MaxDuration ends a scan before
	// it emitted any.
	Host string
	// Stuck, when set, counts this scanner's scans left behind at
	// MaxDuration that have not returned (see run): the runner keeps one
	// per scanner, so a scanner blocked for good (a hung NFS home
	// directory under a host scan) holds one goroutine, not one more at
	// every run, and each run says why it did not start.
	Stuck   *atomic.Int32
	agentID string
	now     func() time.Time
	// leave, when set, replaces DefaultLeaveAfter (tests).
	leave time.Duration
}

// DefaultLeaveAfter is how long past its MaxDuration a scanner may take
// to return before it is left behind: ample for any scanner to notice
// its context ended, unless a call it made never returns.
const DefaultLeaveAfter = time.Minute

func (j Job) leaveAfter() time.Duration {
	if j.leave > 0 {
		return j.leave
	}
	return DefaultLeaveAfter
}

// errLeftBehind is what a scanner left behind gets from emit.
var errLeftBehind = errors.New("scan left behind at max_duration: its records are no longer taken")

// Entry is one scanner in the table.
type Entry struct {
	Name string
	// Tokens says the scan needs Env.TokenKey.
	Tokens bool
	// Section reads the scanner's config section: enabled, and when.
	Section func(config.Scans) (enabled bool, when config.Schedule)
	Build   func(ctx context.Context, s config.Scans, env Env) (Job, error)
}

// Table returns the scanners, in the order run mode starts them.
func Table() []Entry {
	t := []Entry{
		{Name: "fs", Tokens: true, Build: buildFS,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.FS.Enabled, s.FS.Schedule }},
		{Name: "host", Build: buildHost,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.Host.Enabled, s.Host.Schedule }},
		{Name: "ldap", Build: buildLDAP,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.LDAP.Enabled, s.LDAP.Schedule }},
		{Name: "s3", Tokens: true, Build: buildS3,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.S3.Enabled, s.S3.Schedule }},
		{Name: "iam", Build: buildIAM,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.IAM.Enabled, s.IAM.Schedule }},
		{Name: "db", Tokens: true, Build: buildDB,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.DB.Enabled, s.DB.Schedule }},
		{Name: "smb", Tokens: true, Build: buildSMB,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.SMB.Enabled, s.SMB.Schedule }},
		{Name: "azblob", Tokens: true, Build: buildAzBlob,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.AzBlob.Enabled, s.AzBlob.Schedule }},
		{Name: "gcs", Tokens: true, Build: buildGCS,
			Section: func(s config.Scans) (bool, config.Schedule) { return s.GCS.Enabled, s.GCS.Schedule }},
	}
	for i := range t {
		t[i].Build = bounded(t[i])
	}
	return t
}

// bounded is e's Build giving the job its section's max_duration and
// the envelope of a scan record it may have to write (see Job.run).
func bounded(e Entry) func(context.Context, config.Scans, Env) (Job, error) {
	build := e.Build
	return func(ctx context.Context, s config.Scans, env Env) (Job, error) {
		j, err := build(ctx, s, env)
		if err != nil {
			return j, err
		}
		_, when := e.Section(s)
		env = env.withDefaults()
		j.MaxDuration, j.agentID, j.now = when.MaxDuration, env.AgentID, env.Now
		return j, nil
	}
}

// Names lists the scanners, for messages.
func Names() []string {
	var out []string
	for _, e := range Table() {
		out = append(out, e.Name)
	}
	return out
}

// Lookup finds a scanner by name.
func Lookup(name string) (Entry, bool) {
	for _, e := range Table() {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Once runs j once for a command: it emits the records, then applies the
// exit rule (see the package doc): an error when the scan could not run or
// failed, nil when it ran (partial problems are logged as warnings), in
// which case its state is committed unless max_duration ended it.
func Once(ctx context.Context, j Job, emit Emit, log *slog.Logger) (*wire.Record, error) {
	res, stopped, err := j.run(ctx, emit)
	if err != nil {
		return res, err
	}
	if err := Outcome(j.Name, res); err != nil {
		return res, err
	}
	for _, e := range res.Errors {
		log.Warn(j.Name+" scan problem", "problem", e)
	}
	if j.Commit != nil && !stopped {
		if err := j.Commit(); err != nil {
			return res, fmt.Errorf("%s scan done, but its incremental state was not saved: %w", j.Name, err)
		}
	}
	return res, nil
}

// Deliver runs j once in run mode: emit takes each record, flush is called
// once the scan has emitted its last (a scan that failed to run included,
// if it emitted a scan record), then the exit rule: a failed scan is an
// error for the scheduler to log and retry at the next interval. After a
// scan that did not fail the state is committed, unless max_duration
// ended the scan (a warning); a commit that fails is only a warning (the
// scan is complete and delivered: the cost is a full read next time,
// nothing is lost).
func Deliver(ctx context.Context, j Job, emit Emit, flush func(context.Context) error, log *slog.Logger) (*wire.Record, error) {
	res, stopped, err := j.run(ctx, emit)
	if res != nil {
		if ferr := flush(ctx); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err != nil {
		return res, err
	}
	if err := Outcome(j.Name, res); err != nil {
		return res, err
	}
	if stopped {
		log.Warn(j.Name + " " + stopReason(j.MaxDuration) + "; what it read is shipped, the next scan reads everything again")
		return res, nil
	}
	if j.Commit != nil {
		if err := j.Commit(); err != nil {
			log.Warn(j.Name+" scan done, but its incremental state was not saved; the next scan reads everything again", "err", err)
		}
	}
	return res, nil
}

// Outcome is the exit rule for a scan that ran to its scan record: an
// error when the record says failed, with the scanner's errors.
func Outcome(name string, res *wire.Record) error {
	if res == nil {
		return fmt.Errorf("%s scan returned no scan record", name)
	}
	if res.Status != wire.StatusFailed {
		return nil
	}
	msg := strings.Join(res.Errors, "; ")
	if msg == "" {
		msg = "nothing could be read"
	}
	return fmt.Errorf("%s scan failed: %s", name, msg)
}

func tokenizer(env Env) (*pii.Tokenizer, error) {
	if len(env.TokenKey) == 0 {
		return nil, errors.New("no token key: enroll the agent or set SIGHTLINE_TOKEN_KEY")
	}
	return pii.NewTokenizer(env.TokenKey), nil
}

// loadState loads scanner name's incremental state when env gives it a
// path (nil otherwise: a full scan). A damaged state is logged, and the
// scan starts from an empty one.
func loadState[S any](env Env, name string, tok *pii.Tokenizer, detectors string, load func(string, *pii.Tokenizer, string) (S, error)) S {
	var state S
	if p := env.StatePath(name); p != "" {
		var err error
		if state, err = load(p, tok, detectors); err != nil {
			env.Logger.Warn(err.Error())
		}
	}
	return state
}

// contentSetup is what a scanner that reads content (fs, s3, smb, azblob,
// gcs) needs beside its own config section: the tokenizer of what it
// finds, its detector and its incremental state.
type contentSetup[S any] struct {
	tok   *pii.Tokenizer
	det   pii.Detector
	state S // nil: a full scan
}

// setupContent makes scanner name's tokenizer (an error without a token
// key), its detector reading phone numbers in phoneRegion (an error naming
// the scanner for a bad custom detector), and its incremental state loaded
// with load (see loadState).
func setupContent[S any](s config.Scans, name, phoneRegion string, env Env, load func(string, *pii.Tokenizer, string) (S, error)) (contentSetup[S], error) {
	tok, err := tokenizer(env)
	if err != nil {
		return contentSetup[S]{}, err
	}
	det, err := detector(s, phoneRegion, env)
	if err != nil {
		return contentSetup[S]{}, fmt.Errorf("%s scan: %w", name, err)
	}
	return contentSetup[S]{tok: tok, det: det, state: loadState(env, name, tok, pii.VersionOf(det), load)}, nil
}

func buildFS(_ context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	fc := s.FS
	c, err := setupContent(s, "fs", fc.PhoneRegion, env, fsscan.LoadState)
	if err != nil {
		return Job{}, err
	}
	return Job{Name: "fs", Host: env.Host,
		Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
			return fsscan.Scan(ctx, fsscan.Options{
				Paths: fc.Paths, Include: fc.Include, Exclude: fc.Exclude, MaxFileSize: fc.MaxFileSize,
				Detector: c.det, Tokenizer: c.tok, Host: env.Host, AgentID: env.AgentID,
				Logger: env.Logger, Now: env.Now, State: c.state,
				MaxBytesPerSec: int64(fc.MaxMBPerSec * (1 << 20)), CrossFilesystems: fc.CrossFilesystems, Root: fc.Root,
			}, emit)
		},
		Commit: c.state.Save, // a nil state saves nothing
	}, nil
}

func buildHost(_ context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	hc := s.Host
	return Job{Name: "host", Host: env.Host, Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
		return hostscan.Scan(ctx, hostscan.Options{Root: hc.Root, Host: env.Host, AgentID: env.AgentID, Logger: env.Logger, Now: env.Now}, emit)
	}}, nil
}

// password reads a scanner's password from file, else the environment
// variable name.
func password(scanner, file, name string, env Env) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s scan: reading the password file: %w", scanner, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return env.Getenv(name), nil
}

// ldapPassword reads the bind password from password_file, else
// SIGHTLINE_LDAP_PASSWORD; never from the config or a flag.
func ldapPassword(lc config.LDAPScan, env Env) (string, error) {
	pw, err := password("ldap", lc.PasswordFile, "SIGHTLINE_LDAP_PASSWORD", env)
	if err != nil || lc.PasswordFile != "" {
		return pw, err
	}
	if pw == "" && lc.BindDN != "" {
		return "", fmt.Errorf("ldap scan: bind DN %s has no password: set password_file (--password-file) or SIGHTLINE_LDAP_PASSWORD", lc.BindDN)
	}
	return pw, nil
}

func buildLDAP(_ context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	lc := s.LDAP
	if lc.URL == "" || lc.BaseDN == "" {
		return Job{}, errors.New("ldap scan: the directory's url and base DN are required")
	}
	pw, err := ldapPassword(lc, env)
	if err != nil {
		return Job{}, err
	}
	var server string // as ldapscan names it; a bad URL fails the scan at once
	if u, err := url.Parse(lc.URL); err == nil {
		server = u.Hostname()
	}
	o := ldapOptions(lc, pw, env)
	return Job{Name: "ldap", Host: server, Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
		return ldapscan.Scan(ctx, o, emit)
	}}, nil
}

// ldapOptions are the directory scan's options from its config section;
// a bound left 0 (a section not read from agent.yaml) is ldapscan's
// default.
func ldapOptions(lc config.LDAPScan, pw string, env Env) ldapscan.Options {
	return ldapscan.Options{URL: lc.URL, BaseDN: lc.BaseDN, BindDN: lc.BindDN,
		Password: pw, StartTLS: lc.StartTLS, AllowPlaintext: lc.AllowPlaintext, CAFile: lc.CAFile,
		SkipVerify: lc.TLSSkipVerify, PrivilegedGroups: lc.PrivilegedGroups, PagePause: lc.PagePause,
		StaleDays: lc.StaleDays, MaxEntries: lc.MaxEntries, MaxMessageBytes: int(lc.MaxMessageBytes),
		MaxKeptBytes: int(lc.MaxKeptBytes), AgentID: env.AgentID, Logger: env.Logger, Now: env.Now}
}

// awsBounds are the client options of a section's call bounds; a bound
// left 0 (a section not read from agent.yaml) is awsclient's default.
func awsBounds(b config.CallBounds) []awsclient.Option {
	var out []awsclient.Option
	if b.CallTimeout > 0 {
		out = append(out, awsclient.WithCallTimeout(b.CallTimeout))
	}
	if b.MaxResponseBytes > 0 {
		out = append(out, awsclient.WithMaxResponseBytes(b.MaxResponseBytes))
	}
	return out
}

// buildS3 makes the S3 client from the SDK's standard credential chain
// (environment, shared config and profiles, web identity, instance and
// task roles), with its adaptive retryer.
func buildS3(ctx context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	sc := s.S3
	// S3's sampling settings predate config.ObjectSampling: the same
	// meaning, no object timeout (the default).
	common, err := objectCommon(s, "s3", config.ObjectSampling{Prefix: sc.Prefix, SamplePercent: sc.SamplePercent,
		MaxObjects: sc.MaxObjects, BytesPerObject: sc.BytesPerObject, RandomStart: sc.RandomStart}, sc.PhoneRegion, env, s3scan.LoadState)
	if err != nil {
		return Job{}, err
	}
	client, err := awsclient.S3(ctx, sc.Region, sc.Endpoint, sc.PathStyle, awsBounds(sc.CallBounds)...)
	if err != nil {
		return Job{}, fmt.Errorf("s3 scan: %w", err)
	}
	var control s3scan.ControlAPI
	if sc.Account != "" && sc.Endpoint == "" { // account Block Public Access lives in S3 Control
		if control, err = awsclient.S3Control(ctx, sc.Region, "", awsBounds(sc.CallBounds)...); err != nil {
			return Job{}, fmt.Errorf("s3 scan: %w", err)
		}
	}
	return Job{Name: "s3", Host: sc.Account,
		Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
			return s3scan.Scan(ctx, s3scan.Options{Client: client, Control: control, Buckets: sc.Buckets, Account: sc.Account,
				Common: common}, emit)
		},
		Commit: common.State.Save,
	}, nil
}

func buildIAM(ctx context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	ic := s.IAM
	client, err := awsclient.IAM(ctx, ic.Region, ic.Endpoint, awsBounds(ic.CallBounds)...)
	if err != nil {
		return Job{}, fmt.Errorf("iam scan: %w", err)
	}
	o := iamOptions(ic, client, env)
	return Job{Name: "iam", Host: ic.Account, Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
		return iamscan.Scan(ctx, o, emit)
	}}, nil
}

// iamOptions are the IAM scan's options from its config section; a
// max_details left 0 (a section not read from agent.yaml) is iamscan's
// default.
func iamOptions(ic config.IAMScan, client iamscan.API, env Env) iamscan.Options {
	var tok *pii.Tokenizer // run mode has the key: access keys then join to findings
	if len(env.TokenKey) > 0 {
		tok = pii.NewTokenizer(env.TokenKey)
	}
	return iamscan.Options{Client: client, Account: ic.Account, AgentID: env.AgentID,
		Logger: env.Logger, Now: env.Now, Tokenizer: tok, MaxDetails: ic.MaxDetails}
}

// buildDB reads the password from password_file, else
// SIGHTLINE_DB_PASSWORD (never the DSN, a flag or the config).
func buildDB(_ context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	dc := s.DB
	if dc.DSN == "" {
		return Job{}, errors.New("db scan: the server's DSN is required (postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB)")
	}
	server, err := dbscan.ServerOf(dc.DSN)
	if err != nil {
		return Job{}, err
	}
	tok, err := tokenizer(env)
	if err != nil {
		return Job{}, err
	}
	pw, err := password("db", dc.PasswordFile, "SIGHTLINE_DB_PASSWORD", env)
	if err != nil {
		return Job{}, err
	}
	var state *dbscan.State
	if p := env.StatePath("db"); p != "" {
		if state, err = dbscan.LoadState(p, tok); err != nil {
			env.Logger.Warn(err.Error())
		}
	}
	return Job{Name: "db", Host: server,
		Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
			return dbscan.Scan(ctx, dbscan.Options{DSN: dc.DSN, Password: pw, CAFile: dc.CAFile, SampleRows: dc.SampleRows,
				MaxTables: dc.MaxTables, StatementTimeout: dc.StatementTimeout, Detector: pii.NewDefault(), Tokenizer: tok,
				State: state, AgentID: env.AgentID, Logger: env.Logger, Now: env.Now}, emit)
		},
		Commit: state.Save,
	}, nil
}

// buildSMB reads the password from password_file, else
// SIGHTLINE_SMB_PASSWORD (never a flag or the config).
func buildSMB(_ context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	sc := s.SMB
	if sc.Server == "" || sc.Share == "" || sc.User == "" {
		return Job{}, errors.New("smb scan: the server, share and user are required")
	}
	c, err := setupContent(s, "smb", sc.PhoneRegion, env, smbscan.LoadState)
	if err != nil {
		return Job{}, err
	}
	pw, err := password("smb", sc.PasswordFile, "SIGHTLINE_SMB_PASSWORD", env)
	if err != nil {
		return Job{}, err
	}
	if pw == "" {
		return Job{}, fmt.Errorf("smb scan: %s has no password: set password_file (--password-file) or SIGHTLINE_SMB_PASSWORD", sc.User)
	}
	server := sc.Server // as smbscan names it: without the port
	if h, _, err := net.SplitHostPort(server); err == nil {
		server = h
	}
	return Job{Name: "smb", Host: server,
		Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
			return smbscan.Scan(ctx, smbscan.Options{Server: sc.Server, Share: sc.Share, Folder: sc.Folder, User: sc.User,
				Domain: sc.Domain, Password: pw, Directory: sc.Directory, Exclude: sc.Exclude, MaxFileSize: sc.MaxFileSize,
				MaxFiles: sc.MaxFiles, MaxFolders: sc.MaxFolders, AllowUnsigned: sc.AllowUnsigned, Timeout: sc.CallTimeout,
				Detector: c.det, Tokenizer: c.tok, State: c.state, AgentID: env.AgentID, Logger: env.Logger,
				Now: env.Now}, emit)
		},
		Commit: c.state.Save,
	}, nil
}
