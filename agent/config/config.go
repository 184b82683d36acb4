// Package config loads the agent's configuration file (agent.yaml): YAML
// over defaults, strict, then SIGHTLINE_* environment variables.
package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/internal/config"
	"github.com/sightline-dev/sightline/internal/pii"
)

// Config is agent.yaml.
type Config struct {
	// Collector is the collector's base URL. Enrollment records it too; this
	// key overrides it.
	Collector string `yaml:"collector"`
	// CAFile is a PEM bundle of the CAs that may sign the collector's
	// certificate (default: the CA given at enrollment, else the system
	// roots). Whatever it holds, the collector's chain must still contain
	// the CA key pinned at enrollment.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the agent's client certificate and key for
	// a collector that requires mutual TLS.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureHTTP allows an http:// collector on a host other than
	// loopback: the token and findings then travel in clear text.
	InsecureHTTP bool `yaml:"insecure_http"`
	// DataDir holds the credentials, the spool and scan state.
	DataDir  string `yaml:"data_dir"`
	LogLevel string `yaml:"log_level"`
	// LowPriority runs the agent at nice 10 so scans yield the CPU to the
	// host's own work.
	LowPriority bool  `yaml:"low_priority"`
	Spool       Spool `yaml:"spool"`
	Ship        Ship  `yaml:"ship"`
	Scans       Scans `yaml:"scans"`
	// Pinned lists scan settings (such as scans.fs.paths, or a whole
	// section such as scans.fs) that a collector policy may not override:
	// the value here is kept and the conflict reported to the collector.
	Pinned []string `yaml:"pinned"`
	// Policy tunes how the agent fetches its policy and commands.
	Policy Policy `yaml:"policy"`
}

// Policy says how often the agent asks the collector for its effective
// policy and pending commands ("scan now").
type Policy struct {
	// Disabled keeps the agent on agent.yaml alone.
	Disabled bool `yaml:"disabled"`
	// PollInterval is the time between fetches (default 30s; a command is
	// seen within one interval).
	PollInterval time.Duration `yaml:"poll_interval"`
}

// Spool bounds the on-disk queue.
type Spool struct {
	MaxBytes       int64         `yaml:"max_bytes"`
	SegmentBytes   int64         `yaml:"segment_bytes"`
	SegmentRecords int           `yaml:"segment_records"`
	FlushInterval  time.Duration `yaml:"flush_interval"`
}

// Ship tunes the shipper.
type Ship struct {
	Timeout    time.Duration `yaml:"timeout"`
	MinBackoff time.Duration `yaml:"min_backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// Scans lists the scheduled scanners.
type Scans struct {
	FS   FSScan   `yaml:"fs"`
	Host HostScan `yaml:"host"`
	LDAP LDAPScan `yaml:"ldap"`
	S3   S3Scan   `yaml:"s3"`
	IAM  IAMScan  `yaml:"iam"`
	// Detectors are custom detectors (internal/pii.Definition) that the fs
	// and s3 content scans run beside the built-in ones; the collector's
	// definitions (/api/v1/detectors) arrive here through the policy
	// channel. DetectorsFile (host-owned) is a JSON list of more, read at
	// each scan (what `scan fs --detectors FILE` reads).
	Detectors     []pii.Definition `yaml:"detectors"`
	DetectorsFile string           `yaml:"detectors_file"`
	DB            DBScan           `yaml:"db"`
	SMB           SMBScan          `yaml:"smb"`
	AzBlob        AzBlobScan       `yaml:"azblob"`
	GCS           GCSScan          `yaml:"gcs"`
}

// SMBScan configures the SMB file share scanner. The password is read
// from PasswordFile or SIGHTLINE_SMB_PASSWORD at each scan, never from
// this file or a flag.
type SMBScan struct {
	Enabled  bool `yaml:"enabled"`
	Schedule `yaml:",inline"`
	// Server is HOST[:PORT] (445 when left out); Share the share's name.
	Server string `yaml:"server"`
	Share  string `yaml:"share"`
	// Folder, when set, is where in the share the walk starts.
	Folder string `yaml:"folder"`
	// User and Domain name a read-only account (NTLMv2).
	User         string `yaml:"user"`
	Domain       string `yaml:"domain"`
	PasswordFile string `yaml:"password_file"`
	// Directory is the directory server as the ldap scan's url names it
	// (its host), so the ACLs' SIDs join its principals; default: the
	// host of Server.
	Directory   string   `yaml:"directory"`
	Exclude     []string `yaml:"exclude"`
	MaxFileSize int64    `yaml:"max_file_size"`
	MaxFiles    int      `yaml:"max_files"`
	MaxFolders  int      `yaml:"max_folders"`
	// AllowUnsigned lets the scan run when the server does not sign its
	// messages (off: signing required, so nothing on the network can
	// change what the scan reads).
	AllowUnsigned bool `yaml:"allow_unsigned"`
	// PhoneRegion: as FSScan.PhoneRegion, for the files' content.
	PhoneRegion string `yaml:"phone_region"`
	// CallTimeout bounds each SMB operation but a file's read (default
	// 30 s): a server that stops answering fails that operation.
	CallTimeout time.Duration `yaml:"call_timeout"`
}

// ObjectSampling bounds the object-store scans (azblob, gcs): the same
// meaning as S3Scan's fields of the same names.
type ObjectSampling struct {
	Prefix         string  `yaml:"prefix"`
	SamplePercent  float64 `yaml:"sample_percent"`
	MaxObjects     int     `yaml:"max_objects"`
	BytesPerObject int64   `yaml:"bytes_per_object"`
	RandomStart    bool    `yaml:"random_start"`
	// ObjectTimeout bounds the reading of one object (default 2m).
	ObjectTimeout time.Duration `yaml:"object_timeout"`
	// PhoneRegion: as FSScan.PhoneRegion, for the objects' content.
	PhoneRegion string `yaml:"phone_region"`
}

// AzBlobScan configures the Azure Blob Storage scanner: one storage
// account. The shared key comes from KeyFile or SIGHTLINE_AZURE_STORAGE_KEY,
// or a whole connection string from ConnectionStringFile or
// SIGHTLINE_AZURE_STORAGE_CONNECTION_STRING; never from this file.
type AzBlobScan struct {
	Enabled              bool `yaml:"enabled"`
	Schedule             `yaml:",inline"`
	Account              string   `yaml:"account"`
	KeyFile              string   `yaml:"key_file"`
	ConnectionStringFile string   `yaml:"connection_string_file"`
	Endpoint             string   `yaml:"endpoint"` // default https://ACCOUNT.blob.core.windows.net/
	Containers           []string `yaml:"containers"`
	// Region is the account's Azure region (westeurope): the blob API
	// does not tell it, and jurisdiction is read from it.
	Region         string `yaml:"region"`
	ObjectSampling `yaml:",inline"`
	CallBounds     `yaml:",inline"`
}

// GCSScan configures the Google Cloud Storage scanner. Credentials are a
// service account's JSON key in CredentialsFile, else the environment's
// application default credentials.
type GCSScan struct {
	Enabled         bool `yaml:"enabled"`
	Schedule        `yaml:",inline"`
	Project         string   `yaml:"project"`
	CredentialsFile string   `yaml:"credentials_file"`
	Endpoint        string   `yaml:"endpoint"` // the JSON API's URL, for a test server or private endpoint
	Buckets         []string `yaml:"buckets"`
	ObjectSampling  `yaml:",inline"`
	CallBounds      `yaml:",inline"`
}

// DBScan configures the database scanner (PostgreSQL, MySQL/MariaDB). The
// password is read from PasswordFile or SIGHTLINE_DB_PASSWORD at each
// scan, never from the DSN or this file.
type DBScan struct {
	Enabled  bool `yaml:"enabled"`
	Schedule `yaml:",inline"`
	// DSN is postgres://USER@HOST:PORT/DB?sslmode=verify-full or
	// mysql://USER@HOST:PORT[/DB]?tls=true, without a password.
	DSN          string `yaml:"dsn"`
	PasswordFile string `yaml:"password_file"`
	// CAFile is the CA bundle that signs the server's certificate.
	CAFile string `yaml:"ca_file"`
	// SampleRows is the row budget per table (default 1000).
	SampleRows int `yaml:"sample_rows"`
	// MaxTables bounds the tables read (default 10000).
	MaxTables int `yaml:"max_tables"`
	// StatementTimeout bounds every statement (default 30s).
	StatementTimeout time.Duration `yaml:"statement_timeout"`
}

// S3Scan configures the bucket scanner. Credentials come from the AWS
// SDK's standard chain, never from this file.
type S3Scan struct {
	Enabled        bool `yaml:"enabled"`
	Schedule       `yaml:",inline"`
	Region         string   `yaml:"region"`
	Endpoint       string   `yaml:"endpoint"`
	PathStyle      bool     `yaml:"path_style"`
	Buckets        []string `yaml:"buckets"`
	Prefix         string   `yaml:"prefix"`
	SamplePercent  float64  `yaml:"sample_percent"`
	MaxObjects     int      `yaml:"max_objects"`
	BytesPerObject int64    `yaml:"bytes_per_object"`
	RandomStart    bool     `yaml:"random_start"`
	Account        string   `yaml:"account"`
	// PhoneRegion: as FSScan.PhoneRegion, for the objects' content.
	PhoneRegion string `yaml:"phone_region"`
	CallBounds  `yaml:",inline"`
}

// CallBounds bound each call the cloud scans (s3, iam, gcs, azblob) make
// to their provider's API (object reads excepted: bytes_per_object and
// the object timeout bound those): a call that takes longer, retries
// included, or an answer that is larger fails that call, not the agent
// (see packages awsclient, gcsscan, azblobscan).
type CallBounds struct {
	// CallTimeout bounds one call, retries included (default 2m).
	CallTimeout time.Duration `yaml:"call_timeout"`
	// MaxResponseBytes bounds one answer's body (default 64 MiB on AWS,
	// 16 MiB on GCS, 32 MiB on Azure).
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
}

// IAMScan configures the IAM scanner.
type IAMScan struct {
	Enabled  bool `yaml:"enabled"`
	Schedule `yaml:",inline"`
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint"`
	Account  string `yaml:"account"`
	// MaxDetails bounds the users, groups, roles and managed policies
	// read (default 100,000): past it the scan goes on with what it read,
	// partial.
	MaxDetails int `yaml:"max_details"`
	CallBounds `yaml:",inline"`
}

// LDAPScan configures the directory scanner. The password is read from
// PasswordFile at each scan, never from this file.
type LDAPScan struct {
	Enabled      bool `yaml:"enabled"`
	Schedule     `yaml:",inline"`
	URL          string `yaml:"url"`
	BaseDN       string `yaml:"base_dn"`
	BindDN       string `yaml:"bind_dn"`
	PasswordFile string `yaml:"password_file"`
	StartTLS     bool   `yaml:"start_tls"`
	// AllowPlaintext lets ldap:// without start_tls reach a host other
	// than loopback (the bind password crosses the network in clear).
	AllowPlaintext   bool          `yaml:"allow_plaintext"`
	CAFile           string        `yaml:"ca_file"`
	TLSSkipVerify    bool          `yaml:"tls_skip_verify"`
	PrivilegedGroups []string      `yaml:"privileged_groups"`
	PagePause        time.Duration `yaml:"page_pause"`
	StaleDays        int           `yaml:"stale_days"`
	// MaxEntries bounds the entries read, and the members read in ranges
	// of one group (default 1,000,000); MaxMessageBytes one message from
	// the server (default 32 MiB); MaxKeptBytes the names, DNs and member
	// lists the scan keeps (default 1 GiB). Past one the read stops and
	// the scan is partial, with the reason (see ldapscan.Options).
	MaxEntries      int   `yaml:"max_entries"`
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
	MaxKeptBytes    int64 `yaml:"max_kept_bytes"`
}

// HostScan configures the host scanner (accounts, sudo, SSH keys,
// inventory).
type HostScan struct {
	Enabled  bool `yaml:"enabled"`
	Schedule `yaml:",inline"`
	// Root is what is read as the system (default "/").
	Root string `yaml:"root"`
}

// Schedule is when a scanner runs: every Interval, moved by up to
// Jitter×Interval either way so a fleet does not scan in lockstep; and
// for how long at most.
type Schedule struct {
	Interval time.Duration `yaml:"interval"`
	Jitter   float64       `yaml:"jitter"`
	// MaxDuration bounds a whole scan (0: no bound): a server that
	// answers slowly cannot hold a scan for longer. What the scan emitted
	// is kept and its scan record says why it stopped (see package jobs).
	// Default 2h for the network scanners, 30m for host, 0 for fs (whose
	// reads and walk have their own watch for calls that never return).
	MaxDuration time.Duration `yaml:"max_duration"`
}

// DefaultHostMaxDuration bounds a host scan unless its section says
// otherwise.
const DefaultHostMaxDuration = 30 * time.Minute

// DefaultMaxDuration bounds a network scan (ldap, s3, iam, db, smb,
// azblob, gcs) unless its section says otherwise.
const DefaultMaxDuration = 2 * time.Hour

// FSScan configures the file-system scanner.
type FSScan struct {
	Enabled     bool `yaml:"enabled"`
	Schedule    `yaml:",inline"`
	Paths       []string `yaml:"paths"`
	Include     []string `yaml:"include"`
	Exclude     []string `yaml:"exclude"`
	MaxFileSize int64    `yaml:"max_file_size"`
	// MaxMBPerSec caps the read rate (0: no cap).
	MaxMBPerSec float64 `yaml:"max_mb_per_sec"`
	// CrossFilesystems lets the walk enter other mounted file systems.
	CrossFilesystems bool `yaml:"cross_filesystems"`
	// Root is the directory read as the system's "/" (default "/"): an
	// agent in a container scans the node mounted at, say, /host and
	// reports /home/…, not /host/home/… (see fsscan.Options.Root).
	Root string `yaml:"root"`
	// PhoneRegion is the numbering plan national phone numbers in these
	// files are read in (ISO 3166, "DE"; default: the host's locale), so
	// "030 12345678" gets the token of +49 30 12345678 that a subject
	// search for the international form computes.
	PhoneRegion string `yaml:"phone_region"`
}

// Default returns the configuration used for keys a file leaves out.
func Default() Config {
	return Config{
		DataDir:     "/var/lib/sightline-agent",
		LogLevel:    "info",
		LowPriority: true,
		Spool: Spool{
			MaxBytes:       256 << 20,
			SegmentBytes:   1 << 20,
			SegmentRecords: 5000,
			FlushInterval:  2 * time.Second,
		},
		Policy: Policy{PollInterval: 30 * time.Second},
		Ship:   Ship{Timeout: 60 * time.Second, MinBackoff: 500 * time.Millisecond, MaxBackoff: time.Minute},
		Scans: Scans{FS: FSScan{
			Schedule:    Schedule{Interval: 6 * time.Hour, Jitter: 0.1},
			MaxFileSize: 100 << 20,
		}, Host: HostScan{
			// Bounded: a host scan takes seconds, and one reading a
			// home directory on a hung NFS mount would otherwise hold
			// for ever (it is left behind, see package jobs).
			Schedule: Schedule{Interval: time.Hour, Jitter: 0.1, MaxDuration: DefaultHostMaxDuration},
			Root:     "/",
		}, LDAP: LDAPScan{
			Schedule:   network(6 * time.Hour),
			StaleDays:  90,
			MaxEntries: limits.LDAPMaxEntries, MaxMessageBytes: limits.LDAPMaxMessageBytes, MaxKeptBytes: limits.LDAPMaxKeptBytes,
		}, S3: S3Scan{
			Schedule:      network(24 * time.Hour),
			SamplePercent: 100, MaxObjects: 1000, BytesPerObject: 1 << 20,
			CallBounds: DefaultCallBounds(limits.AWSMaxResponseBytes),
		}, IAM: IAMScan{
			Schedule:   network(6 * time.Hour),
			MaxDetails: limits.IAMMaxDetails,
			CallBounds: DefaultCallBounds(limits.AWSMaxResponseBytes),
		}, DB: DBScan{
			Schedule:   network(24 * time.Hour),
			SampleRows: 1000, MaxTables: 10000, StatementTimeout: 30 * time.Second,
		}, SMB: SMBScan{
			Schedule:    network(24 * time.Hour),
			CallTimeout: limits.SMBCallTimeout,
		}, AzBlob: AzBlobScan{
			Schedule:       network(24 * time.Hour),
			ObjectSampling: defaultObjectSampling(),
			CallBounds:     DefaultCallBounds(limits.AzureMaxResponseBytes),
		}, GCS: GCSScan{
			Schedule:       network(24 * time.Hour),
			ObjectSampling: defaultObjectSampling(),
			CallBounds:     DefaultCallBounds(limits.GCSMaxResponseBytes),
		}},
	}
}

// network is the default schedule of a network scanner: every interval,
// jitter 0.1, at most DefaultMaxDuration.
func network(interval time.Duration) Schedule {
	return Schedule{Interval: interval, Jitter: 0.1, MaxDuration: DefaultMaxDuration}
}

// DefaultCallBounds are a cloud scan's call bounds when agent.yaml leaves
// them out: the shared call timeout and the provider's answer size
// (limits.*MaxResponseBytes, the clients' own defaults).
func DefaultCallBounds(maxResponse int64) CallBounds {
	return CallBounds{CallTimeout: limits.CallTimeout, MaxResponseBytes: maxResponse}
}

func defaultObjectSampling() ObjectSampling {
	return ObjectSampling{SamplePercent: 100, MaxObjects: 1000, BytesPerObject: 1 << 20, ObjectTimeout: 2 * time.Minute}
}

// Load reads path over the defaults, then the environment.
func Load(path string) (Config, error) {
	c := Default()
	if path != "" {
		if err := config.LoadYAML(path, &c); err != nil {
			return c, err
		}
	}
	config.Env(&c.Collector, "SIGHTLINE_COLLECTOR")
	config.Env(&c.DataDir, "SIGHTLINE_DATA_DIR")
	return c, c.validate()
}

func (c Config) validate() error {
	if c.DataDir == "" {
		return fmt.Errorf("data_dir: must name a directory for the spool and credentials")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("cert_file and key_file: set both for mutual TLS with the collector, or neither")
	}
	if c.Spool.MaxBytes < c.Spool.SegmentBytes || c.Spool.SegmentBytes <= 0 || c.Spool.SegmentRecords <= 0 {
		return fmt.Errorf("spool: segment_bytes and segment_records must be positive and max_bytes at least segment_bytes")
	}
	if c.Policy.PollInterval < time.Second {
		return fmt.Errorf("policy.poll_interval: must be at least 1s (e.g. 30s)")
	}
	return ValidateScans(c.Scans)
}

// FieldError is a scan setting that is wrong, named by its dotted path.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ValidateScans checks the scans section: the one definition of a valid
// scan setting, used for agent.yaml and for collector policies alike.
func ValidateScans(s Scans) error {
	fs := s.FS
	if fs.Enabled && len(fs.Paths) == 0 {
		return &FieldError{"scans.fs.paths", "list at least one directory, or set scans.fs.enabled: false"}
	}
	if fs.MaxFileSize < 0 {
		return &FieldError{"scans.fs.max_file_size", "must not be negative"}
	}
	if fs.MaxMBPerSec < 0 {
		return &FieldError{"scans.fs.max_mb_per_sec", "must not be negative (0: no cap)"}
	}
	for name, r := range map[string]string{"scans.fs.phone_region": fs.PhoneRegion, "scans.s3.phone_region": s.S3.PhoneRegion,
		"scans.azblob.phone_region": s.AzBlob.PhoneRegion, "scans.gcs.phone_region": s.GCS.PhoneRegion} {
		if _, err := pii.PhoneRegion(r); err != nil {
			return &FieldError{name, err.Error()}
		}
	}
	for _, sec := range []struct {
		name    string
		enabled bool
		when    Schedule
	}{{"fs", fs.Enabled, fs.Schedule}, {"host", s.Host.Enabled, s.Host.Schedule}, {"ldap", s.LDAP.Enabled, s.LDAP.Schedule},
		{"s3", s.S3.Enabled, s.S3.Schedule}, {"iam", s.IAM.Enabled, s.IAM.Schedule}, {"db", s.DB.Enabled, s.DB.Schedule},
		{"smb", s.SMB.Enabled, s.SMB.Schedule},
		{"azblob", s.AzBlob.Enabled, s.AzBlob.Schedule}, {"gcs", s.GCS.Enabled, s.GCS.Schedule}} {
		if sec.when.MaxDuration < 0 {
			return &FieldError{"scans." + sec.name + ".max_duration", "must not be negative (0: no bound; e.g. 2h)"}
		}
		if !sec.enabled {
			continue
		}
		if sec.when.Interval < time.Second {
			return &FieldError{"scans." + sec.name + ".interval", "must be at least 1s (e.g. 6h)"}
		}
		if sec.when.Jitter < 0 || sec.when.Jitter > 0.5 {
			return &FieldError{"scans." + sec.name + ".jitter", "must be between 0 and 0.5 (a fraction of the interval)"}
		}
	}
	if _, err := pii.CheckDefinitions(s.Detectors); err != nil {
		var de *pii.DefinitionError
		if errors.As(err, &de) {
			return &FieldError{"scans." + de.Field, de.Msg}
		}
		return &FieldError{"scans.detectors", err.Error()}
	}
	if s.S3.SamplePercent < 0 || s.S3.SamplePercent > 100 {
		return &FieldError{"scans.s3.sample_percent", "must be between 0 and 100"}
	}
	for name, o := range map[string]ObjectSampling{"azblob": s.AzBlob.ObjectSampling, "gcs": s.GCS.ObjectSampling} {
		if o.SamplePercent < 0 || o.SamplePercent > 100 {
			return &FieldError{"scans." + name + ".sample_percent", "must be between 0 and 100"}
		}
		if o.MaxObjects < 0 || o.BytesPerObject < 0 || o.ObjectTimeout < 0 {
			return &FieldError{"scans." + name, "max_objects, bytes_per_object and object_timeout must not be negative"}
		}
	}
	if s.AzBlob.Enabled && s.AzBlob.Account == "" && s.AzBlob.ConnectionStringFile == "" {
		return &FieldError{"scans.azblob.account", "name the storage account (or give connection_string_file) when scans.azblob.enabled is true"}
	}
	if s.GCS.Enabled && s.GCS.Project == "" && len(s.GCS.Buckets) == 0 {
		return &FieldError{"scans.gcs.project", "name the project whose buckets to list, or the buckets, when scans.gcs.enabled is true"}
	}
	if s.LDAP.Enabled && (s.LDAP.URL == "" || s.LDAP.BaseDN == "") {
		return &FieldError{"scans.ldap.url", "the directory's url and base_dn are required when scans.ldap.enabled is true"}
	}
	if s.DB.Enabled && s.DB.DSN == "" {
		return &FieldError{"scans.db.dsn", "name the server (postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB) when scans.db.enabled is true"}
	}
	if s.SMB.Enabled && (s.SMB.Server == "" || s.SMB.Share == "" || s.SMB.User == "") {
		return &FieldError{"scans.smb.server", "server, share and user are required when scans.smb.enabled is true"}
	}
	if s.SMB.MaxFileSize < 0 || s.SMB.MaxFiles < 0 {
		return &FieldError{"scans.smb", "max_file_size and max_files must not be negative"}
	}
	if s.DB.SampleRows < 0 || s.DB.MaxTables < 0 || s.DB.StatementTimeout < 0 {
		return &FieldError{"scans.db", "sample_rows, max_tables and statement_timeout must not be negative"}
	}
	return validateBounds(s)
}

// Upper limits of the bounds a site (or a collector policy) may set on
// what a server costs the agent: far above the defaults, for a directory
// of tens of millions of entries or an account of millions of identities,
// yet finite, so no setting turns a bound off.
const (
	MaxLDAPEntries      = 100_000_000
	MaxLDAPMessageBytes = 1 << 30
	MaxLDAPKeptBytes    = 64 << 30
	MaxIAMDetails       = 10_000_000
	MaxCallTimeout      = time.Hour
	MaxResponseBytes    = 1 << 30
)

// validateBounds checks the bounds on what a server may cost the agent:
// each set, positive (0 is no "no bound" here) and under its upper limit.
func validateBounds(s Scans) error {
	for _, b := range []struct {
		field           string
		value, max, def int64
	}{
		{"scans.ldap.max_entries", int64(s.LDAP.MaxEntries), MaxLDAPEntries, limits.LDAPMaxEntries},
		{"scans.ldap.max_message_bytes", s.LDAP.MaxMessageBytes, MaxLDAPMessageBytes, limits.LDAPMaxMessageBytes},
		{"scans.ldap.max_kept_bytes", s.LDAP.MaxKeptBytes, MaxLDAPKeptBytes, limits.LDAPMaxKeptBytes},
		{"scans.iam.max_details", int64(s.IAM.MaxDetails), MaxIAMDetails, limits.IAMMaxDetails},
		{"scans.s3.max_response_bytes", s.S3.MaxResponseBytes, MaxResponseBytes, limits.AWSMaxResponseBytes},
		{"scans.iam.max_response_bytes", s.IAM.MaxResponseBytes, MaxResponseBytes, limits.AWSMaxResponseBytes},
		{"scans.gcs.max_response_bytes", s.GCS.MaxResponseBytes, MaxResponseBytes, limits.GCSMaxResponseBytes},
		{"scans.azblob.max_response_bytes", s.AzBlob.MaxResponseBytes, MaxResponseBytes, limits.AzureMaxResponseBytes},
	} {
		if b.value <= 0 || b.value > b.max {
			return &FieldError{b.field, fmt.Sprintf("must be between 1 and %d (default %d; leave the key out for the default)", b.max, b.def)}
		}
	}
	for _, t := range []struct {
		field      string
		value, def time.Duration
	}{{"scans.s3.call_timeout", s.S3.CallTimeout, limits.CallTimeout}, {"scans.iam.call_timeout", s.IAM.CallTimeout, limits.CallTimeout},
		{"scans.gcs.call_timeout", s.GCS.CallTimeout, limits.CallTimeout}, {"scans.azblob.call_timeout", s.AzBlob.CallTimeout, limits.CallTimeout},
		{"scans.smb.call_timeout", s.SMB.CallTimeout, limits.SMBCallTimeout}} {
		if t.value < time.Second || t.value > MaxCallTimeout {
			return &FieldError{t.field, fmt.Sprintf("must be between 1s and %s (default %s; leave the key out for the default)", MaxCallTimeout, t.def)}
		}
	}
	return nil
}

// CredentialsPath is where enrollment stores the agent's identity.
func (c Config) CredentialsPath() string { return filepath.Join(c.DataDir, "credentials.json") }

// SpoolDir is the spool's directory.
func (c Config) SpoolDir() string { return filepath.Join(c.DataDir, "spool") }
