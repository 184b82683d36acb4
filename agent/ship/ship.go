// Package ship sends sealed spool segments to the collector: gzip NDJSON
// with the segment id as Idempotency-Key, one at a time, oldest first. A
// segment is deleted only after a 2xx, so the collector has stored it; a
// batch the collector can never accept is set aside; anything else is
// retried, forever, with capped, jittered exponential backoff (and no sooner
// than the collector's Retry-After). Nothing the spool accepted is lost.
package ship

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sightline-dev/sightline/agent/spool"
	"github.com/sightline-dev/sightline/agent/transport"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/tick"
	"github.com/sightline-dev/sightline/internal/version"
)

// Options configures a Shipper. Zero values take the defaults.
type Options struct {
	URL                    string       // full ingest URL, e.g. http://127.0.0.1:8080/api/v1/ingest
	Token                  string       // agent bearer token
	Client                 *http.Client // default: 60s timeout; the agent passes transport.New's
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
	Now                    func() time.Time                                 // for Retry-After dates
	Sleep                  func(ctx context.Context, d time.Duration) error // waits between attempts
	Rand                   func() float64                                   // jitter in [0,1)
}

// Source is where segments come from: the spool.
type Source interface {
	Next(ctx context.Context) (*spool.Segment, error)
	Ack(*spool.Segment) error
	Reject(*spool.Segment, string) error
}

// Outcome is what to do with a segment after one attempt.
type Outcome int

// Outcomes of Send.
const (
	Delivered Outcome = iota // 2xx: the collector stored it; delete it
	Rejected                 // the collector will never take it: set it aside
	Retry                    // keep it and try again later
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Rejected:
		return "rejected"
	default:
		return "retry"
	}
}

// Result is one attempt's outcome.
type Result struct {
	Outcome    Outcome
	Status     int           // HTTP status; 0 when no response came
	RetryAfter time.Duration // the collector's Retry-After, if any
	Reason     string        // the collector's error, for logs and rejected/<id>.reason
}

// Stats count what the shipper did since New.
type Stats struct {
	Batches  int64 // batches the collector stored
	Records  int64 // records in them
	Retries  int64 // failed attempts that will be retried
	Rejected int64 // batches set aside
}

// Shipper drains a Source to the collector. Run it in one goroutine;
// Stats may be read from any.
type Shipper struct {
	o                                   Options
	batches, records, retries, rejected atomic.Int64
}

// New returns a Shipper.
func New(o Options) *Shipper {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 60 * time.Second}
	}
	o.MinBackoff = defaults.Positive(o.MinBackoff, 500*time.Millisecond)
	o.MaxBackoff = defaults.Positive(o.MaxBackoff, time.Minute)
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = tick.Sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return &Shipper{o: o}
}

// Stats returns the counters.
func (s *Shipper) Stats() Stats {
	return Stats{Batches: s.batches.Load(), Records: s.records.Load(), Retries: s.retries.Load(), Rejected: s.rejected.Load()}
}

// Backoff is the wait before retry number attempt (1-based): a uniformly
// random point between lo and an exponentially growing ceiling
// lo·2^attempt capped at hi, u in [0,1) picking the point. The full-range
// jitter spreads a fleet of agents that lost their collector at the same
// moment, so they do not come back in lockstep; lo keeps a retry from
// following a failure immediately.
func Backoff(attempt int, lo, hi time.Duration, u float64) time.Duration {
	if lo <= 0 { // nothing to grow from: jitter over the whole range
		return time.Duration(u * float64(max(hi, 0)))
	}
	hi = max(hi, lo)
	ceil := lo
	for i := 0; i < attempt && ceil < hi; i++ { // at most ~63 rounds
		if ceil > hi/2 {
			ceil = hi
		} else {
			ceil *= 2
		}
	}
	ceil = min(ceil, hi)
	return lo + time.Duration(u*float64(ceil-lo))
}

// Run ships segments from src, oldest first, until ctx is done or src is
// closed. It does not give up on a segment that might still be accepted.
func (s *Shipper) Run(ctx context.Context, src Source) error {
	failures := 0
	for {
		seg, err := src.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, spool.ErrClosed) {
				return nil
			}
			return fmt.Errorf("reading the next batch from the spool: %w", err)
		}
		res, err := s.Send(ctx, seg)
		if ctx.Err() != nil {
			return nil
		}
		switch res.Outcome {
		case Delivered:
			if err = src.Ack(seg); err == nil {
				if failures > 0 {
					s.o.Logger.Info("collector is taking batches again", "segment", seg.ID, "failed_attempts", failures)
				}
				failures = 0
				s.batches.Add(1)
				s.records.Add(int64(seg.Records))
				continue
			}
			// Stored but not deleted: it is sent again, and the collector
			// answers the repeat from its idempotency record.
			s.o.Logger.Error("could not delete a delivered batch from the spool; will retry", "segment", seg.ID, "err", err)
		case Rejected:
			if err = src.Reject(seg, res.Reason); err == nil {
				failures = 0
				s.rejected.Add(1)
				continue
			}
			s.o.Logger.Error("could not set a rejected batch aside; will retry", "segment", seg.ID, "err", err)
		default:
			s.logRetry(ctx, seg, res, err)
		}
		failures++
		s.retries.Add(1)
		wait := Backoff(failures, s.o.MinBackoff, s.o.MaxBackoff, s.o.Rand())
		if res.RetryAfter > wait {
			// Honour the collector, but a bogus value must not park the
			// agent for days.
			wait = min(res.RetryAfter, 5*s.o.MaxBackoff)
		}
		s.o.Logger.Debug("waiting before the next attempt", "segment", seg.ID, "wait", wait, "attempt", failures)
		if err := s.o.Sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

func (s *Shipper) logRetry(ctx context.Context, seg *spool.Segment, res Result, err error) {
	attrs := []any{"segment", seg.ID, "records", seg.Records, "url", s.o.URL}
	if res.Status != 0 {
		attrs = append(attrs, "status", res.Status, "reason", res.Reason)
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	switch {
	case res.Status == http.StatusUnauthorized:
		s.o.Logger.Log(ctx, slog.LevelError,
			"collector refused the agent token; re-enroll the agent (sightline-agent enroll --collector URL --enroll-secret-file FILE); the batch is kept and retried", attrs...)
	case res.Status == http.StatusForbidden:
		// A valid token used from the wrong certificate, or records this
		// agent may not send (another agent speaks for its host name or a
		// shared source): the reason says which, and what an admin does.
		s.o.Logger.Log(ctx, slog.LevelError,
			"collector refused this agent's batch; the reason says what to fix (an admin may need to move an authority, or the agent to be enrolled again); the batch is kept and retried", attrs...)
	case errors.Is(err, transport.ErrPinMismatch):
		// Not a network blip: nothing ships until someone acts.
		s.o.Logger.Log(ctx, slog.LevelError,
			"collector's certificate is not from the CA pinned at enrollment; if its CA was rotated, re-enroll the agent; the batch is kept and retried", attrs...)
	case res.Status == 0:
		s.o.Logger.Warn("could not reach the collector; the batch is kept and retried", attrs...)
	default:
		s.o.Logger.Warn("collector did not take the batch now; it is kept and retried", attrs...)
	}
}

// Send makes one attempt to deliver seg and says what to do with it. The
// error is set when no HTTP response came (network, local read).
func (s *Shipper) Send(ctx context.Context, seg *spool.Segment) (Result, error) {
	body, err := compress(seg)
	if err != nil {
		// A local read error: the file is there but cannot be read, and
		// resending cannot change that. Retrying would block the queue.
		return Result{Outcome: Rejected, Reason: "the agent could not read the spooled batch: " + err.Error()}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Outcome: Retry, Reason: "bad collector URL"}, fmt.Errorf("building the ingest request (check the collector URL %q): %w", s.o.URL, err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+s.o.Token)
	req.Header.Set("Idempotency-Key", seg.ID)
	req.Header.Set("User-Agent", "sightline-agent/"+version.Version)
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return Result{Outcome: Retry, Reason: "no response from the collector"}, fmt.Errorf("sending batch %s: %w", seg.ID, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // lets the connection be reused

	res := Result{Status: resp.StatusCode, Reason: errorMessage(resp.Status, msg)}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		res.Outcome, res.Reason = Delivered, ""
	case c == http.StatusBadRequest, c == http.StatusUnprocessableEntity:
		res.Outcome = Rejected
	case c == http.StatusRequestEntityTooLarge:
		res.Outcome = Rejected
		res.Reason += " (lower the agent's spool segment_bytes so batches fit the collector's limit)"
	default:
		// 401/403 (re-enroll), 408, 429, 5xx, and anything unexpected such
		// as 404 from a wrong URL: a fix on the other side lets it through.
		res.Outcome = Retry
		res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.o.Now())
	}
	return res, nil
}

// compress gzips the whole segment in memory: segments are small, and a
// byte body lets the HTTP client replay it on redirects.
func compress(seg *spool.Segment) ([]byte, error) {
	f, err := seg.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed) // the level is valid
	if _, err := io.Copy(zw, f); err != nil {
		return nil, fmt.Errorf("reading spool segment %s: %w", seg.ID, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing spool segment %s: %w", seg.ID, err)
	}
	return b.Bytes(), nil
}

// errorMessage is the collector's {"error":{"code","message"}} after the
// status line, or the status line alone. Other bodies are not quoted: they
// could echo what was sent.
func errorMessage(status string, body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Error.Code == "" && e.Error.Message == "") {
		return status
	}
	if e.Error.Code == "" {
		return status + ": " + e.Error.Message
	}
	return status + ": " + e.Error.Code + ": " + e.Error.Message
}

// retryAfter parses Retry-After, delay-seconds or an HTTP-date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		// Beyond any sane wait; also keeps the multiplication from overflowing.
		return time.Duration(min(n, int64(365*24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
