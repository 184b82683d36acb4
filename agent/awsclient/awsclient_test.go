package awsclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/hostiletest"
	"github.com/sightline-dev/sightline/agent/iamscan/iamtest"
)

// endless answers 200 with an XML body that never ends.
func endless(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>false</IsTruncated>`)
		item := []byte(`<Contents><Key>k</Key><Size>1</Size></Contents>`)
		for r.Context().Err() == nil {
			if _, err := w.Write(item); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestHostileEndpoint: an endpoint that never answers fails each call at
// the call timeout (it held the call forever), one that answers without
// end fails it at the response bound (its answer filled memory), for S3
// and IAM alike.
func TestHostileEndpoint(t *testing.T) {
	iamtest.Env(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a safety net only
	defer cancel()
	opts := []Option{WithCallTimeout(300 * time.Millisecond), WithMaxResponseBytes(1 << 20)}
	t.Run("s3 silent", func(t *testing.T) {
		c, err := S3(ctx, "us-east-1", "http://"+hostiletest.Silent(t), true, opts...)
		require.NoError(t, err)
		_, err = c.ListBuckets(ctx, &s3.ListBucketsInput{})
		require.ErrorContains(t, err, "no answer within 300ms")
	})
	t.Run("iam silent", func(t *testing.T) {
		c, err := IAM(ctx, "us-east-1", "http://"+hostiletest.Silent(t), opts...)
		require.NoError(t, err)
		_, err = c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
		require.ErrorContains(t, err, "no answer within 300ms")
	})
	t.Run("s3 endless listing", func(t *testing.T) {
		c, err := S3(ctx, "us-east-1", endless(t), true, WithMaxResponseBytes(1<<20))
		require.NoError(t, err)
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b")})
		require.ErrorIs(t, err, ErrResponseTooLarge)
	})
}

// TestGetObjectUnbounded: an object's body is read after its call
// returns, under the object reader's own bounds: the call timeout does
// not cut it, nor the response bound.
func TestGetObjectUnbounded(t *testing.T) {
	iamtest.Env(t)
	body := strings.Repeat("x", 2<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = io.WriteString(w, body[:10])
		w.(http.Flusher).Flush()
		time.Sleep(500 * time.Millisecond) // longer than the call timeout below
		_, _ = io.WriteString(w, body[10:])
	}))
	t.Cleanup(srv.Close)
	c, err := S3(context.Background(), "us-east-1", srv.URL, true, WithCallTimeout(100*time.Millisecond), WithMaxResponseBytes(1<<20))
	require.NoError(t, err)
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	require.NoError(t, err)
	got, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	require.Len(t, got, len(body))
}
