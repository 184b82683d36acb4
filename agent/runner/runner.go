// Package runner is the agent's `run` mode: scanners on a jittered schedule
// write records into the spool, and the shipper drains it to the collector.
// Scanning never waits on the network: the spool decouples the two, and a
// full spool pauses scanning instead of dropping records. The scanners are
// package jobs' table; a scan that fails is logged and tried again at its
// next interval (the exit rule of run mode, in package jobs).
//
// What the scanners run is agent.yaml's scans section with the collector's
// effective policy laid over it (policy.go): fetched every
// policy.poll_interval with an ETag, applied between runs (never during
// one), pinned settings kept. Commands ("scan now") come with the policy
// and run at once without moving the schedule.
package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/enroll"
	"github.com/sightline-dev/sightline/agent/jobs"
	"github.com/sightline-dev/sightline/agent/policy"
	"github.com/sightline-dev/sightline/agent/scanstate"
	"github.com/sightline-dev/sightline/agent/ship"
	"github.com/sightline-dev/sightline/agent/spool"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options configures a Runner.
type Options struct {
	Config config.Config
	Creds  enroll.Credentials
	Logger *slog.Logger
	Now    func() time.Time
	// Rand returns a float in [0,1) for schedule jitter.
	Rand func() float64
	// StopGrace is how long Run waits, once ctx is done, for scanners and
	// the shipper to return before it closes the spool anyway (default
	// 3s, inside the 5s a stop may take). Every scanner honours ctx, but a
	// network call may not return at once; its later appends then fail
	// with spool.ErrClosed, and what it had appended is sealed whole
	// lines only.
	StopGrace time.Duration
}

// Runner runs scheduled scans and ships their records.
type Runner struct {
	o Options
}

// New returns a Runner.
func New(o Options) *Runner {
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	o.StopGrace = defaults.Positive(o.StopGrace, 3*time.Second)
	return &Runner{o: o}
}

// Run blocks until ctx is done.
func (r *Runner) Run(ctx context.Context) error {
	c := r.o.Config
	key, err := r.o.Creds.Key()
	if err != nil {
		return err
	}
	if err := policy.CheckPinned(c.Pinned); err != nil {
		return err
	}
	collector := CollectorURL(c, r.o.Creds)
	if collector == "" {
		return errors.New("no collector URL: set collector in the config or enroll first")
	}
	client, err := Client(c, r.o.Creds, r.o.Logger)
	if err != nil {
		return err
	}
	if c.LowPriority {
		if err := lowerPriority(); err != nil {
			r.o.Logger.Warn("could not lower the agent's CPU priority", "err", err)
		}
	}
	sp, err := spool.Open(ctx, spool.Options{
		Dir: c.SpoolDir(), MaxBytes: c.Spool.MaxBytes, SegmentBytes: c.Spool.SegmentBytes,
		SegmentRecords: c.Spool.SegmentRecords, FlushInterval: c.Spool.FlushInterval,
		Logger: r.o.Logger, Now: r.o.Now,
	})
	if err != nil {
		return fmt.Errorf("opening spool in %s: %w", c.SpoolDir(), err)
	}
	defer sp.Close()

	sh := ship.New(ship.Options{
		URL: strings.TrimRight(collector, "/") + "/api/v1/ingest", Token: r.o.Creds.Token,
		Client:     client,
		MinBackoff: c.Ship.MinBackoff, MaxBackoff: c.Ship.MaxBackoff, Logger: r.o.Logger,
	})

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := sh.Run(ctx, sp); err != nil && ctx.Err() == nil {
			r.o.Logger.Error("shipper stopped", "err", err)
		}
	}()

	env := jobs.Env{AgentID: r.o.Creds.AgentID, TokenKey: key, Logger: r.o.Logger, Now: r.o.Now,
		StatePath: func(scanner string) string { return scanstate.Path(c.DataDir, scanner) }}
	set := newJobSet(c.Scans)
	kicks := map[string]chan kick{}
	for _, e := range jobs.Table() {
		kicks[e.Name] = make(chan kick, 8)
	}
	var pol *poller
	if !c.Policy.Disabled {
		pol = &poller{r: r, set: set, kicks: kicks, seen: map[string]bool{},
			client: policy.Client{HTTP: client, Base: collector, Token: r.o.Creds.Token},
			state:  filepath.Join(c.DataDir, "policy.json")}
		pol.restore()
		// The first fetch comes before any scan, so a scan runs with the
		// policy when the collector answers; when it does not, the agent
		// scans with agent.yaml and applies the policy once it can.
		first, cancel := context.WithTimeout(ctx, 5*time.Second)
		pol.once(first)
		cancel()
		wg.Add(1)
		go func() { defer wg.Done(); pol.run(ctx, c.Policy.PollInterval) }()
	}
	for _, e := range jobs.Table() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stuck := new(atomic.Int32) // this scanner's scans left behind (jobs.Job.Stuck)
			r.loop(ctx, e, set, kicks[e.Name], func(ctx context.Context, scans config.Scans) (*wire.Record, error) {
				// Built at each run: the settings, the state, the password
				// file and the cloud credentials are read afresh.
				job, err := e.Build(ctx, scans, env)
				if err != nil {
					return nil, err
				}
				job.Stuck = stuck
				return r.scanInto(ctx, sp, job)
			})
		}()
	}
	<-ctx.Done()
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	t := time.NewTimer(r.o.StopGrace)
	defer t.Stop()
	select {
	case <-stopped:
		r.o.Logger.Info("agent stopping: scanners and shipper returned")
	case <-t.C:
		r.o.Logger.Warn("agent stopping: a scanner or the shipper has not returned; closing the spool anyway (complete records are kept)",
			"waited", r.o.StopGrace)
	}
	return nil // the deferred Close seals the open segment's complete lines
}

// scanInto runs one scan with its records appended to the spool, then
// seals the last segment so the scan ships without waiting for the timer;
// jobs.Deliver applies the exit rule and commits the scan's state.
func (r *Runner) scanInto(ctx context.Context, sp *spool.Spool, job jobs.Job) (*wire.Record, error) {
	n := 0
	g := &guard{log: r.o.Logger, append: func(line []byte) error {
		n++
		return sp.Append(ctx, line)
	}}
	res, err := jobs.Deliver(ctx, job, g.emit, sp.Flush, r.o.Logger)
	if res != nil {
		r.o.Logger.Info("scan finished", "scanner", res.Scanner, "scan_id", res.ScanID, "status", res.Status, "records", n, "stats", res.Stats)
	}
	return res, err
}

// NextDelay is the interval moved by (2u−1)·jitter·interval for u in [0,1).
func NextDelay(s config.Schedule, u float64) time.Duration {
	d := float64(s.Interval) * (1 + s.Jitter*(2*u-1))
	if d < float64(time.Second) {
		d = float64(time.Second)
	}
	return time.Duration(d)
}
