package s3scan

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/awsclient"
	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestLiveAWS scans real AWS when asked to: SIGHTLINE_TEST_AWS_LIVE=1 with
// credentials in the standard chain (a bucket in SIGHTLINE_TEST_AWS_BUCKET
// narrows it). It only checks that the scan runs and its records validate.
func TestLiveAWS(t *testing.T) {
	if os.Getenv("SIGHTLINE_TEST_AWS_LIVE") != "1" {
		t.Skip("live AWS test skipped: set SIGHTLINE_TEST_AWS_LIVE=1 with AWS credentials (and optionally SIGHTLINE_TEST_AWS_BUCKET) to run it")
	}
	client, err := awsclient.S3(context.Background(), os.Getenv("AWS_REGION"), "", false)
	require.NoError(t, err)
	var buckets []string
	if b := os.Getenv("SIGHTLINE_TEST_AWS_BUCKET"); b != "" {
		buckets = []string{b}
	}
	res, err := Scan(context.Background(), Options{Client: client, Buckets: buckets, Common: objscan.Common{Detector: pii.NewDefault(),
		Tokenizer: pii.NewTokenizer([]byte("live-test-key-0123")), Sampling: objscan.Sampling{MaxObjects: 20, SamplePercent: 100}}}, func(r *wire.Record) error { return r.Validate() })
	require.NoError(t, err)
	require.NotEqual(t, wire.StatusFailed, res.Status, "%v", res.Errors)
}
