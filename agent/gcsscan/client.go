package gcsscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/internal/limitread"
)

// The scanner speaks the small part of the GCS JSON API it needs over
// net/http rather than through cloud.google.com/go/storage: that library
// brings gRPC, OpenTelemetry and Cloud Monitoring into the agent and
// tripled its size.

// DefaultEndpoint is the JSON API's URL.
const DefaultEndpoint = "https://storage.googleapis.com/storage/v1/"

// scope is what a token asks for. Reading a bucket's IAM policy needs
// full_control (read_only is refused for buckets.getIamPolicy); what the
// scanner may do is still bounded by the service account's IAM roles.
const scope = "https://www.googleapis.com/auth/devstorage.full_control"

const (
	// maxErrorBody bounds what is read of an error's body.
	maxErrorBody = 64 << 10
	pageSize     = 1000
	attempts     = 4
)

// Credentials say how to reach GCS: a service account's JSON key file, or
// (empty) the environment's application default credentials. Endpoint
// overrides the JSON API's URL (a test server, a private endpoint);
// Anonymous sends no credentials (a test server).
type Credentials struct {
	File      string
	Endpoint  string
	Anonymous bool
	// Bounds bound each metadata call (a bucket, a policy, a page of at
	// most pageSize objects; not an object's read) and the token
	// requests: zero fields are limits.CallTimeout and
	// limits.GCSMaxResponseBytes.
	Bounds limits.Call
}

// Client calls the GCS JSON API. It is safe for concurrent use.
type Client struct {
	base   *url.URL // ends in "/"
	http   *http.Client
	bounds limits.Call
}

// NewClient makes the GCS client. A key file is checked first, so a wrong
// path or a file that is not a service account key says so plainly.
func NewClient(ctx context.Context, c Credentials) (*Client, error) {
	base, err := endpoint(c.Endpoint)
	if err != nil {
		return nil, err
	}
	// Every connection step is bounded; a body's read is bounded by the
	// caller's context (metadata calls) or the object timeout (reads).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 15 * time.Second
	tr.ResponseHeaderTimeout = 60 * time.Second
	plain := &http.Client{Transport: tr, Timeout: 0}
	cl := &Client{base: base, http: plain, bounds: c.Bounds.WithDefaults(limits.GCSMaxResponseBytes)}
	if c.Anonymous {
		return cl, nil
	}
	// The token source outlives this call: it must not end with ctx, and
	// its token requests go through the bounded transport.
	tctx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, &http.Client{Transport: tr, Timeout: cl.bounds.Timeout})
	var ts oauth2.TokenSource
	if c.File != "" {
		data, err := os.ReadFile(c.File)
		if err != nil {
			return nil, fmt.Errorf("gcs credentials file: %w", err)
		}
		// JWTConfigFromJSON takes only a service account key (its "type"
		// is checked): an authorized-user or external-account file is
		// refused rather than trusted to name token URLs of its own.
		conf, err := google.JWTConfigFromJSON(data, scope)
		if err != nil {
			return nil, fmt.Errorf("gcs credentials file %s is not a service account key (want the JSON a service account's Keys tab downloads): %w", c.File, err)
		}
		ts = conf.TokenSource(tctx)
	} else {
		creds, err := google.FindDefaultCredentials(tctx, scope)
		if err != nil {
			return nil, fmt.Errorf("gcs credentials: none given and no application default credentials (set credentials_file to a service account key, or GOOGLE_APPLICATION_CREDENTIALS): %w", err)
		}
		ts = creds.TokenSource
	}
	cl.http = &http.Client{Transport: &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, ts), Base: tr}}
	return cl, nil
}

// endpoint parses the JSON API's URL; a bare host ("http://127.0.0.1:4443")
// gets the API's path.
func endpoint(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultEndpoint
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("gcs endpoint %q: want an http(s) URL such as %s", raw, DefaultEndpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/storage/v1/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// APIError is an answer of the JSON API other than success.
type APIError struct {
	Code   int
	Reason string // the first error's reason ("forbidden", "notFound"), when given
}

func (e *APIError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("gcs: %d %s", e.Code, e.Reason)
	}
	return fmt.Sprintf("gcs: %d %s", e.Code, http.StatusText(e.Code))
}

// retryable says a status is worth another try (rate limits, server
// errors), as Google's client libraries do.
func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500
}

// get sends a GET to path (already escaped, relative to the endpoint)
// with query, retrying transport failures, 408, 429 and 5xx with
// backoff; every call here is a read, so repeating it is safe. The
// response is a success (2xx, or 416 where the caller wants it).
func (c *Client) get(ctx context.Context, path string, q url.Values, header http.Header) (*http.Response, error) {
	// Joined, not resolved: an object named ".." stays a name.
	ref, err := url.Parse(c.base.String() + path)
	if err != nil {
		return nil, fmt.Errorf("gcs: bad request path %q: %w", path, err)
	}
	ref.RawQuery = q.Encode()
	var last error
	for i := range attempts {
		if i > 0 {
			// Exponential backoff with jitter: 0.5-1s, 1-2s, 2-4s.
			d := time.Duration(250<<i) * time.Millisecond
			d += rand.N(d)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.String(), nil)
		if err != nil {
			return nil, err
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// A token that cannot be had will not come by retrying.
			var re *oauth2.RetrieveError
			if errors.As(err, &re) {
				return nil, fmt.Errorf("gcs token: %w", err)
			}
			last = err
			continue
		}
		if resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			return resp, nil
		}
		last = apiError(resp)
		if !retryable(resp.StatusCode) {
			return nil, last
		}
	}
	return nil, last
}

// apiError reads a JSON API error ({"error":{"code":..,"errors":[{"reason":..}]}})
// from a bounded part of the body and closes it.
func apiError(resp *http.Response) error {
	defer resp.Body.Close()
	var body struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	e := &APIError{Code: resp.StatusCode}
	if json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&body) == nil {
		for _, x := range body.Error.Errors {
			if x.Reason != "" {
				e.Reason = x.Reason
				break
			}
		}
	}
	return e
}

// getJSON decodes a bounded JSON answer into v, within the call timeout.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	ctx, cancel := context.WithTimeout(ctx, c.bounds.Timeout)
	defer cancel()
	resp, err := c.get(ctx, path, q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	tooLarge := fmt.Errorf("gcs: answer to %s is over %d bytes (scans.gcs.max_response_bytes); a real one is far smaller: check the endpoint", path, c.bounds.MaxResponseBytes)
	data, err := limitread.All(resp.Body, c.bounds.MaxResponseBytes, tooLarge)
	if errors.Is(err, tooLarge) {
		return err
	}
	if err != nil {
		return fmt.Errorf("gcs: reading %s: %w", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("gcs: answer to %s is not the JSON API's: %w", path, err)
	}
	return nil
}

func bucketPath(bucket string) string { return "b/" + url.PathEscape(bucket) }

// int64s are strings in the JSON API ("size": "123").
type int64s int64

func (n *int64s) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %q", s)
	}
	*n = int64s(v)
	return nil
}

// BucketAttrs is the part of a bucket resource the scanner reads.
type BucketAttrs struct {
	Name             string `json:"name"`
	Location         string `json:"location"`
	LocationType     string `json:"locationType"`
	StorageClass     string `json:"storageClass"`
	IAMConfiguration struct {
		UniformBucketLevelAccess struct {
			Enabled bool `json:"enabled"`
		} `json:"uniformBucketLevelAccess"`
		PublicAccessPrevention string `json:"publicAccessPrevention"` // "enforced", "inherited"
	} `json:"iamConfiguration"`
	Encryption *struct {
		DefaultKMSKeyName string `json:"defaultKmsKeyName"`
	} `json:"encryption"`
	Versioning *struct {
		Enabled bool `json:"enabled"`
	} `json:"versioning"`
	Logging *struct {
		LogBucket string `json:"logBucket"`
	} `json:"logging"`
	RetentionPolicy *struct {
		RetentionPeriod int64s `json:"retentionPeriod"` // seconds
	} `json:"retentionPolicy"`
	Labels map[string]string `json:"labels"`
	ACL    []ACLRule         `json:"acl"` // only with projection=full and without uniform access
}

// ACLRule is one legacy ACL entry.
type ACLRule struct {
	Entity string `json:"entity"` // "allUsers", "user-ann@example.com"
	Role   string `json:"role"`   // "READER", "WRITER", "OWNER"
}

// Bucket reads a bucket's metadata (buckets.get), with its ACL when
// withACL (projection=full, which needs storage.buckets.getIamPolicy).
func (c *Client) Bucket(ctx context.Context, name string, withACL bool) (*BucketAttrs, error) {
	projection := "noAcl"
	if withACL {
		projection = "full"
	}
	var b BucketAttrs
	if err := c.getJSON(ctx, bucketPath(name), url.Values{"projection": {projection}}, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// Binding is one IAM policy binding.
type Binding struct {
	Role      string          `json:"role"`
	Members   []string        `json:"members"`
	Condition json.RawMessage `json:"condition"`
}

// IAMPolicy reads a bucket's IAM policy (buckets.getIamPolicy, version 3,
// so conditional bindings are listed with their condition).
func (c *Client) IAMPolicy(ctx context.Context, bucket string) ([]Binding, error) {
	var p struct {
		Bindings []Binding `json:"bindings"`
	}
	if err := c.getJSON(ctx, bucketPath(bucket)+"/iam", url.Values{"optionsRequestedPolicyVersion": {"3"}}, &p); err != nil {
		return nil, err
	}
	return p.Bindings, nil
}

// ListBuckets reads one page of a project's bucket names (buckets.list);
// next is "" on the last page.
func (c *Client) ListBuckets(ctx context.Context, project, token string) (names []string, next string, err error) {
	var page struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
		NextPageToken string `json:"nextPageToken"`
	}
	q := url.Values{"project": {project}, "maxResults": {strconv.Itoa(pageSize)}, "projection": {"noAcl"},
		"fields": {"items/name,nextPageToken"}}
	if token != "" {
		q.Set("pageToken", token)
	}
	if err := c.getJSON(ctx, "b", q, &page); err != nil {
		return nil, "", err
	}
	if err := checkPageToken(page.NextPageToken); err != nil {
		return nil, "", err
	}
	for _, b := range page.Items {
		names = append(names, b.Name)
	}
	return names, page.NextPageToken, nil
}

// ObjectAttrs is the part of an object resource the scanner reads.
type ObjectAttrs struct {
	Name               string    `json:"name"`
	ETag               string    `json:"etag"`
	Generation         int64s    `json:"generation"`
	Updated            time.Time `json:"updated"`
	Size               int64s    `json:"size"`
	StorageClass       string    `json:"storageClass"`
	KMSKeyName         string    `json:"kmsKeyName"`
	CustomerEncryption *struct {
		KeySHA256 string `json:"keySha256"`
	} `json:"customerEncryption"`
}

// ListObjects reads one page of a bucket's objects under prefix
// (objects.list); next is "" on the last page.
func (c *Client) ListObjects(ctx context.Context, bucket, prefix, token string) (objs []ObjectAttrs, next string, err error) {
	var page struct {
		Items         []ObjectAttrs `json:"items"`
		NextPageToken string        `json:"nextPageToken"`
	}
	q := url.Values{"maxResults": {strconv.Itoa(pageSize)}, "projection": {"noAcl"},
		"fields": {"items(name,etag,generation,updated,size,storageClass,kmsKeyName,customerEncryption),nextPageToken"}}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	if token != "" {
		q.Set("pageToken", token)
	}
	if err := c.getJSON(ctx, bucketPath(bucket)+"/o", q, &page); err != nil {
		return nil, "", err
	}
	if err := checkPageToken(page.NextPageToken); err != nil {
		return nil, "", err
	}
	return page.Items, page.NextPageToken, nil
}

// maxPageToken bounds a page token: GCS's are a few hundred bytes (an
// object name is at most 1,024), and each is sent back in a URL.
const maxPageToken = 16 << 10

func checkPageToken(t string) error {
	if len(t) > maxPageToken {
		return fmt.Errorf("a page token of %d bytes, over %d KiB: not the JSON API's answer", len(t), maxPageToken>>10)
	}
	return nil
}

// ReadRange opens length bytes from start of one generation of an object
// (objects.get, alt=media, with a Range header). The body is bounded by
// ctx; the caller also limits what it reads. A server that ignores the
// range has the bytes before start skipped; a range past the end (an
// empty object) reads as empty.
func (c *Client) ReadRange(ctx context.Context, bucket, object string, generation, start, length int64) (io.ReadCloser, error) {
	if start < 0 || length <= 0 {
		return nil, fmt.Errorf("gcs: bad range %d+%d", start, length)
	}
	q := url.Values{"alt": {"media"}}
	if generation != 0 {
		q.Set("generation", strconv.FormatInt(generation, 10))
	}
	h := http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", start, start+length-1)}}
	resp, err := c.get(ctx, bucketPath(bucket)+"/o/"+url.PathEscape(object), q, h)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		return io.NopCloser(strings.NewReader("")), nil
	case resp.StatusCode != http.StatusPartialContent && start > 0:
		if _, err := io.CopyN(io.Discard, resp.Body, start); err != nil && !errors.Is(err, io.EOF) {
			resp.Body.Close()
			return nil, fmt.Errorf("gcs: skipping to byte %d of an object served whole: %w", start, err)
		}
	}
	return resp.Body, nil
}
