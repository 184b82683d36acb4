package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

// TestAlertEventsFollowRoles: the data-subject request routes refuse a
// security token, but a dsr_deadline event names the case, its reference,
// regulation, status and deadline; the review setup routes refuse a
// privacy token, but a review_reminder event names the reviewer and the
// campaign. The events listing gives each read role only the kinds of
// event whose routes it may read.
func TestAlertEventsFollowRoles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now().UTC().Truncate(time.Second)
	seedAlerts(ctx, t, st, log, now, "DSR-SECRET-REF")
	reminders := remindersFunc(func(context.Context, time.Time) ([]alerts.ReviewReminder, error) {
		return []alerts.ReviewReminder{{Reviewer: "rev-anna", CampaignID: "c1", Campaign: "Finance shares", Open: 3,
			Started: now.Add(-30 * 24 * time.Hour), DueAt: now}}, nil
	})
	svc, err := alerts.New(alerts.Options{Store: st, Logger: log, Reminders: reminders, Config: alerts.Config{
		Rules: []alerts.Rule{{Name: "admins", Kind: alerts.KindPrivilegedAccount},
			{Name: "dsr", Kind: alerts.KindDSRDeadline},
			{Name: "remind", Kind: alerts.KindReviewReminder}},
		Destinations: []alerts.Destination{{Name: "hook", Type: alerts.DestWebhook, URL: "https://hooks.example.test/x", SecretFile: "unused"}},
	}, Senders: map[string]alerts.Sender{"hook": sendFunc(func(context.Context, alerts.Event) error { return nil })}})
	require.NoError(t, err)
	fired, err := svc.Evaluate(ctx)
	require.NoError(t, err)
	require.Len(t, fired, 3)

	authn := auth.New(auth.Options{Store: st})
	ts := httptest.NewServer(api.New(api.Options{Store: st, Auth: authn, Alerts: svc, Logger: log}))
	t.Cleanup(ts.Close)
	v := &validator{t: t, doc: loadDoc(t), base: ts.URL, checked: map[string]bool{}}
	kinds := func(role, query string) []string {
		tok, _, err := authn.Create(ctx, role, "t-"+role, "", 0)
		require.NoError(t, err)
		var evs struct {
			Items []alerts.Event `json:"items"`
		}
		require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/alerts/events", "/api/v1/alerts/events"+query, tok, nil, 200), &evs))
		var out []string
		for _, e := range evs.Items {
			out = append(out, e.Kind)
		}
		return out
	}
	require.ElementsMatch(t, []string{alerts.KindPrivilegedAccount, alerts.KindDSRDeadline, alerts.KindReviewReminder}, kinds(auth.RoleAdmin, ""))
	require.ElementsMatch(t, []string{alerts.KindPrivilegedAccount, alerts.KindReviewReminder}, kinds(auth.RoleSecurity, ""))
	require.ElementsMatch(t, []string{alerts.KindPrivilegedAccount, alerts.KindDSRDeadline}, kinds(auth.RolePrivacy, ""))
	require.Empty(t, kinds(auth.RoleSecurity, "?rule=dsr"))
	require.Empty(t, kinds(auth.RolePrivacy, "?rule=remind"))
	require.Len(t, kinds(auth.RoleSecurity, "?limit=1"), 1)
}

type remindersFunc func(context.Context, time.Time) ([]alerts.ReviewReminder, error)

func (f remindersFunc) ReviewReminders(ctx context.Context, olderThan time.Time) ([]alerts.ReviewReminder, error) {
	return f(ctx, olderThan)
}
