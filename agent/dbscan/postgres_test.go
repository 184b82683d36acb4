package dbscan

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// pgFixture makes database dbscan_t with known tables, roles and grants
// on the test PostgreSQL and returns the scanning account's DSN and
// password. The scanning account is not a superuser: it reads through
// pg_read_all_data, as the README advises.
func pgFixture(t *testing.T) (string, string, string) {
	t.Helper()
	dsn, pw := testServer(t, "SIGHTLINE_TEST_POSTGRES")
	ctx := context.Background()
	exec := func(dsn string, stmts ...string) {
		t.Helper()
		cfg, err := pgx.ParseConfig(dsn)
		require.NoError(t, err)
		cfg.Password = pw
		conn, err := pgx.ConnectConfig(ctx, cfg)
		require.NoError(t, err)
		defer conn.Close(ctx)
		for _, s := range stmts {
			_, err := conn.Exec(ctx, s)
			require.NoError(t, err, s)
		}
	}
	exec(dsn, "DROP DATABASE IF EXISTS dbscan_t WITH (FORCE)")
	var drops []string
	for _, r := range []string{"t_alice", "t_bob", "t_carol", "t_admin", "t_scanner", "t_analysts", "t_readers", "t_ops"} {
		drops = append(drops, "DROP ROLE IF EXISTS "+r)
	}
	exec(dsn, drops...)
	exec(dsn, "CREATE DATABASE dbscan_t",
		"CREATE ROLE t_readers NOLOGIN", "CREATE ROLE t_analysts NOLOGIN IN ROLE t_readers",
		"CREATE ROLE t_alice LOGIN IN ROLE t_analysts", "CREATE ROLE t_bob LOGIN",
		"CREATE ROLE t_admin LOGIN SUPERUSER", "CREATE ROLE t_ops NOLOGIN CREATEROLE", "CREATE ROLE t_carol LOGIN IN ROLE t_ops",
		"CREATE ROLE t_scanner LOGIN PASSWORD 'scan-pw-1' IN ROLE pg_read_all_data")
	exec(withDB(dsn, "dbscan_t"),
		`CREATE TABLE customers (id serial PRIMARY KEY, first_name text, email text, date_of_birth date, ssn text, notes text)`,
		`INSERT INTO customers (first_name, email, date_of_birth, ssn, notes)
			SELECT 'Ann', 'cust' || i || '@example.com', date '1970-01-01' + i * 100, '212' || (550000 + i)::text, 'called about order ' || i
			FROM generate_series(1, 50) AS i`,
		`CREATE TABLE payments (id bigserial PRIMARY KEY, customer_id int, card_number text, amount numeric(10,2), receipt bytea)`,
		`INSERT INTO payments (customer_id, card_number, amount, receipt)
			SELECT i, (ARRAY['4111111111111111', '5500000000000004', '4012888888881881', '378282246310005'])[1 + i % 4], i * 1.5, '\x00ff'
			FROM generate_series(1, 20) AS i`,
		`CREATE SCHEMA audit`,
		`CREATE TABLE audit.events (id int, kind text, at timestamptz)`,
		`INSERT INTO audit.events SELECT i, 'login', now() FROM generate_series(1, 30) AS i`,
		"GRANT SELECT ON payments TO t_readers",
		"GRANT SELECT, INSERT ON customers TO t_bob",
		"GRANT USAGE ON SCHEMA audit TO t_bob",
		"GRANT INSERT ON audit.events TO PUBLIC",
		"ANALYZE")
	return withDB(strings.Replace(dsn, "postgres@", "t_scanner@", 1), "dbscan_t"), "scan-pw-1", dsn
}

func TestPostgres(t *testing.T) {
	dsn, pw, admin := pgFixture(t)
	o := quick()
	o.DSN, o.Password = dsn, pw
	server, err := ServerOf(dsn)
	require.NoError(t, err)
	loc := "postgres://" + server + "/dbscan_t/"
	r := scanOnce(t, o)
	require.Equal(t, "ok", r.scan.Status, r.scan.Errors)

	// One asset per table, with the catalog's row estimate.
	assets := map[string]map[string]string{}
	for _, rec := range r.recs {
		if rec.Kind == "asset" {
			require.Equal(t, "table", rec.AssetType)
			require.Equal(t, "db", rec.Source)
			require.Equal(t, server, rec.Host)
			assets[rec.Location] = rec.Attributes
		}
	}
	require.Len(t, assets, 3)
	require.Equal(t, "50", assets[loc+"public.customers"]["rows"])
	require.Equal(t, "pg_class.reltuples", assets[loc+"public.customers"]["rows_source"])
	require.Equal(t, "20", assets[loc+"public.payments"]["rows"])
	require.Equal(t, "30", assets[loc+"audit.events"]["rows"])
	require.NotContains(t, r.out, pw)

	// Findings per column: the column names type the dates and the bare
	// nine digits; notes and amounts are not personal data.
	require.Equal(t, map[string]string{
		loc + "public.customers#first_name":    "person_name:50",
		loc + "public.customers#email":         "email:50",
		loc + "public.customers#date_of_birth": "date_of_birth:50",
		loc + "public.customers#ssn":           "us_ssn:50",
		loc + "public.payments#card_number":    "credit_card:20",
	}, r.findings())
	assertNoRaw(t, r.out, "cust1@example.com", "4111111111111111", "212550001")

	// Privileged roles, with why.
	priv := r.privileged()
	require.Equal(t, []string{"superuser: bypasses every privilege check"}, priv["t_admin"])
	require.Equal(t, []string{"through role t_ops: CREATEROLE: creates roles and grants itself theirs"}, priv["t_carol"])
	require.Equal(t, []string{"through role pg_read_all_data: pg_read_all_data: reads every table"}, priv["t_scanner"])
	require.Contains(t, priv["postgres"], "superuser: bypasses every privilege check")
	require.NotContains(t, priv, "t_alice")
	require.NotContains(t, priv, "t_bob")

	// Readers through nested roles: alice → t_analysts → t_readers.
	// (Other tests' roles on the same server are left out.)
	require.Equal(t, []string{"postgres", "t_admin", "t_alice", "t_scanner"}, ours(r.readers(loc+"public.payments")))
	require.Equal(t, []string{"postgres", "t_admin", "t_bob", "t_scanner"}, ours(r.readers(loc+"public.customers")))

	// The sample stays within its budget.
	o.SampleRows = 10
	small := scanOnce(t, o)
	require.Equal(t, "email:10", small.findings()[loc+"public.customers#email"])
	require.LessOrEqual(t, small.scan.Stats["rows_sampled"], int64(30))

	// Incremental: unchanged tables are not sampled again, yet their
	// findings are reported; a changed one is.
	o.SampleRows = 0
	path := statePath(t)
	o.State = loadState(t, path)
	first := scanOnce(t, o)
	require.NoError(t, o.State.Save())
	require.Equal(t, int64(3), first.scan.Stats["tables_sampled"])
	o.State = loadState(t, path)
	second := scanOnce(t, o)
	require.NoError(t, o.State.Save())
	require.Equal(t, int64(3), second.scan.Stats["tables_unchanged"])
	require.Zero(t, second.scan.Stats["tables_sampled"])
	require.Equal(t, first.findings(), second.findings())
	cfg, err := pgx.ParseConfig(withDB(admin, "dbscan_t"))
	require.NoError(t, err)
	_, apw := testServer(t, "SIGHTLINE_TEST_POSTGRES")
	cfg.Password = apw
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	require.NoError(t, err)
	_, err = conn.Exec(context.Background(), `INSERT INTO customers (first_name, email) VALUES ('Bo', 'new@example.org')`)
	require.NoError(t, err)
	_, err = conn.Exec(context.Background(), `SELECT pg_stat_force_next_flush()`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(context.Background()))
	o.State = loadState(t, path)
	third := scanOnce(t, o)
	require.Equal(t, int64(1), third.scan.Stats["tables_sampled"])
	require.Equal(t, int64(2), third.scan.Stats["tables_unchanged"])
	require.Equal(t, "email:51", third.findings()[loc+"public.customers#email"])

	// A wrong password fails the scan, naming the server.
	o.Password, o.State = "wrong", nil
	bad := scanOnce(t, o)
	require.Equal(t, "failed", bad.scan.Status)
	require.Contains(t, bad.scan.Errors[0], "connecting to PostgreSQL at")
}
