// Package store is the collector's only door to ClickHouse: connection,
// schema migrations, batched inserts of agents' records and the reads the API
// serves. All SQL of the collector lives here.
//
// Every statement has to run on ClickHouse 18.16 (what tests and CI use) and
// on current releases (what users run). That rules out Map, JSON, Bool,
// DateTime64, TTL, server-side {x:T} parameters and multi-statement Exec, and
// it means INSERTs always name their columns and go through PrepareBatch
// (an Exec of INSERT … VALUES hangs on 18.16). Values are bound client-side
// with `?`; SQL text is never built from user values.
//
// Latest-state tables are ReplacingMergeTree(version). Reads never rely on
// background merges having happened: they use FINAL or argMax.
package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/sightline-dev/sightline/internal/defaults"
)

// ErrNotFound is returned by single-row reads when the row does not exist.
var ErrNotFound = errors.New("not found")

// Options says where ClickHouse is and how to talk to it.
type Options struct {
	// Addr is host:port of the native protocol (default 127.0.0.1:9000).
	Addr string
	// Database is created by Migrate if missing (default "sightline").
	Database           string
	Username, Password string
	// DialTimeout bounds connecting and waiting for a pooled connection
	// (default 5s); ReadTimeout bounds one read from the server (default 60s).
	DialTimeout, ReadTimeout time.Duration
	// MaxOpenConns bounds the connection pool (default 16).
	MaxOpenConns int
	// TLS, when set, connects over TLS (ClickHouse's tcp_port_secure);
	// nil means plain TCP.
	TLS    *tls.Config
	Logger *slog.Logger
	// Cluster, when set, names the ClickHouse cluster (remote_servers) the
	// database is spread over: migrations run ON CLUSTER with Replicated
	// and Distributed tables (cluster.go). Empty: one node.
	Cluster string
}

func (o *Options) defaults() {
	o.Addr = cmp.Or(o.Addr, "127.0.0.1:9000")
	o.Database = cmp.Or(o.Database, "sightline")
	o.DialTimeout = defaults.Positive(o.DialTimeout, 5*time.Second)
	o.ReadTimeout = defaults.Positive(o.ReadTimeout, 60*time.Second)
	o.MaxOpenConns = defaults.Positive(o.MaxOpenConns, 16)
	o.Logger = cmp.Or(o.Logger, slog.Default())
}

// validIdent reports whether name may be used as a database name. The name
// is spliced into SQL (identifiers cannot be bound), so it is checked against
// a strict alphabet rather than escaped.
func validIdent(name string) bool {
	if name == "" || len(name) > 64 || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// Store is a pool of connections to one ClickHouse database. It is safe for
// concurrent use.
type Store struct {
	conn driver.Conn
	// long runs statements that may take minutes (see Open).
	long driver.Conn
	o    Options
	// db is the quoted database name that replaces {db} in SQL.
	db string
	// writer names this process in write_marks (see index.go).
	writer string
	// cluster is set in cluster mode (Options.Cluster).
	cluster *clusterRewriter

	// versionMu guards lastVersion, which keeps the versions this process
	// writes for agents, tokens and settings strictly increasing even if
	// the wall clock steps back or two writes share a nanosecond.
	versionMu   sync.Mutex
	lastVersion uint64
}

// Open creates the connection pool and checks that ClickHouse answers. It
// connects without selecting the database, so it works before Migrate has
// created it.
func Open(ctx context.Context, o Options) (*Store, error) {
	o.defaults()
	if !validIdent(o.Database) {
		return nil, fmt.Errorf("database name %q: use letters, digits and underscores only (at most 64, not starting with a digit); check clickhouse.database in the collector config", o.Database)
	}
	var cluster *clusterRewriter
	if o.Cluster != "" {
		var err error
		if cluster, err = newPrimedClusterRewriter(o.Cluster, o.Database); err != nil {
			return nil, err
		}
	}
	idle := min(5, o.MaxOpenConns)
	open := func(readTimeout time.Duration, maxOpen, maxIdle int) (driver.Conn, error) {
		return clickhouse.Open(&clickhouse.Options{
			Protocol: clickhouse.Native,
			Addr:     []string{o.Addr},
			// No Auth.Database: the server rejects a handshake naming a database
			// that does not exist yet. Every table name is qualified instead.
			Auth:         clickhouse.Auth{Username: o.Username, Password: o.Password},
			TLS:          o.TLS,
			DialTimeout:  o.DialTimeout,
			ReadTimeout:  readTimeout,
			MaxOpenConns: maxOpen,
			MaxIdleConns: maxIdle,
			Compression:  &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
			Settings:     clusterSettings(cluster),
			ClientInfo: clickhouse.ClientInfo{Products: []struct{ Name, Version string }{
				{Name: "sightline-collector"},
			}},
		})
	}
	dialErr := func(err error) error {
		return fmt.Errorf("connecting to ClickHouse at %s: %w; check clickhouse.addr in the collector config", o.Addr, err)
	}
	conn, err := open(o.ReadTimeout, o.MaxOpenConns, idle)
	if err != nil {
		return nil, dialErr(err)
	}
	// An INSERT … SELECT (migrations, index builds) sends nothing back
	// until it is done, so it gets a pool of its own with a read timeout
	// long enough for the biggest build.
	long, err := open(max(o.ReadTimeout, longReadTimeout), 2, 1)
	if err != nil {
		_ = conn.Close()
		return nil, dialErr(err)
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		_ = conn.Close()
		_ = long.Close()
		return nil, fmt.Errorf("naming this collector's writes: %w", err)
	}
	s := &Store{conn: conn, long: long, o: o, db: "`" + o.Database + "`", writer: hex.EncodeToString(id[:]), cluster: cluster}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	if cluster != nil {
		if err := s.checkClusterProfile(ctx); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close releases the pool. Calls after Close fail with an error that
// IsUnavailable reports as true.
func (s *Store) Close() error { return errors.Join(s.conn.Close(), s.long.Close()) }

// longReadTimeout bounds one INSERT … SELECT of a migration or an index
// build.
const longReadTimeout = 30 * time.Minute

// Ping checks that ClickHouse answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return s.connErr(err)
	}
	return nil
}

// Database is the name of the database this store uses.
func (s *Store) Database() string { return s.o.Database }

// Conn is the underlying connection pool, for tests and diagnostics that
// need a query no method offers. The collector's own SQL belongs in this
// package; tables outside it must be qualified with Database().
func (s *Store) Conn() driver.Conn { return s.conn }

// connErr words a failure to reach or log in to ClickHouse so that the
// operator knows which setting to look at.
func (s *Store) connErr(err error) error {
	if errors.Is(err, clickhouse.ErrConnectionClosed) {
		return fmt.Errorf("ClickHouse at %s: %w (the store was closed; the collector is shutting down)", s.o.Addr, err)
	}
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		return fmt.Errorf("ClickHouse at %s: its TLS certificate is not trusted: %w; check clickhouse.ca_file (the CA that signed ClickHouse's certificate) and clickhouse.server_name", s.o.Addr, err)
	}
	var rerr tls.RecordHeaderError
	if s.o.TLS != nil && errors.As(err, &rerr) {
		return fmt.Errorf("ClickHouse at %s does not speak TLS: %w; point clickhouse.addr at its secure native port (tcp_port_secure, usually 9440) or set clickhouse.tls: false", s.o.Addr, err)
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case 192, 193, 194, 516: // UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, AUTHENTICATION_FAILED
			return fmt.Errorf("logging in to ClickHouse at %s: %w; check clickhouse.username and clickhouse.password_file in the collector config", s.o.Addr, err)
		}
	}
	if s.o.TLS == nil {
		return fmt.Errorf("connecting to ClickHouse at %s: %w; check clickhouse.addr in the collector config (for ClickHouse's secure port also set clickhouse.tls: true) and that ClickHouse is running", s.o.Addr, err)
	}
	return fmt.Errorf("connecting to ClickHouse at %s: %w; check clickhouse.addr in the collector config and that ClickHouse is running", s.o.Addr, err)
}

// wrap adds what was being done, and a hint for errors an operator can fix.
func (s *Store) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case 60, 81: // UNKNOWN_TABLE, UNKNOWN_DATABASE
			return fmt.Errorf("%s: %w; the schema is missing or old: run `sightline-collector migrate`", what, err)
		case 192, 193, 194, 516:
			return s.connErr(err)
		}
	}
	if IsUnavailable(err) {
		return fmt.Errorf("%s: ClickHouse at %s is unavailable: %w; retry later, and check clickhouse.addr in the collector config if it persists", what, s.o.Addr, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// sql replaces {db} with the quoted database name.
func (s *Store) sql(q string) string {
	if s.cluster != nil {
		q = s.cluster.wrapFinal(s.cluster.maintenance(q))
	}
	return strings.ReplaceAll(q, "{db}", s.db)
}

// nextVersion is a version for rows this process writes itself: the wall
// clock in nanoseconds, bumped when needed to stay increasing.
func (s *Store) nextVersion() uint64 { return s.reserveVersions(1) }

// reserveVersions returns the first of n consecutive increasing versions
// (n may be 0, which reserves the one it returns), from the same clock as
// nextVersion.
func (s *Store) reserveVersions(n int) uint64 {
	v := unixNano(time.Now())
	s.versionMu.Lock()
	defer s.versionMu.Unlock()
	if v <= s.lastVersion {
		v = s.lastVersion + 1
	}
	s.lastVersion = v + uint64(max(n, 1)) - 1
	return v
}

// IsUnavailable reports whether err means ClickHouse could not be reached or
// could not take the request for now (refused, reset, EOF, timeouts, a closed
// pool, back-pressure), as opposed to a bad statement or bad data. The API
// answers the former with 503 and Retry-After, the latter with 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	// A server exception means the server was reached; only a few codes say
	// "try again later".
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case 159, // TIMEOUT_EXCEEDED
			202, // TOO_MANY_SIMULTANEOUS_QUERIES
			203, // NO_FREE_CONNECTION
			209, // SOCKET_TIMEOUT
			210, // NETWORK_ERROR
			242, // TABLE_IS_READ_ONLY (replica lost ZooKeeper)
			252, // TOO_MANY_PARTS (inserts throttled)
			279, // ALL_CONNECTION_TRIES_FAILED
			319, // UNKNOWN_STATUS_OF_INSERT
			225, // NO_ZOOKEEPER
			285, // TOO_FEW_LIVE_REPLICAS
			999: // KEEPER_EXCEPTION
			return true
		case 32: // ATTEMPT_TO_READ_AFTER_EOF
			// From another node of the cluster (a Distributed insert or
			// read whose replica died mid-way): an outage, worth a retry.
			// Anywhere else it would be a protocol fault, not an outage.
			return strings.Contains(ex.Message, "while receiving packet from")
		}
		return false
	}
	for _, target := range []error{
		clickhouse.ErrAcquireConnTimeout, clickhouse.ErrConnectionClosed,
		io.EOF, io.ErrUnexpectedEOF, net.ErrClosed, os.ErrDeadlineExceeded,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ETIMEDOUT,
		// A deadline (ours or the caller's) ran out while waiting on
		// ClickHouse: a slow or overloaded server, worth a retry. A
		// cancelled context is the caller leaving, not the server failing.
		context.DeadlineExceeded,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	// Any other network-level error (DNS, dial) also means "not reached".
	var ne net.Error
	return errors.As(err, &ne)
}
