package fleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

func scan(agent, scanner, status string, fin time.Time, errs ...string) wire.Record {
	start := fin.Add(-time.Minute)
	return wire.Record{Kind: wire.KindScan, Source: scanner, ScanID: agent + "-" + scanner + "-" + fin.Format("150405"),
		ObservedAt: fin, AgentID: agent, Scanner: scanner, StartedAt: &start, FinishedAt: &fin, Status: status, Errors: errs}
}

func TestFleetView(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	f := fleet.New(fleet.Options{Store: st, Auth: auth.New(auth.Options{Store: st}), StaleAfter: time.Hour,
		Now: func() time.Time { return now }})

	for _, a := range []store.Agent{
		{ID: "a-fresh", Hostname: "web-1", OS: "linux", Version: "1.2.0", EnrolledAt: now.Add(-48 * time.Hour), LastSeen: now.Add(-time.Minute)},
		{ID: "a-quiet", Hostname: "web-2", OS: "linux", Version: "1.1.0", EnrolledAt: now.Add(-48 * time.Hour), LastSeen: now.Add(-2 * time.Hour)},
		{ID: "a-new", Hostname: "web-3", OS: "windows", Version: "1.2.0", EnrolledAt: now, LastSeen: now},
	} {
		require.NoError(t, st.PutAgent(ctx, a))
	}
	require.NoError(t, st.InsertRecords(ctx, []wire.Record{
		scan("a-fresh", "fs", wire.StatusOK, now.Add(-3*time.Hour)),
		scan("a-fresh", "fs", wire.StatusFailed, now.Add(-2*time.Hour), "walking /srv: permission denied"),
		scan("a-fresh", "host", wire.StatusOK, now.Add(-2*time.Hour)),
		scan("a-quiet", "fs", wire.StatusFailed, now.Add(-5*time.Hour), "old failure"),
		scan("a-quiet", "fs", wire.StatusPartial, now.Add(-4*time.Hour)),
	}))

	hosts := func(flt fleet.Filter) []string {
		t.Helper()
		got, err := f.List(ctx, flt)
		require.NoError(t, err)
		var out []string
		for _, a := range got {
			out = append(out, a.Hostname)
		}
		return out
	}
	yes, no := true, false
	require.Equal(t, []string{"web-1", "web-2", "web-3"}, hosts(fleet.Filter{}))
	require.Equal(t, []string{"web-2"}, hosts(fleet.Filter{Stale: &yes}))
	require.Equal(t, []string{"web-1", "web-3"}, hosts(fleet.Filter{Stale: &no}))
	require.Equal(t, []string{"web-1"}, hosts(fleet.Filter{ScanStatus: wire.StatusFailed}), "a failure superseded by a later scan does not count")
	require.Equal(t, []string{"web-2"}, hosts(fleet.Filter{ScanStatus: wire.StatusPartial}))
	require.Equal(t, []string{"web-1"}, hosts(fleet.Filter{ScanStatus: wire.StatusFailed, Stale: &no}))
	_, err := f.List(ctx, fleet.Filter{ScanStatus: "broken"})
	require.ErrorIs(t, err, fleet.ErrBadFilter)

	one, err := f.Get(ctx, "a-fresh")
	require.NoError(t, err)
	require.False(t, one.Stale)
	require.Equal(t, "1.2.0", one.Version)
	require.Len(t, one.Scans, 2)
	require.Equal(t, "fs", one.Scans[0].Scanner)
	require.Equal(t, wire.StatusFailed, one.Scans[0].Status)
	require.Equal(t, []string{"walking /srv: permission denied"}, one.Scans[0].Errors)
	require.Equal(t, uint64(1), one.Scans[0].ErrorCount)
	require.Equal(t, "host", one.Scans[1].Scanner)

	newOne, err := f.Get(ctx, "a-new")
	require.NoError(t, err)
	require.NotNil(t, newOne.Scans)
	require.Empty(t, newOne.Scans)

	_, err = f.Get(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	// The clock moves on: everyone is stale.
	now = now.Add(3 * time.Hour)
	require.Equal(t, []string{"web-1", "web-2", "web-3"}, hosts(fleet.Filter{Stale: &yes}))

	// A batch from a stale agent makes it fresh again.
	_, err = f.Touch(ctx, "a-quiet")
	require.NoError(t, err)
	require.Equal(t, []string{"web-2"}, hosts(fleet.Filter{Stale: &no}))
}

func TestSeenEveryFollowsStaleAfter(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	f := fleet.New(fleet.Options{Store: st, StaleAfter: 4 * time.Second, Now: func() time.Time { return now }})
	require.NoError(t, st.PutAgent(ctx, store.Agent{ID: "a", Hostname: "h", EnrolledAt: now, LastSeen: now}))
	_, err := f.Touch(ctx, "a")
	require.NoError(t, err)
	// A minute's SeenEvery would keep last_seen at the first touch; half
	// of StaleAfter writes it again after 3s.
	now = now.Add(3 * time.Second)
	_, err = f.Touch(ctx, "a")
	require.NoError(t, err)
	a, err := st.GetAgent(ctx, "a")
	require.NoError(t, err)
	require.True(t, now.Equal(a.LastSeen), "last_seen %s, want %s", a.LastSeen, now)
}
