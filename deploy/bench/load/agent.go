package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/agent/enroll"
	"github.com/sightline-dev/sightline/agent/ship"
	"github.com/sightline-dev/sightline/agent/spool"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// agent is one simulated agent: enrolled for real, generating records into
// its own spool and shipping it with the agent's shipper, as the agent's
// runner does, minus the scanners.
type agent struct {
	host  string
	creds enroll.Credentials
	sp    *spool.Spool
	src   *ackSource
	sh    *ship.Shipper
	gen   *generator

	mu        sync.Mutex
	generated Kinds // records Append took
}

// agentOptions configure newAgent.
type agentOptions struct {
	Index        int
	Base, Secret string
	Client       *http.Client
	Dir          string
	SpoolBytes   int64
	FilesPerScan int
	Logger       *slog.Logger
}

// newAgent enrolls with the collector (POST /api/v1/agents/enroll, via
// the agent's own enroll package) and opens the agent's spool.
func newAgent(ctx context.Context, o agentOptions) (*agent, error) {
	// Each simulated agent is its own host: one agent speaks for a name.
	host := fmt.Sprintf("load-%03d", o.Index)
	creds, err := enroll.Enroll(ctx, o.Client, o.Base, o.Secret, enroll.Options{Hostname: host})
	if err != nil {
		return nil, err
	}
	key, err := creds.Key()
	if err != nil {
		return nil, err
	}
	log := o.Logger.With("agent", host)
	sp, err := spool.Open(ctx, spool.Options{Dir: filepath.Join(o.Dir, host, "spool"), MaxBytes: o.SpoolBytes, Logger: log})
	if err != nil {
		return nil, err
	}
	return &agent{
		host: host, creds: creds, sp: sp,
		src: &ackSource{Spool: sp, acked: map[string]int{}},
		sh: ship.New(ship.Options{URL: o.Base + "/api/v1/ingest", Token: creds.Token, Client: o.Client,
			MinBackoff: 200 * time.Millisecond, MaxBackoff: 5 * time.Second, Logger: log}),
		gen: &generator{host: host, files: o.FilesPerScan, tok: pii.NewTokenizer(key), now: time.Now},
	}, nil
}

// generate spools scan cycles until ctx is done. When the spool is full,
// Append waits for the shipper, so generation runs at the rate the
// collector takes records.
func (a *agent) generate(ctx context.Context) error {
	w := &spoolWriter{ctx: ctx, sp: a.sp}
	enc := wire.NewEncoder(w)
	for ctx.Err() == nil {
		err := a.gen.next(func(r *wire.Record) error {
			if err := enc.Encode(r); err != nil {
				return err
			}
			a.mu.Lock()
			a.generated.count(r.Kind)
			a.mu.Unlock()
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("agent %s: %w", a.host, err)
		}
	}
	return nil
}

// Generated is what the agent put into its spool.
func (a *agent) Generated() Kinds {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.generated
}

// spoolWriter is the io.Writer the wire encoder writes one line to per
// record (one Write per Encode).
type spoolWriter struct {
	ctx context.Context
	sp  *spool.Spool
}

func (w *spoolWriter) Write(line []byte) (int, error) {
	if err := w.sp.Append(w.ctx, line); err != nil {
		return 0, err
	}
	return len(line), nil
}

// ackSource is the spool as the shipper's Source, remembering which
// segments the collector acknowledged and which it rejected: the batches
// ingest_batches must hold exactly once.
type ackSource struct {
	*spool.Spool
	mu       sync.Mutex
	acked    map[string]int // segment id (Idempotency-Key) -> records
	problems []string       // rejected segments, and any acknowledged twice
}

func (s *ackSource) Ack(seg *spool.Segment) error {
	if err := s.Spool.Ack(seg); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.acked[seg.ID]; dup {
		// The shipper acks a segment once; a second ack would mean the
		// spool handed it out again after deleting it.
		s.problems = append(s.problems, seg.ID+" (acknowledged twice)")
	}
	s.acked[seg.ID] = seg.Records
	return nil
}

func (s *ackSource) Reject(seg *spool.Segment, reason string) error {
	if err := s.Spool.Reject(seg, reason); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, seg.ID+": "+reason)
	return nil
}

func (s *ackSource) snapshot() (map[string]int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acked := make(map[string]int, len(s.acked))
	for k, v := range s.acked {
		acked[k] = v
	}
	return acked, append([]string(nil), s.problems...)
}

// drained reports whether nothing is left in the spool to ship.
func (a *agent) drained() bool {
	st := a.sp.Stats()
	return st.Ready == 0 && st.OpenRecords == 0
}

// enrollAll enrolls n agents, a few at a time.
func enrollAll(ctx context.Context, n int, o agentOptions) ([]*agent, error) {
	agents := make([]*agent, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range agents {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			oi := o
			oi.Index = i
			agents[i], errs[i] = newAgent(ctx, oi)
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, a := range agents {
			if a != nil {
				_ = a.sp.Close()
			}
		}
		return nil, fmt.Errorf("enrolling the simulated agents: %w", err)
	}
	return agents, nil
}
