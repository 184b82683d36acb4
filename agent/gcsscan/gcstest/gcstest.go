// Package gcstest serves the GCS JSON API for tests: fake-gcs-server in
// memory, with a handler in front for what it lacks (a bucket's location,
// uniform access, public access prevention, encryption, labels, logging,
// legacy ACL and its IAM policy), in the JSON API's documented shapes.
package gcstest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/require"
)

// Settings are a bucket's settings the fake server does not keep; Denied
// names the calls that answer 403: "iam" (its IAM policy), "attrs" (the
// bucket), "acl" (the bucket with its ACL, projection=full, as for a
// caller without storage.buckets.getIamPolicy).
type Settings struct {
	Location, LocationType string
	Uniform, Prevention    bool
	KMSKey                 string
	Labels                 map[string]string
	LogBucket              string
	ACLPublic              bool              // a legacy ACL READER grant to allUsers
	Bindings               map[string]string // IAM member -> role
	Denied                 map[string]bool
}

type front struct {
	next    http.Handler
	buckets map[string]Settings
}

func jsonError(w http.ResponseWriter, code int, reason string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": reason,
		"errors": []map[string]string{{"reason": reason, "message": reason}}}})
}

func (f front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/storage/v1/b/")
	if !ok || r.Method != http.MethodGet {
		f.next.ServeHTTP(w, r)
		return
	}
	name, sub, _ := strings.Cut(rest, "/")
	s, known := f.buckets[name]
	switch {
	case !known:
		f.next.ServeHTTP(w, r)
	case sub == "iam":
		if s.Denied["iam"] {
			jsonError(w, http.StatusForbidden, "forbidden")
			return
		}
		var bindings []map[string]any
		for m, role := range s.Bindings {
			bindings = append(bindings, map[string]any{"role": role, "members": []string{m}})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": "storage#policy", "resourceId": "projects/_/buckets/" + name,
			"version": 3, "etag": "CAE=", "bindings": bindings})
	case sub == "":
		full := r.URL.Query().Get("projection") == "full"
		if s.Denied["attrs"] || (full && s.Denied["acl"]) {
			jsonError(w, http.StatusForbidden, "forbidden")
			return
		}
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r)
		var b map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &b) != nil {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		b["location"], b["locationType"] = s.Location, s.LocationType
		prevention := "inherited"
		if s.Prevention {
			prevention = "enforced"
		}
		b["iamConfiguration"] = map[string]any{"uniformBucketLevelAccess": map[string]any{"enabled": s.Uniform},
			"publicAccessPrevention": prevention}
		if s.KMSKey != "" {
			b["encryption"] = map[string]any{"defaultKmsKeyName": s.KMSKey}
		}
		if len(s.Labels) > 0 {
			b["labels"] = s.Labels
		}
		if s.LogBucket != "" {
			b["logging"] = map[string]any{"logBucket": s.LogBucket}
		}
		// The ACL comes only with projection=full. It is sent under
		// uniform access too, so tests show the scanner ignores it there.
		delete(b, "acl")
		if full {
			acl := []map[string]any{{"entity": "project-owners-1", "role": "OWNER"}}
			if s.ACLPublic {
				acl = append(acl, map[string]any{"entity": "allUsers", "role": "READER"})
			}
			b["acl"] = acl
		}
		var out bytes.Buffer
		_ = json.NewEncoder(&out).Encode(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out.Bytes())
	default:
		f.next.ServeHTTP(w, r)
	}
}

// Object is one object to seed.
type Object struct {
	Bucket, Name string
	Content      []byte
}

// Server starts the server with the buckets' settings and objects, and
// returns its JSON API endpoint (http://127.0.0.1:PORT/storage/v1/) and
// the fake server, to change objects between scans.
func Server(t *testing.T, buckets map[string]Settings, objects []Object) (string, *fakestorage.Server) {
	var initial []fakestorage.Object
	seeded := map[string]bool{}
	for _, o := range objects {
		seeded[o.Bucket] = true
		initial = append(initial, fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: o.Bucket, Name: o.Name}, Content: o.Content})
	}
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, InitialObjects: initial, Writer: nil})
	require.NoError(t, err)
	for name := range buckets {
		if seeded[name] {
			continue
		}
		fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
	}
	srv := httptest.NewServer(front{next: fake.HTTPHandler(), buckets: buckets})
	t.Cleanup(srv.Close)
	t.Cleanup(fake.Stop)
	return srv.URL + "/storage/v1/", fake
}
