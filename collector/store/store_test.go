package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want []string
	}{
		{"empty", "", nil},
		{"comments only", "-- nothing;\n  -- here\n", nil},
		{"one without semicolon", "SELECT 1\n", []string{"SELECT 1"}},
		{"two", "CREATE TABLE a (x UInt8)\nENGINE = Log;\n\nSELECT 2;\n", []string{"CREATE TABLE a (x UInt8)\nENGINE = Log", "SELECT 2"}},
		{"semicolon alone on a line", "SELECT 1\n;\nSELECT 2\n  ;  \n", []string{"SELECT 1", "SELECT 2"}},
		{"comment between", "SELECT 1; \n-- a comment;\nSELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"semicolon inside a line does not split", "SELECT ';' AS x, 2;\n", []string{"SELECT ';' AS x, 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, store.SplitStatements(tc.body))
		})
	}
}

func TestEmbeddedMigrations(t *testing.T) {
	names, err := store.LoadMigrationNames()
	require.NoError(t, err)
	require.NotEmpty(t, names)
	require.Equal(t, "0001_init", names[0])
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)

	names, err := store.LoadMigrationNames()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(names), 7)
	want := make([]int, len(names))
	for i := range want {
		want[i] = i + 1
	}
	applied, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.Equal(t, want, applied, "every embedded migration, in order, numbered without gaps")

	again, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, again, "a second Migrate must be a no-op")

	var rows []struct {
		Version uint32 `ch:"version"`
		Name    string `ch:"name"`
	}
	require.NoError(t, s.Select(ctx, &rows, `SELECT version, name FROM {db}.schema_migrations FINAL ORDER BY version`))
	require.Len(t, rows, len(names))
	for i, r := range rows {
		require.Equal(t, uint32(i+1), r.Version)
		require.Equal(t, names[i], fmt.Sprintf("%04d_%s", r.Version, r.Name))
	}
	require.Equal(t, "0007_index", names[6])
}

// A migration whose record was lost (it failed after its statements ran,
// or two collectors raced) runs again: a column it already added is no
// error, on 18.16 too, which has no ADD COLUMN IF NOT EXISTS.
func TestMigrateRerunsAddColumn(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	_, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Exec(ctx, `DROP TABLE {db}.schema_migrations`))
	applied, err := s.Migrate(ctx)
	require.NoError(t, err, "every migration ran again")
	require.Contains(t, applied, 8)
	var cols []struct {
		Name string `ch:"name"`
	}
	require.NoError(t, s.Select(ctx, &cols, `SELECT name FROM system.columns
		WHERE database = ? AND table = 'review_items' AND name = 'reviewer_source'`, s.Database()))
	require.Len(t, cols, 1)
	// Outside a migration, adding the column again is still an error.
	require.Error(t, s.Exec(ctx, `ALTER TABLE {db}.review_items ADD COLUMN reviewer_source String`))
}

// Two collectors starting at once both migrate: neither may fail.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	again, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, again)
}

func TestOpenRejectsBadDatabaseName(t *testing.T) {
	for _, name := range []string{"1abc", "a-b", "a b", "x`; DROP", strings.Repeat("a", 65)} {
		_, err := store.Open(context.Background(), store.Options{Addr: "127.0.0.1:1", Database: name})
		require.Error(t, err)
		require.False(t, store.IsUnavailable(err), "a bad name is a config error, not an outage")
		require.Contains(t, err.Error(), "clickhouse.database")
	}
}

func TestAgents(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)

	_, err := s.GetAgent(ctx, "missing")
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := s.ListAgents(ctx)
	require.NoError(t, err)
	require.Empty(t, list)

	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	a := store.Agent{ID: "a-1", Hostname: "web-2", OS: "linux", Version: "1.0.0", EnrolledAt: t0, LastSeen: t0}
	b := store.Agent{ID: "a-2", Hostname: "db-1", OS: "linux", Version: "1.0.0", EnrolledAt: t0, LastSeen: t0}
	require.NoError(t, s.PutAgent(ctx, a))
	require.NoError(t, s.PutAgent(ctx, b))

	got, err := s.GetAgent(ctx, "a-1")
	require.NoError(t, err)
	require.Equal(t, a, got)

	// A heartbeat replaces the row; reads see only the latest.
	a.LastSeen = t0.Add(time.Hour)
	a.Version = "1.1.0"
	require.NoError(t, s.PutAgent(ctx, a))
	got, err = s.GetAgent(ctx, "a-1")
	require.NoError(t, err)
	require.Equal(t, a, got)

	list, err = s.ListAgents(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.Agent{b, a}, list, "ordered by hostname, one row per agent")
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)

	_, err := s.TokenByHash(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	created := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	exp := created.Add(24 * time.Hour)
	for _, tc := range []store.Token{
		{Hash: "h-never", Role: "admin", Name: "ops", CreatedAt: created},
		{Hash: "h-expiring", Role: "agent", AgentID: "a-1", Name: "agent a-1", CreatedAt: created, ExpiresAt: &exp},
	} {
		require.NoError(t, s.PutToken(ctx, tc))
		got, err := s.TokenByHash(ctx, tc.Hash)
		require.NoError(t, err)
		require.Equal(t, tc, got)
	}

	// Revoking is a put of the same hash.
	tok, err := s.TokenByHash(ctx, "h-expiring")
	require.NoError(t, err)
	tok.Revoked = true
	require.NoError(t, s.PutToken(ctx, tok))
	got, err := s.TokenByHash(ctx, "h-expiring")
	require.NoError(t, err)
	require.True(t, got.Revoked)
	require.NotNil(t, got.ExpiresAt)
	require.True(t, exp.Equal(*got.ExpiresAt))
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)

	_, err := s.GetSetting(ctx, "token_key")
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.PutSetting(ctx, "token_key", "v1"))
	require.NoError(t, s.PutSetting(ctx, "other", "x"))
	require.NoError(t, s.PutSetting(ctx, "token_key", "v2"))
	v, err := s.GetSetting(ctx, "token_key")
	require.NoError(t, err)
	require.Equal(t, "v2", v)

	// Values with quotes and placeholders round-trip: they are bound, not spliced.
	odd := `it's a "?" \ value`
	require.NoError(t, s.PutSetting(ctx, "odd?'", odd))
	v, err = s.GetSetting(ctx, "odd?'")
	require.NoError(t, err)
	require.Equal(t, odd, v)
}

func TestBatchesSeen(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	now := time.Now().UTC()

	seen, err := s.BatchesSeen(ctx, "a-1", nil)
	require.NoError(t, err)
	require.Empty(t, seen)

	require.NoError(t, s.PutBatches(ctx, []store.Batch{
		{AgentID: "a-1", Key: "k1", Records: 10, ReceivedAt: now},
		{AgentID: "a-1", Key: "k2", Records: 3, ReceivedAt: now},
		{AgentID: "a-2", Key: "k3", Records: 1, ReceivedAt: now},
	}))
	// A repeat of a batch record is harmless.
	require.NoError(t, s.PutBatches(ctx, []store.Batch{{AgentID: "a-1", Key: "k1", Records: 10, ReceivedAt: now}}))

	seen, err = s.BatchesSeen(ctx, "a-1", []string{"k1", "k3", "k9", "k2"})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"k1": true, "k2": true}, seen, "keys of other agents do not count")

	// More keys than one query carries.
	keys := make([]string, 1300)
	var batches []store.Batch
	for i := range keys {
		keys[i] = fmt.Sprintf("bulk-%04d", i)
		if i%2 == 0 {
			batches = append(batches, store.Batch{AgentID: "a-3", Key: keys[i], Records: 1, ReceivedAt: now})
		}
	}
	require.NoError(t, s.PutBatches(ctx, batches))
	seen, err = s.BatchesSeen(ctx, "a-3", keys)
	require.NoError(t, err)
	require.Len(t, seen, 650)
	for i, k := range keys {
		require.Equal(t, i%2 == 0, seen[k])
	}
}

func TestIsUnavailable(t *testing.T) {
	ctx := context.Background()

	t.Run("closed port", func(t *testing.T) {
		_, err := store.Open(ctx, store.Options{Addr: "127.0.0.1:1", DialTimeout: time.Second})
		require.Error(t, err)
		require.True(t, store.IsUnavailable(err))
		require.Contains(t, err.Error(), "clickhouse.addr")
	})

	t.Run("server hangs up", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				_ = c.Close()
			}
		}()
		_, err = store.Open(ctx, store.Options{Addr: ln.Addr().String(), DialTimeout: time.Second})
		require.Error(t, err)
		require.True(t, store.IsUnavailable(err))
	})

	t.Run("server never answers", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		var conns []net.Conn
		var mu sync.Mutex
		defer func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		_, err = store.Open(ctx, store.Options{Addr: ln.Addr().String(), DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
		require.Error(t, err)
		require.True(t, store.IsUnavailable(err))
	})

	t.Run("closed store", func(t *testing.T) {
		s := storetest.New(t)
		require.NoError(t, s.Close())
		err := s.Ping(ctx)
		require.Error(t, err)
		require.True(t, store.IsUnavailable(err))
		_, _, err = s.Findings(ctx, store.FindingFilter{})
		require.True(t, store.IsUnavailable(err))
	})

	// The exception a Distributed insert returns when a replica dies under
	// it (seen in the cluster suite): an outage; the same code without a
	// peer is not.
	t.Run("a peer node died mid-insert", func(t *testing.T) {
		err := fmt.Errorf("storing: %w", &clickhouse.Exception{Code: 32, Message: "Attempt to read after eof: while receiving packet from 127.0.0.1:35265: Insertion status: Wrote 1 blocks"})
		require.True(t, store.IsUnavailable(err))
		require.False(t, store.IsUnavailable(&clickhouse.Exception{Code: 32, Message: "Attempt to read after eof"}))
	})

	t.Run("syntax error", func(t *testing.T) {
		s := storetest.New(t)
		err := s.Exec(ctx, "SELEKT 1")
		require.Error(t, err)
		require.False(t, store.IsUnavailable(err))
	})

	t.Run("missing table", func(t *testing.T) {
		s := storetest.Open(t) // not migrated
		_, err := s.GetSetting(ctx, "k")
		require.Error(t, err)
		require.False(t, store.IsUnavailable(err))
		require.NotErrorIs(t, err, store.ErrNotFound)
		require.Contains(t, err.Error(), "sightline-collector migrate")
	})

	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"not found", store.ErrNotFound, false},
		{"cancelled", context.Canceled, false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"eof", fmt.Errorf("read: %w", io.EOF), true},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"pool closed", clickhouse.ErrConnectionClosed, true},
		{"acquire timeout", clickhouse.ErrAcquireConnTimeout, true},
		{"syntax", &clickhouse.Exception{Code: 62, Message: "Syntax error"}, false},
		{"too many parts", fmt.Errorf("insert: %w", &clickhouse.Exception{Code: 252}), true},
		{"other", errors.New("boom"), false},
	} {
		t.Run("classify "+tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, store.IsUnavailable(tc.err))
		})
	}
}
