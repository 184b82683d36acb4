package azblobscan

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/sightline-dev/sightline/agent/limits"
)

// Credentials say how to reach a storage account: a shared key with the
// account's name, or a connection string (which names both). Endpoint
// overrides the service URL (an emulator, a sovereign cloud).
type Credentials struct {
	Account, Key     string
	ConnectionString string
	Endpoint         string
	// Bounds bound each call but a blob's read (zero fields: the
	// defaults, limits.CallTimeout and limits.AzureMaxResponseBytes).
	Bounds limits.Call
}

// clientOptions bound every request: a few retries, each try cut at a
// minute at most, the whole call (retries included) at b.Timeout, so a
// stalled account cannot hold a scan; and every answer but a blob's
// content at b.MaxResponseBytes, which the SDK would otherwise read whole
// into memory before parsing it.
func clientOptions(b limits.Call) *service.ClientOptions {
	b = b.WithDefaults(limits.AzureMaxResponseBytes)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &service.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: 3, TryTimeout: min(time.Minute, b.Timeout),
			RetryDelay: time.Second, MaxRetryDelay: 10 * time.Second},
		PerCallPolicies: []policy.Policy{callTimeout(b.Timeout)},
		Transport:       &http.Client{Transport: boundedBodies{tr, b.MaxResponseBytes}},
	}}
}

// ranged reports whether r reads a blob's content (bounded by the
// sampling budget and the object timeout, objscan, not by the call
// bounds).
func ranged(r *http.Request) bool {
	return r.Header.Get("x-ms-range") != "" || r.Header.Get("Range") != ""
}

// callTimeout ends a call, retries included, at its bound. Its answer's
// body is read inside the pipeline (azcore's body download), so the
// deadline covers it; a ranged read streams its body after the call
// returns and is left to the object timeout.
type callTimeout time.Duration

func (d callTimeout) Do(req *policy.Request) (*http.Response, error) {
	if ranged(req.Raw()) {
		return req.Next()
	}
	ctx, cancel := context.WithTimeout(req.Raw().Context(), time.Duration(d))
	defer cancel()
	return req.WithContext(ctx).Next()
}

// boundedBodies caps the body of every answer to a request that is not a
// ranged blob read at max bytes.
type boundedBodies struct {
	base http.RoundTripper
	max  int64
}

func (b boundedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if err != nil || ranged(r) {
		return resp, err
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: b.max, max: b.max}
	return resp, nil
}

type cappedBody struct {
	io.ReadCloser
	left, max int64
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTooLarge{c.max}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= int64(n)
	return n, err
}

// errTooLarge ends an answer over its bound; the SDK does not retry it
// (NonRetriable): the next try would be as large.
type errTooLarge struct{ max int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the answer is larger than %d bytes (scans.azblob.max_response_bytes): not a storage account's answer", e.max)
}
func (errTooLarge) NonRetriable() {}

// NewClient makes the account's blob service client.
func NewClient(c Credentials) (*service.Client, error) {
	if c.ConnectionString != "" {
		cl, err := service.NewClientFromConnectionString(c.ConnectionString, clientOptions(c.Bounds))
		if err != nil {
			return nil, fmt.Errorf("azure connection string: %w (want AccountName=…;AccountKey=…[;BlobEndpoint=…])", err)
		}
		return cl, nil
	}
	if c.Account == "" || c.Key == "" {
		return nil, errors.New("azure: give the storage account and its key, or a connection string")
	}
	cred, err := service.NewSharedKeyCredential(c.Account, c.Key)
	if err != nil {
		return nil, fmt.Errorf("azure shared key of account %s: %w (the key is the base64 text the portal shows)", c.Account, err)
	}
	cl, err := service.NewClientWithSharedKeyCredential(ServiceURL(c), cred, clientOptions(c.Bounds))
	if err != nil {
		return nil, fmt.Errorf("azure account %s: %w", c.Account, err)
	}
	return cl, nil
}

// NewAnonymousClient makes the same service without credentials, for the
// public access check.
func NewAnonymousClient(c Credentials) (*service.Client, error) {
	return service.NewClientWithNoCredential(ServiceURL(c), clientOptions(c.Bounds))
}

// ServiceURL is the account's blob endpoint: Endpoint, a connection
// string's BlobEndpoint, else https://ACCOUNT.blob.core.windows.net/.
func ServiceURL(c Credentials) string {
	if c.Endpoint != "" {
		return c.Endpoint
	}
	if e := connField(c.ConnectionString, "BlobEndpoint"); e != "" {
		return e
	}
	return "https://" + AccountName(c) + ".blob.core.windows.net/"
}

// AccountName is the account the credentials name.
func AccountName(c Credentials) string {
	if c.Account != "" {
		return c.Account
	}
	return connField(c.ConnectionString, "AccountName")
}

// connField reads one Key=Value field of a connection string.
func connField(cs, key string) string {
	for _, f := range strings.Split(cs, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if ok && strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
