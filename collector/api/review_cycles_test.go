package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

// A recurring template, created through the API, spawns its first run
// when its period begins and its next run when the next period begins —
// once each, however often the loop ticks — and both runs are campaigns
// the API serves. The clock is the server's and the loop's, injected.
func TestRecurringTemplateSpawnsNextRun(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn})
	cycles := review.NewCycles(review.CyclesOptions{Store: st, Now: clock, Logger: log})
	ts := httptest.NewServer(api.New(api.Options{Store: st, Auth: authn, Fleet: fl, Logger: log, Now: clock, Cycles: cycles}))
	t.Cleanup(ts.Close)
	h := &harness{t: t, st: st, srv: ts}
	admin, _, err := authn.Create(ctx, auth.RoleAdmin, "admin", "", 0)
	require.NoError(t, err)
	call := func(method, path, body string, want int, out any) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		code, answer := h.do(method, path, admin, nil, rd)
		require.Equal(t, want, code, "%s %s: %s", method, path, answer)
		if out != nil {
			require.NoError(t, json.Unmarshal([]byte(answer), out), answer)
		}
	}
	type status struct {
		Items []struct {
			TemplateID string    `json:"template_id"`
			NextRun    time.Time `json:"next_run"`
			Runs       []struct {
				PeriodStart time.Time `json:"period_start"`
				CampaignID  string    `json:"campaign_id"`
			} `json:"runs"`
		} `json:"items"`
	}
	templates := func() status {
		var s status
		call("GET", "/api/v1/reviews/templates", "", 200, &s)
		require.Len(t, s.Items, 1)
		return s
	}

	// Monthly from Feb 1: nothing before it starts.
	call("POST", "/api/v1/reviews/templates",
		`{"name":"monthly access","reviewer":"rev","schedule":{"every":"month","starts":"2026-02-01T00:00:00Z"}}`, 201, nil)
	runs, err := cycles.SpawnDue(ctx)
	require.NoError(t, err)
	require.Empty(t, runs, "the first period has not begun")
	require.Equal(t, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), templates().Items[0].NextRun)

	// The first period begins: one run, served as a campaign.
	advance(27 * 24 * time.Hour) // Feb 1, 09:00
	runs, err = cycles.SpawnDue(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	first := runs[0].CampaignID
	call("GET", "/api/v1/reviews/"+first, "", 200, nil)
	advance(10 * 24 * time.Hour) // later in February: nothing new
	runs, err = cycles.SpawnDue(ctx)
	require.NoError(t, err)
	require.Empty(t, runs)

	// The next period begins: the next run, a different campaign.
	advance(20 * 24 * time.Hour) // Mar 3
	runs, err = cycles.SpawnDue(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	second := runs[0].CampaignID
	require.NotEqual(t, first, second)
	call("GET", "/api/v1/reviews/"+second, "", 200, nil)
	runs, err = cycles.SpawnDue(ctx)
	require.NoError(t, err)
	require.Empty(t, runs, "a second tick in the same period spawns nothing")

	s := templates().Items[0]
	require.Len(t, s.Runs, 2)
	require.Equal(t, second, s.Runs[0].CampaignID, "newest first")
	require.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), s.Runs[0].PeriodStart)
	require.Equal(t, first, s.Runs[1].CampaignID)
	require.Equal(t, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), s.NextRun)
}
