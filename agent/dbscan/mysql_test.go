package dbscan

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
)

// myExec runs statements on the test MariaDB as its administrator.
func myExec(t *testing.T, stmts ...string) {
	t.Helper()
	dsn, pw := testServer(t, "SIGHTLINE_TEST_MARIADB")
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = u.User.Username(), pw, "tcp", u.Host
	conn, err := mysql.NewConnector(cfg)
	require.NoError(t, err)
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range stmts {
		_, err := db.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
}

// myFixture makes database dbscan_t with known tables, roles and grants
// on the test MariaDB and returns the scanning account's DSN and
// password.
func myFixture(t *testing.T) (string, string) {
	t.Helper()
	dsn, _ := testServer(t, "SIGHTLINE_TEST_MARIADB")
	stmts := []string{"DROP DATABASE IF EXISTS dbscan_t"}
	for _, a := range []string{"'t_alice'@'%'", "'t_bob'@'%'", "'t_admin'@'%'", "'t_super'@'%'", "'t_scanner'@'127.0.0.1'"} {
		stmts = append(stmts, "DROP USER IF EXISTS "+a)
	}
	stmts = append(stmts, "DROP ROLE IF EXISTS t_readers", "DROP ROLE IF EXISTS t_analysts",
		"CREATE DATABASE dbscan_t",
		`CREATE TABLE dbscan_t.customers (id int AUTO_INCREMENT PRIMARY KEY, first_name varchar(50), email varchar(100),
			date_of_birth date, ssn char(9), notes text)`,
		`INSERT INTO dbscan_t.customers (first_name, email, date_of_birth, ssn, notes)
			WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 50)
			SELECT 'Ann', CONCAT('cust', i, '@example.com'), DATE_ADD('1970-01-01', INTERVAL i * 100 DAY), CONCAT('212', 550000 + i), CONCAT('called about order ', i) FROM s`,
		// No primary key: sampled by a bounded random offset.
		`CREATE TABLE dbscan_t.payments (customer_id int, card_number varchar(20), amount decimal(10,2), receipt blob)`,
		`INSERT INTO dbscan_t.payments (customer_id, card_number, amount, receipt)
			WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20)
			SELECT i, ELT(1 + i % 4, '4111111111111111', '5500000000000004', '4012888888881881', '378282246310005'), i * 1.5, x'00ff' FROM s`,
		`CREATE TABLE dbscan_t.events (id int PRIMARY KEY, kind varchar(20))`,
		`INSERT INTO dbscan_t.events VALUES (1, 'login'), (2, 'logout')`,
		"CREATE ROLE t_readers", "CREATE ROLE t_analysts", "GRANT t_readers TO t_analysts",
		"CREATE USER 't_alice'@'%' IDENTIFIED BY 'a-pw'", "GRANT t_analysts TO 't_alice'@'%'",
		"CREATE USER 't_bob'@'%' IDENTIFIED BY 'b-pw'", "GRANT SELECT ON `dbscan\\_t`.* TO 't_bob'@'%'",
		"CREATE USER 't_admin'@'%' IDENTIFIED BY 'c-pw'", "GRANT ALL PRIVILEGES ON *.* TO 't_admin'@'%' WITH GRANT OPTION",
		"CREATE USER 't_super'@'%' IDENTIFIED BY 'd-pw'", "GRANT SUPER ON *.* TO 't_super'@'%'",
		"CREATE USER 't_scanner'@'127.0.0.1' IDENTIFIED BY 'scan-pw-2'", "GRANT SELECT ON *.* TO 't_scanner'@'127.0.0.1'",
		"GRANT SELECT ON dbscan_t.payments TO t_readers",
		"GRANT INSERT ON dbscan_t.events TO 't_alice'@'%'",
		"ANALYZE TABLE dbscan_t.customers, dbscan_t.payments, dbscan_t.events")
	myExec(t, stmts...)
	return withDB(strings.Replace(dsn, "root@", "t_scanner@", 1), "dbscan_t"), "scan-pw-2"
}

func TestMariaDB(t *testing.T) {
	dsn, pw := myFixture(t)
	o := quick()
	o.DSN, o.Password = dsn, pw
	server, err := ServerOf(dsn)
	require.NoError(t, err)
	loc := "mysql://" + server + "/dbscan_t."
	r := scanOnce(t, o)
	require.Equal(t, "ok", r.scan.Status, r.scan.Errors)

	rows := map[string]string{}
	for _, rec := range r.recs {
		if rec.Kind == "asset" {
			require.Equal(t, "table", rec.AssetType)
			rows[rec.Location] = rec.Attributes["rows"]
			require.Equal(t, "information_schema.tables.table_rows", rec.Attributes["rows_source"])
		}
	}
	require.Equal(t, map[string]string{loc + "customers": "50", loc + "payments": "20", loc + "events": "2"}, rows)
	require.Equal(t, map[string]string{
		loc + "customers#first_name":    "person_name:50",
		loc + "customers#email":         "email:50",
		loc + "customers#date_of_birth": "date_of_birth:50",
		loc + "customers#ssn":           "us_ssn:50",
		loc + "payments#card_number":    "credit_card:20",
	}, r.findings())
	assertNoRaw(t, r.out, "cust1@example.com", "4111111111111111", "212550001", pw)

	priv := r.privileged()
	require.Equal(t, []string{"ALL PRIVILEGES ON *.* WITH GRANT OPTION"}, priv["t_admin@%"])
	require.Equal(t, []string{"SUPER ON *.*"}, priv["t_super@%"])
	require.Equal(t, []string{"ALL PRIVILEGES ON *.* WITH GRANT OPTION"}, priv["root@127.0.0.1"])
	require.NotContains(t, priv, "t_alice@%")
	require.NotContains(t, priv, "t_bob@%")

	// Readers: alice through t_analysts → t_readers, bob through the
	// database grant, and every account with SELECT ON *.*.
	require.Equal(t, []string{"root@127.0.0.1", "root@localhost", "t_admin@%", "t_alice@%", "t_bob@%", "t_scanner@127.0.0.1"}, ours(r.readers(loc+"payments")))
	require.Equal(t, []string{"root@127.0.0.1", "root@localhost", "t_admin@%", "t_bob@%", "t_scanner@127.0.0.1"}, ours(r.readers(loc+"customers")))

	// A small budget: customers goes through primary-key ranges, payments
	// (no key) through a bounded offset; neither passes the budget.
	o.SampleRows = 10
	small := scanOnce(t, o)
	f := small.findings()
	require.Equal(t, "email:10", f[loc+"customers#email"])
	require.Equal(t, "credit_card:10", f[loc+"payments#card_number"])
	require.Equal(t, int64(22), small.scan.Stats["rows_sampled"]) // 10 + 10 + the 2 events

	// Incremental.
	o.SampleRows = 0
	path := statePath(t)
	o.State = loadState(t, path)
	scanOnce(t, o)
	require.NoError(t, o.State.Save())
	o.State = loadState(t, path)
	second := scanOnce(t, o)
	require.NoError(t, o.State.Save())
	require.Equal(t, int64(3), second.scan.Stats["tables_unchanged"])
	require.Equal(t, r.findings(), second.findings())
	myExec(t, "INSERT INTO dbscan_t.customers (email) VALUES ('new@example.org')")
	o.State = loadState(t, path)
	third := scanOnce(t, o)
	require.Equal(t, int64(1), third.scan.Stats["tables_sampled"])
	require.Equal(t, "email:51", third.findings()[loc+"customers#email"])
}
