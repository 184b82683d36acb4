package store

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// InsertRecords writes the last table after all others succeeded; that
// must be scans, which make a scan's rows current.
func TestScansAreWrittenLast(t *testing.T) {
	ts := recordTables()
	require.Equal(t, wire.KindScan, ts[len(ts)-1].kind)
	for _, tb := range ts[:len(ts)-1] {
		require.NotEqual(t, wire.KindScan, tb.kind)
	}
}
