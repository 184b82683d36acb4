package store

import (
	"context"
	"fmt"
)

// CountRows returns how many rows of table survive FINAL, for tests that
// check a repeat does not double anything. table is one of ours, not input.
func (s *Store) CountRows(ctx context.Context, table string) (uint64, error) {
	var n []struct {
		N uint64 `ch:"n"`
	}
	if err := s.conn.Select(ctx, &n, s.sql("SELECT count() AS n FROM {db}."+table+" FINAL")); err != nil {
		return 0, fmt.Errorf("counting %s: %w", table, err)
	}
	return n[0].N, nil
}

// Select runs a read-only query with {db} expanded, for tests that check
// stored columns no exported read returns.
func (s *Store) Select(ctx context.Context, dest any, query string, args ...any) error {
	return s.conn.Select(ctx, dest, s.sql(query), args...)
}

// Exec runs a statement with {db} expanded (tests only).
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	return s.conn.Exec(ctx, s.sql(query), args...)
}

// SplitStatements exposes the migration file splitter.
func SplitStatements(body string) []string { return splitStatements(body) }

// LoadMigrationNames lists the embedded migrations as "NNNN_name".
func LoadMigrationNames() ([]string, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%04d_%s", m.version, m.name)
	}
	return out, nil
}

// MigrateUpTo applies the migrations up to and including version upTo.
func (s *Store) MigrateUpTo(ctx context.Context, upTo uint32) ([]int, error) {
	return s.migrateUpTo(ctx, upTo)
}
