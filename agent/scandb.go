package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/internal/wire"
)

// scanDB prints a database server's tables with personal data per column,
// its roles and who may read or write each table, as records or a table.
// The password comes from --password-file or SIGHTLINE_DB_PASSWORD.
func scanDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("db", config.Default().DataDir, "info", stderr)
	def := config.Default().Scans.DB
	dsn := fs.String("dsn", "", "postgres://USER@HOST:PORT/DB?sslmode=… or mysql://USER@HOST:PORT[/DB]?tls=… (no password)")
	pwFile := fs.String("password-file", "", "file holding the password (or SIGHTLINE_DB_PASSWORD)")
	caFile := fs.String("ca-file", "", "PEM CA bundle that signs the server's certificate (PostgreSQL: sslrootcert; MySQL: tls=custom)")
	rows := fs.Int("sample-rows", def.SampleRows, "rows sampled per table at most")
	maxTables := fs.Int("max-tables", def.MaxTables, "tables read at most")
	timeout := fs.Duration("statement-timeout", def.StatementTimeout, "time limit of each statement")
	statePath := fs.String("state", "", "incremental scan state file: unchanged tables are not sampled again (default: full scan)")
	format := fs.String("format", "ndjson", "output: ndjson or table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("scan db: --dsn is required")
	}
	if *format != "ndjson" && *format != "table" {
		return fmt.Errorf("scan db: --format must be ndjson or table, not %q", *format)
	}
	scans := config.Default().Scans
	scans.DB = config.DBScan{DSN: *dsn, PasswordFile: *pwFile, CAFile: *caFile, SampleRows: *rows, MaxTables: *maxTables,
		StatementTimeout: *timeout}
	if err := config.ValidateScans(scans); err != nil {
		return fmt.Errorf("scan db: %w", err)
	}
	var out recordSink = &ndjsonSink{enc: wire.NewEncoder(stdout)}
	if *format == "table" {
		out = newTableSink(stdout)
	}
	return common.run(ctx, "db", scans, func(string) string { return *statePath }, out)
}
