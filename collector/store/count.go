package store

import "context"

// count runs a query whose one row has one column n, and returns it (0 for
// no row). what words the failure ("counting principals").
func (s *Store) count(ctx context.Context, what, q string, args ...any) (uint64, error) {
	var rows []struct {
		N uint64 `ch:"n"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(q), args...); err != nil {
		return 0, s.wrap(what, err)
	}
	if len(rows) != 1 {
		return 0, nil
	}
	return rows[0].N, nil
}
