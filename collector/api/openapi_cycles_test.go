package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store"
)

// checkCycles calls every review-cycle route against the document, after
// the fixture's campaign camp had an item revoked: a template whose first
// period has begun (spawned by a Cycles of the test's own), reminders,
// revocations, and the campaign's items with their removal state.
func checkCycles(v *validator, st *store.Store, admin, camp string) {
	t := v.t
	t.Helper()
	v.call("POST", "/api/v1/reviews/templates", "/api/v1/reviews/templates", admin,
		map[string]any{"name": "monthly", "reviewer": "rev", "schedule": map[string]any{"every": "fortnight"}}, 400)
	v.call("POST", "/api/v1/reviews/templates", "/api/v1/reviews/templates", admin,
		map[string]any{"name": "monthly", "reviewer": "rev", "schedule": map[string]any{"every": "month", "starts": time.Now().Add(-time.Hour)}}, 201)
	runs, err := review.NewCycles(review.CyclesOptions{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).SpawnDue(context.Background())
	require.NoError(t, err)
	require.Len(t, runs, 1)
	out := v.call("GET", "/api/v1/reviews/templates", "/api/v1/reviews/templates", admin, nil, 200)
	require.Contains(t, string(out), runs[0].CampaignID)
	v.call("GET", "/api/v1/reviews/reminders", "/api/v1/reviews/reminders?older_than_days=0", admin, nil, 200)
	v.call("GET", "/api/v1/reviews/reminders", "/api/v1/reviews/reminders?older_than_days=x", admin, nil, 400)
	var revs struct {
		Items []struct {
			Removal struct {
				State string `json:"state"`
			} `json:"removal"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/reviews/revocations", "/api/v1/reviews/revocations?state=pending,overdue&campaign="+camp,
		admin, nil, 200), &revs))
	require.Len(t, revs.Items, 1)
	require.Equal(t, "pending", revs.Items[0].Removal.State)
	v.call("GET", "/api/v1/reviews/revocations", "/api/v1/reviews/revocations?state=gone", admin, nil, 400)
	out = v.call("GET", "/api/v1/reviews/{id}/items", "/api/v1/reviews/"+camp+"/items", admin, nil, 200)
	require.Contains(t, string(out), `"removal":{"state":"pending"`)
}
