// Package storetest gives tests a real, empty, migrated store of their own.
//
// Tests find ClickHouse through SIGHTLINE_TEST_CLICKHOUSE (host:port of the
// native protocol, e.g. 127.0.0.1:19000). When it is unset they are skipped,
// unless SIGHTLINE_REQUIRE_SERVICES=1 (as in `make test`), where a missing
// service must fail loudly instead of silently testing nothing.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/store"
)

// Environment variables read by this package.
const (
	EnvAddr    = "SIGHTLINE_TEST_CLICKHOUSE"
	EnvRequire = "SIGHTLINE_REQUIRE_SERVICES"
)

// Addr returns the test ClickHouse address, or skips (or fails) the test
// when none is configured.
func Addr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(EnvAddr)
	if addr == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set but %s=1: start ClickHouse (deploy/scripts/clickhouse-start.sh) and set %s to its native host:port", EnvAddr, EnvRequire, EnvAddr)
		}
		t.Skipf("%s not set: skipping a test that needs ClickHouse", EnvAddr)
	}
	return addr
}

// Options returns store options for the test server and a fresh database
// name (sl_test_<random>); the database is not created.
func Options(t testing.TB) store.Options {
	t.Helper()
	if os.Getenv(EnvOnCluster) == "1" {
		return ClusterOptions(t)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random database name: %v", err)
	}
	return store.Options{
		Addr:        Addr(t),
		Database:    "sl_test_" + hex.EncodeToString(b[:]),
		DialTimeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second,
		// Migration logs would only clutter test output.
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// New opens a store on a new database, migrates it, and drops the database
// and closes the store when the test ends.
func New(t testing.TB) *store.Store {
	t.Helper()
	s := Open(t)
	// On a cluster every migration statement is a distributed DDL task.
	ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout())
	defer cancel()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrating the test store: %v", err)
	}
	return s
}

// Open is New without Migrate: the database does not exist yet, and is
// dropped (if created) when the test ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	o := Options(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, o)
	if err != nil {
		t.Fatalf("opening the test store: %v", err)
	}
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		drop(ctx, t, o)
		_ = s.Close()
	})
	return s
}

// drop removes the test database. It lives here rather than in store so
// that production code has no way to drop a database.
func drop(ctx context.Context, t testing.TB, o store.Options) {
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{o.Addr}, DialTimeout: o.DialTimeout})
	if err != nil {
		t.Errorf("dropping test database: %v", err)
		return
	}
	defer conn.Close()
	// o.Database is our own sl_test_<hex> name, o.Cluster the test
	// cluster's checked name: safe to splice.
	q := "DROP DATABASE IF EXISTS `" + o.Database + "`"
	if o.Cluster != "" {
		q += " ON CLUSTER `" + o.Cluster + "`"
	}
	if err := conn.Exec(ctx, q); err != nil {
		t.Errorf("dropping test database %s: %v", o.Database, err)
	}
}

// BuildIndex rebuilds the read index (collector/index) over what the test
// has stored, as the collector does before an aggregate read.
func BuildIndex(t testing.TB, s *store.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	x := index.New(index.Options{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := x.Build(ctx); err != nil {
		t.Fatalf("building the read index: %v", err)
	}
}

// EnvCluster names a test cluster: NAME=ADDR,ADDR,… (first shard's
// replicas first), as deploy/scripts/cluster-start.sh prints it.
const EnvCluster = "SIGHTLINE_TEST_CLICKHOUSE_CLUSTER"

// EnvOnCluster=1 makes Options (so New and Open) use the test cluster in
// cluster mode instead of the single node: the store's own tests then run
// against Replicated and Distributed tables.
const EnvOnCluster = "SIGHTLINE_TEST_STORE_ON_CLUSTER"

// Cluster returns the test cluster's name and node addresses, or skips
// (or fails, under SIGHTLINE_REQUIRE_SERVICES=1 with the cluster asked for
// by SIGHTLINE_REQUIRE_CLUSTER=1) when none is configured.
func Cluster(t testing.TB) (name string, addrs []string) {
	t.Helper()
	v := os.Getenv(EnvCluster)
	name, list, ok := strings.Cut(v, "=")
	if v == "" || !ok || name == "" || list == "" {
		if os.Getenv(EnvRequire) == "1" && os.Getenv("SIGHTLINE_REQUIRE_CLUSTER") == "1" {
			t.Fatalf("%s is not set (or not NAME=ADDR,…) but a cluster is required: start one with deploy/scripts/cluster-start.sh", EnvCluster)
		}
		t.Skipf("%s not set: skipping a test that needs a ClickHouse cluster", EnvCluster)
	}
	return name, strings.Split(list, ",")
}

// ClusterOptions is Options for a fresh database on the test cluster,
// connected to its first node.
func ClusterOptions(t testing.TB) store.Options {
	t.Helper()
	name, addrs := Cluster(t)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random database name: %v", err)
	}
	return store.Options{
		Addr:        addrs[0],
		Database:    "sl_test_" + hex.EncodeToString(b[:]),
		Cluster:     name,
		DialTimeout: 5 * time.Second,
		ReadTimeout: 60 * time.Second,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func migrateTimeout() time.Duration {
	if os.Getenv(EnvOnCluster) == "1" {
		return 5 * time.Minute
	}
	return time.Minute
}
