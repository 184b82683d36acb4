package store

import (
	"context"
	"fmt"
	"strings"
)

// The two shapes every read of this package takes: a WHERE clause built
// from a filter, and a query whose rows are scanned into a ClickHouse row
// struct (ch tags, ClickHouse's types) and converted to what callers get
// (Go types, UTC times, bools). Keeping both here keeps the package's rule
// in one place: SQL text is only ever fixed fragments, and every user
// value is a bound `?` argument.

// where collects the conditions of a WHERE clause and their bound values,
// in the order they appear in the SQL.
type where struct {
	conds []string
	args  []any
}

// add appends a condition (a fixed SQL fragment) and the values bound to
// its `?`s.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// filter adds cond, whose one `?` is bound to v, unless v is empty: an
// empty filter field does not filter.
func (w *where) filter(cond, v string) {
	if v != "" {
		w.add(cond, v)
	}
}

// clone is a copy that can grow apart from w.
func (w where) clone() where {
	return where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
}

// with is a copy of w with more conditions (no bound values).
func (w where) with(conds ...string) where {
	c := w.clone()
	c.conds = append(c.conds, conds...)
	return c
}

// sql is the clause, " WHERE a AND b", or "" without conditions.
func (w where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// selectAll runs q and converts each row it returns: R is the row as
// ClickHouse gives it, conv makes the caller's T of it. what says what
// was being read, for the error.
func selectAll[R, T any](ctx context.Context, s *Store, what string, conv func(R) T, q string, args ...any) ([]T, error) {
	var rows []R
	if err := s.conn.Select(ctx, &rows, s.sql(q), args...); err != nil {
		return nil, s.wrap(what, err)
	}
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = conv(r)
	}
	return out, nil
}

// selectRows is selectAll for rows callers take as ClickHouse gives them.
func selectRows[R any](ctx context.Context, s *Store, what, q string, args ...any) ([]R, error) {
	return selectAll(ctx, s, what, func(r R) R { return r }, q, args...)
}

// selectOne is selectAll for the first row, or an error wrapping
// ErrNotFound (naming noun) when there is none.
func selectOne[R, T any](ctx context.Context, s *Store, what, noun string, conv func(R) T, q string, args ...any) (T, error) {
	out, err := selectAll(ctx, s, what, conv, q, args...)
	if err != nil {
		var zero T
		return zero, err
	}
	if len(out) == 0 {
		var zero T
		return zero, fmt.Errorf("%s: %w", noun, ErrNotFound)
	}
	return out[0], nil
}

// keyedBy is selectAll's rows by key, for reads that callers look up (a
// later row with the same key replaces an earlier one).
func keyedBy[K comparable, T any](rows []T, err error, key func(T) K) (map[K]T, error) {
	if err != nil {
		return nil, err
	}
	out := make(map[K]T, len(rows))
	for _, r := range rows {
		out[key(r)] = r
	}
	return out, nil
}

// countRow is the row of a `SELECT count() AS n …`.
type countRow struct {
	N uint64 `ch:"n"`
}

// count runs q, a query of one row with one column n (0 when it returns
// no row).
func (s *Store) count(ctx context.Context, what, q string, args ...any) (uint64, error) {
	n, err := selectAll(ctx, s, what, func(r countRow) uint64 { return r.N }, q, args...)
	if err != nil || len(n) == 0 {
		return 0, err
	}
	return n[0], nil
}

// Bounds on the values one query binds into `IN ?` or has(?, x): they are
// inlined into the SQL text client-side, and ClickHouse parses at most
// max_query_size (256 KiB by default) of it.
const (
	chunkKeys  = 500
	chunkBytes = 64 << 10
)

// chunks splits keys into runs of at most chunkKeys keys and chunkBytes
// bytes (a longer key gets a chunk of its own), for one query each.
func chunks(keys []string) [][]string {
	var out [][]string
	for start := 0; start < len(keys); {
		end, size := start, 0
		for end < len(keys) && end-start < chunkKeys && (end == start || size+len(keys[end]) <= chunkBytes) {
			size += len(keys[end])
			end++
		}
		out = append(out, keys[start:end:end])
		start = end
	}
	return out
}
