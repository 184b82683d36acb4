package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// checkAlerts calls the alert routes of a server without alerts
// configured: empty lists, and a bad limit.
func checkAlerts(v *validator, admin string) {
	v.t.Helper()
	v.call("GET", "/api/v1/alerts/rules", "/api/v1/alerts/rules", admin, nil, 200)
	v.call("GET", "/api/v1/alerts/events", "/api/v1/alerts/events?rule=x&limit=5", admin, nil, 200)
	v.call("GET", "/api/v1/alerts/deliveries", "/api/v1/alerts/deliveries", admin, nil, 200)
	v.call("GET", "/api/v1/alerts/deliveries", "/api/v1/alerts/deliveries?limit=0", admin, nil, 400)
}

type sendFunc func(context.Context, alerts.Event) error

func (f sendFunc) Send(ctx context.Context, e alerts.Event) error { return f(ctx, e) }

// seedAlerts stores a privileged account (built into the read index) and
// a request case due in 24 hours with reference ref.
func seedAlerts(ctx context.Context, t *testing.T, st *store.Store, log *slog.Logger, now time.Time, ref string) {
	yes := true
	require.NoError(t, st.InsertRecords(ctx, []wire.Record{{Kind: wire.KindPrincipal, Source: "ldap", Host: "dc-1",
		ScanID: "s1", ObservedAt: now, AgentID: "a1", PrincipalID: "p-admin", Name: "administrator", PrincipalType: "user",
		Enabled: &yes, Privileged: true, PrivilegedVia: []string{"Domain Admins"}}}))
	require.NoError(t, st.PutDSRCase(ctx, store.DSRCase{ID: "case-1", Reference: ref, Regulation: "gdpr",
		ReceivedAt: now, DueAt: now.Add(24 * time.Hour), Status: "open", CreatedAt: now, UpdatedAt: now}))
	require.NoError(t, index.New(index.Options{Store: st, Logger: log}).Build(ctx))
}

// TestAlertsAPI: rules, fired events and the delivery log (a failed
// attempt, then success) as the API answers them, checked against the
// document; a reviewer may not read them.
func TestAlertsAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now().UTC().Truncate(time.Second)
	seedAlerts(ctx, t, st, log, now, "DSR-1")
	secret := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secret, []byte("k"), 0o600))
	failures := 1
	clock := now
	svc, err := alerts.New(alerts.Options{Store: st, Logger: log, Now: func() time.Time { return clock }, Config: alerts.Config{
		Rules: []alerts.Rule{{Name: "admins", Kind: alerts.KindPrivilegedAccount},
			{Name: "dsr", Kind: alerts.KindDSRDeadline, Within: 48 * time.Hour},
			{Name: "revoked", Kind: alerts.KindOverdueRevocation}},
		Destinations: []alerts.Destination{{Name: "hook", Type: alerts.DestWebhook, URL: "https://hooks.example.test/x", SecretFile: secret}},
		Retry:        alerts.Retry{Base: time.Millisecond, Cap: time.Millisecond},
	}, Senders: map[string]alerts.Sender{"hook": sendFunc(func(context.Context, alerts.Event) error {
		if failures > 0 {
			failures--
			return errors.New("503 Service Unavailable")
		}
		return nil
	})}})
	require.NoError(t, err)
	fired, err := svc.Evaluate(ctx)
	require.NoError(t, err)
	require.Len(t, fired, 2)
	// The first attempt fails, and the hook is not tried again in that
	// step; the next step delivers both.
	n, err := svc.Deliver(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	clock = clock.Add(time.Minute) // past the retry's backoff
	n, err = svc.Deliver(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	authn := auth.New(auth.Options{Store: st})
	ts := httptest.NewServer(api.New(api.Options{Store: st, Auth: authn, Alerts: svc, Logger: log}))
	t.Cleanup(ts.Close)
	admin, _, err := authn.Create(ctx, auth.RoleAdmin, "admin", "", 0)
	require.NoError(t, err)
	reviewer, _, err := authn.Create(ctx, auth.RoleReviewer, "rev", "", 0)
	require.NoError(t, err)
	v := &validator{t: t, doc: loadDoc(t), base: ts.URL, checked: map[string]bool{}}

	var rules struct {
		Items []alerts.RuleStatus `json:"items"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/alerts/rules", "/api/v1/alerts/rules", admin, nil, 200), &rules))
	require.Len(t, rules.Items, 3)
	require.Equal(t, "48h0m0s", rules.Items[1].Within)
	require.False(t, rules.Items[2].Active, "no revocation source yet")
	var evs struct {
		Items []alerts.Event `json:"items"`
		Total int            `json:"total"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/alerts/events", "/api/v1/alerts/events", admin, nil, 200), &evs))
	require.Equal(t, 2, evs.Total)
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/alerts/events", "/api/v1/alerts/events?rule=admins", admin, nil, 200), &evs))
	require.Len(t, evs.Items, 1)
	require.Equal(t, "ad***", evs.Items[0].Facts.AccountMasked)
	var ds struct {
		Items []api.AlertDelivery `json:"items"`
	}
	require.NoError(t, json.Unmarshal(v.call("GET", "/api/v1/alerts/deliveries", "/api/v1/alerts/deliveries", admin, nil, 200), &ds))
	statuses := map[string]int{}
	for _, d := range ds.Items {
		statuses[d.Status]++
		if d.Status == store.DeliveryRetrying {
			require.NotNil(t, d.NextTry)
			require.Equal(t, "503 Service Unavailable", d.Error)
		}
	}
	require.Equal(t, map[string]int{"pending": 2, "retrying": 1, "delivered": 2}, statuses)
	v.call("GET", "/api/v1/alerts/events", "/api/v1/alerts/events?limit=1001", admin, nil, 400)
	v.call("GET", "/api/v1/alerts/events", "/api/v1/alerts/events", reviewer, nil, 403)
	v.call("GET", "/api/v1/alerts/rules", "/api/v1/alerts/rules", "", nil, 401)
}
