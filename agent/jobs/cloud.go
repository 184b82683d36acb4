package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/sightline-dev/sightline/agent/azblobscan"
	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/gcsscan"
	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// objectCommon is what the object-store scans (azblob, gcs) share, from
// their config section and env (see setupContent), with their state
// loaded by load.
func objectCommon(s config.Scans, name string, o config.ObjectSampling, phoneRegion string, env Env,
	load func(string, *pii.Tokenizer, string) (*objscan.State, error)) (objscan.Common, error) {
	c, err := setupContent(s, name, phoneRegion, env, load)
	if err != nil {
		return objscan.Common{}, err
	}
	return objscan.Common{Prefix: o.Prefix, Sampling: objscan.Sampling{SamplePercent: o.SamplePercent, MaxObjects: o.MaxObjects,
		BytesPerObject: o.BytesPerObject, RandomStart: o.RandomStart, ObjectTimeout: o.ObjectTimeout},
		Detector: c.det, Tokenizer: c.tok, State: c.state, AgentID: env.AgentID, Logger: env.Logger, Now: env.Now}, nil
}

// callBounds are a cloud section's call bounds as its client takes them.
func callBounds(b config.CallBounds) limits.Call {
	return limits.Call{Timeout: b.CallTimeout, MaxResponseBytes: b.MaxResponseBytes}
}

// azureCredentials reads a connection string from connection_string_file
// or SIGHTLINE_AZURE_STORAGE_CONNECTION_STRING, else the account's shared
// key from key_file or SIGHTLINE_AZURE_STORAGE_KEY; never from the config
// or a flag.
func azureCredentials(ac config.AzBlobScan, env Env) (azblobscan.Credentials, error) {
	c := azblobscan.Credentials{Account: ac.Account, Endpoint: ac.Endpoint, Bounds: callBounds(ac.CallBounds)}
	cs, err := password("azblob", ac.ConnectionStringFile, "SIGHTLINE_AZURE_STORAGE_CONNECTION_STRING", env)
	if err != nil {
		return c, err
	}
	if cs != "" {
		c.ConnectionString = cs
		if c.Account == "" {
			c.Account = azblobscan.AccountName(c)
		}
		return c, nil
	}
	if c.Key, err = password("azblob", ac.KeyFile, "SIGHTLINE_AZURE_STORAGE_KEY", env); err != nil {
		return c, err
	}
	if c.Account == "" || c.Key == "" {
		return c, errors.New("azblob scan: name the storage account and give its key (key_file / --key-file or SIGHTLINE_AZURE_STORAGE_KEY), " +
			"or a connection string (connection_string_file / --connection-string-file or SIGHTLINE_AZURE_STORAGE_CONNECTION_STRING)")
	}
	return c, nil
}

func buildAzBlob(_ context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	ac := s.AzBlob
	common, err := objectCommon(s, "azblob", ac.ObjectSampling, ac.PhoneRegion, env, azblobscan.LoadState)
	if err != nil {
		return Job{}, err
	}
	creds, err := azureCredentials(ac, env)
	if err != nil {
		return Job{}, err
	}
	client, err := azblobscan.NewClient(creds)
	if err != nil {
		return Job{}, fmt.Errorf("azblob scan: %w", err)
	}
	anon, err := azblobscan.NewAnonymousClient(creds)
	if err != nil {
		return Job{}, fmt.Errorf("azblob scan: %w", err)
	}
	return Job{Name: "azblob", Host: creds.Account,
		Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
			return azblobscan.Scan(ctx, azblobscan.Options{Client: client, Anonymous: anon, Account: creds.Account,
				Containers: ac.Containers, Region: ac.Region, Common: common}, emit)
		},
		Commit: common.State.Save,
	}, nil
}

// buildGCS makes the client from credentials_file (a service account's
// JSON key), else the application default credentials.
func buildGCS(ctx context.Context, s config.Scans, env Env) (Job, error) {
	env = env.withDefaults()
	gc := s.GCS
	if gc.Project == "" && len(gc.Buckets) == 0 {
		return Job{}, errors.New("gcs scan: name the project whose buckets to list (--project) or the buckets (--bucket)")
	}
	common, err := objectCommon(s, "gcs", gc.ObjectSampling, gc.PhoneRegion, env, gcsscan.LoadState)
	if err != nil {
		return Job{}, err
	}
	client, err := gcsscan.NewClient(ctx, gcsscan.Credentials{File: gc.CredentialsFile, Endpoint: gc.Endpoint, Bounds: callBounds(gc.CallBounds),
		Anonymous: gc.Endpoint != "" && gc.CredentialsFile == "" && env.Getenv("GOOGLE_APPLICATION_CREDENTIALS") == ""})
	if err != nil {
		return Job{}, fmt.Errorf("gcs scan: %w", err)
	}
	return Job{Name: "gcs", Host: gc.Project,
		Scan: func(ctx context.Context, emit Emit) (*wire.Record, error) {
			return gcsscan.Scan(ctx, gcsscan.Options{Client: client, Project: gc.Project, Buckets: gc.Buckets, Common: common}, emit)
		},
		Commit: common.State.Save,
	}, nil
}
