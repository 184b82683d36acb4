package alerts

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/capool"
)

// Sender delivers one event to one destination.
type Sender interface {
	Send(ctx context.Context, e Event) error
}

// deliverBatch bounds the deliveries one step sends.
const deliverBatch = 200

// Deliver sends the deliveries due now, logging each attempt, and returns
// how many were attempted.
func (s *Service) Deliver(ctx context.Context) (int, error) {
	now := s.o.Now().UTC()
	due, err := s.o.Store.DueAlertDeliveries(ctx, now, deliverBatch)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	ids := make([]string, 0, len(due))
	for _, d := range due {
		ids = append(ids, d.EventID)
	}
	rows, err := s.o.Store.AlertEventsByID(ctx, ids)
	if err != nil {
		return 0, err
	}
	evs, err := decodeEvents(rows)
	if err != nil {
		return 0, err
	}
	byID := make(map[string]Event, len(evs))
	for _, e := range evs {
		byID[e.ID] = e
	}
	var log []store.AlertDelivery
	// A destination that failed once in this step is not tried again in
	// it: its other deliveries stay due, so one endpoint that hangs until
	// the timeout does not hold up the rest for a timeout per event.
	failing := map[string]bool{}
	for _, d := range due {
		if failing[d.Destination] {
			continue
		}
		next := store.AlertDelivery{EventID: d.EventID, Destination: d.Destination, Attempt: d.Attempt + 1}
		e, ok := byID[d.EventID]
		snd := s.senders[d.Destination]
		switch {
		case !ok:
			err = fmt.Errorf("the event is not stored")
		case snd == nil:
			err = fmt.Errorf("destination %s is no longer configured", d.Destination)
		default:
			actx, cancel := context.WithTimeout(ctx, s.o.Config.Retry.Timeout)
			err = snd.Send(actx, e)
			cancel()
		}
		next.At = s.o.Now().UTC()
		switch {
		case err == nil:
			next.Status = store.DeliveryDelivered
		case int(next.Attempt) >= s.o.Config.Retry.MaxAttempts || !ok || snd == nil:
			next.Status, next.Error = store.DeliveryFailed, clipError(err)
			s.o.Logger.Warn("alerts: delivery failed for good", "event", d.EventID, "destination", d.Destination,
				"attempts", next.Attempt, "err", err)
		default:
			next.Status, next.Error = store.DeliveryRetrying, clipError(err)
			next.NextTry = next.At.Add(s.backoff(int(next.Attempt)))
			failing[d.Destination] = true
		}
		log = append(log, next)
	}
	return len(log), s.o.Store.PutAlertDeliveries(ctx, log)
}

// backoff is the wait after the n-th failed attempt: between half and
// all of min(Cap, Base * 2^(n-1)).
func (s *Service) backoff(n int) time.Duration {
	r := s.o.Config.Retry
	d := r.Cap
	if n-1 < 30 {
		if b := r.Base << (n - 1); b > 0 && b < r.Cap {
			d = b
		}
	}
	return d/2 + rand.N(d/2+1)
}

func clipError(err error) string {
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return msg
}

// newSender builds the sender of d, reading its secret files.
func newSender(d Destination) (Sender, error) {
	var tc *tls.Config
	if d.CAFile != "" {
		pool, err := capool.Load(d.CAFile, "ca_file")
		if err != nil {
			return nil, err
		}
		tc = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	}
	switch d.Type {
	case DestWebhook, DestOCSFHTTP:
		secret, err := readSecret(d.SecretFile, "secret_file")
		if err != nil {
			return nil, err
		}
		authorization, err := readSecret(d.AuthorizationFile, "authorization_file")
		if err != nil {
			return nil, err
		}
		h := &httpSender{url: d.URL, ocsf: d.Type == DestOCSFHTTP, authorization: authorization,
			client: &http.Client{Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment},
				// A redirect is an answer, not a place to send the signed
				// body to: it counts as a failed attempt.
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		if secret != "" {
			h.secret = []byte(secret)
		}
		return h, nil
	case DestSMTP:
		password, err := readSecret(d.PasswordFile, "password_file")
		if err != nil {
			return nil, err
		}
		return &mailSender{d: d, tls: tc, password: password}, nil
	case DestOCSFSyslog:
		return &syslogSender{d: d, tls: tc}, nil
	}
	return nil, fmt.Errorf("type %q is not one of webhook, smtp, ocsf_http, ocsf_syslog", d.Type)
}

// readSecret reads the secret in the file at path, the destination's
// field (named in errors); no path is no secret ("").
func readSecret(path, field string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w (the file holds the secret, mode 0600)", field, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%s: %s is empty", field, path)
	}
	return v, nil
}

// httpSender POSTs the event (webhook) or its OCSF form (ocsf_http),
// signed when it has a secret. Any 2xx is delivered.
type httpSender struct {
	url           string
	ocsf          bool
	secret        []byte
	authorization string
	client        *http.Client
}

func (h *httpSender) Send(ctx context.Context, e Event) error {
	var body []byte
	var err error
	if h.ocsf {
		body, err = json.Marshal(OCSF(e))
	} else {
		body, err = json.Marshal(e)
	}
	if err != nil {
		return fmt.Errorf("encoding the event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sightline-alerts")
	req.Header.Set(EventIDHeader, e.ID)
	if h.secret != nil {
		ts := time.Now().Unix()
		req.Header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
		req.Header.Set(SignatureHeader, Sign(h.secret, ts, body))
	}
	if h.authorization != "" {
		req.Header.Set("Authorization", h.authorization)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL, query included: keep its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("posting to %s: %w", redactURL(h.url), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", redactURL(h.url), resp.Status)
	}
	return nil
}

// redactURL is a URL's scheme and host only, for the delivery log (which
// every read role lists) and the log: endpoints carry their secret in the
// path (Slack-style hooks), the query (?token=) or user:password@.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the destination's URL"
	}
	return u.Scheme + "://" + u.Host
}

// mailSender sends the event as a plain-text e-mail.
type mailSender struct {
	d        Destination
	tls      *tls.Config
	password string
}

func (m *mailSender) Send(ctx context.Context, e Event) error {
	host, _, _ := net.SplitHostPort(m.d.Addr)
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", m.d.Addr)
	if err != nil {
		return fmt.Errorf("connecting to the SMTP server %s: %w", m.d.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// net/textproto reads a reply line until it ends: an endless one would
	// fill memory until the timeout. A whole session's replies are small.
	conn = &cappedConn{Conn: conn, left: maxSMTPRead}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("SMTP greeting from %s: %w", m.d.Addr, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		if m.tls != nil {
			tc.RootCAs = m.tls.RootCAs
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("STARTTLS with %s: %w", m.d.Addr, err)
		}
	} else if !loopback(host) {
		return fmt.Errorf("the SMTP server %s does not offer STARTTLS: refusing to send in the clear off loopback", m.d.Addr)
	}
	if m.d.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.d.Username, m.password, host)); err != nil {
			return fmt.Errorf("SMTP login as %s: %w", m.d.Username, err)
		}
	}
	if err := c.Mail(m.d.From); err != nil {
		return fmt.Errorf("SMTP MAIL FROM: %w", err)
	}
	for _, to := range m.d.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("SMTP RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if _, err := w.Write(mailBody(m.d, e)); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	return c.Quit()
}

// maxSMTPRead bounds what one SMTP session reads from the server.
const maxSMTPRead = 1 << 20

// cappedConn fails reads past left bytes.
type cappedConn struct {
	net.Conn
	left int64
}

func (c *cappedConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("the server sent more than %d KiB: not an SMTP server's replies", maxSMTPRead>>10)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}

// maxSubject bounds the Subject's title in runes (the body has it whole).
const maxSubject = 200

// mailBody is the message: headers, a short text, and the event as JSON.
// Locations come from agents and may be thousands of characters long;
// SMTP refuses lines over 998 octets, so the Subject is cut and folded
// and the body is quoted-printable (lines of at most 76).
func mailBody(d Destination, e Event) []byte {
	var b bytes.Buffer
	title := []rune(strings.NewReplacer("\r", " ", "\n", " ").Replace(e.Title))
	if len(title) > maxSubject {
		title = append(title[:maxSubject], '…')
	}
	subject := mime.QEncoding.Encode("utf-8", "[Sightline "+e.Severity+"] "+string(title))
	subject = strings.ReplaceAll(subject, "?= =?", "?=\r\n =?") // fold between encoded words
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\n", d.From, strings.Join(d.To, ", "), subject)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s@sightline>\r\nMIME-Version: 1.0\r\n", e.FiredAt.Format(time.RFC1123Z), e.ID)
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\nX-Sightline-Event-Id: %s\r\n\r\n", e.ID)
	qp := quotedprintable.NewWriter(&b)
	fmt.Fprintf(qp, "%s\r\n\r\nRule: %s (%s), severity %s, fired %s.\r\n\r\n", e.Title, e.Rule, e.Kind, e.Severity, e.FiredAt.Format(time.RFC3339))
	j, _ := json.MarshalIndent(e, "", "  ")
	_, _ = qp.Write(j)
	_, _ = qp.Write([]byte("\r\n"))
	_ = qp.Close()
	return b.Bytes()
}

// syslogSender sends the OCSF form as one RFC 5424 message over TCP
// (optionally TLS), framed by octet counting (RFC 6587 / RFC 5425).
type syslogSender struct {
	d   Destination
	tls *tls.Config
}

var syslogSeverity = map[string]int{"low": 5, "medium": 4, "high": 3, "critical": 2}

func (y *syslogSender) Send(ctx context.Context, e Event) error {
	body, err := json.Marshal(OCSF(e))
	if err != nil {
		return fmt.Errorf("encoding the event: %w", err)
	}
	msg := SyslogMessage(y.d.Facility, e, body)
	var conn net.Conn
	d := net.Dialer{}
	if y.d.TLS {
		host, _, _ := net.SplitHostPort(y.d.Addr)
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		if y.tls != nil {
			tc.RootCAs = y.tls.RootCAs
		}
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tc}).DialContext(ctx, "tcp", y.d.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", y.d.Addr)
	}
	if err != nil {
		return fmt.Errorf("connecting to syslog %s: %w", y.d.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := fmt.Fprintf(conn, "%d %s", len(msg), msg); err != nil {
		return fmt.Errorf("writing to syslog %s: %w", y.d.Addr, err)
	}
	return nil
}

// SyslogMessage is e's RFC 5424 message with msg (the OCSF JSON) as its
// MSG: PRI from facility and the event's severity, app sightline, msgid
// the rule kind, no structured data.
func SyslogMessage(facility int, e Event, msg []byte) []byte {
	if facility == 0 {
		facility = 10
	}
	sev, ok := syslogSeverity[e.Severity]
	if !ok {
		sev = 4
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "-"
	}
	head := fmt.Sprintf("<%d>1 %s %s sightline %d %s - ", facility*8+sev,
		e.FiredAt.UTC().Format("2006-01-02T15:04:05.000Z"), host, os.Getpid(), syslogToken(e.Kind))
	return append([]byte(head), msg...)
}

// syslogToken keeps a header field printable ASCII without spaces, at
// most 32 characters (RFC 5424's MSGID).
func syslogToken(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 32 && r < 127 && b.Len() < 32 {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}
