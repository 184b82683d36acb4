package main

import (
	"context"
	"flag"
	"io"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/internal/cli"
)

// objectFlags adds the sampling flags the object-store scans share.
func objectFlags(fs *flag.FlagSet, def config.ObjectSampling) func() config.ObjectSampling {
	prefix := fs.String("prefix", "", "only objects under this prefix")
	percent := fs.Float64("sample-percent", def.SamplePercent, "percent of the objects to read (the same ones each time)")
	maxObjects := fs.Int("max-objects", def.MaxObjects, "objects read per bucket or container at most")
	perObject := fs.Int64("bytes-per-object", def.BytesPerObject, "bytes read from each object")
	randomStart := fs.Bool("random-start", false, "read big text objects from an offset fixed by the name, not the top")
	timeout := fs.Duration("object-timeout", def.ObjectTimeout, "time limit of reading one object")
	return func() config.ObjectSampling {
		return config.ObjectSampling{Prefix: *prefix, SamplePercent: *percent, MaxObjects: *maxObjects, BytesPerObject: *perObject,
			RandomStart: *randomStart, ObjectTimeout: *timeout}
	}
}

// scanAzBlob prints an Azure storage account's containers, sampled blobs
// with personal data and their findings as records. The key comes from
// --key-file or SIGHTLINE_AZURE_STORAGE_KEY, or a connection string from
// --connection-string-file or SIGHTLINE_AZURE_STORAGE_CONNECTION_STRING.
func scanAzBlob(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("azblob", config.Default().DataDir, "info", stdout, stderr)
	var containers cli.Strings
	fs.Var(&containers, "container", "container to scan (repeatable; default every container listed)")
	account := fs.String("account", "", "storage account name")
	keyFile := fs.String("key-file", "", "file holding the account's shared key (or SIGHTLINE_AZURE_STORAGE_KEY)")
	csFile := fs.String("connection-string-file", "", "file holding a connection string (or SIGHTLINE_AZURE_STORAGE_CONNECTION_STRING)")
	endpoint := fs.String("endpoint", "", "blob service URL (default https://ACCOUNT.blob.core.windows.net/; Azurite: http://127.0.0.1:10000/devstoreaccount1)")
	region := fs.String("region", "", "the account's Azure region, e.g. westeurope (the blob API does not tell it)")
	common.stateFlag(fs, "unchanged blobs are not read again")
	sampling := objectFlags(fs, config.Default().Scans.AzBlob.ObjectSampling)
	if err := fs.Parse(args); err != nil {
		return err
	}
	scans := config.Default().Scans
	scans.AzBlob = config.AzBlobScan{Account: *account, KeyFile: *keyFile, ConnectionStringFile: *csFile, Endpoint: *endpoint,
		Containers: containers, Region: *region, ObjectSampling: sampling()}
	return common.runValid(ctx, scans)
}

// scanGCS prints Google Cloud Storage buckets, sampled objects with
// personal data and their findings as records.
func scanGCS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, common := scanFlags("gcs", config.Default().DataDir, "info", stdout, stderr)
	var buckets cli.Strings
	fs.Var(&buckets, "bucket", "bucket to scan (repeatable; default every bucket of --project)")
	project := fs.String("project", "", "project whose buckets are listed (and the records' host)")
	credFile := fs.String("credentials-file", "", "a service account's JSON key (default: application default credentials)")
	endpoint := fs.String("endpoint", "", "JSON API URL of a GCS-compatible server (e.g. http://127.0.0.1:4443/storage/v1/)")
	common.stateFlag(fs, "unchanged objects are not read again")
	sampling := objectFlags(fs, config.Default().Scans.GCS.ObjectSampling)
	if err := fs.Parse(args); err != nil {
		return err
	}
	scans := config.Default().Scans
	scans.GCS = config.GCSScan{Project: *project, CredentialsFile: *credFile, Endpoint: *endpoint, Buckets: buckets, ObjectSampling: sampling()}
	return common.runValid(ctx, scans)
}
