package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/jobs"
	"github.com/sightline-dev/sightline/agent/policy"
	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/tick"
	"github.com/sightline-dev/sightline/internal/wire"
)

// jobSet is the scan settings the agent runs now: agent.yaml's, with the
// collector's effective policy laid over them (agent/policy.Apply).
// Schedulers read it before each run and wake when it changes, so a new
// policy rebuilds the job set between runs, never during one.
type jobSet struct {
	mu      sync.Mutex
	scans   config.Scans
	changed chan struct{} // closed and replaced at each change
}

func newJobSet(s config.Scans) *jobSet { return &jobSet{scans: s, changed: make(chan struct{})} }

func (j *jobSet) get() (config.Scans, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.scans, j.changed
}

// set replaces the settings; it reports whether they differ.
func (j *jobSet) set(s config.Scans) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if reflect.DeepEqual(s, j.scans) {
		return false
	}
	j.scans = s
	close(j.changed)
	j.changed = make(chan struct{})
	return true
}

// kick asks a scheduler to scan now; done gets the outcome.
type kick struct {
	done func(res *wire.Record, err error)
}

// runFunc runs one scan of a scanner with the given settings.
type runFunc func(ctx context.Context, scans config.Scans) (*wire.Record, error)

// loop schedules one scanner of the table for as long as ctx lives: it
// runs when enabled and due (at once when it becomes enabled), waits
// interval ± jitter, re-reads the job set when it changes, and runs at
// once when kicked ("scan now"), without moving its schedule.
func (r *Runner) loop(ctx context.Context, e jobs.Entry, set *jobSet, kicks <-chan kick, run runFunc) {
	var (
		next     time.Time
		wasOn    bool
		lastRun  time.Time
		lastWhen config.Schedule
	)
	for {
		scans, changed := set.get()
		on, when := e.Section(scans)
		switch {
		case on && !wasOn:
			next = time.Time{} // newly enabled: run now
		case on && when != lastWhen && !lastRun.IsZero():
			next = lastRun.Add(NextDelay(when, r.o.Rand()))
		}
		wasOn = on
		if on && !time.Now().Before(next) {
			if _, err := run(ctx, scans); err != nil && ctx.Err() == nil {
				// The error may quote a hostile server at length: the
				// log line keeps its start (the scan record has it too).
				r.o.Logger.Error("scan failed; will try again at the next interval", "scanner", e.Name, "err", clip.Middle(err.Error(), scanrun.MaxProblemBytes))
			}
			lastRun, lastWhen = time.Now(), when
			wait := NextDelay(when, r.o.Rand())
			next = lastRun.Add(wait)
			r.o.Logger.Debug("next scan", "scanner", e.Name, "in", wait)
			continue
		}
		var timer *time.Timer
		var due <-chan time.Time
		if on {
			timer = time.NewTimer(time.Until(next))
			due = timer.C
		}
		select {
		case <-ctx.Done():
		case <-due:
		case <-changed:
		case k := <-kicks:
			res, err := run(ctx, scans)
			k.done(res, err)
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// poller fetches the effective policy every poll interval, applies it
// over agent.yaml's scans (pinned settings kept), reports what it did,
// and hands commands to the schedulers.
type poller struct {
	r      *Runner
	client policy.Client
	set    *jobSet
	kicks  map[string]chan kick
	etag   string
	seen   map[string]bool
	// state is where the last applied policy is kept (data_dir), so a
	// restart while the collector is away still runs it.
	state string
}

// savedPolicy is the last applied effective policy on disk.
type savedPolicy struct {
	ETag      string          `json:"etag"`
	Revisions string          `json:"revisions"`
	Settings  policy.Settings `json:"settings"`
}

// restore applies the policy saved by the last run, if any; a damaged
// or no longer valid file is ignored (the collector sends it again).
func (p *poller) restore() {
	raw, err := os.ReadFile(p.state)
	if err != nil {
		return
	}
	var sp savedPolicy
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&sp); err != nil || sp.ETag == "" {
		p.r.o.Logger.Warn("ignoring the saved policy; the collector will send it again", "file", p.state, "err", err)
		return
	}
	c := p.r.o.Config
	applied, err := policy.Apply(c.Scans, c.Pinned, sp.Settings)
	if err != nil {
		p.r.o.Logger.Warn("ignoring the saved policy; the collector will send it again", "file", p.state, "err", err)
		return
	}
	p.set.set(applied.Scans)
	p.etag = sp.ETag
	p.r.o.Logger.Info("running the saved policy until the collector answers", "revisions", sp.Revisions)
}

// save keeps the applied policy, atomically and readable by the agent only.
func (p *poller) save(e policy.Effective) {
	raw, _ := json.Marshal(savedPolicy{ETag: e.ETag, Revisions: e.Revisions, Settings: e.Settings})
	tmp := p.state + ".tmp"
	err := os.WriteFile(tmp, raw, 0o600)
	if err == nil {
		err = os.Rename(tmp, p.state)
	}
	if err != nil {
		p.r.o.Logger.Warn("could not save the applied policy; a restart without the collector runs agent.yaml alone", "err", err)
	}
}

// once fetches and applies; an unreachable collector is only a warning
// (the agent keeps what it runs).
func (p *poller) once(ctx context.Context) {
	eff, changed, err := p.client.Fetch(ctx, p.etag)
	if err != nil {
		if ctx.Err() == nil {
			p.r.o.Logger.Warn("could not fetch the policy; keeping the current settings", "err", err)
		}
		return
	}
	if !changed {
		return
	}
	p.etag = eff.ETag
	c := p.r.o.Config
	rep := policy.Report{}
	applied, err := policy.Apply(c.Scans, c.Pinned, eff.Settings)
	if err != nil {
		p.r.o.Logger.Error("refused the collector's policy; keeping the current settings", "revisions", eff.Revisions, "err", err)
		rep.Rejected, rep.RejectedReason = eff.ETag, err.Error()
	} else {
		rep.Applied, rep.Revisions, rep.Conflicts = eff.ETag, eff.Revisions, applied.Conflicts
		if len(applied.Conflicts) > 0 {
			p.r.o.Logger.Warn("the policy sets settings agent.yaml pins; the local values are kept", "pinned", applied.Conflicts)
		}
		if p.set.set(applied.Scans) {
			p.r.o.Logger.Info("applied a new policy", "revisions", eff.Revisions)
		}
		if p.state != "" {
			p.save(eff)
		}
	}
	var started []policy.CommandReport
	// A scan can finish before this report is sent: its "done" waits for
	// the "running" below, so the collector never sees them reversed.
	reported := make(chan struct{})
	defer close(reported)
	for _, cmd := range eff.Commands {
		if p.seen[cmd.ID] {
			continue
		}
		p.seen[cmd.ID] = true
		if msg := p.dispatch(ctx, cmd, reported); msg != "" {
			started = append(started, policy.CommandReport{ID: cmd.ID, Status: "failed", Message: msg})
			continue
		}
		started = append(started, policy.CommandReport{ID: cmd.ID, Status: "running"})
	}
	rep.Commands = started
	p.send(ctx, rep)
}

// dispatch hands a command to the schedulers of its scanners (all
// enabled ones when it names none); the outcome is reported when every
// scan has run, after reported is closed. It returns why it cannot run,
// or "".
func (p *poller) dispatch(ctx context.Context, cmd policy.Command, reported <-chan struct{}) string {
	if cmd.Action != "scan" {
		return fmt.Sprintf("unknown action %q (this agent knows scan)", cmd.Action)
	}
	var names []string
	if cmd.Scanner != "" {
		if _, ok := p.kicks[cmd.Scanner]; !ok {
			return fmt.Sprintf("unknown scanner %q", cmd.Scanner)
		}
		names = []string{cmd.Scanner}
	} else {
		scans, _ := p.set.get()
		for _, e := range jobs.Table() {
			if on, _ := e.Section(scans); on {
				names = append(names, e.Name)
			}
		}
		if len(names) == 0 {
			return "no scanner is enabled on this agent"
		}
	}
	p.r.o.Logger.Info("scan requested by the collector", "command", cmd.ID, "scanners", names)
	var (
		mu      sync.Mutex
		left    = len(names)
		ids     []string
		problem []string
	)
	for _, n := range names {
		k := kick{done: func(res *wire.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if res != nil {
				ids = append(ids, res.ScanID)
			}
			if err != nil {
				problem = append(problem, err.Error())
			}
			left--
			if left > 0 {
				return
			}
			rep := policy.CommandReport{ID: cmd.ID, Status: "done", ScanID: strings.Join(ids, ",")}
			if len(problem) > 0 {
				rep.Status, rep.Message = "failed", strings.Join(problem, "; ")
			}
			go func() {
				<-reported
				p.send(context.WithoutCancel(ctx), policy.Report{Commands: []policy.CommandReport{rep}})
			}()
		}}
		select {
		case p.kicks[n] <- k:
		default:
			k.done(nil, fmt.Errorf("%s: too many scans requested at once", n))
		}
	}
	return ""
}

func (p *poller) send(ctx context.Context, rep policy.Report) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.client.Send(ctx, rep); err != nil {
		p.r.o.Logger.Warn("could not report to the collector", "err", err)
	}
}

// run polls until ctx is done.
func (p *poller) run(ctx context.Context, every time.Duration) {
	tick.Every(ctx, every, p.once)
}
