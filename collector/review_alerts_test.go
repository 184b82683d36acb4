package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/pia"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestReviewAlertsWiring runs the alerts service as serve wires it
// (overdueRevocations over review.Cycles, reviewReminders over the store)
// against ClickHouse with an injected clock, into a webhook that verifies
// every signature: the grant revoked and still shown by the scans fires
// overdue_revocation once past reviews.removal_due, however many polls
// follow; the reviewer with an open item is reminded once per reminder
// period, not once per poll; a rescan that no longer shows the grant and
// a decision on the last item stop both.
func TestReviewAlertsWiring(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	st := storetest.New(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := t0
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); clock = clock.Add(d) }

	// scan stores a completed directory scan showing members of admins.
	scan := func(id string, at time.Time, members ...string) {
		t.Helper()
		env := func(kind string) wire.Record {
			return wire.Record{Kind: kind, Source: wire.SourceLDAP, ScanID: id, ObservedAt: at, AgentID: "a1", Host: "ldap.test"}
		}
		var recs []wire.Record
		for _, n := range []string{"alice", "bob"} {
			r := env(wire.KindPrincipal)
			r.PrincipalID, r.Name, r.PrincipalType = "p-"+n, n, "user"
			recs = append(recs, r)
		}
		for _, who := range members {
			r := env(wire.KindEntitlement)
			r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = "p-"+who, "g-admins", "group", "member"
			recs = append(recs, r)
		}
		fin := at.Add(time.Minute)
		recs = append(recs, wire.Record{Kind: wire.KindScan, Source: wire.SourceLDAP, ScanID: id, ObservedAt: fin, AgentID: "a1",
			Scanner: wire.SourceLDAP, StartedAt: &at, FinishedAt: &fin, Status: wire.StatusOK})
		for i := range recs {
			require.NoError(t, recs[i].Validate())
		}
		require.NoError(t, st.InsertRecords(ctx, recs))
	}
	scan("s1", t0, "alice", "bob")
	camp, n, err := review.Create(ctx, st, review.Request{Name: "admins", Reviewer: "rev"}, "admin", t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	items, err := st.ReviewItems(ctx, camp.ID)
	require.NoError(t, err)
	itemOf := map[string]string{}
	for _, it := range items {
		itemOf[it.PrincipalName] = it.ItemID
	}
	require.NoError(t, review.Decide(ctx, st, camp.ID, itemOf["alice"], "revoke", "left", "", "rev", false, t0.Add(3*time.Minute)))

	var got []alerts.Event
	var bad []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := alerts.Verify([]byte("wiring-secret"), r.Header.Get(alerts.TimestampHeader), r.Header.Get(alerts.SignatureHeader),
			body, time.Now(), time.Minute)
		var e alerts.Event
		if err == nil {
			err = json.Unmarshal(body, &e)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			bad = append(bad, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got = append(got, e)
	}))
	defer hook.Close()
	secret := filepath.Join(t.TempDir(), "hook.secret")
	require.NoError(t, os.WriteFile(secret, []byte("wiring-secret\n"), 0o600))

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cycles := review.NewCycles(review.CyclesOptions{Store: st, Now: now, RemovalDue: time.Hour, Logger: quiet})
	svc, err := alerts.New(alerts.Options{Store: st, Now: now, Logger: quiet,
		Revocations: overdueRevocations{cycles}, Reminders: reviewReminders{st}, PIAs: piaReviews{pia.New(st, now)},
		Config: alerts.Config{
			Rules: []alerts.Rule{
				{Name: "overdue", Kind: alerts.KindOverdueRevocation},
				{Name: "remind", Kind: alerts.KindReviewReminder, OlderThan: 24 * time.Hour, Every: 24 * time.Hour},
			},
			Destinations: []alerts.Destination{{Name: "hook", Type: alerts.DestWebhook, URL: hook.URL + "/sightline", SecretFile: secret}},
		}})
	require.NoError(t, err)
	for _, r := range svc.Rules() {
		require.True(t, r.Active, "rule %s: %s", r.Name, r.Note)
	}
	received := func() map[string][]alerts.Event {
		mu.Lock()
		defer mu.Unlock()
		require.Empty(t, bad)
		out := map[string][]alerts.Event{}
		for _, e := range got {
			out[e.Rule] = append(out[e.Rule], e)
		}
		return out
	}
	// poll is one collector poll: evaluate and deliver what is due.
	poll := func(times int, step time.Duration) {
		t.Helper()
		for range times {
			advance(step)
			require.NoError(t, svc.Step(ctx))
		}
	}

	// Within the hour after the revocation and the first day of the
	// campaign: nothing fires.
	poll(5, 10*time.Minute)
	require.Empty(t, received())

	// Past removal_due, the scans still show alice's grant: one event,
	// however many polls follow.
	poll(10, 5*time.Minute) // t0+1h53m
	ev := received()["overdue"]
	require.Len(t, ev, 1)
	require.Equal(t, itemOf["alice"], ev[0].Subject)
	require.Equal(t, alerts.KindOverdueRevocation, ev[0].Kind)
	require.True(t, ev[0].Facts.Overdue)
	require.Equal(t, t0.Add(3*time.Minute+time.Hour), ev[0].Facts.DueAt.UTC())
	require.Empty(t, received()["remind"], "the campaign is not a day old yet")

	// A day after the campaign started, bob's item is still open: one
	// reminder to rev for this period, through many polls of it.
	poll(1, 22*time.Hour+10*time.Minute) // t0+24h03m: the campaign is 24h01m old
	poll(20, time.Minute)
	rem := received()["remind"]
	require.Len(t, rem, 1)
	require.Equal(t, camp.ID+"/rev/0", rem[0].Subject)
	require.Equal(t, "rev", rem[0].Facts.Reviewer)
	require.Equal(t, camp.ID, rem[0].Facts.CampaignID)
	require.Equal(t, uint64(1), rem[0].Facts.OpenItems, "alice's item is decided; bob's is open")
	require.Equal(t, 1, rem[0].Facts.Reminder)
	// The next period: the second reminder, once.
	poll(1, 24*time.Hour)
	poll(20, time.Minute)
	rem = received()["remind"]
	require.Len(t, rem, 2)
	require.Equal(t, camp.ID+"/rev/1", rem[1].Subject)
	require.Equal(t, 2, rem[1].Facts.Reminder)
	require.Len(t, received()["overdue"], 1, "still overdue, not fired again")

	// The grant gone from a rescan, bob's item decided: a further period
	// fires nothing.
	scan("s2", now(), "bob")
	require.NoError(t, review.Decide(ctx, st, camp.ID, itemOf["bob"], "certify", "", "", "rev", false, now()))
	rs, err := cycles.Revocations(ctx, review.RevocationFilter{})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, review.RemovalConfirmed, rs[0].Removal.State)
	poll(3, 24*time.Hour)
	require.Len(t, received()["remind"], 2)
	require.Len(t, received()["overdue"], 1)
	evs, err := svc.Events(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	log, err := svc.Deliveries(ctx, "", 0)
	require.NoError(t, err)
	delivered := 0
	for _, d := range log {
		if d.Status == store.DeliveryDelivered {
			delivered++
		}
	}
	require.Equal(t, 3, delivered)
	for _, e := range evs {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		require.NotContains(t, string(b), "alice", "an event names no principal")
		require.NotContains(t, string(b), "bob")
	}
}
