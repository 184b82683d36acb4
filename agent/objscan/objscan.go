// Package objscan is what the object-store scanners (s3scan, azblobscan,
// gcsscan) share: their common options (Common) and the start of a scan
// (Common.Begin), the loop over buckets that ends it (ScanBuckets), which
// objects a sample reads and from where, the region to jurisdiction map,
// the incremental state by ETag, a bucket's reader (Common.NewBucket),
// the reading of one object through the content scanner into asset and
// finding records, and the bucket's own asset (Bucket.EmitBucket). Each scanner keeps only what its cloud's API
// says differently: listing, bucket settings, credentials.
package objscan

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"path"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Sampling bounds what a scan reads of a bucket.
type Sampling struct {
	// SamplePercent of the objects (chosen by a hash of the key, so the
	// same ones each time) and at most MaxObjects per bucket are read,
	// each only its first BytesPerObject bytes (a ranged read).
	SamplePercent  float64 // default 100
	MaxObjects     int     // default 1000
	BytesPerObject int64   // default 1 MiB
	// RandomStart reads each big text object from an offset chosen by a
	// hash of its key (the same each scan) instead of from its top;
	// archives and documents are always read from the top.
	RandomStart bool
	// ObjectTimeout bounds the reading of one object (default 2 minutes):
	// a stalled download makes that object partial, not the scan hang.
	ObjectTimeout time.Duration
}

// WithDefaults fills the zero (or out of range) limits.
func (s Sampling) WithDefaults() Sampling {
	if s.SamplePercent <= 0 || s.SamplePercent > 100 {
		s.SamplePercent = 100
	}
	s.MaxObjects = defaults.Positive(s.MaxObjects, 1000)
	s.BytesPerObject = defaults.Positive(s.BytesPerObject, 1<<20)
	s.ObjectTimeout = defaults.Positive(s.ObjectTimeout, 2*time.Minute)
	return s
}

// Sampled picks an object by a hash of its key, so a percentage sample is
// the same objects on every scan.
func Sampled(key string, percent float64) bool {
	if percent >= 100 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return float64(h.Sum32()%10000) < percent*100
}

// Start is where an object's sample begins: its top, or with RandomStart
// and a big text object an offset fixed by the key's hash.
func (s Sampling) Start(key string, size int64) int64 {
	if !s.RandomStart || size <= s.BytesPerObject {
		return 0
	}
	lower := strings.ToLower(key)
	switch path.Ext(strings.TrimSuffix(lower, ".gz")) {
	case ".zip", ".tar", ".tgz", ".docx", ".xlsx", ".pptx", ".pdf":
		return 0
	}
	if strings.HasSuffix(lower, ".gz") {
		return 0 // a compressed stream is read from its header
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return int64(h.Sum64() % uint64(size-s.BytesPerObject))
}

// Object is one object as its bucket's listing describes it.
type Object struct {
	Key      string
	ETag     string // without quotes
	Modified time.Time
	Size     int64
	// Attributes go on the object's asset beside bucket, etag and
	// encryption (a storage class, an access tier).
	Attributes map[string]string
}

// Opener reads length bytes of an object from start. It also returns the
// object's encryption as its cloud names it ("" when not encrypted).
type Opener func(ctx context.Context, start, length int64) (body io.ReadCloser, encryption string, err error)

// Bucket reads the sampled objects of one bucket (an S3 bucket, an Azure
// container, a GCS bucket) and emits an asset and findings for each that
// holds personal data. Memory holds one object's sample at a time.
type Bucket struct {
	Sampling  Sampling // with defaults
	Detector  pii.Detector
	Tokenizer *pii.Tokenizer
	State     *State
	// Source and Host make the ids: wire.AssetID(Source, Host, location).
	Source, Host string
	// Name is the bucket's name (the objects' "bucket" attribute); StateKey
	// prefixes the objects' keys in the state (default Name).
	Name, StateKey string
	// Location is the bucket's location ("s3://b", "gs://b"); an object's
	// is Location + "/" + key.
	Location string
	Env      func(kind string) wire.Record
	Emit     func(*wire.Record) error
	Stats    map[string]int64
	// Describe names an error of the cloud's API for a partial reason,
	// without the request's details.
	Describe func(error) string
	// Partial collects what could not be read, for the bucket's asset and
	// the scan's errors.
	Partial []string

	read, withPII int
	// longKeys counts the keys too long for a location; longestKey is
	// the longest, in bytes.
	longKeys, longestKey int
	// shortened counts the locations reported shortened (FitLocation).
	shortened int
}

// Full says the bucket's object budget is spent: listing further only
// counts objects.
func (b *Bucket) Full() bool { return b.read >= b.Sampling.MaxObjects }

// WithPII is how many objects read held personal data.
func (b *Bucket) WithPII() int { return b.withPII }

// Object takes one listed object: folders, objects outside the sample and
// objects past the budget are only counted; an object unchanged since the
// last scan (same ETag and modification time) is reported from the state;
// the rest are read. It fails only when emitting fails or ctx ends.
func (b *Bucket) Object(ctx context.Context, o Object, open Opener) error {
	b.Stats["objects_listed"]++
	if len(b.Location)+1+len(o.Key) > wire.MaxStringLen {
		// No store allows such a key (S3 and GCS: 1,024 bytes; Azure:
		// 1,024 characters); its location would make a record the
		// collector refuses, with the rest of its batch.
		b.longKeys++
		b.longestKey = max(b.longestKey, len(o.Key))
		return nil
	}
	if strings.HasSuffix(o.Key, "/") || !Sampled(o.Key, b.Sampling.SamplePercent) || b.Full() {
		return nil
	}
	b.read++
	stateKey := b.stateKey() + "/" + o.Key
	var start int64
	prev, same := unchanged(b.State, stateKey, o.ETag, o.Modified)
	results, encryption := prev.Results, prev.Encryption
	if same {
		b.Stats["objects_unchanged"]++
	} else {
		start = b.Sampling.Start(o.Key, o.Size)
		var err error
		results, encryption, err = b.read1(ctx, o, start, open)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			b.Partial = append(b.Partial, o.Key+": "+b.describe(err))
			return nil
		}
	}
	b.State.Remember(stateKey, ObjectState{ETag: o.ETag, Modified: o.Modified, Encryption: encryption, Results: results})
	found, err := b.emitObject(o, start, encryption, results)
	if found {
		b.withPII++
	}
	return err
}

// read1 reads one object's sample within the object timeout.
func (b *Bucket) read1(ctx context.Context, o Object, start int64, open Opener) ([]content.StreamResult, string, error) {
	octx, cancel := context.WithTimeout(ctx, b.Sampling.ObjectTimeout)
	defer cancel()
	body, encryption, err := open(octx, start, b.Sampling.BytesPerObject)
	if err != nil {
		return nil, "", timedOut(octx, ctx, b.Sampling.ObjectTimeout, err)
	}
	defer body.Close()
	// The limit guards against a server that ignores the range.
	results, n, err := content.ScanStream(octx, o.Key, io.LimitReader(body, b.Sampling.BytesPerObject), content.Options{Detector: b.Detector, Tokenizer: b.Tokenizer})
	if err != nil {
		return nil, "", timedOut(octx, ctx, b.Sampling.ObjectTimeout, err)
	}
	b.Stats["objects_read"]++
	b.Stats["bytes"] += n
	return results, encryption, nil
}

// errTimedOut is an object whose read outlasted the object timeout.
var errTimedOut = errors.New("timed out")

// timedOut names an object read cut by its own timeout (not the scan's).
func timedOut(octx, ctx context.Context, d time.Duration, err error) error {
	if ctx.Err() == nil && errors.Is(octx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w after %s: %w", errTimedOut, d, err)
	}
	return err
}

func (b *Bucket) describe(err error) string {
	if errors.Is(err, errTimedOut) {
		return fmt.Sprintf("read timed out after %s", b.Sampling.ObjectTimeout)
	}
	if b.Describe != nil {
		return b.Describe(err)
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (b *Bucket) stateKey() string {
	if b.StateKey != "" {
		return b.StateKey
	}
	return b.Name
}

// emitObject emits the asset and findings of an object (and of each
// archive member) that held personal data.
func (b *Bucket) emitObject(o Object, start int64, encryption string, results []content.StreamResult) (bool, error) {
	loc := b.Location + "/" + o.Key
	found := false
	for _, r := range results {
		if len(r.Results) == 0 {
			continue
		}
		found = true
		l := loc
		if r.Member != "" {
			l = wire.MemberLocation(loc, r.Member)
		}
		// A member's name is the archive's to choose (64 KiB in a zip):
		// past what a record holds, the collector would refuse the batch.
		l, shortened := wire.FitLocation(l)
		id := wire.AssetID(b.Source, b.Host, l)
		a := b.Env(wire.KindAsset)
		a.AssetID, a.AssetType, a.Location, a.Size = id, "object", l, o.Size
		if !o.Modified.IsZero() {
			m := o.Modified
			a.ModifiedAt = &m
		}
		a.Attributes = map[string]string{}
		for k, v := range o.Attributes {
			a.Attributes[k] = v
		}
		a.Attributes["bucket"], a.Attributes["etag"], a.Attributes["encryption"] = b.Name, o.ETag, encryption
		if shortened {
			a.Attributes["location_shortened"] = "true"
			b.shortened++ // said once for the bucket (EmitBucket), not once a member
		}
		if encryption == "" {
			a.Attributes["encryption"] = "none"
		}
		switch per := b.Sampling.BytesPerObject; {
		case o.Size > per && start > 0:
			a.Attributes["partial"] = fmt.Sprintf("sampled %d of %d bytes from byte %d", per, o.Size, start)
		case o.Size > per:
			a.Attributes["partial"] = fmt.Sprintf("sampled the first %d of %d bytes", per, o.Size)
		case r.Partial != "":
			a.Attributes["partial"] = r.Partial
		}
		if err := b.Emit(&a); err != nil {
			return found, err
		}
		if err := content.EmitFindings(b.Env, id, l, r.Results, b.Emit); err != nil {
			return found, err
		}
	}
	return found, nil
}
