// Package awsclient builds AWS clients the way every scanner wants them:
// the SDK's standard credential chain (environment, shared config and
// profiles including assume-role, web identity, instance and task roles),
// the adaptive retryer, and an optional endpoint override.
package awsclient

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
)

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
func S3(ctx context.Context, region, endpoint string, pathStyle bool) (*s3.Client, error) {
	return build(ctx, region, s3.NewFromConfig, func(o *s3.Options) {
		override(&o.BaseEndpoint, endpoint)
		o.UsePathStyle = pathStyle
	})
}

// IAM returns an IAM client.
func IAM(ctx context.Context, region, endpoint string) (*iam.Client, error) {
	return build(ctx, region, iam.NewFromConfig, func(o *iam.Options) { override(&o.BaseEndpoint, endpoint) })
}

// S3Control returns an S3 Control client (account-level settings).
func S3Control(ctx context.Context, region, endpoint string) (*s3control.Client, error) {
	return build(ctx, region, s3control.NewFromConfig, func(o *s3control.Options) { override(&o.BaseEndpoint, endpoint) })
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
