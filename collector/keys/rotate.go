package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Settings rows of the key generation. Neither holds a key.
const (
	// GenerationSetting is "N:fingerprint": the encryption key generation
	// every stored token is at, and GenerationFingerprint of its key.
	// Absent: generation 0 (no AES layer; versions before rotation).
	GenerationSetting = "token_key_generation"
	// RotationSetting is "F:T:fingerprint of T" while a rotation from
	// generation F to T is under way, "" otherwise.
	RotationSetting = "token_key_rotation"
)

// DefaultLeaseGrace is how long after its expiry a collector lease still
// stops a rotation.
const DefaultLeaseGrace = 60 * time.Second

// RotateOptions configure Rotate.
type RotateOptions struct {
	Path   string
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// ChunkRows is how many findings are rewritten per step (0: the
	// store's default).
	ChunkRows int
	// LeaseGrace: see DefaultLeaseGrace.
	LeaseGrace time.Duration
}

// RotateResult says what a rotation did.
type RotateResult struct {
	From, To uint32
	Findings int  // rows rewritten by this call
	Resumed  bool // it finished a rotation an earlier call began
}

// Rotate moves every stored token to a new encryption key generation and
// drops the old key: it writes the new key into the key file (keeping the
// old one), records the rotation in the settings table, re-encrypts
// pii_findings in chunks, rebuilds pii_tokens and the read index from it,
// records the new generation, and rewrites the key file with only the new
// key. Every collector of the database must be stopped (it refuses while
// one holds a lease, and collectors refuse to start until it is done).
// Interrupted at any point, calling it again finishes the same rotation:
// rows already at the new generation are not touched again.
//
// Other collector hosts need a copy of the rewritten key file before they
// start: theirs lacks the new generation, and they refuse to start.
func Rotate(ctx context.Context, o RotateOptions) (RotateResult, error) {
	fillDefaults(&o.Path, &o.Logger, &o.Now)
	if o.LeaseGrace == 0 {
		o.LeaseGrace = DefaultLeaseGrace
	}
	k, err := ReadFile(o.Path)
	if err != nil {
		return RotateResult{}, err
	}
	fp, err := optSetting(ctx, o.Store, FingerprintSetting)
	if err != nil {
		return RotateResult{}, err
	}
	if !k.MatchesFingerprint(fp) {
		return RotateResult{}, fmt.Errorf("key file %s is not the one this database's tokens are keyed with: rotate with the collector's own key file", o.Path)
	}
	genRaw, err := optSetting(ctx, o.Store, GenerationSetting)
	if err != nil {
		return RotateResult{}, err
	}
	if genRaw == "" {
		return RotateResult{}, errors.New("the stored tokens have no key generation yet: run `sightline-collector migrate` (or start the collector once) to finish the upgrade, then rotate")
	}
	gen, genFP, err := parseGeneration(genRaw)
	if err != nil {
		return RotateResult{}, err
	}
	lease, err := holdAlone(ctx, o.Store, "keys-rotate", o.Now, o.LeaseGrace, o.Logger)
	if err != nil {
		return RotateResult{}, err
	}
	defer lease.Release(context.WithoutCancel(ctx))
	rotRaw, err := optSetting(ctx, o.Store, RotationSetting)
	if err != nil {
		return RotateResult{}, err
	}
	res := RotateResult{}
	var to uint32
	if rotRaw != "" {
		from, t, tfp, err := parseRotation(rotRaw)
		if err != nil {
			return res, err
		}
		if gen != from && gen != t {
			return res, fmt.Errorf("the settings table says the tokens are at generation %d but the rotation under way is %d to %d: restore the settings rows or ask for help", gen, from, t)
		}
		kt, err := k.AtGeneration(t)
		if err != nil || kt.GenerationFingerprint() != tfp {
			return res, fmt.Errorf("key file %s lacks the key of generation %d that the unfinished rotation moves to: use the key file of the host where the rotation began", o.Path, t)
		}
		res.From, res.To, res.Resumed, to = from, t, true, t
		o.Logger.Info("resuming an unfinished key rotation", "from", from, "to", t)
	} else {
		kg, err := k.AtGeneration(gen)
		if err != nil || kg.GenerationFingerprint() != genFP {
			return res, fmt.Errorf("key file %s does not hold the key of generation %d the stored tokens are at: use the newest copy of the key file", o.Path, gen)
		}
		if gens := k.Generations(); gens[len(gens)-1] > gen {
			// A rotation that stopped before recording itself left its
			// new key: use it (no token is at it yet).
			to = gens[len(gens)-1]
		} else {
			if k, err = k.WithNewGeneration(o.Now()); err != nil {
				return res, err
			}
			// The file holds both keys before any token moves.
			if err := ReplaceFile(o.Path, k); err != nil {
				return res, fmt.Errorf("writing the new key generation: %w", err)
			}
			to = k.Generation()
		}
		kt, err := k.AtGeneration(to)
		if err != nil {
			return res, err
		}
		res.From, res.To = gen, to
		if err := o.Store.PutSetting(ctx, RotationSetting, fmt.Sprintf("%d:%d:%s", gen, to, kt.GenerationFingerprint())); err != nil {
			return res, fmt.Errorf("recording the rotation: %w", err)
		}
		// Checked again after recording: a collector that started in
		// between has written its lease, or sees the rotation and stops.
		if err := refuseLiveCollectors(ctx, o, lease.ID()); err != nil {
			if cerr := o.Store.PutSetting(ctx, RotationSetting, ""); cerr != nil {
				return res, fmt.Errorf("%w; withdrawing the rotation also failed: %v", err, cerr)
			}
			return res, err
		}
	}
	n, _, err := finishRotation(ctx, rotation{path: o.Path, store: o.Store, log: o.Logger, chunk: o.ChunkRows}, k, res.From, to)
	res.Findings = n
	return res, err
}

// rotation is what finishRotation needs.
type rotation struct {
	path  string
	store Store
	log   *slog.Logger
	chunk int
}

// finishRotation does a recorded rotation's work from wherever it stopped
// and returns the keys at the new generation (the only one left in the
// file). k must hold both generations.
func finishRotation(ctx context.Context, r rotation, k *Keys, from, to uint32) (int, *Keys, error) {
	kt, err := k.AtGeneration(to)
	if err != nil {
		return 0, nil, err
	}
	genRaw, err := optSetting(ctx, r.store, GenerationSetting)
	if err != nil {
		return 0, nil, err
	}
	n := 0
	if cur, _, _ := parseGeneration(genRaw); genRaw == "" || cur != to {
		move, err := k.Reencrypter(from, to)
		if err != nil {
			return 0, nil, fmt.Errorf("key file %s: %w", r.path, err)
		}
		if n, err = r.store.ReencryptFindings(ctx, to, r.chunk, move); err != nil {
			return n, nil, fmt.Errorf("re-encrypting stored tokens (run the same command again to resume): %w", err)
		}
		if err := r.store.PurgeStaleTokens(ctx, to); err != nil {
			return n, nil, fmt.Errorf("removing tokens of the old key generation (run the same command again to resume): %w", err)
		}
		if err := r.store.PutSetting(ctx, GenerationSetting, fmt.Sprintf("%d:%s", to, kt.GenerationFingerprint())); err != nil {
			return n, nil, fmt.Errorf("recording the new key generation (run the same command again to resume): %w", err)
		}
	}
	only := kt.WithOnlyCurrent()
	if err := ReplaceFile(r.path, only); err != nil {
		return n, nil, fmt.Errorf("dropping the old key from the key file (run the same command again to finish): %w", err)
	}
	if err := r.store.PutSetting(ctx, RotationSetting, ""); err != nil {
		return n, nil, fmt.Errorf("recording the end of the rotation (run the same command again to finish): %w", err)
	}
	r.log.Info("stored tokens moved to a new key generation; the old key is gone from the key file", "from", from, "to", to, "findings", n)
	return n, only, nil
}

func refuseLiveCollectors(ctx context.Context, o RotateOptions, own string) error {
	live, err := liveLeases(ctx, o.Store, o.Now(), o.LeaseGrace)
	if err != nil {
		return err
	}
	live = slices.DeleteFunc(live, func(id string) bool { return id == own })
	if len(live) > 0 {
		return fmt.Errorf("%d collector(s) of this database are running (%s): stop every collector before rotating the key (a collector stopped uncleanly holds its lease up to %s more)", len(live), strings.Join(live, ", "), DefaultLeaseTTL+o.LeaseGrace)
	}
	return nil
}

func parseGeneration(v string) (uint32, string, error) {
	n, fp, _ := strings.Cut(v, ":")
	g, ok := parseGen(n)
	if !ok || g == 0 || !isFingerprint(fp) {
		return 0, "", fmt.Errorf("settings row %s is %q, not GENERATION:FINGERPRINT", GenerationSetting, v)
	}
	return g, fp, nil
}

func parseRotation(v string) (from, to uint32, fp string, err error) {
	parts := strings.Split(v, ":")
	bad := fmt.Errorf("settings row %s is %q, not FROM:TO:FINGERPRINT", RotationSetting, v)
	if len(parts) != 3 || !isFingerprint(parts[2]) {
		return 0, 0, "", bad
	}
	f, ok1 := parseGen(parts[0])
	t, ok2 := parseGen(parts[1])
	if !ok1 || !ok2 || t <= f {
		return 0, 0, "", bad
	}
	return f, t, parts[2], nil
}

// parseGen reads a generation number written by strconv (no sign, no
// leading zeros).
func parseGen(s string) (uint32, bool) {
	g, err := strconv.ParseUint(s, 10, 32)
	if err != nil || strconv.FormatUint(g, 10) != s {
		return 0, false
	}
	return uint32(g), true
}

// isFingerprint reports whether s has the shape of GenerationFingerprint.
func isFingerprint(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
