package alerts_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/alerts/alertstest"
	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// dueCase stores an open request case due in 24 hours: a dsr_deadline
// rule fires for it without a read index.
func dueCase(ctx context.Context, t *testing.T, st *store.Store, now time.Time) {
	require.NoError(t, st.PutDSRCase(ctx, store.DSRCase{ID: "case-due", Reference: "DSR-DUE-1", Regulation: "gdpr",
		ReceivedAt: now.Add(-29 * 24 * time.Hour), DueAt: now.Add(24 * time.Hour), Status: "open", Owner: "dpo",
		CreatedBy: "dpo", CreatedAt: now, UpdatedBy: "dpo", UpdatedAt: now}))
}

// closedAddr is a loopback host:port nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestDeliveryErrorsKeepURLSecretsOut: many webhook and SIEM endpoints
// carry their secret in the URL (a Slack-style path, a ?token= query,
// user:password@). A failed delivery's error is stored in the delivery
// log, which the API lists to every read role, and logged: it names the
// destination's host, never the rest of its URL.
func TestDeliveryErrorsKeepURLSecretsOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := storetest.New(t)
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Second)
	dueCase(ctx, t, st, now)
	// An endpoint that answers 500: the "answered" error path.
	failing := httptest500(t)
	down := closedAddr(t)
	cfg := alerts.Config{
		Rules: []alerts.Rule{{Name: "due", Kind: alerts.KindDSRDeadline}},
		Destinations: []alerts.Destination{
			{Name: "down-hook", Type: alerts.DestWebhook, URL: "http://" + down + "/services/T0/B0/pathsecret1?token=querysecret1",
				SecretFile: writeFile(t, dir, "s1", "k1")},
			{Name: "down-siem", Type: alerts.DestOCSFHTTP, URL: "http://hecuser:pwsecret2@" + down + "/hec/pathsecret2?token=querysecret2"},
			{Name: "failing-hook", Type: alerts.DestWebhook, URL: "http://" + failing + "/hooks/pathsecret3?token=querysecret3",
				SecretFile: writeFile(t, dir, "s3", "k3")},
		},
		Retry: alerts.Retry{MaxAttempts: 1, Timeout: 5 * time.Second},
	}
	var logged bytes.Buffer
	svc, err := alerts.New(alerts.Options{Store: st, Config: cfg, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	require.NoError(t, err)
	fired, err := svc.Evaluate(ctx)
	require.NoError(t, err)
	require.Len(t, fired, 1)
	n, err := svc.Deliver(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	log, err := svc.Deliveries(ctx, "", 0)
	require.NoError(t, err)
	var errs []string
	for _, d := range log {
		if d.Status == store.DeliveryFailed {
			errs = append(errs, d.Error)
		}
	}
	require.Len(t, errs, 3, "every destination failed: %+v", log)
	all := strings.Join(errs, "\n") + "\n" + logged.String()
	for _, secret := range []string{"pathsecret", "querysecret", "pwsecret", "hecuser", "token="} {
		require.NotContains(t, all, secret, "a URL secret reached the delivery log or the log")
	}
	require.Contains(t, all, down, "the error still names the host")
	require.Contains(t, all, failing)
	require.Contains(t, all, "500")
}

func httptest500(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveHTTP(t, l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	return l.Addr().String()
}

// TestSyslogOffLoopbackNeedsTLS: OCSF events name where personal data
// lies; like http (https only off loopback) and SMTP (STARTTLS required
// off loopback), a syslog destination off loopback must use TLS.
func TestSyslogOffLoopbackNeedsTLS(t *testing.T) {
	for _, tc := range []struct {
		addr string
		tls  bool
		ok   bool
	}{
		{"siem.example.net:6514", false, false},
		{"10.0.0.5:514", false, false},
		{"[2001:db8::1]:514", false, false},
		{"siem.example.net:6514", true, true},
		{"127.0.0.1:514", false, true},
		{"localhost:514", false, true},
		{"[::1]:514", false, true},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			cfg := alerts.Config{Destinations: []alerts.Destination{{Name: "siem", Type: alerts.DestOCSFSyslog, Addr: tc.addr, TLS: tc.tls}}}
			err := cfg.Validate()
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "tls")
		})
	}
}

// TestLongLocationMailIsDelivered: an agent reports a path of 3,000
// characters (deep trees have them; a hostile agent makes them). SMTP
// limits a line to 998 octets (RFC 5321 4.5.3.1.6) and servers refuse
// longer ones, so the alert about that very file would never arrive: every
// line of the message, the Subject included, stays within the limit.
func TestLongLocationMailIsDelivered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := storetest.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	long := "file:///srv/" + strings.Repeat("d/", 1500) + "é-people.csv"
	recs := []wire.Record{
		{Kind: wire.KindAsset, Source: wire.SourceFS, Host: "web-1", AssetID: "f-long", AssetType: "file",
			Location: long, Size: 10, Attributes: map[string]string{"world_readable": "true", "mode": "0644"}},
		{Kind: wire.KindPII, Source: wire.SourceFS, Host: "web-1", AssetID: "f-long", Location: long,
			Type: "email", Category: "contact", Count: 3, Distinct: 3, Confidence: wire.ConfidenceHigh},
	}
	for i := range recs {
		recs[i].ScanID, recs[i].ObservedAt, recs[i].AgentID = "scan-long", now, "agent-1"
	}
	require.NoError(t, st.InsertRecords(ctx, recs))
	require.NoError(t, index.New(index.Options{Store: st, Logger: quiet()}).Build(ctx))
	mb, addr := alertstest.StartMailbox(t)
	cfg := alerts.Config{
		Rules:        []alerts.Rule{{Name: "exposed", Kind: alerts.KindExposedPersonalData}},
		Destinations: []alerts.Destination{{Name: "mail", Type: alerts.DestSMTP, Addr: addr, From: "sightline@acme.test", To: []string{"dpo@acme.test"}}},
		Retry:        alerts.Retry{MaxAttempts: 1, Timeout: 5 * time.Second},
	}
	svc, err := alerts.New(alerts.Options{Store: st, Config: cfg, Logger: quiet()})
	require.NoError(t, err)
	fired, err := svc.Evaluate(ctx)
	require.NoError(t, err)
	require.Len(t, fired, 1)
	_, err = svc.Deliver(ctx)
	require.NoError(t, err)
	log, err := svc.Deliveries(ctx, "", 0)
	require.NoError(t, err)
	require.Equal(t, store.DeliveryDelivered, log[0].Status, "delivery log: %+v", log)
	require.Equal(t, 1, mb.Count())
	msg := mb.Text()
	for _, line := range strings.Split(msg, "\r\n") {
		require.LessOrEqual(t, len(line), 998, "a line over SMTP's limit: %.80q…", line)
	}
	require.Contains(t, msg, "Subject: ")
	require.Contains(t, msg, "X-Sightline-Event-Id: "+fired[0].ID)
}

// TestEndlessSMTPReplyIsBounded: an SMTP server (or whoever sits on the
// path before STARTTLS) that answers the greeting with a line that never
// ends. net/textproto keeps reading the line until the attempt's timeout;
// the sender stops at maxSMTPRead instead.
func TestEndlessSMTPReplyIsBounded(t *testing.T) {
	const serverCap = 256 << 20
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	var written atomic.Int64
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		chunk := []byte(strings.Repeat("a", 64<<10))
		_, _ = c.Write([]byte("220 "))
		for written.Load() < serverCap {
			n, err := c.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := storetest.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	dueCase(ctx, t, st, now)
	cfg := alerts.Config{
		Rules:        []alerts.Rule{{Name: "due", Kind: alerts.KindDSRDeadline}},
		Destinations: []alerts.Destination{{Name: "mail", Type: alerts.DestSMTP, Addr: l.Addr().String(), From: "s@acme.test", To: []string{"d@acme.test"}}},
		Retry:        alerts.Retry{MaxAttempts: 1, Timeout: 20 * time.Second},
	}
	svc, err := alerts.New(alerts.Options{Store: st, Config: cfg, Logger: quiet()})
	require.NoError(t, err)
	_, err = svc.Evaluate(ctx)
	require.NoError(t, err)
	_, err = svc.Deliver(ctx)
	require.NoError(t, err)
	log, err := svc.Deliveries(ctx, "", 1)
	require.NoError(t, err)
	require.Equal(t, store.DeliveryFailed, log[0].Status)
	require.Contains(t, log[0].Error, "more than")
	require.Less(t, written.Load(), int64(64<<20), "the sender read far past its bound")
}

// TestRedirectIsNotFollowed: a destination that answers with a redirect
// (to another host, an internal address, the cloud metadata service)
// does not get the signed event and its Authorization sent on: the
// redirect is a failed attempt.
func TestRedirectIsNotFollowed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := storetest.New(t)
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Second)
	dueCase(ctx, t, st, now)
	var hits atomic.Int64
	target, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveHTTP(t, target, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	redir, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveHTTP(t, redir, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+target.Addr().String()+"/latest/meta-data/", http.StatusTemporaryRedirect)
	}))
	cfg := alerts.Config{
		Rules: []alerts.Rule{{Name: "due", Kind: alerts.KindDSRDeadline}},
		Destinations: []alerts.Destination{
			{Name: "hook", Type: alerts.DestWebhook, URL: "http://" + redir.Addr().String() + "/hook", SecretFile: writeFile(t, dir, "s", "k")},
			{Name: "siem", Type: alerts.DestOCSFHTTP, URL: "http://" + redir.Addr().String() + "/hec", AuthorizationFile: writeFile(t, dir, "a", "Splunk tok")},
		},
		Retry: alerts.Retry{MaxAttempts: 1, Timeout: 5 * time.Second},
	}
	svc, err := alerts.New(alerts.Options{Store: st, Config: cfg, Logger: quiet()})
	require.NoError(t, err)
	_, err = svc.Evaluate(ctx)
	require.NoError(t, err)
	n, err := svc.Deliver(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	log, err := svc.Deliveries(ctx, "", 0)
	require.NoError(t, err)
	for _, d := range log {
		if d.Attempt == 1 {
			require.Equal(t, store.DeliveryFailed, d.Status)
			require.Contains(t, d.Error, "307")
		}
	}
	require.Zero(t, hits.Load(), "the redirect was followed")
}
