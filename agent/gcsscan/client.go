package gcsscan

import (
	"context"
	"fmt"
	"os"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"
)

// Credentials say how to reach GCS: a service account's JSON key file, or
// (empty) the environment's application default credentials. Endpoint
// overrides the JSON API's URL (a test server, a private endpoint);
// Anonymous sends no credentials (a test server).
type Credentials struct {
	File      string
	Endpoint  string
	Anonymous bool
}

// NewClient makes the GCS client. A key file is checked first, so a wrong
// path or a file that is not a service account key says so plainly.
func NewClient(ctx context.Context, c Credentials) (*storage.Client, error) {
	// Reads go through the JSON API like every other call: one protocol,
	// the one the tests' server speaks too.
	opts := []option.ClientOption{storage.WithJSONReads()}
	switch {
	case c.Anonymous:
		opts = append(opts, option.WithoutAuthentication())
	case c.File != "":
		data, err := os.ReadFile(c.File)
		if err != nil {
			return nil, fmt.Errorf("gcs credentials file: %w", err)
		}
		if !strings.Contains(string(data), `"service_account"`) {
			return nil, fmt.Errorf("gcs credentials file %s is not a service account key (want the JSON a service account's Keys tab downloads)", c.File)
		}
		opts = append(opts, option.WithAuthCredentialsJSON(option.ServiceAccount, data))
	}
	if c.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(c.Endpoint))
	}
	cl, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gcs client: %w", err)
	}
	// Every request is bounded: the client retries idempotent calls with
	// backoff, each under the scan's context and the object timeout.
	cl.SetRetry(storage.WithMaxAttempts(4))
	return cl, nil
}
