// Package config loads the collector's configuration: YAML with defaults,
// then SIGHTLINE_* environment variables over it.
package config

import (
	"crypto/tls"
	"fmt"
	"strconv"
	"time"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/capool"
	"github.com/sightline-dev/sightline/internal/config"
	"github.com/sightline-dev/sightline/internal/gctune"
)

// Config is the collector's configuration file.
type Config struct {
	// Listen is the API address. With a tls section it speaks only HTTPS.
	Listen string `yaml:"listen"`
	// TLS, when set, makes the listener HTTPS (and, with a client CA,
	// mutual TLS). Without it the API is plain HTTP, meant for loopback.
	TLS TLS `yaml:"tls"`
	// HTTP bounds how long the API server waits on a client.
	HTTP       HTTP       `yaml:"http"`
	ClickHouse ClickHouse `yaml:"clickhouse"`
	Ingest     Ingest     `yaml:"ingest"`
	Index      Index      `yaml:"index"`
	Retention  Retention  `yaml:"retention"`
	LogLevel   string     `yaml:"log_level"`
	// AgentStaleAfter is how long an agent may go without shipping before
	// the fleet view marks it stale.
	AgentStaleAfter time.Duration `yaml:"agent_stale_after"`
	// Jurisdictions say where hosts are, by name glob, first match wins
	// (buckets take theirs from their region).
	Jurisdictions []Jurisdiction `yaml:"jurisdictions"`
	// HomeJurisdiction is where the organisation's personal data belongs
	// ("EU", …): assets stored elsewhere score a cross-border risk factor.
	// Empty: no such factor.
	HomeJurisdiction string `yaml:"home_jurisdiction"`
	// StaleAfter: an account (not disabled) with no login for this long,
	// or never logged in and created this long ago, is stale.
	StaleAfter time.Duration `yaml:"stale_after"`
	// KeyFile holds the token keys (collector/keys): mode 0600, created on
	// first start; back it up, and give every collector of one database a
	// copy of the same file.
	KeyFile  string   `yaml:"key_file"`
	Subjects Subjects `yaml:"subjects"`
	DSR      DSR      `yaml:"dsr"`
	Reviews  Reviews  `yaml:"reviews"`
	// Console and OIDC: the web console and its single sign-on (console.go).
	Console Console `yaml:"console"`
	OIDC    OIDC    `yaml:"oidc"`
	// Runtime tunes Go's garbage collector (internal/gctune).
	Runtime Runtime `yaml:"runtime"`
	// Alerts: rules over what scans deliver and where their events go
	// (collector/alerts).
	Alerts alerts.Config `yaml:"alerts"`
}

// Runtime holds the garbage collector's settings; GOGC and GOMEMLIMIT in
// the environment win over both.
type Runtime struct {
	// GCPercent is Go's GC target (GOGC). 200 collects half as often as
	// Go's default, for about a tenth less CPU per ingested record.
	GCPercent int `yaml:"gc_percent"`
	// MemoryLimitBytes is the soft memory limit (GOMEMLIMIT). 0: 90% of
	// the cgroup's limit under one (a container, a systemd MemoryMax),
	// else 3.5 times ingest.memory_budget_bytes (896 MiB by default): the
	// decoded rows the budget admits, their insert buffers and the rest.
	MemoryLimitBytes int64 `yaml:"memory_limit_bytes"`
}

// GC is the garbage collector's settings as gctune.Apply takes them.
func (c Config) GC() gctune.Options {
	return gctune.Options{Percent: c.Runtime.GCPercent, LimitBytes: c.Runtime.MemoryLimitBytes,
		FallbackLimitBytes: c.Ingest.MemoryBudgetBytes / 2 * 7}
}

// Subjects bounds subject search.
type Subjects struct {
	// MaxIdentifiersPerHour is how many identifiers one API token may
	// search per hour; past it the API answers 429 with Retry-After.
	MaxIdentifiersPerHour int `yaml:"max_identifiers_per_hour"`
}

// DSR sets data-subject request deadlines (collector/dsr): gdpr is one
// month from receipt and ccpa 45 days; any other regulation named gets
// DefaultDays.
type DSR struct {
	// DefaultRegulation applies to a case that names none.
	DefaultRegulation string `yaml:"default_regulation"`
	DefaultDays       int    `yaml:"default_days"`
}

// Reviews sets review cycles (collector/review/cycles.go).
type Reviews struct {
	// RemovalDue: a revoked grant that no scan has shown removed this
	// long after the revocation is overdue.
	RemovalDue time.Duration `yaml:"removal_due"`
	// CheckInterval is how often the collector holding the review-cycle
	// lease spawns the campaigns due and records removal states.
	CheckInterval time.Duration `yaml:"check_interval"`
}

// Jurisdiction maps host names to a jurisdiction ("EU", "US", "UK", …).
type Jurisdiction struct {
	Hosts        string `yaml:"hosts"`
	Jurisdiction string `yaml:"jurisdiction"`
}

// TLS names the PEM files of the listener's certificate (see
// collector/tlsserve). The files are read when serve starts and again on
// SIGHUP, not here, so commands that do not listen (migrate, token) work
// without them.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile turns on mutual TLS: clients must present a certificate
	// signed by a CA in this file.
	ClientCAFile string `yaml:"client_ca_file"`
	// ClientCRLFile (with ClientCAFile) lists revoked client
	// certificates: PEM "X509 CRL" blocks signed by a CA of ClientCAFile,
	// re-read on SIGHUP.
	ClientCRLFile string `yaml:"client_crl_file"`
}

// Enabled reports whether the listener speaks HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// HTTP holds the API server's timeouts (net/http.Server's fields of the
// same names).
type HTTP struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included (an ingest
	// body is up to ingest.max_body_bytes).
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds the time from the end of the request headers to
	// the end of the response: it includes a read waiting for the index
	// to be rebuilt.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// ClickHouse says where the store is.
type ClickHouse struct {
	Addr         string `yaml:"addr"`
	Database     string `yaml:"database"`
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	// Password comes from PasswordFile or SIGHTLINE_CLICKHOUSE_PASSWORD.
	Password    string        `yaml:"-"`
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// TLS connects to ClickHouse's secure native port (tcp_port_secure,
	// usually 9440) instead of the plain one.
	TLS bool `yaml:"tls"`
	// CAFile holds the CA certificates (PEM) ClickHouse's certificate must
	// chain to; empty means the system's roots.
	CAFile string `yaml:"ca_file"`
	// ServerName is the name checked against ClickHouse's certificate;
	// empty means the host of addr.
	ServerName string `yaml:"server_name"`
	// ClientTLS is built from TLS, CAFile and ServerName by Load; nil
	// without TLS.
	ClientTLS *tls.Config `yaml:"-"`
	// Cluster names the ClickHouse cluster (remote_servers) the database
	// is spread over; empty: one node. See the README's "Scaling".
	Cluster string `yaml:"cluster"`
}

// Ingest bounds what one request may carry and how rows are batched into
// ClickHouse.
type Ingest struct {
	// MaxBodyBytes bounds the request body as sent (compressed).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxDecodedBytes bounds the body after gunzip, against gzip bombs.
	MaxDecodedBytes int64 `yaml:"max_decoded_bytes"`
	// BatchRows and BatchInterval bound a ClickHouse insert: a flush happens
	// when this many rows wait or the oldest has waited this long.
	BatchRows     int           `yaml:"batch_rows"`
	BatchInterval time.Duration `yaml:"batch_interval"`
	// MaxPendingRows bounds rows held in memory awaiting a flush; requests
	// beyond it wait, then get 503.
	MaxPendingRows int `yaml:"max_pending_rows"`
	// MemoryBudgetBytes bounds the decoded records (estimated in-memory
	// size) held across all ingest requests until they are flushed; past
	// it a batch gets 503 with Retry-After.
	MemoryBudgetBytes int64 `yaml:"memory_budget_bytes"`
	// MaxInflight bounds batches being decoded or awaiting their flush.
	MaxInflight int `yaml:"max_inflight"`
	// MaxRatio refuses (413) a gzip body that, past RatioGraceBytes of
	// output, has expanded more than this many times; 0 turns it off.
	MaxRatio        float64 `yaml:"max_ratio"`
	RatioGraceBytes int64   `yaml:"ratio_grace_bytes"`
	// AgentRate is records per second one agent may send (0: no limit);
	// AgentBurst how many at once (0: ten seconds' worth). Past it: 429
	// with Retry-After.
	AgentRate  float64 `yaml:"agent_rate"`
	AgentBurst int     `yaml:"agent_burst"`
}

// Index says how fresh the read index behind the aggregate endpoints must
// be (collector/index).
type Index struct {
	// MaxLag is how old an index that misses recent writes may be and still
	// answer; older, a read waits for a rebuild. 0 means every read after a
	// write waits (read-your-writes).
	MaxLag time.Duration `yaml:"max_lag"`
	// Interval is how often the collector checks for writes the index does
	// not cover and rebuilds it.
	Interval time.Duration `yaml:"interval"`
	// FullEvery: builds are incremental after a process's first; the
	// first build this long after the last full one is full again
	// (default 24h).
	FullEvery time.Duration `yaml:"full_every"`
}

// Default returns the configuration used for keys a file leaves out.
func Default() Config {
	return Config{
		Listen: "127.0.0.1:8080",
		ClickHouse: ClickHouse{
			Addr:        "127.0.0.1:9000",
			Database:    "sightline",
			Username:    "default",
			DialTimeout: 5 * time.Second,
		},
		Ingest: Ingest{
			MaxBodyBytes:    16 << 20,
			MaxDecodedBytes: 128 << 20,
			BatchRows:       50000,
			BatchInterval:   200 * time.Millisecond,
			MaxPendingRows:  400000,
			// Ingest admission: see Ingest's fields.
			MemoryBudgetBytes: 256 << 20,
			MaxInflight:       64,
			MaxRatio:          100,
			RatioGraceBytes:   1 << 20,
			AgentRate:         10000,
			AgentBurst:        100000,
		},
		HTTP: HTTP{
			ReadHeaderTimeout: 10 * time.Second,
			// 16 MB of ingest over a slow link, with room.
			ReadTimeout: 2 * time.Minute,
			// A read may wait for an index build before it answers.
			WriteTimeout: 5 * time.Minute,
			IdleTimeout:  2 * time.Minute,
		},
		Index:           Index{MaxLag: time.Minute, Interval: 15 * time.Second, FullEvery: 24 * time.Hour},
		LogLevel:        "info",
		AgentStaleAfter: 24 * time.Hour,
		StaleAfter:      90 * 24 * time.Hour,
		KeyFile:         "/var/lib/sightline-collector/keys.json",
		Subjects:        Subjects{MaxIdentifiersPerHour: 1000},
		DSR:             DSR{DefaultRegulation: "gdpr", DefaultDays: 30},
		Reviews:         Reviews{RemovalDue: 14 * 24 * time.Hour, CheckInterval: time.Minute},
		Runtime:         Runtime{GCPercent: 200},
		Console:         Console{SessionTTL: 8 * time.Hour, IdleTimeout: time.Hour, MaxSessions: 10000},
	}
}

// Load reads path (if not empty) over the defaults, then the environment.
func Load(path string) (Config, error) {
	c := Default()
	if path != "" {
		if err := config.LoadYAML(path, &c); err != nil {
			return c, err
		}
	}
	config.Env(&c.Listen, "SIGHTLINE_LISTEN")
	config.Env(&c.ClickHouse.Addr, "SIGHTLINE_CLICKHOUSE_ADDR")
	config.Env(&c.ClickHouse.Database, "SIGHTLINE_CLICKHOUSE_DATABASE")
	config.Env(&c.ClickHouse.Username, "SIGHTLINE_CLICKHOUSE_USERNAME")
	config.Env(&c.KeyFile, "SIGHTLINE_KEY_FILE")
	pw, err := config.Secret(c.ClickHouse.PasswordFile, "SIGHTLINE_CLICKHOUSE_PASSWORD")
	if err != nil {
		return c, fmt.Errorf("clickhouse.password_file: %w", err)
	}
	c.ClickHouse.Password = pw
	if err := c.validate(); err != nil {
		return c, err
	}
	if err := c.Retention.parse(); err != nil {
		return c, err
	}
	if err := c.loadConsole(); err != nil {
		return c, err
	}
	c.ClickHouse.ClientTLS, err = c.ClickHouse.clientTLS()
	return c, err
}

// clientTLS builds the TLS configuration for connecting to ClickHouse.
func (ch ClickHouse) clientTLS() (*tls.Config, error) {
	if !ch.TLS {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: ch.ServerName}
	if ch.CAFile != "" {
		var err error
		if tc.RootCAs, err = capool.Load(ch.CAFile, "clickhouse.ca_file"); err != nil {
			return nil, fmt.Errorf("%w (want the CA that signed ClickHouse's certificate)", err)
		}
	}
	return tc, nil
}

func (c Config) validate() error {
	switch {
	case c.Listen == "":
		return fmt.Errorf("listen: must be an address such as 127.0.0.1:8080")
	case c.ClickHouse.Addr == "":
		return fmt.Errorf("clickhouse.addr: must be host:port of ClickHouse's native protocol (usually 9000)")
	case c.ClickHouse.Database == "":
		return fmt.Errorf("clickhouse.database: must not be empty")
	case c.ClickHouse.Cluster != "" && !store.ValidIdent(c.ClickHouse.Cluster):
		return fmt.Errorf("clickhouse.cluster: %q is not a cluster name: use letters, digits and underscores (at most 64, not starting with a digit), as in ClickHouse's remote_servers", c.ClickHouse.Cluster)
	case c.Ingest.MaxBodyBytes <= 0 || c.Ingest.MaxDecodedBytes < c.Ingest.MaxBodyBytes:
		return fmt.Errorf("ingest: max_body_bytes must be positive and max_decoded_bytes at least as large")
	case c.Ingest.BatchRows <= 0 || c.Ingest.BatchInterval <= 0:
		return fmt.Errorf("ingest: batch_rows and batch_interval must be positive")
	case c.Index.MaxLag < 0 || c.Index.Interval <= 0:
		return fmt.Errorf("index: max_lag must not be negative and interval must be positive")
	case c.Index.FullEvery < 0:
		return fmt.Errorf("index: full_every must be a positive duration such as 24h (how often a full read-index build repairs what incremental ones carry over)")
	case c.AgentStaleAfter <= 0:
		return fmt.Errorf("agent_stale_after: must be a positive duration such as 24h")
	case c.StaleAfter < time.Hour:
		return fmt.Errorf("stale_after: must be a duration of at least 1h, such as 2160h (90 days)")
	case c.Ingest.MemoryBudgetBytes < 16<<20:
		return fmt.Errorf("ingest.memory_budget_bytes: must be at least 16777216 (16 MiB); the default is 268435456")
	case c.Ingest.MaxInflight <= 0:
		return fmt.Errorf("ingest.max_inflight: must be positive, such as 64")
	case c.Ingest.MaxRatio < 0 || (c.Ingest.MaxRatio > 0 && c.Ingest.MaxRatio < 10):
		return fmt.Errorf("ingest.max_ratio: must be 0 (off) or at least 10; agent batches gzip up to about 30x, the default is 100")
	case c.Ingest.RatioGraceBytes < 0:
		return fmt.Errorf("ingest.ratio_grace_bytes: must not be negative")
	case c.Ingest.AgentRate < 0 || c.Ingest.AgentBurst < 0:
		return fmt.Errorf("ingest.agent_rate and ingest.agent_burst: must not be negative (0: no limit / ten seconds' worth)")
	case c.KeyFile == "":
		return fmt.Errorf("key_file: must be the path of the collector's key file, such as /var/lib/sightline-collector/keys.json")
	case c.Subjects.MaxIdentifiersPerHour <= 0:
		return fmt.Errorf("subjects.max_identifiers_per_hour: must be positive, such as 1000")
	case c.DSR.DefaultDays <= 0 || c.DSR.DefaultDays > 366:
		return fmt.Errorf("dsr.default_days: must be between 1 and 366, such as 30")
	case c.DSR.DefaultRegulation == "":
		return fmt.Errorf("dsr.default_regulation: must name a regulation, such as gdpr")
	case c.Reviews.RemovalDue < time.Hour || c.Reviews.CheckInterval < time.Second:
		return fmt.Errorf("reviews: removal_due must be at least 1h (default 336h, 14 days) and check_interval at least 1s (default 1m)")
	case c.Runtime.GCPercent < 0 || c.Runtime.MemoryLimitBytes < 0:
		return fmt.Errorf("runtime.gc_percent and runtime.memory_limit_bytes: must not be negative (0: Go's default / automatic)")
	case c.Runtime.MemoryLimitBytes > 0 && c.Runtime.MemoryLimitBytes < 64<<20:
		return fmt.Errorf("runtime.memory_limit_bytes: must be 0 (automatic) or at least 67108864 (64 MiB)")
	case c.Ingest.MaxPendingRows < c.Ingest.BatchRows:
		return fmt.Errorf("ingest.max_pending_rows: must be at least batch_rows (%s)", strconv.Itoa(c.Ingest.BatchRows))
	}
	if err := c.validateTLS(); err != nil {
		return err
	}
	if err := c.Alerts.Validate(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: %q is not one of debug, info, warn, error", c.LogLevel)
	}
	return nil
}

// validateTLS checks the tls, http and clickhouse TLS keys fit together.
// Files are not read here (see TLS).
func (c Config) validateTLS() error {
	t, h, ch := c.TLS, c.HTTP, c.ClickHouse
	switch {
	case t.CertFile == "" && t.KeyFile != "", t.CertFile != "" && t.KeyFile == "":
		return fmt.Errorf("tls: cert_file and key_file must be set together (PEM certificate chain and its private key); leave the tls section out to serve plain HTTP on loopback")
	case t.ClientCAFile != "" && !t.Enabled():
		return fmt.Errorf("tls.client_ca_file: needs tls.cert_file and tls.key_file too (mutual TLS works on top of TLS)")
	case t.ClientCRLFile != "" && t.ClientCAFile == "":
		return fmt.Errorf("tls.client_crl_file: needs tls.client_ca_file (revocation lists are for mutual TLS)")
	case h.ReadHeaderTimeout <= 0:
		return fmt.Errorf("http.read_header_timeout: must be a positive duration such as 10s")
	case h.ReadTimeout <= 0:
		return fmt.Errorf("http.read_timeout: must be a positive duration such as 2m")
	case h.WriteTimeout <= 0:
		return fmt.Errorf("http.write_timeout: must be a positive duration such as 5m")
	case h.IdleTimeout <= 0:
		return fmt.Errorf("http.idle_timeout: must be a positive duration such as 2m")
	case h.ReadHeaderTimeout > h.ReadTimeout:
		return fmt.Errorf("http.read_header_timeout (%s) must not exceed http.read_timeout (%s)", h.ReadHeaderTimeout, h.ReadTimeout)
	case !ch.TLS && ch.CAFile != "":
		return fmt.Errorf("clickhouse.ca_file: only used with clickhouse.tls: true; set it (and point clickhouse.addr at the secure port, usually 9440) or remove ca_file")
	case !ch.TLS && ch.ServerName != "":
		return fmt.Errorf("clickhouse.server_name: only used with clickhouse.tls: true; set it or remove server_name")
	}
	return nil
}
