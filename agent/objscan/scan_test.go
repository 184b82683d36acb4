package objscan

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/wire"
)

func TestBeginFillsDefaults(t *testing.T) {
	c := Common{AgentID: "a1"}
	run := c.Begin("gcs", wire.SourceGCS, "proj")
	require.Equal(t, Sampling{}.WithDefaults(), c.Sampling)
	require.NotNil(t, c.Now)
	require.NotNil(t, c.Logger)
	rec := run.Record(wire.KindAsset)
	require.Equal(t, wire.SourceGCS, rec.Source)
	require.Equal(t, "proj", rec.Host)
	require.Equal(t, "a1", rec.AgentID)
}

func TestScanBuckets(t *testing.T) {
	stop := errors.New("emit failed")
	tests := []struct {
		name     string
		partial  map[string][]string
		fail     string // the bucket whose scan fails
		order    []string
		status   string
		errors   []string
		wantErr  error
		noRecord bool
	}{
		{name: "all read", order: []string{"a", "b", "c"}, status: wire.StatusOK},
		{name: "a partial bucket", partial: map[string][]string{"b": {"acl: AccessDenied", "listing objects: SlowDown"}},
			order: []string{"a", "b", "c"}, status: wire.StatusPartial,
			errors: []string{"s3://b: acl: AccessDenied", "s3://b: listing objects: SlowDown"}},
		{name: "a scan that must stop", fail: "b", order: []string{"a", "b"}, wantErr: stop, noRecord: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := scanrun.Begin(scanrun.Options{Scanner: "s3", Source: wire.SourceS3})
			var order []string
			var emitted []*wire.Record
			rec, err := ScanBuckets(context.Background(), run, func(r *wire.Record) error { emitted = append(emitted, r); return nil },
				[]string{"c", "a", "b"}, func(n string) string { return "s3://" + n },
				func(_ context.Context, name string) ([]string, error) {
					order = append(order, name)
					if name == tc.fail {
						return nil, stop
					}
					return tc.partial[name], nil
				})
			require.Equal(t, tc.order, order, "buckets in name order")
			if tc.noRecord {
				require.ErrorIs(t, err, tc.wantErr)
				require.Nil(t, rec)
				require.Empty(t, emitted)
				return
			}
			require.NoError(t, err)
			require.Equal(t, []*wire.Record{rec}, emitted)
			require.Equal(t, tc.status, rec.Status)
			require.Equal(t, tc.errors, rec.Errors)
		})
	}
}

func TestScanBucketsStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run := scanrun.Begin(scanrun.Options{Scanner: "gcs", Source: wire.SourceGCS})
	rec, err := ScanBuckets(ctx, run, func(*wire.Record) error { return nil }, []string{"a"}, func(n string) string { return n },
		func(context.Context, string) ([]string, error) {
			t.Fatal("no bucket is scanned after cancel")
			return nil, nil
		})
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, rec)
}

func TestEmitBucket(t *testing.T) {
	tests := []struct {
		name    string
		partial []string
		want    map[string]string
	}{
		{name: "complete", want: map[string]string{"region": "eu-west-1", "objects_with_pii": "0"}},
		{name: "partial", partial: []string{"acl: AccessDenied", "a.csv: read timed out after 2m0s"},
			want: map[string]string{"region": "eu-west-1", "objects_with_pii": "0", "partial": "acl: AccessDenied; a.csv: read timed out after 2m0s"}},
		// Every object denied (a KMS key the scanner may not use), keys of
		// 1 KiB: 5,000 reasons joined made a 5 MiB record, which the
		// collector refuses with its whole batch.
		{name: "a reason per object", partial: deniedObjects(5000),
			want: map[string]string{"region": "eu-west-1", "objects_with_pii": "0", "partial": boundedPartial(deniedObjects(5000))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := scanrun.Begin(scanrun.Options{Scanner: "s3", Source: wire.SourceS3, Host: "111"})
			var got []*wire.Record
			b := &Bucket{Source: wire.SourceS3, Host: "111", Name: "b", Location: "s3://b", Env: run.Record,
				Emit: func(r *wire.Record) error { got = append(got, r); return nil }, Stats: run.Stats}
			id, err := b.EmitBucket(map[string]string{"region": "eu-west-1"}, tc.partial)
			require.NoError(t, err)
			require.Equal(t, wire.StableID(wire.SourceS3, "111", "s3://b"), id)
			require.Len(t, got, 1)
			require.Equal(t, wire.KindAsset, got[0].Kind)
			require.Equal(t, "bucket", got[0].AssetType)
			require.Equal(t, "s3://b", got[0].Location)
			require.Equal(t, id, got[0].AssetID)
			require.Equal(t, tc.want, got[0].Attributes)
			require.EqualValues(t, 1, run.Stats["buckets"])
			line, err := wire.Marshal(got[0])
			require.NoError(t, err)
			require.Less(t, len(line), 16<<10, "a bucket's record stays small whatever its objects did")
		})
	}
}

func TestListingFailed(t *testing.T) {
	b := &Bucket{Describe: func(err error) string { return "SlowDown" }}
	require.NoError(t, b.ListingFailed(context.Background(), "listing objects", errors.New("503 with details")))
	require.Equal(t, []string{"listing objects: SlowDown"}, b.Partial)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, b.ListingFailed(ctx, "listing objects", errors.New("context canceled")), context.Canceled)
	require.Len(t, b.Partial, 1, "a cancelled scan is not a partial bucket")
}

func deniedObjects(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%04d%s: AccessDenied", i, strings.Repeat("k", 1020))
	}
	return out
}

// boundedPartial is what the attribute holds for p: the first 20 reasons,
// each clipped in the middle to 512 bytes, then how many more.
func boundedPartial(p []string) string {
	var shown []string
	for _, s := range p[:20] {
		shown = append(shown, clip.Middle(s, 512))
	}
	return strings.Join(append(shown, fmt.Sprintf("and %d more", len(p)-20)), "; ")
}
