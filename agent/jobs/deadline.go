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
//
// A scanner that has not returned leaveAfter past its deadline (a call
// the kernel never returns, such as a read on a hung network mount, which
// no context can interrupt) is left behind: the scan record is written
// for it as above, with the reason; whatever it emits later is refused;
// and while it has not returned, j.Stuck counts it and no new scan of
// that scanner starts (see Job.Stuck).
func (j Job) run(ctx context.Context, emit Emit) (res *wire.Record, stopped bool, err error) {
	if j.Stuck != nil && j.Stuck.Load() > 0 {
		return nil, false, fmt.Errorf("%s scan not started: an earlier one was left behind at max_duration and has not returned yet "+
			"(a call that never returns: check the network mounts or the server it reads; restarting the agent clears it)", j.Name)
	}
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
		mu        sync.Mutex
		first     *wire.Record // the first record emitted: the scan's envelope
		records   int64
		finished  bool         // the scanner emitted its scan record
		last      *wire.Record // that scan record
		emitErr   error
		abandoned bool // left behind: what it emits now is refused
	)
	tracked := func(r *wire.Record) error {
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			return errLeftBehind
		}
		if r.Kind == wire.KindScan {
			finished, last = true, r
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
	type scanned struct {
		res *wire.Record
		err error
	}
	done := make(chan scanned, 1)
	go func() {
		r, e := j.Scan(sctx, tracked)
		done <- scanned{r, e}
	}()
	var out scanned
	left := false
	select {
	case out = <-done:
	case <-sctx.Done():
		t := time.NewTimer(j.leaveAfter())
		select {
		case out = <-done:
		case <-t.C:
			left = true
		}
		t.Stop()
	}
	mu.Lock()
	defer mu.Unlock()
	if left {
		abandoned = true
		if j.Stuck != nil {
			j.Stuck.Add(1)
			go func() { <-done; j.Stuck.Add(-1) }()
		}
		reason += fmt.Sprintf("; the scanner did not return within %s after it (a call that never returns: a hung network mount or server?) and was left behind",
			j.leaveAfter())
		switch {
		case !cut():
			return nil, false, ctx.Err()
		case emitErr != nil:
			return nil, true, emitErr
		case finished:
			return last, true, nil // its record, marked stopped when emitted
		}
		out.err = sctx.Err()
	}
	res, err = out.res, out.err
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
