package keys

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/tick"
)

// A rotation rewrites every stored token, so no collector may ingest or
// search meanwhile: one with the old generation would store tokens the
// rotation never sees, or miss the new ones. Collectors announce
// themselves with a lease in the settings table (LeasePrefix + an id,
// value: the expiry in Unix seconds), renewed every TTL/3; Rotate refuses
// while any lease is live, and a collector refuses to start while a
// rotation is under way (Open). Each side writes before it checks the
// other, so of a collector starting and a rotation starting at the same
// moment at least one sees the other.

// LeasePrefix starts the settings keys of collector leases.
const LeasePrefix = "collector_lease:"

// DefaultLeaseTTL is how long a lease lives without renewal.
const DefaultLeaseTTL = 30 * time.Second

// LeaseStore is what a lease needs from the store.
type LeaseStore interface {
	PutSetting(ctx context.Context, key, value string) error
	SettingsWithPrefix(ctx context.Context, prefix string) ([]store.Setting, error)
}

// LeaseOptions configure HoldLease.
type LeaseOptions struct {
	Store LeaseStore
	// ID names the holder; default: host name, pid and a random suffix.
	ID     string
	TTL    time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Lease is a held collector lease.
type Lease struct {
	o    LeaseOptions
	key  string
	stop context.CancelFunc
	done chan struct{}
	once sync.Once
	// value words the expiry (Unix seconds) as stored; nil: the number.
	value func(exp int64) string
}

// defaults fills what the options leave out.
func (o *LeaseOptions) defaults() {
	o.TTL = defaults.Positive(o.TTL, DefaultLeaseTTL)
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.ID == "" {
		host, _ := os.Hostname()
		var r [4]byte
		_, _ = rand.Read(r[:])
		o.ID = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(r[:]))
	}
}

// HoldLease writes the lease and keeps renewing it until Release. Call it
// before Open, so that a rotation starting now sees this collector.
func HoldLease(ctx context.Context, o LeaseOptions) (*Lease, error) {
	o.defaults()
	l := &Lease{o: o, key: LeasePrefix + o.ID, done: make(chan struct{})}
	if err := l.renew(ctx); err != nil {
		return nil, err
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	l.stop = stop
	go l.run(rctx)
	return l, nil
}

func (l *Lease) renew(ctx context.Context) error {
	exp := l.o.Now().Add(l.o.TTL).Unix()
	v := strconv.FormatInt(exp, 10)
	if l.value != nil {
		v = l.value(exp)
	}
	if err := l.o.Store.PutSetting(ctx, l.key, v); err != nil {
		return fmt.Errorf("announcing this collector (lease %s): %w", l.key, err)
	}
	return nil
}

func (l *Lease) run(ctx context.Context) {
	defer close(l.done)
	tick.Every(ctx, l.o.TTL/3, func(ctx context.Context) {
		if err := l.renew(ctx); err != nil && ctx.Err() == nil {
			l.o.Logger.Warn("renewing the collector lease failed; a key rotation may not see this collector", "err", err)
		}
	})
}

// stopRenewing ends the renewal loop without withdrawing the lease.
func (l *Lease) stopRenewing() {
	l.once.Do(func() {
		l.stop()
		<-l.done
	})
}

// ID is the lease's holder id (Options.LeaseID).
func (l *Lease) ID() string { return l.o.ID }

// Release stops renewing and withdraws the lease.
func (l *Lease) Release(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		l.stop()
		<-l.done
		err = l.o.Store.PutSetting(ctx, l.key, "0")
	})
	return err
}

// liveLeases returns the ids of leases that expire after now - grace.
// grace absorbs clock differences between hosts (and lets a collector
// that died without releasing hold up a rotation for at most TTL+grace).
func liveLeases(ctx context.Context, st LeaseStore, now time.Time, grace time.Duration) ([]string, error) {
	rows, err := st.SettingsWithPrefix(ctx, LeasePrefix)
	if err != nil {
		return nil, fmt.Errorf("reading collector leases: %w", err)
	}
	var live []string
	for _, r := range rows {
		exp, err := strconv.ParseInt(r.Value, 10, 64)
		if err != nil || exp == 0 {
			continue
		}
		if time.Unix(exp, 0).Add(grace).After(now) {
			live = append(live, r.Key[len(LeasePrefix):])
		}
	}
	return live, nil
}

// holdAlone takes a lease named after what (a key command) and fails if
// any other lease is live: a collector serving, or another key command.
// Both sides write before they check, so of two starting at once at least
// one refuses. The returned lease must be released.
func holdAlone(ctx context.Context, st LeaseStore, what string, now func() time.Time, grace time.Duration, log *slog.Logger) (*Lease, error) {
	host, _ := os.Hostname()
	var r [4]byte
	_, _ = rand.Read(r[:])
	l, err := HoldLease(ctx, LeaseOptions{Store: st, ID: fmt.Sprintf("%s/%s/%d/%s", what, host, os.Getpid(), hex.EncodeToString(r[:])), Now: now, Logger: log})
	if err != nil {
		return nil, err
	}
	live, err := liveLeases(ctx, st, now(), grace)
	if err == nil {
		live = slices.DeleteFunc(live, func(id string) bool { return id == l.ID() })
		if len(live) > 0 {
			err = fmt.Errorf("%d collector(s) or key commands of this database are running (%s): stop every collector before changing the keys (a collector stopped uncleanly holds its lease up to %s more)", len(live), strings.Join(live, ", "), DefaultLeaseTTL+grace)
		}
	}
	if err != nil {
		_ = l.Release(context.WithoutCancel(ctx))
		return nil, err
	}
	return l, nil
}

// ExclusivePrefix starts the settings keys of exclusive leases: jobs of
// which one collector at a time does the work (the read-index build). The
// value is "EXPIRY HOLDER" (Unix seconds, then the holder's id).
const ExclusivePrefix = "exclusive_lease:"

// Exclusive is a lease at most one collector holds at a time. Hold takes
// it when it is free or expired and reports whether this process holds it;
// a holder renews it every TTL/3 until Release or until its process dies,
// after which another collector's Hold takes it once the expiry passed.
// It is the collector lease above (the same settings rows, renewal loop
// and clock), keyed by the job instead of the holder.
type Exclusive struct {
	o    LeaseOptions
	key  string
	mu   sync.Mutex
	held *Lease // renewing while this process holds it
}

// NewExclusive returns the exclusive lease named name (letters, digits,
// '_' and '-'); nothing is written until Hold.
func NewExclusive(name string, o LeaseOptions) *Exclusive {
	o.defaults()
	return &Exclusive{o: o, key: ExclusivePrefix + name}
}

// current reads the lease's holder and expiry ("" when never taken or
// released).
func (e *Exclusive) current(ctx context.Context) (holder string, exp time.Time, err error) {
	rows, err := e.o.Store.SettingsWithPrefix(ctx, e.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading the lease %s: %w", e.key, err)
	}
	for _, r := range rows {
		if r.Key != e.key {
			continue
		}
		sec, who, ok := strings.Cut(r.Value, " ")
		n, err := strconv.ParseInt(sec, 10, 64)
		if !ok || err != nil || n <= 0 {
			return "", time.Time{}, nil
		}
		return who, time.Unix(n, 0), nil
	}
	return "", time.Time{}, nil
}

// Hold reports whether this process holds the lease, taking it if it is
// free or expired. Two collectors taking it at once both write, then both
// read back the same winner (the later write).
func (e *Exclusive) Hold(ctx context.Context) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	who, exp, err := e.current(ctx)
	if err != nil {
		return false, err
	}
	now := e.o.Now()
	if who == e.o.ID && exp.After(now) {
		return true, nil
	}
	if who != "" && who != e.o.ID && exp.After(now) {
		if e.held != nil { // it was ours and someone took it over
			e.held.stopRenewing()
			e.held = nil
		}
		return false, nil
	}
	if e.held == nil {
		l := &Lease{o: e.o, key: e.key, done: make(chan struct{}), value: func(exp int64) string {
			return strconv.FormatInt(exp, 10) + " " + e.o.ID
		}}
		if err := l.renew(ctx); err != nil {
			return false, err
		}
		rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		l.stop = stop
		go l.run(rctx)
		e.held = l
	} else if err := e.held.renew(ctx); err != nil {
		return false, err
	}
	who, _, err = e.current(ctx)
	if err != nil {
		return false, err
	}
	if who != e.o.ID {
		e.held.stopRenewing()
		e.held = nil
		return false, nil
	}
	e.o.Logger.Info("took the exclusive lease", "lease", e.key, "holder", e.o.ID)
	return true, nil
}

// Holder is the lease's live holder ("" when none).
func (e *Exclusive) Holder(ctx context.Context) (string, error) {
	who, exp, err := e.current(ctx)
	if err != nil || !exp.After(e.o.Now()) {
		return "", err
	}
	return who, nil
}

// Release gives the lease up if this process holds it.
func (e *Exclusive) Release(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.held == nil {
		return nil
	}
	e.held.stopRenewing()
	e.held = nil
	who, _, err := e.current(ctx)
	if err != nil || who != e.o.ID {
		return err
	}
	return e.o.Store.PutSetting(ctx, e.key, "0")
}
