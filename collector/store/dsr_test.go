package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestDSRCases: the newest row of a case wins, a status filter keeps its
// cases, cases come earliest due first, and a missing case is ErrNotFound.
func TestDSRCases(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	a := store.DSRCase{ID: "00000000000000a1", Reference: "R-1", Regulation: "gdpr", ReceivedAt: t0, DueAt: t0.AddDate(0, 1, 0),
		Status: "open", Owner: "dpo", IdentifierTypes: []string{"email", "iban"}, Tokens: []string{"t1", "t2", "t1"},
		TokenIDs: []uint16{0, 1, 1}, KeyFingerprint: "fp", KeyGen: 2, CreatedBy: "dpo", CreatedAt: t0, UpdatedBy: "dpo", UpdatedAt: t0}
	b := a
	b.ID, b.Reference, b.DueAt = "00000000000000b2", "R-2", t0.AddDate(0, 0, 10)
	require.NoError(t, s.PutDSRCase(ctx, a))
	require.NoError(t, s.PutDSRCase(ctx, b))
	closed := t0.Add(time.Hour)
	a2 := a
	a2.Status, a2.ClosedAt, a2.UpdatedBy, a2.UpdatedAt = "closed", &closed, "kim", closed
	require.NoError(t, s.PutDSRCase(ctx, a2))

	got, err := s.DSRCase(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, a2, got)
	all, err := s.DSRCases(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Equal(t, []string{b.ID, a.ID}, []string{all[0].ID, all[1].ID}, "earliest due first")
	open, err := s.DSRCases(ctx, "open")
	require.NoError(t, err)
	require.Len(t, open, 1)
	require.Equal(t, b.ID, open[0].ID, "a's newest row is closed")
	_, err = s.DSRCase(ctx, "00000000000000ff")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// TestDSRSearchAndCoverage: coverage is each (agent, source)'s latest
// completed scan (a failed or older one is not), and a search is read
// back with its rows.
func TestDSRSearchAndCoverage(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{
		scanRecord("a1", "fs", "fs-1", wire.StatusOK, t0),
		scanRecord("a1", "fs", "fs-2", wire.StatusPartial, t0.Add(time.Hour)),
		scanRecord("a1", "fs", "fs-3", wire.StatusFailed, t0.Add(2*time.Hour)),
		scanRecord("a2", "postgres", "pg-1", wire.StatusOK, t0.Add(30*time.Minute)),
	}))
	cov, err := s.ScanCoverage(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.DSRCoverage{
		{AgentID: "a1", Host: "h-a1", Source: "fs", Scanner: "fs", ScanID: "fs-2", Status: wire.StatusPartial,
			StartedAt: t0.Add(59 * time.Minute), FinishedAt: t0.Add(time.Hour)},
		{AgentID: "a2", Host: "h-a2", Source: "postgres", Scanner: "postgres", ScanID: "pg-1", Status: wire.StatusOK,
			StartedAt: t0.Add(29 * time.Minute), FinishedAt: t0.Add(30 * time.Minute)},
	}, cov)

	sr := store.DSRSearch{CaseID: "00000000000000a1", ID: "00000000000000c1", SearchedAt: t0.Add(3 * time.Hour), SearchedBy: "dpo",
		IndexGen: 7, IndexBuiltAt: t0.Add(2 * time.Hour), Matches: 1, Sources: 2}
	hits := []store.DSRHit{{AssetID: "f1", Location: "file:///x", Host: "h-a1", Source: "fs", Type: "email", Count: 2,
		LastSeen: t0, Identifiers: []uint16{0, 2}}}
	require.NoError(t, s.PutDSRSearch(ctx, sr, hits, cov))
	searches, err := s.DSRSearches(ctx, sr.CaseID)
	require.NoError(t, err)
	require.Equal(t, []store.DSRSearch{sr}, searches)
	gotHits, gotCov, err := s.DSRSearchRows(ctx, sr.CaseID, sr.ID)
	require.NoError(t, err)
	require.Equal(t, hits, gotHits)
	require.Equal(t, cov, gotCov)
	none, err := s.DSRSearches(ctx, "00000000000000b2")
	require.NoError(t, err)
	require.Empty(t, none)
}
