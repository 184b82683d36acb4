package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// scanRecord is a scan record of scanner on agent, finished at fin.
func scanRecord(agent, scanner, scanID, status string, fin time.Time, errs ...string) wire.Record {
	start := fin.Add(-time.Minute)
	r := wire.Record{Kind: wire.KindScan, Source: scanner, ScanID: scanID, ObservedAt: fin, AgentID: agent, Host: "h-" + agent,
		Scanner: scanner, StartedAt: &start, FinishedAt: &fin, Status: status,
		Stats: map[string]int64{"files": 3, "errors": int64(len(errs))}, Errors: errs}
	return r
}

func TestLatestScans(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	var errs []string
	for i := range 7 {
		errs = append(errs, fmt.Sprintf("open /srv/x/%d: permission denied", i))
	}
	failed := scanRecord("a1", "fs", "fs-2", wire.StatusFailed, t0.Add(time.Hour), errs...)
	failed.Stats["errors"] = 250 // more than the messages sent
	recs := []wire.Record{
		scanRecord("a1", "fs", "fs-1", wire.StatusOK, t0),
		failed,
		scanRecord("a1", "host", "host-1", wire.StatusOK, t0.Add(30*time.Minute)),
		scanRecord("a2", "fs", "fs-9", wire.StatusPartial, t0, "skipped /proc"),
		// Received late but finished earlier: not the latest.
		scanRecord("a2", "fs", "fs-0", wire.StatusFailed, t0.Add(-time.Hour), "boom"),
	}
	for i := range recs {
		require.NoError(t, recs[i].Validate())
	}
	require.NoError(t, s.InsertRecords(ctx, recs))
	// The same scan sent again (a retried batch) does not add a row.
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{failed}))

	all, err := s.LatestScans(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 3)
	got := map[string]store.ScanSummary{}
	for _, sc := range all {
		got[sc.AgentID+"/"+sc.Scanner] = sc
	}
	fs1 := got["a1/fs"]
	require.Equal(t, "fs-2", fs1.ScanID)
	require.Equal(t, wire.StatusFailed, fs1.Status)
	require.Equal(t, "fs", fs1.Source)
	require.True(t, t0.Add(time.Hour).Equal(fs1.FinishedAt))
	require.True(t, t0.Add(59*time.Minute).Equal(fs1.StartedAt))
	require.Equal(t, uint64(250), fs1.ErrorCount, "the errors stat counts what the messages could not carry")
	require.Equal(t, errs[:store.ScanErrorSamples], fs1.Errors)
	require.Equal(t, int64(3), fs1.Stats["files"])
	require.Equal(t, "host-1", got["a1/host"].ScanID)
	require.Empty(t, got["a1/host"].Errors)
	require.NotNil(t, got["a1/host"].Errors, "empty, not null, in JSON")
	require.Equal(t, "fs-9", got["a2/fs"].ScanID)
	require.Equal(t, uint64(1), got["a2/fs"].ErrorCount)

	one, err := s.LatestScans(ctx, "a2")
	require.NoError(t, err)
	require.Len(t, one, 1)
	require.Equal(t, "fs-9", one[0].ScanID)

	none, err := s.LatestScans(ctx, "nobody")
	require.NoError(t, err)
	require.Empty(t, none)
}

func TestListTokensAndPrefix(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	exp := t0.Add(time.Hour)
	for i, tk := range []store.Token{
		{Hash: "aaaa1111" + "00", Role: "admin", Name: "ops", CreatedAt: t0},
		{Hash: "aaaa1111" + "ff", Role: "reviewer", Name: "rev", CreatedAt: t0.Add(time.Minute), ExpiresAt: &exp},
		{Hash: "bbbb2222" + "00", Role: "agent", AgentID: "a1", Name: "agent h1", CreatedAt: t0.Add(2 * time.Minute)},
	} {
		require.NoError(t, s.PutToken(ctx, tk), i)
	}
	// A revoke is a new row version of the same token.
	require.NoError(t, s.PutToken(ctx, store.Token{Hash: "bbbb222200", Role: "agent", AgentID: "a1", Name: "agent h1",
		CreatedAt: t0.Add(2 * time.Minute), Revoked: true}))

	toks, err := s.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, toks, 3)
	require.Equal(t, []string{"aaaa111100", "aaaa1111ff", "bbbb222200"}, []string{toks[0].Hash, toks[1].Hash, toks[2].Hash})
	require.True(t, exp.Equal(*toks[1].ExpiresAt))
	require.Nil(t, toks[0].ExpiresAt)
	require.True(t, toks[2].Revoked)
	require.Equal(t, "a1", toks[2].AgentID)

	m, err := s.TokensByHashPrefix(ctx, "aaaa1111", 2)
	require.NoError(t, err)
	require.Len(t, m, 2)
	m, err = s.TokensByHashPrefix(ctx, "aaaa1111f", 2)
	require.NoError(t, err)
	require.Len(t, m, 1)
	require.Equal(t, "rev", m[0].Name)
	m, err = s.TokensByHashPrefix(ctx, "cccc", 2)
	require.NoError(t, err)
	require.Empty(t, m)
}
