// Command db is make bench-db: it fills a table of -rows rows inside a
// private PostgreSQL and MariaDB (generate_series; MariaDB's sequence
// engine), then times `sightline-agent scan db --sample-rows N` on each
// against a full read of the same table (SELECT count(*) … WHERE over every
// row: what a scanner without sampling pays) as the baseline in the same
// run, and prints the rows sampled against the budget and the times.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

func main() {
	pgDSN := flag.String("pg", "", "PostgreSQL administrator DSN (no password)")
	pgPW := flag.String("pg-password-file", "", "its password file")
	myDSN := flag.String("mysql", "", "MariaDB administrator DSN (no password)")
	myPW := flag.String("mysql-password-file", "", "its password file")
	rows := flag.Int("rows", 10_000_000, "rows in the table")
	sample := flag.Int("sample-rows", 1000, "the scan's row budget per table")
	limit := flag.Duration("limit", 10*time.Second, "the scan's time goal")
	agent := flag.String("agent", "bin/sightline-agent", "the agent binary")
	flag.Parse()
	ctx := context.Background()
	ok := true
	if *pgDSN != "" {
		ok = run(ctx, "PostgreSQL", *pgDSN, *pgPW, *rows, *sample, *limit, *agent, pgFill, pgFull) && ok
	}
	if *myDSN != "" {
		ok = run(ctx, "MariaDB", *myDSN, *myPW, *rows, *sample, *limit, *agent, myFill, myFull) && ok
	}
	if !ok {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-db:", err)
	os.Exit(1)
}

func secret(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	return strings.TrimSpace(string(b))
}

// run fills, measures the baseline and the scan, and prints the figures.
func run(ctx context.Context, engine, dsn, pwFile string, rows, sample int, limit time.Duration, agent string,
	fill func(context.Context, string, string, int) error, full func(context.Context, string, string) (int64, error)) bool {
	pw := secret(pwFile)
	t0 := time.Now()
	if err := fill(ctx, dsn, pw, rows); err != nil {
		fail(fmt.Errorf("%s: filling the table: %w", engine, err))
	}
	fillTime := time.Since(t0)
	t0 = time.Now()
	n, err := full(ctx, dsn, pw)
	if err != nil {
		fail(fmt.Errorf("%s: full read: %w", engine, err))
	}
	base := time.Since(t0)
	u, _ := url.Parse(dsn)
	u.Path = "/bench_db"
	cmd := exec.CommandContext(ctx, agent, "scan", "db", "--dsn", u.String(), "--sample-rows", strconv.Itoa(sample), "--log-level", "error")
	cmd.Env = append(os.Environ(), "SIGHTLINE_DB_PASSWORD="+pw, "SIGHTLINE_TOKEN_KEY=00112233445566778899aabbccddeeff")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 = time.Now()
	if err := cmd.Run(); err != nil {
		fail(fmt.Errorf("%s: scan: %w: %s", engine, err, errb.String()))
	}
	took := time.Since(t0)
	var sampled, found int64
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r struct {
			Kind, Location, Type string
			Count                int64
			Stats                map[string]int64
		}
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		if r.Kind == "scan" {
			sampled = r.Stats["rows_sampled"]
		}
		if r.Kind == "pii" && strings.HasSuffix(r.Location, "#email") {
			found = r.Count
		}
	}
	within := sampled <= int64(sample) && took <= limit
	fmt.Printf("database scan benchmark, %s: a %d-row table (filled in %.1fs)\n", engine, n, fillTime.Seconds())
	fmt.Printf("  baseline: full read of the table (count(*) with a filter): %7.2fs\n", base.Seconds())
	fmt.Printf("  sightline-agent scan db --sample-rows %d:               %7.2fs  (%.3fx the baseline)\n", sample, took.Seconds(), took.Seconds()/base.Seconds())
	fmt.Printf("  rows sampled: %d of a budget of %d; emails found in the sample: %d; within budget and the %s goal: %v\n",
		sampled, sample, found, limit, within)
	return within
}

func pgConn(ctx context.Context, dsn, pw, db string) *pgx.Conn {
	u, err := url.Parse(dsn)
	if err != nil {
		fail(err)
	}
	u.Path = "/" + db
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		fail(err)
	}
	cfg.Password = pw
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		fail(err)
	}
	return c
}

func pgFill(ctx context.Context, dsn, pw string, rows int) error {
	c := pgConn(ctx, dsn, pw, "postgres")
	_, err := c.Exec(ctx, "DROP DATABASE IF EXISTS bench_db")
	if err == nil {
		_, err = c.Exec(ctx, "CREATE DATABASE bench_db")
	}
	c.Close(ctx)
	if err != nil {
		return err
	}
	c = pgConn(ctx, dsn, pw, "bench_db")
	defer c.Close(ctx)
	for _, q := range []string{
		"CREATE TABLE people (id bigint PRIMARY KEY, email text, ssn text, note text)",
		"INSERT INTO people SELECT i, 'user' || i || '@example.com', '212' || lpad((i % 999999 + 1)::text, 6, '0'), 'order ' || i FROM generate_series(1, " + strconv.Itoa(rows) + ") AS i",
		"ANALYZE people",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func pgFull(ctx context.Context, dsn, pw string) (int64, error) {
	c := pgConn(ctx, dsn, pw, "bench_db")
	defer c.Close(ctx)
	var n int64
	err := c.QueryRow(ctx, "SELECT count(*) FROM people WHERE email NOT LIKE '%@example.org'").Scan(&n)
	return n, err
}

func myDB(dsn, pw string) *sql.DB {
	u, err := url.Parse(dsn)
	if err != nil {
		fail(err)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = u.User.Username(), pw, "tcp", u.Host
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		fail(err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	return db
}

func myFill(ctx context.Context, dsn, pw string, rows int) error {
	db := myDB(dsn, pw)
	defer db.Close()
	for _, q := range []string{
		"DROP DATABASE IF EXISTS bench_db", "CREATE DATABASE bench_db",
		"CREATE TABLE bench_db.people (id bigint PRIMARY KEY, email varchar(64), ssn char(9), note varchar(32))",
		"INSERT INTO bench_db.people SELECT seq, CONCAT('user', seq, '@example.com'), CONCAT('212', LPAD(seq % 999999 + 1, 6, '0')), CONCAT('order ', seq) FROM bench_db.seq_1_to_" + strconv.Itoa(rows),
		"ANALYZE TABLE bench_db.people",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func myFull(ctx context.Context, dsn, pw string) (int64, error) {
	db := myDB(dsn, pw)
	defer db.Close()
	var n int64
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM bench_db.people WHERE email NOT LIKE '%@example.org'").Scan(&n)
	return n, err
}
