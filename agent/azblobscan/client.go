package azblobscan

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"
)

// Credentials say how to reach a storage account: a shared key with the
// account's name, or a connection string (which names both). Endpoint
// overrides the service URL (an emulator, a sovereign cloud).
type Credentials struct {
	Account, Key     string
	ConnectionString string
	Endpoint         string
}

// clientOptions bound every request: a few retries, each try cut at a
// minute, so a stalled account cannot hold a scan.
func clientOptions() *service.ClientOptions {
	return &service.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: 3, TryTimeout: time.Minute, RetryDelay: time.Second, MaxRetryDelay: 10 * time.Second},
	}}
}

// NewClient makes the account's blob service client.
func NewClient(c Credentials) (*service.Client, error) {
	if c.ConnectionString != "" {
		cl, err := service.NewClientFromConnectionString(c.ConnectionString, clientOptions())
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
	cl, err := service.NewClientWithSharedKeyCredential(ServiceURL(c), cred, clientOptions())
	if err != nil {
		return nil, fmt.Errorf("azure account %s: %w", c.Account, err)
	}
	return cl, nil
}

// NewAnonymousClient makes the same service without credentials, for the
// public access check.
func NewAnonymousClient(c Credentials) (*service.Client, error) {
	return service.NewClientWithNoCredential(ServiceURL(c), clientOptions())
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
