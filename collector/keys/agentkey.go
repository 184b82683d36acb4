package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// Rotating the agents' token key K1. Agents hash with K1 locally and only
// learn it at enrollment, so a new K1 reaches an agent when it enrolls
// again; until every agent has, stored tokens are hashed with either key.
// RotateAgentKey makes a new K1 current (new enrollments get it) and keeps
// the old one in the key file, where subject search also tries it
// (Keys.SearchTokens). RetireAgentKeys drops the old ones once no stored
// finding can depend on them.

// AgentKeyStore is what the agent key commands need from the store.
type AgentKeyStore interface {
	LeaseStore
	GetSetting(ctx context.Context, key string) (string, error)
	// FindingsOfAgentsEnrolledBefore lists agents with stored tokens that
	// did not enroll after t.
	FindingsOfAgentsEnrolledBefore(ctx context.Context, t time.Time, limit int) ([]store.AgentFindings, error)
}

// AgentKeyOptions configure RotateAgentKey and RetireAgentKeys.
type AgentKeyOptions struct {
	Path       string
	Store      AgentKeyStore
	Logger     *slog.Logger
	Now        func() time.Time
	LeaseGrace time.Duration
	// Force retires the previous keys even though agents enrolled before
	// the rotation still have findings (they stop being found by subject
	// search).
	Force bool
}

func (o *AgentKeyOptions) defaults() {
	fillDefaults(&o.Path, &o.Logger, &o.Now)
	if o.LeaseGrace == 0 {
		o.LeaseGrace = DefaultLeaseGrace
	}
}

// openForAgentKey loads the key file and checks that it is this
// database's, that no rotation is under way and that no collector runs
// (a running one would hand out, or search with, the old key set). The
// caller releases the returned lease.
func openForAgentKey(ctx context.Context, o AgentKeyOptions) (*Keys, *Lease, error) {
	lease, err := holdAlone(ctx, o.Store, "keys-agent-key", o.Now, o.LeaseGrace, o.Logger)
	if err != nil {
		return nil, nil, err
	}
	k, err := checkAgentKeyFile(ctx, o)
	if err != nil {
		_ = lease.Release(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return k, lease, nil
}

func checkAgentKeyFile(ctx context.Context, o AgentKeyOptions) (*Keys, error) {
	k, err := ReadFile(o.Path)
	if err != nil {
		return nil, err
	}
	fp, err := optSetting(ctx, o.Store, FingerprintSetting)
	if err != nil {
		return nil, err
	}
	if !k.MatchesFingerprint(fp) {
		return nil, fmt.Errorf("key file %s is not the one this database's tokens are keyed with: use the collector's own key file", o.Path)
	}
	rot, err := optSetting(ctx, o.Store, RotationSetting)
	if err != nil {
		return nil, err
	}
	if rot != "" {
		return nil, errors.New("a key rotation is unfinished: run `sightline-collector keys rotate` to finish it first")
	}
	gen, err := optSetting(ctx, o.Store, GenerationSetting)
	if err != nil {
		return nil, err
	}
	if gen == "" {
		return nil, errors.New("the stored tokens have no key generation yet: run `sightline-collector migrate` first")
	}
	g, _, err := parseGeneration(gen)
	if err != nil {
		return nil, err
	}
	if k, err = k.AtGeneration(g); err != nil {
		return nil, fmt.Errorf("key file %s: %w: use the newest copy of the key file", o.Path, err)
	}
	return k, nil
}

// RotateAgentKey replaces K1 in the key file by a new random key, keeping
// the old one for subject search, and records the new fingerprint. Every
// collector must be stopped. Afterwards agents enrolled before keep
// sending tokens hashed with the old key (still found) until each is
// enrolled again; see SECURITY.md.
func RotateAgentKey(ctx context.Context, o AgentKeyOptions) (*Keys, error) {
	o.defaults()
	k, lease, err := openForAgentKey(ctx, o)
	if err != nil {
		return nil, err
	}
	defer lease.Release(context.WithoutCancel(ctx))
	n, err := k.WithNewAgentKey(o.Now())
	if err != nil {
		return nil, err
	}
	if err := ReplaceFile(o.Path, n); err != nil {
		return nil, fmt.Errorf("writing the new token key: %w", err)
	}
	// If this write fails, Open records it at the next start
	// (MatchesFingerprint).
	if err := o.Store.PutSetting(ctx, FingerprintSetting, n.Fingerprint()); err != nil {
		return nil, fmt.Errorf("recording the key fingerprint (start the collector to finish): %w", err)
	}
	o.Logger.Info("token key for agents replaced; the old one is kept for subject search until retired")
	return n, nil
}

// ErrAgentsOnOldKey is wrapped when RetireAgentKeys refuses.
var ErrAgentsOnOldKey = errors.New("agents enrolled before the token key rotation still have findings")

// RetireAgentKeys drops the replaced K1s from the key file, so subject
// search no longer tries them. It refuses (ErrAgentsOnOldKey, naming up to
// 10 agents) while an agent enrolled before the newest rotation has
// findings with tokens, unless o.Force. It returns how many keys it
// dropped.
func RetireAgentKeys(ctx context.Context, o AgentKeyOptions) (int, error) {
	o.defaults()
	k, lease, err := openForAgentKey(ctx, o)
	if err != nil {
		return 0, err
	}
	defer lease.Release(context.WithoutCancel(ctx))
	n, replaced := k.PreviousAgentKeys()
	if n == 0 {
		return 0, nil
	}
	stale, err := o.Store.FindingsOfAgentsEnrolledBefore(ctx, replaced, 10)
	if err != nil {
		return 0, err
	}
	if len(stale) > 0 && !o.Force {
		var names []string
		for _, a := range stale {
			names = append(names, fmt.Sprintf("%s (%d findings)", a.AgentID, a.Findings))
		}
		return 0, fmt.Errorf("%w (%s): enroll each again (it then rescans in full with the new key) and remove the old agent's data, or retire with --force, after which those findings are no longer found by subject search", ErrAgentsOnOldKey, strings.Join(names, ", "))
	}
	if err := ReplaceFile(o.Path, k.WithoutPreviousAgentKeys()); err != nil {
		return 0, fmt.Errorf("dropping the previous token keys: %w", err)
	}
	o.Logger.Info("previous token keys retired", "keys", n, "agents_left_on_old_key", len(stale))
	return n, nil
}
