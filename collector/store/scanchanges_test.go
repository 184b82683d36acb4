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

func TestScanChanges(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	withFiles := func(r wire.Record, files int64) wire.Record { r.Stats["files"] = files; return r }
	resent := withFiles(scanRecord("a1", "fs", "fs-3", wire.StatusOK, t0.Add(2*time.Hour)), 9)
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{
		withFiles(scanRecord("a1", "fs", "fs-1", wire.StatusOK, t0), 3),
		withFiles(scanRecord("a1", "fs", "fs-2", wire.StatusPartial, t0.Add(time.Hour), "denied"), 5),
		resent,
		withFiles(scanRecord("a1", "host", "host-1", wire.StatusOK, t0), 0),
		withFiles(scanRecord("a2", "fs", "fs-9", wire.StatusOK, t0), 1),
	}))
	// The latest scan sent again (a retried batch) counts once.
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{resent}))

	got, err := s.ScanChanges(ctx)
	require.NoError(t, err)
	type row struct {
		host, scanner, latest, prev string
		files, prevFiles            int64
	}
	var rows []row
	for _, c := range got {
		r := row{host: c.Host, scanner: c.Scanner, latest: c.Latest.ScanID, files: c.Latest.Stats["files"]}
		if c.Previous != nil {
			r.prev, r.prevFiles = c.Previous.ScanID, c.Previous.Stats["files"]
		}
		rows = append(rows, r)
	}
	require.Equal(t, []row{
		{"h-a1", "fs", "fs-3", "fs-2", 9, 5},
		{"h-a1", "host", "host-1", "", 0, 0},
		{"h-a2", "fs", "fs-9", "", 1, 0},
	}, rows)
	require.Equal(t, wire.StatusPartial, got[0].Previous.Status)
	require.EqualValues(t, 1, got[0].Previous.ErrorCount)
	require.Equal(t, t0.Add(2*time.Hour), got[0].Latest.FinishedAt)

	// Two scans that finish in the same second (finish times are whole
	// seconds): the one that arrived later is the latest, whatever their
	// ids (the later one's sorts first here).
	same := t0.Add(3 * time.Hour)
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{withFiles(scanRecord("a3", "fs", "zz-first", wire.StatusOK, same), 3)}))
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{withFiles(scanRecord("a3", "fs", "aa-second", wire.StatusOK, same), 4)}))
	got, err = s.ScanChanges(ctx)
	require.NoError(t, err)
	var a3 *store.ScanChange
	for i := range got {
		if got[i].AgentID == "a3" {
			a3 = &got[i]
		}
	}
	require.NotNil(t, a3)
	require.Equal(t, "aa-second", a3.Latest.ScanID)
	require.Equal(t, "zz-first", a3.Previous.ScanID)
}

func TestCampaigns(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	empty, err := s.Campaigns(ctx)
	require.NoError(t, err)
	require.Empty(t, empty)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for i, id := range []string{"c-old", "c-new"} {
		require.NoError(t, s.CreateCampaign(ctx, store.Campaign{ID: id, Name: "n " + id, Scope: "{}", CreatedBy: "admin",
			Due: t0.Add(48 * time.Hour), CreatedAt: t0.Add(time.Duration(i) * time.Hour)}, nil))
	}
	got, err := s.Campaigns(ctx)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "c-new", got[0].ID, "newest first")
	require.Equal(t, "n c-old", got[1].Name)
	require.Equal(t, t0.Add(48*time.Hour), got[1].Due)
}
