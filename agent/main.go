// The agent reads certificates it does not issue: Samba AD signs its own
// LDAPS certificates with a serial number that is negative about half the
// time, which Go's x509 refuses since 1.23. Accepting them only relaxes the
// serial's sign; signatures and chains are verified as ever.
//
//go:debug x509negativeserial=1

// Command sightline-agent scans a host for personal data and access and
// ships the findings to a Sightline collector.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/enroll"
	"github.com/sightline-dev/sightline/agent/jobs"
	"github.com/sightline-dev/sightline/agent/runner"
	"github.com/sightline-dev/sightline/agent/transport"
	"github.com/sightline-dev/sightline/internal/cli"
	sharedconfig "github.com/sightline-dev/sightline/internal/config"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/version"
	"github.com/sightline-dev/sightline/internal/wire"
)

const usage = `usage:
  sightline-agent scan fs --path DIR [--path DIR…] [--include GLOB…] [--exclude GLOB…] [--state FILE] [--format ndjson|table]
                          [--max-mb-per-sec N] [--cross-fs] [--max-file-size BYTES]
  sightline-agent scan host [--root DIR] [--host NAME]
  sightline-agent scan s3   [--bucket NAME…] [--prefix P] [--region R] [--endpoint URL --path-style]
                            [--sample-percent N] [--max-objects N] [--bytes-per-object N] [--random-start] [--account ID]
  sightline-agent scan iam  [--region R] [--endpoint URL] [--account ID]
  sightline-agent scan ldap --url URL --base-dn DN [--bind-dn DN --password-file FILE] [--start-tls]
                            [--ca-file FILE] [--tls-skip-verify] [--privileged-group DN…] [--page-pause DURATION]
  sightline-agent scan db   --dsn postgres://USER@HOST:PORT/DB|mysql://USER@HOST:PORT[/DB] [--password-file FILE]
                            [--ca-file FILE] [--sample-rows N] [--max-tables N] [--statement-timeout D] [--state FILE] [--format ndjson|table]
  sightline-agent scan smb  --server HOST[:PORT] --share NAME --user USER [--domain D] [--password-file FILE] [--folder P]
                            [--directory LDAPHOST] [--exclude GLOB…] [--max-files N] [--max-file-size BYTES] [--state FILE] [--format ndjson|table]
  sightline-agent scan azblob --account NAME [--key-file FILE | --connection-string-file FILE] [--endpoint URL]
                            [--container NAME…] [--region R] [--prefix P] [--sample-percent N] [--max-objects N]
                            [--bytes-per-object N] [--object-timeout D] [--random-start] [--state FILE]
  sightline-agent scan gcs  --project ID|--bucket NAME… [--credentials-file FILE] [--endpoint URL] [--prefix P]
                            [--sample-percent N] [--max-objects N] [--bytes-per-object N] [--object-timeout D] [--random-start] [--state FILE]
  sightline-agent enroll  --collector URL --enroll-secret-file FILE [--label k=v ...] [--ca-file FILE] [--cert-file FILE --key-file FILE]
                          [--insecure-http] [--config FILE] [--data-dir DIR]
  sightline-agent run     --config FILE
  sightline-agent version

Every scan also takes --data-dir DIR (the enrolled agent id and token key) and
--log-level LEVEL. A scan that could not run or failed exits 1 with the
reason; a partial one exits 0 and logs its problems.

The LDAP password comes from --password-file or SIGHTLINE_LDAP_PASSWORD, never
a flag; a database's from --password-file or SIGHTLINE_DB_PASSWORD; an SMB account's
from --password-file or SIGHTLINE_SMB_PASSWORD; an Azure storage key from
--key-file or SIGHTLINE_AZURE_STORAGE_KEY (or a connection string from --connection-string-file or
SIGHTLINE_AZURE_STORAGE_CONNECTION_STRING). The token key for keyed tokens comes from enrollment (data_dir/credentials.json),
or SIGHTLINE_TOKEN_KEY (hex). The enroll secret may also come from
SIGHTLINE_ENROLL_SECRET (--enroll-secret SECRET still works but shows in ps).
Enrolling over https pins the collector's CA in data_dir/credentials.json; a
collector over plain http must be on loopback unless --insecure-http /
insecure_http: true.
`

func main() {
	cli.MainWith("sightline-agent", func(parent context.Context) (context.Context, func()) {
		return stopOnSignals(parent, forceExitAfter, os.Stderr, os.Exit)
	}, func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stdout, os.Stderr) })
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.Dispatch(ctx, "sightline-agent", usage, args, stdout, stderr, map[string]cli.Command{
		"scan": scan, "enroll": enrollCmd, "run": runCmd,
	})
}

// scan runs the one-shot scanner args[0] with the flags after it.
func scan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	scanners := map[string]cli.Command{"fs": scanFS, "host": scanHost, "ldap": scanLDAP, "s3": scanS3, "iam": scanIAM, "db": scanDB, "smb": scanSMB,
		"azblob": scanAzBlob, "gcs": scanGCS}
	if len(args) < 1 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("want: scan %s", strings.Join(jobs.Names(), "|"))
	}
	cmd, ok := scanners[args[0]]
	if !ok {
		return fmt.Errorf("unknown scanner %q (this build has: %s)", args[0], strings.Join(jobs.Names(), ", "))
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

// tokenKey finds the key for keyed tokens: the environment, else the
// enrollment credentials, else a random key for this run only (tokens then
// match nothing elsewhere, but still reveal nothing).
func tokenKey(dataDir string, log *slog.Logger) ([]byte, string) {
	if v := os.Getenv("SIGHTLINE_TOKEN_KEY"); v != "" {
		if k, err := hex.DecodeString(v); err == nil && len(k) >= 16 {
			return k, ""
		}
		log.Warn("SIGHTLINE_TOKEN_KEY is not hex of at least 16 bytes; ignoring it")
	}
	c, err := enroll.Load(config.Config{DataDir: dataDir}.CredentialsPath())
	if err == nil {
		if k, err := c.Key(); err == nil {
			return k, c.AgentID
		}
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k) // never fails: crypto/rand crashes the process instead
	log.Warn("no token key (not enrolled, no SIGHTLINE_TOKEN_KEY): tokens use a one-off key and will not match other scans")
	return k, ""
}

// scanFS prints the files with personal data and their findings, as
// records or a table.
func scanFS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("fs", config.Default().DataDir, "warn", stdout, stderr)
	var paths, includes, excludes cli.Strings
	fs.Var(&paths, "path", "directory or file to scan (repeatable)")
	fs.Var(&includes, "include", "glob of file names or paths to scan; others are skipped (repeatable)")
	fs.Var(&excludes, "exclude", "glob of paths to skip (repeatable)")
	common.formatFlag(fs)
	maxSize := fs.Int64("max-file-size", 100<<20, "skip files larger than this many bytes")
	common.stateFlag(fs, "unchanged files are not read again")
	maxMB := fs.Float64("max-mb-per-sec", 0, "cap the read rate in MiB/s (0: no cap)")
	crossFS := fs.Bool("cross-fs", false, "descend into other mounted file systems")
	root := fs.String("root", "/", "read this directory as the system's / (a node mounted into a container, an image): paths are under it and reported without it")
	detectors := fs.String("detectors", "", "JSON file of custom detectors to run beside the built-in ones (what GET /api/v1/detectors/file answers)")
	phoneRegion := fs.String("phone-region", "", "read national phone numbers in this numbering plan (ISO 3166, e.g. DE; default: the locale's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := pii.PhoneRegion(*phoneRegion); err != nil {
		return fmt.Errorf("scan fs: --phone-region: %w", err)
	}
	if len(paths) == 0 {
		return errors.New("scan fs: at least one --path is required")
	}
	if err := common.checkFormat(); err != nil {
		return err
	}
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(*root, p)); err != nil {
			return fmt.Errorf("scan fs: --path %s (under --root %s): %w", p, *root, err)
		}
	}
	scans := config.Default().Scans
	scans.FS = config.FSScan{Paths: paths, Include: includes, Exclude: excludes, MaxFileSize: *maxSize,
		MaxMBPerSec: *maxMB, CrossFilesystems: *crossFS, Root: *root, PhoneRegion: *phoneRegion}
	scans.DetectorsFile = *detectors
	return common.run(ctx, scans)
}

// scanHost prints the host's accounts, privileges and keys as records.
func scanHost(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("host", "", "info", stdout, stderr)
	root := fs.String("root", "/", "root of the system to read (a mounted image, a fixture)")
	fs.StringVar(&common.host, "host", "", "host name to report (default: this host's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fi, err := os.Stat(*root); err != nil || !fi.IsDir() {
		return fmt.Errorf("scan host: --root %s is not a readable directory", *root)
	}
	scans := config.Default().Scans
	scans.Host.Root = *root
	return common.run(ctx, scans)
}

// scanLDAP prints a directory's identities and memberships as records.
func scanLDAP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("ldap", "", "info", stdout, stderr)
	var privileged cli.Strings
	url := fs.String("url", "", "ldap://host:389 or ldaps://host:636")
	base := fs.String("base-dn", "", "where to search")
	bindDN := fs.String("bind-dn", "", "DN to bind as (anonymous when empty)")
	pwFile := fs.String("password-file", "", "file holding the bind password (or SIGHTLINE_LDAP_PASSWORD)")
	startTLS := fs.Bool("start-tls", false, "upgrade ldap:// with StartTLS")
	plaintext := fs.Bool("allow-plaintext", false, "let ldap:// without StartTLS reach a host other than loopback (the bind password goes in clear)")
	caFile := fs.String("ca-file", "", "PEM CA bundle that signs the server's certificate")
	skip := fs.Bool("tls-skip-verify", false, "do not verify the server's certificate (test directories only)")
	pause := fs.Duration("page-pause", 0, "pause between pages of 500 entries, to spare a production server")
	fs.Var(&privileged, "privileged-group", "DN of a group whose transitive members are privileged (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" || *base == "" {
		return errors.New("scan ldap: --url and --base-dn are required")
	}
	scans := config.Default().Scans
	l := &scans.LDAP
	l.URL, l.BaseDN, l.BindDN, l.PasswordFile, l.StartTLS, l.CAFile = *url, *base, *bindDN, *pwFile, *startTLS, *caFile
	l.TLSSkipVerify, l.PagePause, l.PrivilegedGroups, l.AllowPlaintext = *skip, *pause, privileged, *plaintext
	return common.run(ctx, scans)
}

// scanS3 prints buckets, sampled objects with personal data and their
// findings as records. Credentials come from the AWS SDK's standard chain.
func scanS3(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("s3", "", "info", stdout, stderr)
	var buckets cli.Strings
	fs.Var(&buckets, "bucket", "bucket to scan (repeatable; default every bucket listed)")
	prefix := fs.String("prefix", "", "only keys under this prefix")
	region := fs.String("region", envOr("AWS_REGION", "us-east-1"), "region for the API calls")
	endpoint := fs.String("endpoint", "", "endpoint of an S3-compatible store")
	pathStyle := fs.Bool("path-style", false, "path-style addressing (most S3-compatible stores)")
	percent := fs.Float64("sample-percent", 100, "percent of the objects to read (the same ones each time)")
	maxObjects := fs.Int("max-objects", 1000, "objects read per bucket at most")
	perObject := fs.Int64("bytes-per-object", 1<<20, "bytes read from each object")
	randomStart := fs.Bool("random-start", false, "read big text objects from an offset fixed by the key, not the top")
	account := fs.String("account", "", "AWS account id, for ids and locations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	scans := config.Default().Scans
	scans.S3 = config.S3Scan{Region: *region, Endpoint: *endpoint, PathStyle: *pathStyle, Buckets: buckets, Prefix: *prefix,
		SamplePercent: *percent, MaxObjects: *maxObjects, BytesPerObject: *perObject, RandomStart: *randomStart, Account: *account}
	return common.run(ctx, scans)
}

// scanIAM prints an account's identities, their privileges and hygiene.
func scanIAM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("iam", "", "info", stdout, stderr)
	region := fs.String("region", envOr("AWS_REGION", "us-east-1"), "region for the API calls")
	endpoint := fs.String("endpoint", "", "IAM endpoint override")
	account := fs.String("account", "", "AWS account id, for ids")
	if err := fs.Parse(args); err != nil {
		return err
	}
	scans := config.Default().Scans
	scans.IAM = config.IAMScan{Region: *region, Endpoint: *endpoint, Account: *account}
	return common.run(ctx, scans)
}

// oneShot is the scaffold of every `scan NAME` subcommand: the flags
// they share (scanFlags, and where the scanner has them stateFlag and
// formatFlag), the check of the config section they fill (runValid), and
// the one run of the job table's entry (run).
type oneShot struct {
	name                    string
	dataDir, logLevel, host string
	statePath               string // --state; "": a full scan
	format                  string // --format; "": ndjson, the only output
	stdout, stderr          io.Writer
}

// scanFlags starts a scan subcommand's flag set with the flags they share.
func scanFlags(name, dataDir, logLevel string, stdout, stderr io.Writer) (*flag.FlagSet, *oneShot) {
	fs := cli.FlagSet("scan "+name, stderr)
	o := &oneShot{name: name, stdout: stdout, stderr: stderr}
	fs.StringVar(&o.dataDir, "data-dir", envOr("SIGHTLINE_DATA_DIR", dataDir), "agent data directory (for the enrolled agent id and token key)")
	fs.StringVar(&o.logLevel, "log-level", logLevel, "debug, info, warn or error")
	return fs, o
}

// stateFlag adds --state, the incremental state file; spared says what
// the state spares ("unchanged files are not read again").
func (o *oneShot) stateFlag(fs *flag.FlagSet, spared string) {
	fs.StringVar(&o.statePath, "state", "", "incremental scan state file: "+spared+" (default: full scan)")
}

// formatFlag adds --format, ndjson records or a table of the findings.
func (o *oneShot) formatFlag(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "ndjson", "output: ndjson or table")
}

// checkFormat rejects a --format other than ndjson or table.
func (o *oneShot) checkFormat() error {
	if o.format != "" && o.format != "ndjson" && o.format != "table" {
		return fmt.Errorf("scan %s: --format must be ndjson or table, not %q", o.name, o.format)
	}
	return nil
}

// runValid checks the config section the flags filled, as agent.yaml's
// would be, then runs it (run).
func (o *oneShot) runValid(ctx context.Context, scans config.Scans) error {
	if err := config.ValidateScans(scans); err != nil {
		return fmt.Errorf("scan %s: %w", o.name, err)
	}
	return o.run(ctx, scans)
}

// run runs the scanner once from the job table, its records to stdout in
// the --format, under the exit rule of package jobs: a scan that could
// not run or failed is an error (the command exits 1); a partial one logs
// its problems and succeeds.
func (o *oneShot) run(ctx context.Context, scans config.Scans) error {
	if err := o.checkFormat(); err != nil {
		return err
	}
	var out recordSink = &ndjsonSink{enc: wire.NewEncoder(o.stdout)}
	if o.format == "table" {
		out = newTableSink(o.stdout)
	}
	log := sharedconfig.Logger(o.logLevel, o.stderr)
	entry, _ := jobs.Lookup(o.name)
	env := jobs.Env{Host: o.host, Logger: log, StatePath: func(string) string { return o.statePath }}
	if entry.Tokens {
		env.TokenKey, env.AgentID = tokenKey(o.dataDir, log)
	} else if c, err := enroll.Load(config.Config{DataDir: o.dataDir}.CredentialsPath()); err == nil {
		env.AgentID = c.AgentID // these records carry no tokens: no key needed
	}
	job, err := entry.Build(ctx, scans, env)
	if err != nil {
		return err
	}
	res, err := jobs.Once(ctx, job, out.Emit, log)
	if res == nil {
		return err
	}
	if cerr := out.Close(res); err == nil {
		err = cerr
	}
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

type recordSink interface {
	Emit(*wire.Record) error
	Close(scan *wire.Record) error
}

type ndjsonSink struct{ enc *wire.Encoder }

func (s *ndjsonSink) Emit(r *wire.Record) error { return s.enc.Encode(r) }
func (s *ndjsonSink) Close(*wire.Record) error  { return nil }

type tableSink struct {
	w *tabwriter.Writer
}

func newTableSink(w io.Writer) *tableSink {
	t := &tableSink{w: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	fmt.Fprintln(t.w, "LOCATION\tTYPE\tCOUNT\tDISTINCT\tCONFIDENCE\tSAMPLES")
	return t
}

func (t *tableSink) Emit(r *wire.Record) error {
	if r.Kind == wire.KindPII {
		fmt.Fprintf(t.w, "%s\t%s\t%d\t%d\t%s\t%s\n", r.Location, r.Type, r.Count, r.Distinct, r.Confidence, strings.Join(r.Samples, ", "))
	}
	return nil
}

func (t *tableSink) Close(scan *wire.Record) error {
	if err := t.w.Flush(); err != nil {
		return err
	}
	if scan != nil {
		fmt.Fprintf(t.w, "\nscan %s: %s, stats %v\n", scan.ScanID, scan.Status, scan.Stats)
		for _, e := range scan.Errors {
			fmt.Fprintf(t.w, "  error: %s\n", e)
		}
	}
	return t.w.Flush()
}

func enrollCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.FlagSet("enroll", stderr)
	collector := fs.String("collector", os.Getenv("SIGHTLINE_COLLECTOR"), "collector base URL, e.g. https://collector:8443")
	secretFile := fs.String("enroll-secret-file", "", "file holding the enroll secret (or SIGHTLINE_ENROLL_SECRET)")
	secretFlag := fs.String("enroll-secret", "", "deprecated: the secret shows in ps; use --enroll-secret-file or SIGHTLINE_ENROLL_SECRET")
	caFile := fs.String("ca-file", "", "PEM CA bundle that signs the collector's certificate (default: config ca_file, else the system roots)")
	certFile := fs.String("cert-file", "", "client certificate for mutual TLS (default: config cert_file)")
	keyFile := fs.String("key-file", "", "client key for mutual TLS (default: config key_file)")
	insecureHTTP := fs.Bool("insecure-http", false, "allow an http:// collector that is not on loopback (clear text)")
	cfgPath := fs.String("config", os.Getenv("SIGHTLINE_AGENT_CONFIG"), "agent config (for data_dir and the TLS settings)")
	dataDir := fs.String("data-dir", "", "data directory (overrides the config's data_dir)")
	hostname := fs.String("hostname", "", "the name the collector knows this host by (default: the system's host name); one agent speaks for a name")
	var labelArgs cli.Strings
	fs.Var(&labelArgs, "label", "label k=v the collector selects policies by (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	labels, err := parseLabels(labelArgs)
	if err != nil {
		return err
	}
	c, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if *dataDir != "" {
		c.DataDir = *dataDir
	}
	if *collector == "" {
		*collector = c.Collector
	}
	if *collector == "" {
		return errors.New("enroll: --collector URL is required")
	}
	secret, err := enrollSecret(*secretFile, *secretFlag, stderr)
	if err != nil {
		return err
	}
	if *caFile == "" {
		*caFile = c.CAFile
	}
	if *certFile == "" && *keyFile == "" {
		*certFile, *keyFile = c.CertFile, c.KeyFile
	}
	client, err := transport.New(transport.Options{
		URL: *collector, CAFile: *caFile, CertFile: *certFile, KeyFile: *keyFile,
		InsecureHTTP: *insecureHTTP || c.InsecureHTTP, Timeout: 30 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("enroll: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	creds, err := enroll.Enroll(ctx, client, *collector, secret, enroll.Options{Hostname: *hostname, Labels: labels})
	if err != nil {
		return err
	}
	if *caFile != "" && creds.CASPKISHA256 != "" {
		// Read again rather than kept from transport.New: the same file,
		// and what is recorded must be what later runs will trust.
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("enroll: reading --ca-file: %w", err)
		}
		creds.CAPEM = string(pem)
	}
	if err := enroll.Save(c.CredentialsPath(), creds); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "enrolled as agent %s; credentials in %s\n", creds.AgentID, c.CredentialsPath())
	if creds.CASPKISHA256 != "" {
		fmt.Fprintf(stdout, "pinned the collector's CA key (SPKI SHA-256 %s)\n", creds.CASPKISHA256)
	}
	return nil
}

// parseLabels reads --label k=v flags; the collector checks their syntax.
func parseLabels(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("enroll: --label %q: want key=value", a)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("enroll: --label %s given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// enrollSecret reads the enroll secret from --enroll-secret-file, else the
// deprecated --enroll-secret (with a warning: any user can read another
// process's arguments), else SIGHTLINE_ENROLL_SECRET.
func enrollSecret(file, flagValue string, stderr io.Writer) (string, error) {
	if file != "" && flagValue != "" {
		return "", errors.New("enroll: give the secret once: --enroll-secret-file or --enroll-secret, not both")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("enroll: reading --enroll-secret-file: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("enroll: --enroll-secret-file %s is empty", file)
		}
		return s, nil
	}
	if flagValue != "" {
		fmt.Fprintln(stderr, "sightline-agent: warning: --enroll-secret puts the secret on the command line, where other users see it (ps, /proc/PID/cmdline) "+
			"and shells keep it in their history; use --enroll-secret-file FILE or the SIGHTLINE_ENROLL_SECRET environment variable instead")
		return flagValue, nil
	}
	return os.Getenv("SIGHTLINE_ENROLL_SECRET"), nil
}

func runCmd(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := cli.FlagSet("run", stderr)
	cfgPath := fs.String("config", os.Getenv("SIGHTLINE_AGENT_CONFIG"), "agent config (YAML)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return errors.New("run: --config FILE is required")
	}
	c, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	log := sharedconfig.Logger(c.LogLevel, stderr)
	creds, err := enroll.Load(c.CredentialsPath())
	if err != nil {
		return err
	}
	log.Info("agent running", "agent_id", creds.AgentID, "version", version.Version, "data_dir", c.DataDir)
	return runner.New(runner.Options{Config: c, Creds: creds, Logger: log}).Run(ctx)
}
