package scanrun

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

func TestRecordsShareTheEnvelope(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 700_000_000, time.FixedZone("x", 3600))
	now := start
	run := Begin(Options{Scanner: "host", Source: wire.SourceHost, Host: "web-1", AgentID: "a1", Now: func() time.Time { return now }})
	require.Len(t, run.ID, 24)
	require.NotEqual(t, run.ID, Begin(Options{}).ID)

	a := run.Record(wire.KindAsset)
	require.Equal(t, wire.Record{Kind: wire.KindAsset, Source: wire.SourceHost, ScanID: run.ID,
		ObservedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), AgentID: "a1", Host: "web-1"}, a)

	now = start.Add(90 * time.Second)
	run.Stats["users"] = 3
	var got []*wire.Record
	rec, err := run.Finish(run.Status(), func(r *wire.Record) error { got = append(got, r); return nil })
	require.NoError(t, err)
	require.Equal(t, []*wire.Record{rec}, got)
	require.Equal(t, wire.KindScan, rec.Kind)
	require.Equal(t, "host", rec.Scanner)
	require.Equal(t, wire.StatusOK, rec.Status)
	require.Equal(t, a.ObservedAt, *rec.StartedAt)
	require.Equal(t, now.UTC(), *rec.FinishedAt)
	require.Equal(t, map[string]int64{"users": 3, "errors": 0}, rec.Stats)
	require.Empty(t, rec.Errors)
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name     string
		problems int
		status   string
		kept     int
	}{
		{"none", 0, wire.StatusOK, 0},
		{"one", 1, wire.StatusPartial, 1},
		{"more than a record carries", wire.MaxErrors + 5, wire.StatusPartial, wire.MaxErrors},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := Begin(Options{Scanner: "s3", Source: wire.SourceS3})
			for i := range tc.problems {
				run.Problem(fmt.Sprint("problem ", i))
			}
			require.Equal(t, int64(tc.problems), run.Problems())
			require.Equal(t, tc.status, run.Status())
			rec, err := run.Finish(run.Status(), func(*wire.Record) error { return nil })
			require.NoError(t, err)
			require.Len(t, rec.Errors, tc.kept)
			require.Equal(t, int64(tc.problems), rec.Stats["errors"], "every problem counts, kept or not")
			if tc.kept > 0 {
				require.Equal(t, "problem 0", rec.Errors[0])
			}
			require.NoError(t, rec.Validate())
		})
	}
}

func TestFinishFailsWithEmit(t *testing.T) {
	boom := errors.New("spool full")
	rec, err := Begin(Options{Scanner: "fs"}).Finish(wire.StatusFailed, func(*wire.Record) error { return boom })
	require.ErrorIs(t, err, boom)
	require.Nil(t, rec)
}

// A problem quoting a server at length is clipped: a record of
// wire.MaxErrors such problems still fits one line the collector takes.
func TestProblemsAreClipped(t *testing.T) {
	run := Begin(Options{Scanner: "ldap", Source: wire.SourceLDAP, Host: "h", AgentID: "a", Now: time.Now})
	for range wire.MaxErrors + 5 {
		run.Problem("server says: " + strings.Repeat("é", 1<<20) + ": the reason")
	}
	rec, err := run.Finish(run.Status(), func(*wire.Record) error { return nil })
	require.NoError(t, err)
	require.Len(t, rec.Errors, wire.MaxErrors)
	require.Equal(t, int64(wire.MaxErrors+5), rec.Stats["errors"])
	for _, e := range rec.Errors {
		require.LessOrEqual(t, len(e), MaxProblemBytes+len("…"))
		require.True(t, utf8.ValidString(e))
		require.True(t, strings.HasPrefix(e, "server says: éé"), "the start is kept")
		require.True(t, strings.HasSuffix(e, "éé: the reason"), "and the end, which says why")
	}
	var line strings.Builder
	require.NoError(t, wire.NewEncoder(&line).Encode(rec))
	require.Less(t, line.Len(), wire.MaxLineBytes)
}
