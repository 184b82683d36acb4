package keys

import (
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
}

// HoldLease writes the lease and keeps renewing it until Release. Call it
// before Open, so that a rotation starting now sees this collector.
func HoldLease(ctx context.Context, o LeaseOptions) (*Lease, error) {
	if o.TTL <= 0 {
		o.TTL = DefaultLeaseTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ID == "" {
		host, _ := os.Hostname()
		var r [4]byte
		_, _ = rand.Read(r[:])
		o.ID = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(r[:]))
	}
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
	if err := l.o.Store.PutSetting(ctx, l.key, strconv.FormatInt(exp, 10)); err != nil {
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
