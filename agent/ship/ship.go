// Package ship sends sealed spool segments to the collector: gzip NDJSON
// with the segment id as Idempotency-Key, one at a time, oldest first. A
// segment is deleted only after a 2xx; anything retryable is retried with
// capped, jittered exponential backoff (and at least as late as the
// collector's Retry-After), so nothing accepted by the spool is lost.
package ship

import (
	"bytes"
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
	"github.com/sightline-dev/sightline/internal/version"
)

// Options configures a Shipper.
type Options struct {
	URL                    string
	Token                  string
	Client                 *http.Client
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
	Now                    func() time.Time
	Sleep                  func(ctx context.Context, d time.Duration) error
	Rand                   func() float64
}

// Source is where segments come from (the spool).
type Source interface {
	Next(ctx context.Context) (*spool.Segment, error)
	Ack(*spool.Segment) error
	Reject(*spool.Segment, string) error
}

// Outcome is what to do with a segment after one attempt.
type Outcome int

// Outcomes of Send.
const (
	Delivered Outcome = iota // 2xx: delete it
	Rejected                 // the collector will never take it: set it aside
	Retry                    // try again later
)

// Result is one attempt's outcome.
type Result struct {
	Outcome    Outcome
	Status     int
	RetryAfter time.Duration
	Reason     string
}

// Stats count what the shipper did.
type Stats struct {
	Batches, Records, Retries, Rejected int64
}

// Shipper drains a Source to the collector.
type Shipper struct {
	o                                 Options
	batches, records, retries, reject atomic.Int64
}

// New returns a Shipper.
func New(o Options) *Shipper {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 60 * time.Second}
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(time.Minute, o.MinBackoff)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return &Shipper{o: o}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns counters.
func (s *Shipper) Stats() Stats {
	return Stats{Batches: s.batches.Load(), Records: s.records.Load(), Retries: s.retries.Load(), Rejected: s.reject.Load()}
}

// Backoff is the wait before retry number attempt (1-based): full jitter
// over an exponentially growing cap, so a fleet that lost its collector
// does not come back in lockstep.
func Backoff(attempt int, lo, hi time.Duration, u float64) time.Duration {
	ceil := hi
	if attempt < 32 {
		if c := lo << (attempt - 1); c > 0 && c < hi {
			ceil = c
		}
	}
	return lo + time.Duration(u*float64(ceil-lo))
}

// Run ships until ctx is done.
func (s *Shipper) Run(ctx context.Context, src Source) error {
	attempt := 0
	for {
		seg, err := src.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, spool.ErrClosed) {
				return nil
			}
			return err
		}
		res, err := s.Send(ctx, seg)
		if ctx.Err() != nil {
			return nil
		}
		switch res.Outcome {
		case Delivered:
			attempt = 0
			s.batches.Add(1)
			s.records.Add(int64(seg.Records))
			if err := src.Ack(seg); err != nil {
				return err
			}
			continue
		case Rejected:
			attempt = 0
			s.reject.Add(1)
			if err := src.Reject(seg, res.Reason); err != nil {
				return err
			}
			continue
		}
		attempt++
		s.retries.Add(1)
		wait := Backoff(attempt, s.o.MinBackoff, s.o.MaxBackoff, s.o.Rand())
		if res.RetryAfter > wait {
			wait = min(res.RetryAfter, 5*s.o.MaxBackoff)
		}
		level := slog.LevelWarn
		msg := "collector not reachable or busy; will retry"
		if res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden {
			level = slog.LevelError
			msg = "collector refused the agent token; re-enroll the agent (sightline-agent enroll); will retry"
		}
		s.o.Logger.Log(ctx, level, msg, "segment", seg.ID, "status", res.Status, "reason", res.Reason, "err", err, "retry_in", wait)
		if err := s.o.Sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

// Send makes one attempt to deliver seg.
func (s *Shipper) Send(ctx context.Context, seg *spool.Segment) (Result, error) {
	body, err := compress(seg)
	if err != nil {
		// The segment file is unreadable: nothing a retry would fix.
		return Result{Outcome: Rejected, Reason: err.Error()}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Outcome: Retry, Reason: err.Error()}, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+s.o.Token)
	req.Header.Set("Idempotency-Key", seg.ID)
	req.Header.Set("User-Agent", "sightline-agent/"+version.Version)
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return Result{Outcome: Retry, Reason: "request failed"}, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	res := Result{Status: resp.StatusCode, Reason: errorMessage(resp.Status, msg)}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		res.Outcome = Delivered
	case c == http.StatusBadRequest, c == http.StatusRequestEntityTooLarge,
		c == http.StatusUnprocessableEntity, c == http.StatusUnsupportedMediaType:
		res.Outcome = Rejected
	default: // 401/403 (re-enroll), 408, 429, 5xx, anything unexpected
		res.Outcome = Retry
		res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.o.Now())
	}
	return res, nil
}

func compress(seg *spool.Segment) ([]byte, error) {
	f, err := seg.Open()
	if err != nil {
		return nil, fmt.Errorf("reading spool segment %s: %w", seg.ID, err)
	}
	defer f.Close()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if _, err := io.Copy(zw, f); err != nil {
		return nil, fmt.Errorf("reading spool segment %s: %w", seg.ID, err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// errorMessage extracts the collector's {"error":{"message"}} or falls
// back to the status line.
func errorMessage(status string, body []byte) string {
	var e struct {
		Error struct {
			Code, Message string
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return status + ": " + e.Error.Code + ": " + e.Error.Message
	}
	return status
}

// retryAfter parses Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
