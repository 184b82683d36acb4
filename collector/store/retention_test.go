package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

func TestDropExpired(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	insert := func(q string, times ...time.Time) {
		b, err := s.Conn().PrepareBatch(ctx, "INSERT INTO `"+s.Database()+"`."+q)
		require.NoError(t, err)
		for _, tm := range times {
			require.NoError(t, b.Append(tm))
		}
		require.NoError(t, b.Send())
	}
	count := func(table string) uint64 {
		var n []struct {
			N uint64 `ch:"n"`
		}
		require.NoError(t, s.Conn().Select(ctx, &n, "SELECT count() AS n FROM `"+s.Database()+"`."+table))
		return n[0].N
	}
	insert("audit_log (at)", at(2024, 1, 5), at(2024, 1, 31), at(2024, 2, 10), at(2024, 3, 1), at(2025, 6, 1))
	insert("risk_history (recorded_at)", at(2023, 12, 1), at(2024, 1, 2))

	audit, history := store.RetentionTables[0], store.RetentionTables[1]
	// before 2024-02-15: January has ended, February has not.
	dropped, err := s.DropExpired(ctx, audit, at(2024, 2, 15))
	require.NoError(t, err)
	require.Equal(t, []string{"202401"}, dropped)
	require.Equal(t, uint64(3), count("audit_log"))

	// Everything is past retention, but the newest month of risk history
	// is its current state: it stays.
	dropped, err = s.DropExpired(ctx, history, at(2030, 1, 1))
	require.NoError(t, err)
	require.Equal(t, []string{"202312"}, dropped)
	require.Equal(t, uint64(1), count("risk_history"))

	// Nothing more to drop: a no-op.
	dropped, err = s.DropExpired(ctx, audit, at(2024, 2, 15))
	require.NoError(t, err)
	require.Empty(t, dropped)

	_, err = s.DropExpired(ctx, store.RetentionTable{Table: "scans", Kind: "history"}, at(2030, 1, 1))
	require.Error(t, err, "only the listed history tables may be trimmed")
}
