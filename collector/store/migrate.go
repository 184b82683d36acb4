package store

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Migrations are numbered files NNNN_name.sql, applied in order by number.
//
// File format, chosen because ClickHouse 18.16 runs one statement per call:
//   - a statement ends at a line whose last non-blank character is ';'
//     (the ';' is dropped before sending); text after the last ';' is
//     ignored if it is only comments or blank;
//   - lines whose first non-blank characters are "--" are comments and are
//     dropped (so a ';' at the end of a comment line does not split);
//   - {db} is replaced by the quoted database name.
//
// Every statement must be idempotent (CREATE … IF NOT EXISTS and the like;
// ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, so a plain
// `ALTER TABLE … ADD COLUMN` whose column already exists counts as done):
// a migration is recorded only after all its statements succeeded, so a
// failed one is re-run from its first statement, and two collectors starting
// at once may both run it.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version    uint32
	name       string
	statements []string
}

// loadMigrations parses the embedded files. It fails on a malformed name or a
// duplicate number: both are programming errors caught by the tests.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("reading embedded migrations: %w", err)
	}
	seen := map[uint32]string{}
	var out []migration
	for _, e := range entries {
		file := e.Name()
		if e.IsDir() || !strings.HasSuffix(file, ".sql") {
			continue
		}
		num, name, ok := strings.Cut(strings.TrimSuffix(file, ".sql"), "_")
		v, err := strconv.ParseUint(num, 10, 32)
		if !ok || err != nil || v == 0 || name == "" {
			return nil, fmt.Errorf("migration file %q: name it NNNN_description.sql with NNNN > 0", file)
		}
		if prev, dup := seen[uint32(v)]; dup {
			return nil, fmt.Errorf("migration files %q and %q have the same number", prev, file)
		}
		seen[uint32(v)] = file
		body, err := migrationFS.ReadFile(path.Join("migrations", file))
		if err != nil {
			return nil, fmt.Errorf("reading migration %q: %w", file, err)
		}
		// A file may be left with comments only: its statements (views)
		// moved to views.go, and its number stays taken.
		stmts := splitStatements(string(body))
		out = append(out, migration{version: uint32(v), name: name, statements: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// splitStatements implements the file format described above.
func splitStatements(body string) []string {
	var (
		stmts []string
		cur   strings.Builder
	)
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		if strings.HasSuffix(line, ";") {
			cur.WriteString(strings.TrimSuffix(line, ";"))
			if st := strings.TrimSpace(cur.String()); st != "" {
				stmts = append(stmts, st)
			}
			cur.Reset()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	if st := strings.TrimSpace(cur.String()); st != "" {
		stmts = append(stmts, st)
	}
	return stmts
}

// Migrate creates the database if needed, applies, in order, the
// migrations not yet recorded in schema_migrations, then makes the views
// match their declarations (views.go). It returns the versions it applied
// (none when the schema is current).
func (s *Store) Migrate(ctx context.Context) (applied []int, err error) {
	applied, err = s.migrateUpTo(ctx, ^uint32(0))
	if err != nil {
		return applied, err
	}
	_, err = s.declareViews(ctx)
	return applied, err
}

// migrateUpTo is Migrate stopping after version upTo, without the views
// (tests of upgrades start from an older schema).
func (s *Store) migrateUpTo(ctx context.Context, upTo uint32) (applied []int, err error) {
	migs, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		`CREATE DATABASE IF NOT EXISTS {db}`,
		// ReplacingMergeTree so the rows two collectors may both write for
		// one version collapse; reads use DISTINCT and do not need that.
		`CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
			version    UInt32,
			name       String,
			applied_at DateTime
		) ENGINE = ReplacingMergeTree() ORDER BY version`,
	} {
		if err := s.ddl(ctx, q); err != nil {
			return nil, s.wrap("creating the database "+s.o.Database, err)
		}
	}
	done, err := s.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range migs {
		if done[m.version] || m.version > upTo {
			continue
		}
		for i, st := range m.statements {
			if err := s.ddl(ctx, st); err != nil && !columnAlreadyAdded(st, err) {
				return applied, s.wrap(fmt.Sprintf("applying migration %04d_%s (statement %d)", m.version, m.name, i+1), err)
			}
		}
		if err := s.recordMigration(ctx, m); err != nil {
			return applied, err
		}
		s.o.Logger.Info("applied ClickHouse migration", "version", m.version, "name", m.name, "database", s.o.Database)
		applied = append(applied, int(m.version))
	}
	return applied, nil
}

// addColumn matches an ALTER TABLE statement that only adds columns.
var addColumn = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+\S+\s+ADD\s+COLUMN\s`)

// columnAlreadyAdded tells a re-run ADD COLUMN (a migration that failed
// later, or two collectors migrating at once) from a real failure: both
// 18.16 and current servers answer ILLEGAL_COLUMN "… already exists".
func columnAlreadyAdded(stmt string, err error) bool {
	var ex *clickhouse.Exception
	return addColumn.MatchString(stmt) && errors.As(err, &ex) && ex.Code == 44 && strings.Contains(ex.Message, "already exists")
}

func (s *Store) appliedMigrations(ctx context.Context) (map[uint32]bool, error) {
	var rows []struct {
		Version uint32 `ch:"version"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(`SELECT DISTINCT version FROM {db}.schema_migrations`)); err != nil {
		return nil, s.wrap("reading applied migrations", err)
	}
	done := make(map[uint32]bool, len(rows))
	for _, r := range rows {
		done[r.Version] = true
	}
	return done, nil
}

func (s *Store) recordMigration(ctx context.Context, m migration) error {
	what := fmt.Sprintf("recording migration %04d_%s", m.version, m.name)
	b, err := s.conn.PrepareBatch(ctx, s.sql(`INSERT INTO {db}.schema_migrations (version, name, applied_at)`))
	if err != nil {
		return s.wrap(what, err)
	}
	defer b.Close()
	if err := b.Append(m.version, m.name, time.Now().UTC()); err != nil {
		return s.wrap(what, err)
	}
	return s.wrap(what, b.Send())
}
