package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// pgAdmin returns the test PostgreSQL's administrator DSN and password
// (SIGHTLINE_TEST_POSTGRES, …_PASSWORD_FILE), skipping (failing under make
// test) without one.
func pgAdmin(t *testing.T) (string, string) {
	t.Helper()
	dsn := os.Getenv("SIGHTLINE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") == "1" {
			t.Fatal("SIGHTLINE_TEST_POSTGRES is not set; run `make test`")
		}
		t.Skip("SIGHTLINE_TEST_POSTGRES not set; run `make test` for the database end-to-end test")
	}
	pw, err := os.ReadFile(os.Getenv("SIGHTLINE_TEST_POSTGRES_PASSWORD_FILE"))
	require.NoError(t, err)
	return dsn, strings.TrimSpace(string(pw))
}

// pgRun runs statements on database db of the test PostgreSQL.
func pgRun(t *testing.T, dsn, pw, db string, stmts ...string) {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/" + db
	cfg, err := pgx.ParseConfig(u.String())
	require.NoError(t, err)
	cfg.Password = pw
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	defer conn.Close(ctx)
	for _, s := range stmts {
		_, err := conn.Exec(ctx, s)
		require.NoError(t, err, s)
	}
}

// TestDatabaseScanEndToEnd: an agent in run mode scans a PostgreSQL
// database (scans.db) and ships it; the collector's data map shows the
// server, a subject search finds a customer's email in the table's
// column, the breach impact of the database and of a role that reads it
// through nested roles counts the people, and the table's readers name
// that role's members.
func TestDatabaseScanEndToEnd(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	dsn, pw := pgAdmin(t)
	pgRun(t, dsn, pw, "postgres", "DROP DATABASE IF EXISTS e2e_crm WITH (FORCE)",
		"DROP ROLE IF EXISTS e_alice", "DROP ROLE IF EXISTS e_analysts", "DROP ROLE IF EXISTS e_readers", "DROP ROLE IF EXISTS e_scanner",
		"CREATE DATABASE e2e_crm", "CREATE ROLE e_readers NOLOGIN", "CREATE ROLE e_analysts NOLOGIN IN ROLE e_readers",
		"CREATE ROLE e_alice LOGIN IN ROLE e_analysts", "CREATE ROLE e_scanner LOGIN PASSWORD 'e2e-scan-pw' IN ROLE pg_read_all_data")
	pgRun(t, dsn, pw, "e2e_crm",
		"CREATE TABLE customers (id serial PRIMARY KEY, first_name text, email text, ssn text)",
		`INSERT INTO customers (first_name, email, ssn) SELECT 'Ann', 'cust' || i || '@example.com', '212' || (550000 + i)::text
			FROM generate_series(1, 20) AS i`,
		"CREATE TABLE settings (k text, v text)", "INSERT INTO settings VALUES ('theme', 'dark')",
		"GRANT SELECT ON customers TO e_readers", "ANALYZE")
	t.Cleanup(func() {
		pgRun(t, dsn, pw, "postgres", "DROP DATABASE IF EXISTS e2e_crm WITH (FORCE)", "DROP ROLE IF EXISTS e_alice",
			"DROP ROLE IF EXISTS e_analysts", "DROP ROLE IF EXISTS e_readers", "DROP ROLE IF EXISTS e_scanner")
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	server := u.Host
	table := "postgres://" + server + "/e2e_crm/public.customers"
	pwFile := filepath.Join(t.TempDir(), "db.pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("e2e-scan-pw\n"), 0o600))
	scanDSN := fmt.Sprintf("postgres://e_scanner@%s/e2e_crm?sslmode=disable", server)
	a := s.newAgent([]string{t.TempDir()}, fmt.Sprintf("  db:\n    enabled: true\n    interval: 1h\n    dsn: %q\n    password_file: %s\n", scanDSN, pwFile))
	s.runAgent(a)

	// The data map: the server as a system of source db.
	var dm struct {
		Systems []struct {
			System string `json:"system"`
			Source string `json:"source"`
			Assets uint64 `json:"assets"`
		} `json:"systems"`
	}
	require.Eventually(t, func() bool {
		return s.get("/api/v1/datamap?source=db", &dm) == 200 && len(dm.Systems) == 1
	}, 60*time.Second, 200*time.Millisecond, "the database never showed in the data map")
	require.Equal(t, server, dm.Systems[0].System)
	require.Equal(t, "db", dm.Systems[0].Source)
	require.Equal(t, uint64(1), dm.Systems[0].Assets, "one table holds personal data")

	// Subject search: a customer's email and SSN, in their columns.
	got, body := s.subjectSearch(`{"identifiers":[{"type":"email","value":"Cust7@example.com"},{"type":"us_ssn","value":"212-55-0007"}]}`)
	require.Equal(t, map[string][]int{table + "#email email": {0}, table + "#ssn us_ssn": {1}}, got)
	assertNoRaw(t, body)

	// Breach impact: of the database, and of alice, who reads the table
	// through e_analysts → e_readers.
	var alice string
	var principals struct {
		Items []struct {
			ID   string `json:"principal_id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/principals?source=db&limit=1000", &principals))
	for _, p := range principals.Items {
		if p.Name == "e_alice" {
			alice = p.ID
		}
	}
	require.NotEmpty(t, alice)
	for _, q := range []string{
		fmt.Sprintf(`{"locations":[%q]}`, "postgres://"+server+"/e2e_crm/"),
		fmt.Sprintf(`{"principals":[%q]}`, alice),
	} {
		types, out := s.impact(q)
		// Every customer is an Ann: one distinct name, so one person at least and most by name.
		require.Equal(t, map[string][3]int{"email": {20, 20, 20}, "us_ssn": {20, 20, 20}, "person_name": {20, 1, 1}}, types, q)
		assertNoRaw(t, out)
	}

	// Effective access: the table's readers, alice through nested roles.
	byName := map[string][]string{}
	for name, via := range s.readers(table) {
		if strings.HasPrefix(name, "e_") {
			byName[name] = via
		}
	}
	require.Equal(t, map[string][]string{"e_alice": {"group e_readers"}, "e_scanner": {"group pg_read_all_data"}}, byName)
	s.assertNoRawStored()
}
