// Package awsclient builds AWS clients the way every scanner wants them:
// the SDK's standard credential chain (environment, shared config and
// profiles including assume-role, web identity, instance and task roles),
// the adaptive retryer, an optional endpoint override, and bounds on what
// an endpoint may cost: each call's time (retries included) and the size
// of each answer, so an endpoint that never answers or answers without
// end fails that call instead of holding the scan.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/internal/limitread"
)

// Defaults of the bounds. GetObject is outside both: the object reader
// bounds an object's time and bytes itself (objscan's ObjectTimeout and
// BytesPerObject), and its body is read after the call returns. The
// scans.s3 and scans.iam keys call_timeout and max_response_bytes set them.
const (
	DefaultCallTimeout      = limits.CallTimeout
	DefaultMaxResponseBytes = limits.AWSMaxResponseBytes // a listing page, a policy, a credential report are far smaller
)

// ErrResponseTooLarge is an answer over the response bound.
var ErrResponseTooLarge = errors.New("the endpoint's answer is larger than any AWS answer to this call")

// Option changes a client's bounds.
type Option func(*bounds)

type bounds struct {
	callTimeout time.Duration
	maxBytes    int64
}

// WithCallTimeout bounds each call, retries included (default DefaultCallTimeout).
func WithCallTimeout(d time.Duration) Option { return func(b *bounds) { b.callTimeout = d } }

// WithMaxResponseBytes bounds each answer's body (default DefaultMaxResponseBytes).
func WithMaxResponseBytes(n int64) Option { return func(b *bounds) { b.maxBytes = n } }

// APIOptions are the middleware that enforce the bounds opts give, for a
// client's Options.APIOptions (the clients this package builds have them).
func APIOptions(opts ...Option) []func(*middleware.Stack) error {
	b := bounds{callTimeout: DefaultCallTimeout, maxBytes: DefaultMaxResponseBytes}
	for _, o := range opts {
		o(&b)
	}
	timeout := middleware.InitializeMiddlewareFunc("SightlineCallTimeout",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetOperationName(ctx) == "GetObject" {
				return next.HandleInitialize(ctx, in)
			}
			cctx, cancel := context.WithTimeout(ctx, b.callTimeout)
			defer cancel()
			out, md, err := next.HandleInitialize(cctx, in)
			if err != nil && ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
				err = fmt.Errorf("no answer within %s: %w", b.callTimeout, err)
			}
			return out, md, err
		})
	limit := middleware.DeserializeMiddlewareFunc("SightlineMaxResponse",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Body != nil && awsmiddleware.GetOperationName(ctx) != "GetObject" {
				resp.Body = limitread.ReadCloser(resp.Body, b.maxBytes, ErrResponseTooLarge)
			}
			return out, md, err
		})
	return []func(*middleware.Stack) error{
		func(s *middleware.Stack) error { return s.Initialize.Add(timeout, middleware.Before) },
		// After: nearest the transport, so the operation's deserializer
		// reads the capped body.
		func(s *middleware.Stack) error { return s.Deserialize.Add(limit, middleware.After) },
	}
}

func load(ctx context.Context, region string) (aws.Config, error) {
	if region == "" {
		region = "us-east-1"
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region),
		awsconfig.WithRetryer(func() aws.Retryer { return retry.NewAdaptiveMode() }))
	if err != nil {
		return cfg, fmt.Errorf("AWS configuration (credentials, profile, region): %w", err)
	}
	return cfg, nil
}

// S3 returns an S3 client; endpoint and pathStyle are for S3-compatible
// stores.
func S3(ctx context.Context, region, endpoint string, pathStyle bool, opts ...Option) (*s3.Client, error) {
	return build(ctx, region, s3.NewFromConfig, func(o *s3.Options) {
		override(&o.BaseEndpoint, endpoint)
		o.UsePathStyle = pathStyle
		o.APIOptions = append(o.APIOptions, APIOptions(opts...)...)
	})
}

// IAM returns an IAM client.
func IAM(ctx context.Context, region, endpoint string, opts ...Option) (*iam.Client, error) {
	return build(ctx, region, iam.NewFromConfig, func(o *iam.Options) {
		override(&o.BaseEndpoint, endpoint)
		o.APIOptions = append(o.APIOptions, APIOptions(opts...)...)
	})
}

// S3Control returns an S3 Control client (account-level settings).
func S3Control(ctx context.Context, region, endpoint string, opts ...Option) (*s3control.Client, error) {
	return build(ctx, region, s3control.NewFromConfig, func(o *s3control.Options) {
		override(&o.BaseEndpoint, endpoint)
		o.APIOptions = append(o.APIOptions, APIOptions(opts...)...)
	})
}

// build makes a service client from the shared configuration (load) with
// the service's options set by opt.
func build[C, O any](ctx context.Context, region string, newFromConfig func(aws.Config, ...func(*O)) *C, opt func(*O)) (*C, error) {
	cfg, err := load(ctx, region)
	if err != nil {
		return nil, err
	}
	return newFromConfig(cfg, opt), nil
}

// override sets a client's base endpoint when one is given; otherwise the
// SDK's own (AWS, or AWS_ENDPOINT_URL) stays.
func override(base **string, endpoint string) {
	if endpoint != "" {
		*base = aws.String(endpoint)
	}
}
