// Package alertstest gives tests the receiving ends of alert deliveries:
// a webhook receiver that verifies every signature, and a real SMTP
// server (go-smtp) on loopback. Both keep what they accepted.
package alertstest

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sightline-dev/sightline/collector/alerts"
)

// Hook is a webhook receiver: it accepts a POST whose signature verifies
// against Secret (alerts.Verify, one minute's tolerance) and refuses the
// others with 401, keeping why.
type Hook struct {
	secret []byte
	mu     sync.Mutex
	events []alerts.Event
	bad    []string
}

// StartHook serves a Hook on a loopback port until the test ends and
// returns it with its URL.
func StartHook(t testing.TB, secret string) (*Hook, string) {
	t.Helper()
	h := &Hook{secret: []byte(secret)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for the webhook: %v", err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: h}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return h, "http://" + l.Addr().String() + "/sightline"
}

func (h *Hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	err := alerts.Verify(h.secret, r.Header.Get(alerts.TimestampHeader), r.Header.Get(alerts.SignatureHeader), body, time.Now(), time.Minute)
	var e alerts.Event
	if err == nil {
		err = json.Unmarshal(body, &e)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.bad = append(h.bad, err.Error())
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.events = append(h.events, e)
}

// ByRule is what arrived, by rule, in order of arrival.
func (h *Hook) ByRule() map[string][]alerts.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]alerts.Event{}
	for _, e := range h.events {
		out[e.Rule] = append(out[e.Rule], e)
	}
	return out
}

// Refused lists why requests were refused (a bad signature, a body that
// is not an event).
func (h *Hook) Refused() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bad...)
}

// Mailbox is a real SMTP server without TLS or authentication (the
// collector allows that on loopback only), keeping the messages.
type Mailbox struct {
	mu       sync.Mutex
	messages []string
}

// StartMailbox serves a Mailbox on a loopback port until the test ends and
// returns it with its host:port.
func StartMailbox(t testing.TB) (*Mailbox, string) {
	t.Helper()
	mb := &Mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return session{mb}, nil }))
	srv.Domain, srv.ReadTimeout, srv.WriteTimeout = "localhost", 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for SMTP: %v", err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb, l.Addr().String()
}

// Text is every message received, headers and body, one after another.
func (m *Mailbox) Text() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.messages, "\n")
}

// Count is how many messages arrived.
func (m *Mailbox) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.messages)
}

type session struct{ mb *Mailbox }

func (s session) Mail(string, *smtp.MailOptions) error { return nil }
func (s session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	s.mb.messages = append(s.mb.messages, string(b))
	return nil
}
func (s session) Reset()        {}
func (s session) Logout() error { return nil }
