package gcsscan

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/gcsscan/gcstest"
	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/agent/objscan"
)

func anon(t *testing.T, endpoint string) *Client {
	c, err := NewClient(context.Background(), Credentials{Endpoint: endpoint, Anonymous: true})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// Ranges come back exact from fake-gcs-server, names with characters
// that need escaping reach the right object, and an empty object reads
// as empty.
func TestReadRange(t *testing.T) {
	names := []string{"dir/a b+c?d#e%f.txt", "é/ü", "plain"}
	var objs []gcstest.Object
	for _, n := range names {
		objs = append(objs, gcstest.Object{Bucket: "b", Name: n, Content: []byte("0123456789-" + n)})
	}
	objs = append(objs, gcstest.Object{Bucket: "b", Name: "empty", Content: nil})
	endpoint, _ := gcstest.Server(t, map[string]gcstest.Settings{"b": {Location: "EU"}}, objs)
	c := anon(t, endpoint)
	ctx := context.Background()
	listed, next, err := c.ListObjects(ctx, "b", "", "")
	require.NoError(t, err)
	require.Empty(t, next)
	gen := map[string]int64{}
	for _, o := range listed {
		gen[o.Name] = int64(o.Generation)
		require.NotZero(t, o.Generation, o.Name)
		require.False(t, o.Updated.IsZero(), o.Name)
	}
	require.Len(t, gen, 4)
	for _, n := range names {
		r, err := c.ReadRange(ctx, "b", n, gen[n], 3, 4)
		require.NoError(t, err, n)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.Equal(t, "3456", string(got), n)
	}
	r, err := c.ReadRange(ctx, "b", "empty", gen["empty"], 0, 100)
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = c.ReadRange(ctx, "b", "missing", 0, 0, 10)
	require.Equal(t, 404, err.(*APIError).Code)
}

// TestCallBounds: scans.gcs.call_timeout and max_response_bytes reach the
// client: a bucket's answer larger than a lowered bound fails the call,
// and a server that never answers ends the call at its timeout, retries
// included.
func TestCallBounds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/storage/v1/b/silent" {
			<-r.Context().Done()
			return
		}
		w.Write([]byte(`{"name":"big","location":"EU","labels":{"x":"` + strings.Repeat("x", 2048) + `"}}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name, bucket, want string
		bounds             limits.Call
	}{
		{"defaults", "big", "", limits.Call{}},
		{"max_response_bytes 1024", "big", "over 1024 bytes (scans.gcs.max_response_bytes)", limits.Call{MaxResponseBytes: 1024}},
		{"call_timeout 1s, silent server", "silent", "deadline", limits.Call{Timeout: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(context.Background(), Credentials{Endpoint: srv.URL, Anonymous: true, Bounds: tc.bounds})
			require.NoError(t, err)
			t.Cleanup(c.Close)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // 5 times the call's bound
			defer cancel()
			_, err = c.Bucket(ctx, tc.bucket, true)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
			require.NoError(t, ctx.Err(), "the call's own bound ended it")
		})
	}
}

// A hostile or broken server: answers too large, a page token that
// repeats, a range ignored; transient errors are retried and others are
// not; an error's reason is kept.
func TestHostileServer(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case r.URL.Path == "/storage/v1/b/huge":
			w.Write([]byte(`{"name":"`))
			w.Write([]byte(strings.Repeat("x", limits.GCSMaxResponseBytes+10)))
		case r.URL.Path == "/storage/v1/b/flaky" && n < 3:
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/storage/v1/b/flaky":
			w.Write([]byte(`{"name":"flaky","location":"EU","retentionPolicy":{"retentionPeriod":"86400"}}`))
		case r.URL.Path == "/storage/v1/b/denied":
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":{"code":403,"message":"no","errors":[{"reason":"forbidden","message":"no"}]}}`))
		case r.URL.Path == "/storage/v1/b/bad":
			w.Write([]byte(`{"name":"bad","retentionPolicy":{"retentionPeriod":"soon"}}`))
		case r.URL.Path == "/storage/v1/b/loop/o":
			w.Write([]byte(`{"items":[{"name":"a","size":"3","generation":"7"}],"nextPageToken":"same"}`))
		case r.URL.Path == "/storage/v1/b/loop/o/a":
			// Range ignored: the whole object.
			w.Write([]byte("0123456789"))
		case r.URL.Path == "/storage/v1/b":
			w.Write([]byte(`{"items":[{"name":"x"}],"nextPageToken":"again"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c := anon(t, srv.URL) // a bare host gets the API's path
	ctx := context.Background()

	_, err := c.Bucket(ctx, "huge", true)
	require.ErrorContains(t, err, "over 16777216 bytes")

	calls.Store(0)
	b, err := c.Bucket(ctx, "flaky", true)
	require.NoError(t, err)
	require.EqualValues(t, 3, calls.Load(), "two 503s retried")
	require.EqualValues(t, 86400, b.RetentionPolicy.RetentionPeriod)

	calls.Store(0)
	_, err = c.Bucket(ctx, "denied", true)
	require.Equal(t, "403 forbidden", describe(err))
	require.EqualValues(t, 1, calls.Load(), "a 403 is not retried")

	_, err = c.Bucket(ctx, "bad", true)
	require.ErrorContains(t, err, "not the JSON API's")

	_, err = c.Bucket(ctx, "gone", true)
	require.Equal(t, "404 not_found", describe(err))

	_, err = listBuckets(ctx, c, "p")
	require.ErrorIs(t, err, objscan.ErrRepeatedToken)

	r, err := c.ReadRange(ctx, "loop", "a", 7, 4, 3)
	require.NoError(t, err)
	got, _ := io.ReadAll(io.LimitReader(r, 3))
	require.Equal(t, "456", string(got), "bytes before the range skipped")
	r.Close()

	sampling := objscan.Sampling{}.WithDefaults()
	sampling.MaxObjects = 1000
	sampling.SamplePercent = 0.0001 // list only
	bs := bucketScan{o: Options{Client: c}, name: "loop", ob: &objscan.Bucket{Sampling: sampling, Stats: map[string]int64{}, Describe: describe}}
	require.NoError(t, bs.objects(ctx))
	require.Equal(t, []string{"listing objects: " + objscan.ErrRepeatedToken.Error()}, bs.ob.Partial)
}

// A key file that is not a service account key is refused by name; a
// service account key is taken without a network call.
func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	user := dir + "/user.json"
	require.NoError(t, os.WriteFile(user, []byte(`{"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"}`), 0o600))
	_, err := NewClient(context.Background(), Credentials{File: user})
	require.ErrorContains(t, err, "is not a service account key")
	_, err = NewClient(context.Background(), Credentials{File: dir + "/missing.json"})
	require.ErrorContains(t, err, "gcs credentials file")
	_, err = NewClient(context.Background(), Credentials{Endpoint: "ftp://x", Anonymous: true})
	require.ErrorContains(t, err, "want an http(s) URL")

}

// A service account key signs a JWT that the token endpoint exchanges for
// an access token, which every call then carries.
func TestServiceAccountJWT(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	var tokens atomic.Int32
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, r.ParseForm())
		assert.Equal(t, "urn:ietf:params:oauth:grant-type:jwt-bearer", r.Form.Get("grant_type"))
		parts := strings.Split(r.Form.Get("assertion"), ".")
		assert.Len(t, parts, 3)
		if len(parts) != 3 {
			return
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		assert.NoError(t, err)
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		assert.NoError(t, rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig), "signed with the key")
		claims, err := base64.RawURLEncoding.DecodeString(parts[1])
		assert.NoError(t, err)
		assert.Contains(t, string(claims), `"iss":"scan@p.iam.gserviceaccount.com"`)
		assert.Contains(t, string(claims), scope)
		tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`))
	}))
	defer tokenSrv.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"name":"b","location":"EU"}`))
	}))
	defer api.Close()

	sa := t.TempDir() + "/sa.json"
	data, err := json.Marshal(map[string]string{"type": "service_account", "client_email": "scan@p.iam.gserviceaccount.com",
		"private_key_id": "k1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token_uri": tokenSrv.URL})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(sa, data, 0o600))
	c, err := NewClient(context.Background(), Credentials{File: sa, Endpoint: api.URL + "/storage/v1/"})
	require.NoError(t, err)
	for range 2 {
		b, err := c.Bucket(context.Background(), "b", true)
		require.NoError(t, err)
		require.Equal(t, "EU", b.Location)
	}
	require.EqualValues(t, 1, tokens.Load(), "the token is reused")
}

// FuzzDecode feeds server answers to the decoders: they fail or decode,
// never panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"name":"b","retentionPolicy":{"retentionPeriod":"10"},"acl":[{"entity":"allUsers","role":"READER"}]}`))
	f.Add([]byte(`{"items":[{"name":"a","size":"3","generation":"-1","updated":"2024-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"error":{"errors":[{"reason":"x"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b BucketAttrs
		_ = json.Unmarshal(data, &b)
		var page struct {
			Items []ObjectAttrs `json:"items"`
		}
		_ = json.Unmarshal(data, &page)
		_ = apiError(&http.Response{StatusCode: 500, Body: io.NopCloser(strings.NewReader(string(data)))})
	})
}
