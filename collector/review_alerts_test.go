package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/alerts/alertstest"
	"github.com/sightline-dev/sightline/collector/index"
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

	hook, hookURL := alertstest.StartHook(t, "wiring-secret")
	mail, mailAddr := alertstest.StartMailbox(t)
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
			Destinations: []alerts.Destination{
				{Name: "hook", Type: alerts.DestWebhook, URL: hookURL, SecretFile: secret},
				{Name: "mail", Type: alerts.DestSMTP, Addr: mailAddr, From: "sightline@acme.test", To: []string{"secops@acme.test"}},
			},
		}})
	require.NoError(t, err)
	for _, r := range svc.Rules() {
		require.True(t, r.Active, "rule %s: %s", r.Name, r.Note)
	}
	received := func() map[string][]alerts.Event {
		require.Empty(t, hook.Refused())
		return hook.ByRule()
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
	require.Equal(t, camp.ID, ev[0].Facts.CampaignID)
	require.Equal(t, "admins", ev[0].Facts.Campaign)
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
	require.Equal(t, 6, delivered, "three events, each to the webhook and by mail")
	require.Equal(t, 3, mail.Count())
	require.Contains(t, mail.Text(), "Revocation "+itemOf["alice"]+" (campaign "+camp.ID+") is overdue")
	require.Contains(t, mail.Text(), "Review reminder: rev has 1 open item(s)")
	for _, e := range evs {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		require.NotContains(t, string(b), "alice", "an event names no principal")
		require.NotContains(t, string(b), "bob")
	}
}

// TestPIAReviewAlertWiring runs pia_review as serve wires it (piaReviews
// over the PIA service) against ClickHouse: a PIA over web-1's files
// fires nothing while its facts hold; a rescan adding a category fires
// once, however many builds repeat the same reasons; a further change of
// the reasons fires again; confirming the facts quiets it.
func TestPIAReviewAlertWiring(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	st := storetest.New(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	n := 0
	// scan stores a scan of web-1 holding the files given (name → PII
	// type/category; a "*" prefix: world-readable) and builds the index.
	scan := func(files map[string][2]string) {
		t.Helper()
		n++
		at := t0.Add(time.Duration(n) * time.Minute)
		id := fmt.Sprintf("s%d", n)
		var recs []wire.Record
		for name, pii := range files {
			attrs := map[string]string{"mode": "0600"}
			if strings.HasPrefix(name, "*") {
				name, attrs = name[1:], map[string]string{"mode": "0644", "world_readable": "true"}
			}
			loc := "file:///srv/" + name
			recs = append(recs,
				wire.Record{Kind: wire.KindAsset, Source: wire.SourceFS, Host: "web-1", AssetID: "f-" + name, AssetType: "file",
					Location: loc, Size: 100, Attributes: attrs},
				wire.Record{Kind: wire.KindPII, Source: wire.SourceFS, Host: "web-1", AssetID: "f-" + name, Location: loc,
					Type: pii[0], Category: pii[1], Count: 3, Distinct: 3, Confidence: wire.ConfidenceHigh})
		}
		for i := range recs {
			recs[i].ScanID, recs[i].ObservedAt, recs[i].AgentID = id, at, "agent-1"
		}
		require.NoError(t, st.InsertRecords(ctx, recs))
		require.NoError(t, index.New(index.Options{Store: st, Logger: quiet}).Build(ctx))
	}
	crm := [2]string{"email", "contact"}
	ssn := [2]string{"ssn", "government_id"}
	scan(map[string][2]string{"crm.csv": crm})
	pias := pia.New(st, nil)
	p, err := pias.Create(ctx, pia.CreateInput{Title: "CRM for Ann Example", Systems: []string{"fs:web-1"}}, "dpo", t0)
	require.NoError(t, err)
	require.False(t, p.NeedsReview)

	hook, hookURL := alertstest.StartHook(t, "pia-secret")
	secret := filepath.Join(t.TempDir(), "hook.secret")
	require.NoError(t, os.WriteFile(secret, []byte("pia-secret"), 0o600))
	svc, err := alerts.New(alerts.Options{Store: st, Logger: quiet, PIAs: piaReviews{pias},
		Config: alerts.Config{Rules: []alerts.Rule{{Name: "pia", Kind: alerts.KindPIAReview}},
			Destinations: []alerts.Destination{{Name: "hook", Type: alerts.DestWebhook, URL: hookURL, SecretFile: secret}}}})
	require.NoError(t, err)
	step := func() []alerts.Event {
		t.Helper()
		require.NoError(t, svc.Step(ctx))
		require.Empty(t, hook.Refused())
		return hook.ByRule()["pia"]
	}
	require.Empty(t, step(), "the facts hold")

	scan(map[string][2]string{"crm.csv": crm, "hr.txt": ssn})
	got := step()
	require.Len(t, got, 1)
	require.Equal(t, p.ID, got[0].Facts.PIA)
	require.Equal(t, []string{"fs:web-1: new category government_id"}, got[0].Facts.ReviewReasons)
	require.Equal(t, []string{"fs:web-1"}, got[0].Facts.Systems)
	require.NotContains(t, got[0].Title, "Ann", "the title a person wrote stays out")
	require.Equal(t, alerts.KindPIAReview, got[0].Kind)

	// The same reasons in later builds: nothing more.
	step()
	scan(map[string][2]string{"crm.csv": crm, "hr.txt": ssn})
	require.Len(t, step(), 1)

	// The HR file turns world-readable: the reasons change, once more.
	scan(map[string][2]string{"crm.csv": crm, "*hr.txt": ssn})
	got = step()
	require.Len(t, got, 2)
	require.Equal(t, []string{"fs:web-1: new category government_id", "fs:web-1: 1 world-readable assets (was 0)"},
		got[1].Facts.ReviewReasons)

	// The DPO confirms the facts: the next build fires nothing.
	st2, err := st.IndexState(ctx)
	require.NoError(t, err)
	_, err = pias.Update(ctx, p.ID, pia.Answers{ConfirmFacts: true}, "dpo", st2.BuiltAt)
	require.NoError(t, err)
	scan(map[string][2]string{"crm.csv": crm, "*hr.txt": ssn})
	require.Len(t, step(), 2)
}
