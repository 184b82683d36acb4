package main

import (
	"context"
	"errors"
	"io"

	"github.com/sightline-dev/sightline/agent/config"
)

// scanDB prints a database server's tables with personal data per column,
// its roles and who may read or write each table, as records or a table.
// The password comes from --password-file or SIGHTLINE_DB_PASSWORD.
func scanDB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("db", config.Default().DataDir, "info", stdout, stderr)
	def := config.Default().Scans.DB
	dsn := fs.String("dsn", "", "postgres://USER@HOST:PORT/DB?sslmode=… or mysql://USER@HOST:PORT[/DB]?tls=… (no password)")
	pwFile := fs.String("password-file", "", "file holding the password (or SIGHTLINE_DB_PASSWORD)")
	caFile := fs.String("ca-file", "", "PEM CA bundle that signs the server's certificate (PostgreSQL: sslrootcert; MySQL: tls=custom)")
	rows := fs.Int("sample-rows", def.SampleRows, "rows sampled per table at most")
	maxTables := fs.Int("max-tables", def.MaxTables, "tables read at most")
	timeout := fs.Duration("statement-timeout", def.StatementTimeout, "time limit of each statement")
	common.stateFlag(fs, "unchanged tables are not sampled again")
	common.formatFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("scan db: --dsn is required")
	}
	if err := common.checkFormat(); err != nil {
		return err
	}
	scans := config.Default().Scans
	scans.DB = config.DBScan{DSN: *dsn, PasswordFile: *pwFile, CAFile: *caFile, SampleRows: *rows, MaxTables: *maxTables,
		StatementTimeout: *timeout}
	return common.runValid(ctx, scans)
}
