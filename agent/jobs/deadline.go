package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/internal/wire"
)

// stopReason is what a scan record says of a scan max_duration ended.
func stopReason(d time.Duration) string { return "scan stopped at max_duration " + d.String() }

// run runs j's scan, under j.MaxDuration when it is positive. When that
// deadline (not ctx) ends the scan, what was emitted stays emitted and
// the scan record carries the reason (stopReason) among its errors:
//
//   - a scan record the scanner still emitted is amended on its way out:
//     ok becomes partial, partial and failed stay;
//   - a scanner that stopped without one gets one here, with the
//     envelope (scan id, start, host) of its records: partial when it
//     had emitted records (they are the scan's), failed when it had
//     emitted none (nothing was read; the collector keeps showing the
//     last complete scan).
//
// stopped says the deadline ended the scan: such a scan keeps no
// incremental state (it is read in full next time). An emit that fails
// is returned as it is, as is a scan ctx ended.
func (j Job) run(ctx context.Context, emit Emit) (res *wire.Record, stopped bool, err error) {
	if j.MaxDuration <= 0 {
		res, err = j.Scan(ctx, emit)
		return res, false, err
	}
	sctx, cancel := context.WithTimeout(ctx, j.MaxDuration)
	defer cancel()
	cut := func() bool { return ctx.Err() == nil && errors.Is(sctx.Err(), context.DeadlineExceeded) }
	reason := stopReason(j.MaxDuration)
	now := j.now
	// Begun before the scan: its start and a fresh id serve a scan that
	// emits nothing.
	run := scanrun.Begin(scanrun.Options{Scanner: j.Name, Source: j.Name, Host: j.Host, AgentID: j.agentID, Now: now})

	var (
		mu       sync.Mutex
		first    *wire.Record // the first record emitted: the scan's envelope
		records  int64
		finished bool // the scanner emitted its scan record
		emitErr  error
	)
	tracked := func(r *wire.Record) error {
		mu.Lock()
		defer mu.Unlock()
		if r.Kind == wire.KindScan {
			finished = true
			if cut() {
				markStopped(r, reason)
				stopped = true
			}
		} else {
			if first == nil {
				env := *r
				first = &env
			}
			records++
		}
		if err := emit(r); err != nil {
			emitErr = err
			return err
		}
		return nil
	}
	res, err = j.Scan(sctx, tracked)
	mu.Lock()
	defer mu.Unlock()
	if finished || emitErr != nil || !cut() {
		if stopped && err != nil {
			err = fmt.Errorf("%s %s: %w", j.Name, reason, err)
		}
		return res, stopped, err
	}
	status := wire.StatusFailed
	if first != nil {
		run = scanrun.Begin(scanrun.Options{Scanner: j.Name, Source: first.Source, Host: first.Host, AgentID: first.AgentID, Now: now})
		run.ID, run.Started = first.ScanID, first.ObservedAt
		status = wire.StatusPartial
	}
	run.Problem(reason)
	run.Stats["records"] = records
	rec, ferr := run.Finish(status, emit)
	if ferr != nil {
		return nil, true, ferr
	}
	return rec, true, nil
}

// markStopped amends a scan record max_duration cut short: the reason
// joins its errors (in place of the last one kept when they are full)
// and an ok scan becomes partial.
func markStopped(r *wire.Record, reason string) {
	if len(r.Errors) >= wire.MaxErrors {
		r.Errors = append(r.Errors[:wire.MaxErrors-1:wire.MaxErrors-1], reason)
	} else {
		r.Errors = append(r.Errors, reason)
	}
	if r.Stats == nil {
		r.Stats = map[string]int64{}
	}
	r.Stats["errors"]++
	if r.Status == wire.StatusOK {
		r.Status = wire.StatusPartial
	}
}
