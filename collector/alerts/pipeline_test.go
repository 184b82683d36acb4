package alerts_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/testpki"
	"github.com/sightline-dev/sightline/internal/wire"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// scanBatch is what an fs agent, an s3 scan and a directory scan of one
// small organisation send: a world-readable HR export and an .env file
// with an access key on web-1, a public bucket with a customer export, a
// private bucket with personal data, and an administrator account.
func scanBatch(scan string, at time.Time) []wire.Record {
	rec := func(r wire.Record) wire.Record {
		r.ScanID, r.ObservedAt, r.AgentID = scan, at, "agent-1"
		return r
	}
	yes := true
	return []wire.Record{
		rec(wire.Record{Kind: wire.KindAsset, Source: wire.SourceFS, Host: "web-1", AssetID: "f-hr", AssetType: "file",
			Location: "file:///srv/hr/people.csv", Size: 4096, Attributes: map[string]string{"world_readable": "true", "mode": "0644"}}),
		rec(wire.Record{Kind: wire.KindPII, Source: wire.SourceFS, Host: "web-1", AssetID: "f-hr", Location: "file:///srv/hr/people.csv",
			Type: "email", Category: "contact", Count: 40, Distinct: 20, Confidence: wire.ConfidenceHigh,
			Samples: []string{"j***@example.com"}, Where: []string{"line 2"}}),
		rec(wire.Record{Kind: wire.KindPII, Source: wire.SourceFS, Host: "web-1", AssetID: "f-hr", Location: "file:///srv/hr/people.csv",
			Type: "iban", Category: "financial", Count: 20, Distinct: 20, Confidence: wire.ConfidenceHigh,
			Samples: []string{"DE89***"}, Where: []string{"line 2"}}),
		rec(wire.Record{Kind: wire.KindAsset, Source: wire.SourceFS, Host: "web-1", AssetID: "f-env", AssetType: "file",
			Location: "file:///srv/app/.env", Size: 120, Attributes: map[string]string{"mode": "0600"}}),
		rec(wire.Record{Kind: wire.KindPII, Source: wire.SourceFS, Host: "web-1", AssetID: "f-env", Location: "file:///srv/app/.env",
			Type: "aws_access_key", Category: "credential", Count: 1, Distinct: 1, Confidence: wire.ConfidenceHigh,
			Samples: []string{"AK***"}, Where: []string{"line 3"}}),
		rec(wire.Record{Kind: wire.KindAsset, Source: wire.SourceS3, Host: "s3", AssetID: "b-pub", AssetType: "bucket",
			Location: "s3://acme-exports", Attributes: map[string]string{"public": "true", "region": "eu-west-1"}}),
		rec(wire.Record{Kind: wire.KindAsset, Source: wire.SourceS3, Host: "s3", AssetID: "o-cust", AssetType: "object",
			Location: "s3://acme-exports/customers.csv", Size: 1 << 20}),
		rec(wire.Record{Kind: wire.KindPII, Source: wire.SourceS3, Host: "s3", AssetID: "o-cust", Location: "s3://acme-exports/customers.csv",
			Type: "email", Category: "contact", Count: 900, Distinct: 800, Confidence: wire.ConfidenceHigh,
			Samples: []string{"a***@example.org"}, Where: []string{"line 7"}}),
		rec(wire.Record{Kind: wire.KindAsset, Source: wire.SourceS3, Host: "s3", AssetID: "b-priv", AssetType: "bucket",
			Location: "s3://acme-internal", Attributes: map[string]string{"public": "false"}}),
		rec(wire.Record{Kind: wire.KindAsset, Source: wire.SourceS3, Host: "s3", AssetID: "o-int", AssetType: "object",
			Location: "s3://acme-internal/staff.csv", Size: 2048}),
		rec(wire.Record{Kind: wire.KindPII, Source: wire.SourceS3, Host: "s3", AssetID: "o-int", Location: "s3://acme-internal/staff.csv",
			Type: "email", Category: "contact", Count: 5, Distinct: 5, Confidence: wire.ConfidenceHigh,
			Samples: []string{"s***@acme.test"}, Where: []string{"line 1"}}),
		rec(wire.Record{Kind: wire.KindPrincipal, Source: "ldap", Host: "dc-1", PrincipalID: "p-admin", Name: "administrator",
			PrincipalType: "user", Enabled: &yes, Privileged: true, PrivilegedVia: []string{"Domain Admins"}}),
		rec(wire.Record{Kind: wire.KindPrincipal, Source: "ldap", Host: "dc-1", PrincipalID: "p-jane", Name: "jane",
			PrincipalType: "user", Enabled: &yes}),
	}
}

// webhookReceiver is a local webhook endpoint that verifies every
// delivery's signature and keeps the events it accepted.
type webhookReceiver struct {
	secret []byte
	mu     sync.Mutex
	events []alerts.Event
	bad    []string
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = alerts.Verify(w.secret, r.Header.Get(alerts.TimestampHeader), r.Header.Get(alerts.SignatureHeader), body, time.Now(), 5*time.Minute)
	}
	var e alerts.Event
	if err == nil {
		err = json.Unmarshal(body, &e)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.bad = append(w.bad, err.Error())
		http.Error(rw, err.Error(), http.StatusUnauthorized)
		return
	}
	w.events = append(w.events, e)
}

func (w *webhookReceiver) got() ([]alerts.Event, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]alerts.Event(nil), w.events...), append([]string(nil), w.bad...)
}

// serveHTTP serves h on l until the test ends.
func serveHTTP(t *testing.T, l net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// mailbox is a real SMTP server (go-smtp) on loopback offering STARTTLS
// and PLAIN auth, keeping the messages it accepted.
type mailbox struct {
	mu       sync.Mutex
	messages []string
	tlsSeen  bool
}

type mailSession struct {
	mb     *mailbox
	conn   *smtp.Conn
	authed bool
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "mail-pass" {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return errors.New("log in first")
	}
	return nil
}
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	s.mb.messages = append(s.mb.messages, string(b))
	s.mb.tlsSeen = s.mb.tlsSeen || isTLS
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

func startMailbox(t *testing.T, ca *testpki.CA) (*mailbox, string) {
	leaf, err := ca.Server()
	require.NoError(t, err)
	cert, err := leaf.TLS()
	require.NoError(t, err)
	mb := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{mb: mb, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb, l.Addr().String()
}

// syslogCollector is a TCP syslog listener reading octet-counted RFC 5424
// messages and decoding their OCSF JSON.
type syslogCollector struct {
	mu       sync.Mutex
	headers  []string
	findings []alerts.OCSFFinding
	bad      []string
}

func startSyslog(t *testing.T) (*syslogCollector, string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	sc := &syslogCollector{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go sc.read(c)
		}
	}()
	return sc, l.Addr().String()
}

func (sc *syslogCollector) read(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		n, err := r.ReadString(' ')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || size <= 0 || size > 1<<20 {
			sc.fail("bad frame length " + n)
			return
		}
		msg := make([]byte, size)
		if _, err := io.ReadFull(r, msg); err != nil {
			sc.fail(err.Error())
			return
		}
		// <PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG
		parts := strings.SplitN(string(msg), " ", 8)
		if len(parts) != 8 || !strings.HasPrefix(parts[0], "<") || !strings.HasSuffix(parts[0], ">1") || parts[3] != "sightline" || parts[6] != "-" {
			sc.fail("not RFC 5424: " + string(msg))
			return
		}
		var f alerts.OCSFFinding
		if err := json.Unmarshal([]byte(parts[7]), &f); err != nil {
			sc.fail(err.Error())
			return
		}
		sc.mu.Lock()
		sc.headers = append(sc.headers, strings.Join(parts[:7], " "))
		sc.findings = append(sc.findings, f)
		sc.mu.Unlock()
	}
}

func (sc *syslogCollector) fail(s string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.bad = append(sc.bad, s)
}

func (sc *syslogCollector) got() ([]alerts.OCSFFinding, []string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]alerts.OCSFFinding(nil), sc.findings...), append([]string(nil), sc.bad...)
}

// ocsfReceiver is a SIEM's HTTP collector: it checks the Authorization
// header and decodes the OCSF finding.
type ocsfReceiver struct {
	auth     string
	mu       sync.Mutex
	findings []alerts.OCSFFinding
	bad      []string
}

func (o *ocsfReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var f alerts.OCSFFinding
	err := json.NewDecoder(r.Body).Decode(&f)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case r.Header.Get("Authorization") != o.auth:
		o.bad = append(o.bad, "wrong Authorization")
		http.Error(rw, "no", http.StatusUnauthorized)
	case err != nil:
		o.bad = append(o.bad, err.Error())
		http.Error(rw, err.Error(), http.StatusBadRequest)
	default:
		o.findings = append(o.findings, f)
	}
}

func writeFile(t *testing.T, dir, name, v string) string {
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(v+"\n"), 0o600))
	return p
}

// TestRulesFireOnceIntoEveryDestination: a scan into ClickHouse, the read
// index built, and each rule fires once per subject into a webhook that
// verifies its signature, a real SMTP server (STARTTLS, PLAIN auth), a
// syslog listener that decodes the OCSF, and a webhook that is down at
// first: its failed attempts are in the delivery log, then its success.
// A rescan that shows the same things fires nothing more.
func TestRulesFireOnceIntoEveryDestination(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	st := storetest.New(t)
	dir := t.TempDir()
	ca, err := testpki.NewCA("alerts-test")
	require.NoError(t, err)
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, ca.CertPEM, 0o600))

	hook := &webhookReceiver{secret: []byte("hook-secret")}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveHTTP(t, hl, hook)
	// The flaky endpoint: nothing listens on its port until it comes up.
	late := &webhookReceiver{secret: []byte("late-secret")}
	ll, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	lateAddr := ll.Addr().String()
	require.NoError(t, ll.Close())
	mb, smtpAddr := startMailbox(t, ca)
	siemHTTP := &ocsfReceiver{auth: "Splunk hec-token"}
	sh, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveHTTP(t, sh, siemHTTP)
	sl, syslogAddr := startSyslog(t)

	now := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, st.InsertRecords(ctx, scanBatch("scan-1", now)))
	require.NoError(t, st.PutDSRCase(ctx, store.DSRCase{ID: "case-1", Reference: "DSR-2026-7", Regulation: "gdpr",
		ReceivedAt: now.Add(-28 * 24 * time.Hour), DueAt: now.Add(48 * time.Hour), Status: "open", Owner: "dpo",
		CreatedBy: "dpo", CreatedAt: now, UpdatedBy: "dpo", UpdatedAt: now}))
	require.NoError(t, st.PutDSRCase(ctx, store.DSRCase{ID: "case-2", Reference: "DSR-2026-8", Regulation: "gdpr",
		ReceivedAt: now, DueAt: now.Add(30 * 24 * time.Hour), Status: "open", Owner: "dpo",
		CreatedBy: "dpo", CreatedAt: now, UpdatedBy: "dpo", UpdatedAt: now}))
	idx := index.New(index.Options{Store: st, Logger: quiet()})
	require.NoError(t, idx.Build(ctx))

	// The risk threshold is the best score of this scan: the rule fires
	// for the assets that reach it, not for all.
	stIdx, err := st.IndexState(ctx)
	require.NoError(t, err)
	risky, err := st.RiskyAssets(ctx, stIdx.Gen, 1)
	require.NoError(t, err)
	require.NotEmpty(t, risky)
	threshold := int(risky[0].Score)
	var atThreshold []string
	for _, r := range risky {
		if int(r.Score) >= threshold {
			atThreshold = append(atThreshold, r.AssetID)
		}
	}
	require.Less(t, len(atThreshold), len(risky), "the threshold must leave some assets out")

	cfg := alerts.Config{
		Rules: []alerts.Rule{
			{Name: "exposed", Kind: alerts.KindExposedPersonalData},
			{Name: "admins", Kind: alerts.KindPrivilegedAccount, Severity: "low"},
			{Name: "creds", Kind: alerts.KindCredentialFound, Severity: "critical"},
			{Name: "risky", Kind: alerts.KindRiskScore, Threshold: threshold},
			{Name: "dsr-due", Kind: alerts.KindDSRDeadline, Within: 72 * time.Hour},
			{Name: "revocations", Kind: alerts.KindOverdueRevocation},
		},
		Destinations: []alerts.Destination{
			{Name: "hook", Type: alerts.DestWebhook, URL: "http://" + hl.Addr().String() + "/sightline",
				SecretFile: writeFile(t, dir, "hook.secret", "hook-secret")},
			{Name: "late-hook", Type: alerts.DestWebhook, URL: "http://" + lateAddr + "/sightline",
				SecretFile: writeFile(t, dir, "late.secret", "late-secret")},
			{Name: "mail", Type: alerts.DestSMTP, Addr: smtpAddr, From: "sightline@acme.test", To: []string{"dpo@acme.test"},
				Username: "alerts", PasswordFile: writeFile(t, dir, "smtp.pw", "mail-pass"), CAFile: caFile},
			{Name: "siem", Type: alerts.DestOCSFSyslog, Addr: syslogAddr},
			{Name: "siem-http", Type: alerts.DestOCSFHTTP, URL: "http://" + sh.Addr().String() + "/services/collector",
				AuthorizationFile: writeFile(t, dir, "hec", "Splunk hec-token")},
		},
		Poll:  20 * time.Millisecond,
		Retry: alerts.Retry{MaxAttempts: 20, Base: 5 * time.Millisecond, Cap: 20 * time.Millisecond, Timeout: 5 * time.Second},
	}
	svc, err := alerts.New(alerts.Options{Store: st, Config: cfg, Logger: quiet()})
	require.NoError(t, err)

	fired, err := svc.Evaluate(ctx)
	require.NoError(t, err)
	bySubject := map[string]map[string]alerts.Event{}
	for _, e := range fired {
		if bySubject[e.Rule] == nil {
			bySubject[e.Rule] = map[string]alerts.Event{}
		}
		require.NotContains(t, bySubject[e.Rule], e.Subject, "rule %s fired twice for %s", e.Rule, e.Subject)
		bySubject[e.Rule][e.Subject] = e
		require.Equal(t, alerts.EventID(e.Rule, e.Subject), e.ID)
	}
	keysOf := func(m map[string]alerts.Event) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		return out
	}
	require.ElementsMatch(t, []string{"b-pub", "f-hr"}, keysOf(bySubject["exposed"]), "the public bucket and the world-readable file, not the private bucket")
	require.Equal(t, "public_bucket", bySubject["exposed"]["b-pub"].Facts.Exposure)
	require.Equal(t, uint64(900), bySubject["exposed"]["b-pub"].Facts.Occurrences)
	require.Equal(t, "world_readable", bySubject["exposed"]["f-hr"].Facts.Exposure)
	require.ElementsMatch(t, []string{"contact", "financial"}, bySubject["exposed"]["f-hr"].Facts.Categories)
	require.ElementsMatch(t, []string{"p-admin"}, keysOf(bySubject["admins"]))
	require.Equal(t, "ad***", bySubject["admins"]["p-admin"].Facts.AccountMasked)
	require.ElementsMatch(t, []string{"f-env/aws_access_key"}, keysOf(bySubject["creds"]))
	require.ElementsMatch(t, atThreshold, keysOf(bySubject["risky"]))
	require.ElementsMatch(t, []string{"case-1"}, keysOf(bySubject["dsr-due"]), "the case due in 48h, not the one due in 30 days")
	require.Empty(t, bySubject["revocations"], "no revocation source in this build")
	for _, e := range fired {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		for _, raw := range []string{"administrator", "example.com", "example.org", "DE89", "AK***", "j***"} {
			require.NotContains(t, string(b), raw, "event %s carries a value", e.ID)
		}
	}

	// Deliver until every (event, destination) is delivered; the late
	// hook comes up once the log shows two failed attempts to it.
	want := len(fired)
	lateUp, retried := false, "" // retried: an event the late hook failed twice

	var log []store.AlertDelivery
	for {
		require.NoError(t, ctx.Err(), "deliveries did not finish; log: %+v", log)
		_, err := svc.Deliver(ctx)
		require.NoError(t, err)
		log, err = svc.Deliveries(ctx, "", 0)
		require.NoError(t, err)
		delivered, lateFailures := map[string]int{}, map[string]int{}
		for _, d := range log {
			if d.Status == store.DeliveryDelivered {
				delivered[d.Destination]++
			}
			if d.Destination == "late-hook" && d.Status == store.DeliveryRetrying {
				lateFailures[d.EventID]++
				if lateFailures[d.EventID] == 2 && retried == "" {
					retried = d.EventID
				}
			}
		}
		if !lateUp && retried != "" {
			l, err := net.Listen("tcp", lateAddr)
			require.NoError(t, err, "the late hook's port was taken meanwhile")
			serveHTTP(t, l, late)
			lateUp = true
		}
		if delivered["hook"] == want && delivered["late-hook"] == want && delivered["mail"] == want && delivered["siem"] == want &&
			delivered["siem-http"] == want {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	got, bad := hook.got()
	require.Empty(t, bad)
	require.Len(t, got, want, "each event reached the webhook once")
	got, bad = late.got()
	require.Empty(t, bad)
	require.Len(t, got, want)
	mb.mu.Lock()
	require.Len(t, mb.messages, want)
	require.True(t, mb.tlsSeen, "the mail went over STARTTLS")
	require.Contains(t, strings.Join(mb.messages, "\n"), "Subject: [Sightline critical] Credential (aws_access_key) found in file:///srv/app/.env")
	mb.mu.Unlock()
	fs, bad := sl.got()
	require.Empty(t, bad)
	require.Len(t, fs, want)
	siemHTTP.mu.Lock()
	require.Empty(t, siemHTTP.bad)
	fs = append(fs, siemHTTP.findings...)
	siemHTTP.mu.Unlock()
	require.Len(t, fs, 2*want)
	for _, f := range fs {
		require.Equal(t, 2004, f.ClassUID)
		require.Equal(t, 2, f.CategoryUID)
		require.Equal(t, 200401, f.TypeUID)
		require.Equal(t, 1, f.ActivityID)
		require.NotZero(t, f.SeverityID)
		require.NotZero(t, f.Time)
		require.NotEmpty(t, f.FindingInfo.UID)
		require.NotEmpty(t, f.FindingInfo.Title)
		require.Equal(t, alerts.OCSFVersion, f.Metadata.Version)
		require.Equal(t, "Sightline", f.Metadata.Product.Name)
	}

	// The delivery log of an event the late hook failed twice: queued,
	// failed attempts with their errors and next tries, then delivered.
	evLog, err := svc.Deliveries(ctx, retried, 0)
	require.NoError(t, err)
	var lateRows []store.AlertDelivery
	for i := len(evLog) - 1; i >= 0; i-- { // oldest first
		if evLog[i].Destination == "late-hook" {
			lateRows = append(lateRows, evLog[i])
		}
	}
	require.GreaterOrEqual(t, len(lateRows), 3)
	require.Equal(t, store.DeliveryPending, lateRows[0].Status)
	require.Equal(t, uint32(0), lateRows[0].Attempt)
	for i, d := range lateRows[1 : len(lateRows)-1] {
		require.Equal(t, store.DeliveryRetrying, d.Status)
		require.Equal(t, uint32(i+1), d.Attempt)
		require.Contains(t, d.Error, "connection refused")
		require.False(t, d.NextTry.Before(d.At))
	}
	last := lateRows[len(lateRows)-1]
	require.Equal(t, store.DeliveryDelivered, last.Status)
	require.Equal(t, uint32(len(lateRows)-1), last.Attempt)

	// A rescan that still shows the same things, a new build: nothing
	// fires again, and nothing more is due.
	require.NoError(t, st.InsertRecords(ctx, scanBatch("scan-2", now.Add(time.Minute))))
	require.NoError(t, idx.Build(ctx))
	again, err := svc.Evaluate(ctx)
	require.NoError(t, err)
	require.Empty(t, again)
	n, err := svc.Deliver(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	evs, err := svc.Events(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, evs, want)

	// A new privileged account in a later scan fires once, for it only.
	later := now.Add(2 * time.Minute)
	yes := true
	recs := append(scanBatch("scan-3", later), wire.Record{Kind: wire.KindPrincipal, Source: "ldap", Host: "dc-1",
		PrincipalID: "p-ops", Name: "ops-admin", PrincipalType: "user", Enabled: &yes, Privileged: true,
		PrivilegedVia: []string{"Enterprise Admins"}, ScanID: "scan-3", ObservedAt: later, AgentID: "agent-1"})
	require.NoError(t, st.InsertRecords(ctx, recs))
	require.NoError(t, idx.Build(ctx))
	again, err = svc.Evaluate(ctx)
	require.NoError(t, err)
	require.Len(t, again, 1)
	require.Equal(t, "admins", again[0].Rule)
	require.Equal(t, "p-ops", again[0].Subject)
}

// TestOneCollectorEvaluates: two services on one store with the alerts
// lease: only the holder fires; the other's step does nothing.
func TestOneCollectorEvaluates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := storetest.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	require.NoError(t, st.InsertRecords(ctx, scanBatch("scan-1", now)))
	require.NoError(t, index.New(index.Options{Store: st, Logger: quiet()}).Build(ctx))
	dir := t.TempDir()
	var mu sync.Mutex
	sent := map[string]int{}
	cfg := alerts.Config{
		Rules: []alerts.Rule{{Name: "admins", Kind: alerts.KindPrivilegedAccount}},
		Destinations: []alerts.Destination{{Name: "hook", Type: alerts.DestWebhook, URL: "http://127.0.0.1:1/x",
			SecretFile: writeFile(t, dir, "s", "k")}},
	}
	svc := func(id string) *alerts.Service {
		lease := keys.NewExclusive("alerts", keys.LeaseOptions{Store: st, ID: id, Logger: quiet()})
		t.Cleanup(func() { _ = lease.Release(context.Background()) })
		s, err := alerts.New(alerts.Options{Store: st, Config: cfg, Lease: lease, Logger: quiet(),
			Senders: map[string]alerts.Sender{"hook": senderFunc(func(_ context.Context, e alerts.Event) error {
				mu.Lock()
				defer mu.Unlock()
				sent[id+" "+e.Subject]++
				return nil
			})}})
		require.NoError(t, err)
		return s
	}
	a, b := svc("collector-a"), svc("collector-b")
	require.NoError(t, a.Step(ctx))
	require.NoError(t, b.Step(ctx))
	require.NoError(t, a.Step(ctx))
	evs, err := a.Events(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, map[string]int{"collector-a p-admin": 1}, sent)
}

type senderFunc func(ctx context.Context, e alerts.Event) error

func (f senderFunc) Send(ctx context.Context, e alerts.Event) error { return f(ctx, e) }
