package keys

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// Settings rows this package reads and writes. None holds a key.
const (
	// LegacyTokenKeySetting is where versions before the key file kept K1
	// (in clear): it is read once, moved to the key file and deleted.
	LegacyTokenKeySetting = "token_key"
	// FingerprintSetting holds Fingerprint() of the key pair the stored
	// tokens are keyed with.
	FingerprintSetting = "token_key_fingerprint"
	// RekeyedSetting is "1" once every stored token is re-keyed.
	RekeyedSetting = "tokens_rekeyed"
)

// Store is what opening the keys needs from the store.
type Store interface {
	GetSetting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
	// PurgeSetting deletes a setting so that no part of the table still
	// holds its value.
	PurgeSetting(ctx context.Context, key string) error
	// RekeyFindings rewrites the findings whose tokens are not re-keyed
	// yet with rekey applied, and returns how many it rewrote.
	RekeyFindings(ctx context.Context, rekey func(tokens []string)) (int, error)
	// PurgeAgentTokens rebuilds everything derived from the findings'
	// tokens (pii_tokens, the read index) so that no table holds a token
	// from before the re-keying.
	PurgeAgentTokens(ctx context.Context) error
	// ReencryptFindings moves, chunkRows at a time, the tokens of every
	// finding not yet at generation to through transform and marks the
	// row as at to (store.ReencryptFindings).
	ReencryptFindings(ctx context.Context, to uint32, chunkRows int, transform func(tokens []string) error) (int, error)
	// PurgeStaleTokens removes every token of another generation than gen
	// (replaced findings, pii_tokens, the read index).
	PurgeStaleTokens(ctx context.Context, gen uint32) error
	LeaseStore
}

// Options says where the key file is and what it protects.
type Options struct {
	Path   string
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// LeaseID is this process's collector lease (HoldLease), if it holds
	// one: an upgrade rewriting stored tokens refuses to run while any
	// other collector holds a live lease.
	LeaseID string
}

// Open loads the key file, creating it on first start (taking K1 from the
// settings table when an older version left it there, so enrolled agents
// keep working), checks that it is the key pair the database's tokens are
// keyed with, and finishes the upgrades: from agent-keyed storage (K1 is
// deleted from the settings table and every stored token is re-keyed) and
// to encrypted tokens (generation 0 to 1, as a rotation). It returns the
// keys at the generation the stored tokens are at, refusing a key file
// without it and refusing to start while a `keys rotate` is unfinished.
// Every step is idempotent, so a collector stopped half way finishes the
// job at its next start. Call it after the schema migrations and
// HoldLease, before serving.
//
// Several collectors on one database must share one key file: create it
// on one (start it once) and copy it, mode 0600, to the others before
// starting them. A collector whose file does not match refuses to start.
// fillDefaults sets what every key operation's options default to: the
// default key file, slog's default logger and the wall clock.
func fillDefaults(path *string, log **slog.Logger, now *func() time.Time) {
	if *path == "" {
		*path = DefaultPath
	}
	if *log == nil {
		*log = slog.Default()
	}
	if *now == nil {
		*now = time.Now
	}
}

// Stop every collector of an older version before the first start of this
// one: an old collector would put K1 back into the settings table and
// store agent-keyed tokens.
func Open(ctx context.Context, o Options) (*Keys, error) {
	fillDefaults(&o.Path, &o.Logger, &o.Now)
	legacy, err := optSetting(ctx, o.Store, LegacyTokenKeySetting)
	if err != nil {
		return nil, err
	}
	fp, err := optSetting(ctx, o.Store, FingerprintSetting)
	if err != nil {
		return nil, err
	}
	k, err := ReadFile(o.Path)
	if errors.Is(err, ErrNoKeyFile) {
		if fp != "" && legacy == "" {
			return nil, fmt.Errorf("key file %s is missing, but the database's tokens are keyed with an existing one: copy the key file (mode 0600) from the collector that created it, or restore it from your backup", o.Path)
		}
		k, err = create(o, legacy)
	}
	if err != nil {
		return nil, err
	}
	if legacy != "" && legacy != k.TokenKeyHex() {
		return nil, fmt.Errorf("key file %s holds a different token key than the settings table: agents enrolled with the table's key; restore the matching key file or delete %s so that it is recreated from the table", o.Path, o.Path)
	}
	switch {
	case fp == "" || (fp != k.Fingerprint() && k.MatchesFingerprint(fp)):
		// The first start with a key file claims the database for it; or
		// `keys rotate --agent-key` replaced K1 in the file but stopped
		// before recording it.
		if err := o.Store.PutSetting(ctx, FingerprintSetting, k.Fingerprint()); err != nil {
			return nil, fmt.Errorf("recording the key fingerprint: %w", err)
		}
	case fp != k.Fingerprint():
		return nil, fmt.Errorf("key file %s is not the one this database's tokens are keyed with (fingerprint %s, database %s): every collector of a database needs a copy of the same key file", o.Path, k.Fingerprint(), fp)
	}
	if legacy != "" {
		// The key file (synced) holds K1 now; no table may.
		if err := o.Store.PurgeSetting(ctx, LegacyTokenKeySetting); err != nil {
			return nil, fmt.Errorf("removing the token key from the settings table: %w", err)
		}
		o.Logger.Info("token key moved from the settings table to the key file", "key_file", o.Path)
	}
	rotRaw, err := optSetting(ctx, o.Store, RotationSetting)
	if err != nil {
		return nil, err
	}
	genRaw, err := optSetting(ctx, o.Store, GenerationSetting)
	if err != nil {
		return nil, err
	}
	var gen uint32
	var genFP string
	if genRaw != "" {
		if gen, genFP, err = parseGeneration(genRaw); err != nil {
			return nil, err
		}
	}
	var upgrade struct {
		from, to uint32
		on       bool
	}
	if rotRaw != "" {
		from, to, _, err := parseRotation(rotRaw)
		if err != nil {
			return nil, err
		}
		if from != 0 {
			return nil, fmt.Errorf("a key rotation (generation %d to %d) is under way or was interrupted: collectors may not start until it is done; run `sightline-collector keys rotate --config FILE` to finish it", from, to)
		}
		// The upgrade to encrypted tokens (a rotation from generation
		// 0) stopped half way: finish it below.
		upgrade.from, upgrade.to, upgrade.on = from, to, true
	}
	done, err := optSetting(ctx, o.Store, RekeyedSetting)
	if err != nil {
		return nil, err
	}
	if done != "1" || genRaw == "" || upgrade.on {
		// Stored tokens are about to be rewritten: a collector serving
		// meanwhile would store tokens the rewrite treats as old.
		if err := refuseOtherCollectors(ctx, o); err != nil {
			return nil, err
		}
	}
	if done != "1" {
		// Agent-keyed tokens of versions before 0010: re-keyed to the
		// generation the other stored tokens are at.
		kg, err := k.AtGeneration(gen)
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", o.Path, err)
		}
		start := o.Now()
		n, err := o.Store.RekeyFindings(ctx, kg.Rekey)
		if err != nil {
			return nil, fmt.Errorf("re-keying stored tokens (restart the collector to resume): %w", err)
		}
		if err := o.Store.PurgeAgentTokens(ctx); err != nil {
			return nil, fmt.Errorf("removing agent-keyed tokens (restart the collector to resume): %w", err)
		}
		if err := o.Store.PutSetting(ctx, RekeyedSetting, "1"); err != nil {
			return nil, fmt.Errorf("recording the re-keying: %w", err)
		}
		o.Logger.Info("stored tokens re-keyed", "findings", n, "duration", o.Now().Sub(start))
	}
	if genRaw == "" && !upgrade.on {
		// Stored tokens have no AES layer yet (generation 0): encrypt
		// them under the file's newest key, adding one to a version 1
		// file, the same way a rotation does.
		if len(k.Generations()) == 0 {
			if k, err = k.WithNewGeneration(o.Now()); err != nil {
				return nil, err
			}
			if err := ReplaceFile(o.Path, k); err != nil {
				return nil, fmt.Errorf("adding an encryption key to the key file: %w", err)
			}
		}
		upgrade.to, upgrade.on = k.Generation(), true
		if err := o.Store.PutSetting(ctx, RotationSetting, fmt.Sprintf("0:%d:%s", upgrade.to, k.GenerationFingerprint())); err != nil {
			return nil, fmt.Errorf("recording the token encryption upgrade: %w", err)
		}
	}
	if upgrade.on {
		start := o.Now()
		n, kt, err := finishRotation(ctx, rotation{path: o.Path, store: o.Store, log: o.Logger}, k, 0, upgrade.to)
		if err != nil {
			return nil, fmt.Errorf("encrypting stored tokens (restart the collector to resume): %w", err)
		}
		o.Logger.Info("stored tokens encrypted with the key file's encryption key", "generation", upgrade.to, "findings", n, "duration", o.Now().Sub(start))
		return kt, nil
	}
	kg, err := k.AtGeneration(gen)
	if err != nil || kg.GenerationFingerprint() != genFP {
		return nil, fmt.Errorf("key file %s does not hold the key of generation %d that this database's tokens are at (was the key rotated on another collector?): copy the key file (mode 0600) from the host where `keys rotate` ran", o.Path, gen)
	}
	return kg, nil
}

func refuseOtherCollectors(ctx context.Context, o Options) error {
	live, err := liveLeases(ctx, o.Store, o.Now(), DefaultLeaseGrace)
	if err != nil {
		return err
	}
	live = slices.DeleteFunc(live, func(id string) bool { return id == o.LeaseID })
	if len(live) > 0 {
		return fmt.Errorf("this start upgrades the stored tokens, and %d other collector(s) of this database are running (%s): stop them, start this one alone until it logs that the upgrade is done, then start the others (a collector stopped uncleanly holds its lease up to %s more)", len(live), strings.Join(live, ", "), DefaultLeaseTTL+DefaultLeaseGrace)
	}
	return nil
}

func create(o Options, legacy string) (*Keys, error) {
	var k1 []byte
	if legacy != "" {
		b, err := hex.DecodeString(legacy)
		if err != nil || len(b) < 16 {
			return nil, fmt.Errorf("the settings table's token key is not hex of at least 16 bytes; it cannot be moved to the key file")
		}
		k1 = b
	}
	k, err := Generate(k1, o.Now())
	if err != nil {
		return nil, err
	}
	err = CreateFile(o.Path, k)
	if errors.Is(err, fs.ErrExist) {
		// Another process on this host created it first: use that one.
		return ReadFile(o.Path)
	}
	if err != nil {
		return nil, err
	}
	o.Logger.Info("key file created", "key_file", o.Path, "token_key_from_settings", legacy != "")
	return k, nil
}

func optSetting(ctx context.Context, st interface {
	GetSetting(ctx context.Context, key string) (string, error)
}, key string) (string, error) {
	v, err := st.GetSetting(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading setting %s: %w", key, err)
	}
	return v, nil
}
