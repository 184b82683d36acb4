package objscan

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Common is what the options of every object-store scan hold beside their
// cloud's client and names (embedded in s3scan.Options,
// azblobscan.Options and gcsscan.Options): which objects are read and
// how, the incremental state, and the scan's envelope.
type Common struct {
	Prefix    string // only objects under it
	Sampling  Sampling
	Detector  pii.Detector
	Tokenizer *pii.Tokenizer
	// State, when set, makes the scan incremental by ETag and
	// last-modified time; the caller saves it after the scan.
	State   *State
	AgentID string
	Now     func() time.Time
	Logger  *slog.Logger
}

// Begin starts an object-store scan: it fills c's defaults (sampling
// limits, clock, logger), begins the incremental state and returns the
// scan record under way (package scanrun) of scanner for source and host.
func (c *Common) Begin(scanner, source, host string) *scanrun.Run {
	c.Sampling = c.Sampling.WithDefaults()
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Logger = cmp.Or(c.Logger, slog.Default())
	c.State.Begin()
	return scanrun.Begin(scanrun.Options{Scanner: scanner, Source: source, Host: host, AgentID: c.AgentID, Now: c.Now})
}

// NewBucket is the reader of one bucket (an S3 or GCS bucket, an Azure
// container) of run, named name at location, under c's sampling,
// detector and state: its records carry run's envelope and go to emit,
// its counts go to run's stats. source and host make the ids (see
// Bucket); describe names the cloud's errors. A scanner notes what of the
// bucket's settings it could not read in the Bucket's Partial before it
// lists the objects, so the bucket's asset names them first.
func (c *Common) NewBucket(run *scanrun.Run, emit func(*wire.Record) error, source, host, name, location string,
	describe func(error) string) *Bucket {
	return &Bucket{Sampling: c.Sampling, Detector: c.Detector, Tokenizer: c.Tokenizer, State: c.State,
		Source: source, Host: host, Name: name, Location: location,
		Env: run.Record, Emit: emit, Stats: run.Stats, Describe: describe}
}

// ScanBuckets scans the buckets (S3 or GCS buckets, Azure containers) in
// name order with scan, which returns what it could not read of a bucket
// and fails only when the whole scan must stop (emit failing, ctx ending).
// Each problem is recorded on run, prefixed by the bucket's location.
// After the last bucket it finishes run with its status (partial when a
// problem was recorded) and returns the scan record; when scan or ctx
// stops the scan, the error and no record.
func ScanBuckets(ctx context.Context, run *scanrun.Run, emit func(*wire.Record) error, names []string,
	location func(name string) string, scan func(ctx context.Context, name string) (partial []string, err error)) (*wire.Record, error) {
	sort.Strings(names)
	long := 0
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(location(name)) > wire.MaxStringLen {
			// No store names a bucket so; its records would be refused by
			// the collector with the rest of their batch.
			long++
			continue
		}
		partial, err := scan(ctx, name)
		if err != nil {
			return nil, err
		}
		for _, p := range partial {
			run.Problem(location(name) + ": " + p)
		}
	}
	if long > 0 {
		run.Problem(fmt.Sprintf("%d bucket names longer than a record may hold: left out", long))
	}
	return run.Finish(run.Status(), emit)
}

// EmitBucket emits the asset of the bucket b has read the objects of:
// attrs are its settings as its cloud reports them, to which it adds how
// many objects held personal data and, when something could not be read
// (partial: what of its settings, then what of its objects), why. It
// counts the bucket in Stats and returns the asset's id,
// wire.AssetID(Source, Host, Location).
func (b *Bucket) EmitBucket(attrs map[string]string, partial []string) (string, error) {
	id := wire.AssetID(b.Source, b.Host, b.Location)
	attrs["objects_with_pii"] = strconv.Itoa(b.withPII)
	if b.longKeys > 0 {
		msg := fmt.Sprintf("%d object keys longer than any store allows (the longest %d bytes): not read", b.longKeys, b.longestKey)
		b.Partial = append(b.Partial, msg) // for the scan record too
		partial = append(partial[:len(partial):len(partial)], msg)
	}
	if b.shortened > 0 {
		msg := fmt.Sprintf("%d locations longer than a record holds (%d bytes, archive members' names): reported shortened", b.shortened, wire.MaxStringLen)
		b.Partial = append(b.Partial, msg) // for the scan record too
		partial = append(partial[:len(partial):len(partial)], msg)
	}
	if len(partial) > 0 {
		attrs["partial"] = partialAttr(partial)
	}
	rec := b.Env(wire.KindAsset)
	rec.AssetID, rec.AssetType, rec.Location, rec.Attributes = id, "bucket", b.Location, attrs
	if err := b.Emit(&rec); err != nil {
		return "", err
	}
	b.Stats["buckets"]++
	return id, nil
}

// ListingFailed takes the error of a bucket's listing that failed part
// way (what: "listing objects"): the objects already read stand and the
// bucket is partial with the reason. It returns ctx's error when the scan
// was cancelled, for the scan to stop; nil otherwise.
func (b *Bucket) ListingFailed(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	b.Partial = append(b.Partial, what+": "+b.describe(err))
	return nil
}

// maxPartialShown bounds the reasons a bucket's "partial" attribute lists
// (each clipped to maxPartialBytes): a bucket whose every object is denied
// (objects under a KMS key the scanner may not use) has a reason per
// object, and thousands of keys joined made a record past what the
// collector takes, losing the batch. The scan record keeps the first
// wire.MaxErrors reasons too.
const (
	maxPartialShown = 20
	maxPartialBytes = 512
)

func partialAttr(partial []string) string {
	shown := make([]string, 0, min(len(partial), maxPartialShown)+1)
	for _, p := range partial[:min(len(partial), maxPartialShown)] {
		shown = append(shown, clip.Middle(p, maxPartialBytes))
	}
	if n := len(partial) - maxPartialShown; n > 0 {
		shown = append(shown, fmt.Sprintf("and %d more", n))
	}
	return strings.Join(shown, "; ")
}
