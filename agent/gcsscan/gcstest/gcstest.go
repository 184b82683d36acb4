// Package gcstest serves the GCS JSON API for tests: fake-gcs-server in
// memory, with a handler in front for what it lacks (a bucket's location,
// uniform access, public access prevention, encryption, labels, logging,
// legacy ACL and its IAM policy, getIamPolicy answering 403 to a caller
// denied it), in the JSON API's documented shapes.
package gcstest

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
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
	ACLPublic              bool                // a legacy ACL READER grant to allUsers
	Bindings               map[string]string   // IAM member -> role
	Roles                  map[string][]string // IAM role -> members, beside Bindings
	Denied                 map[string]bool
}

// Project is the project whose owners, editors and viewers every bucket's
// policy names, as a new bucket's default policy does.
const Project = "test-project"

// policy is the bucket's IAM policy as getIamPolicy answers it: one
// binding per role, members sorted. Like a real bucket's, it holds the
// default legacy bindings of the project's owners, editors and viewers,
// and (without uniform access) the ACL's entries as members of the legacy
// bucket roles; then the bindings of s.
func (s Settings) policy() []map[string]any {
	roles := map[string]map[string]bool{}
	bind := func(role string, members ...string) {
		if roles[role] == nil {
			roles[role] = map[string]bool{}
		}
		for _, m := range members {
			roles[role][m] = true
		}
	}
	bind("roles/storage.legacyBucketOwner", "projectOwner:"+Project, "projectEditor:"+Project)
	bind("roles/storage.legacyBucketReader", "projectViewer:"+Project)
	if s.ACLPublic && !s.Uniform {
		bind("roles/storage.legacyBucketReader", "allUsers")
	}
	for m, role := range s.Bindings {
		bind(role, m)
	}
	for role, ms := range s.Roles {
		bind(role, ms...)
	}
	names := slices.Sorted(maps.Keys(roles))
	out := make([]map[string]any, 0, len(names))
	for _, r := range names {
		ms := make([]string, 0, len(roles[r])) // [] for a role without members, as GCS answers
		for m := range roles[r] {
			ms = append(ms, m)
		}
		slices.Sort(ms)
		out = append(out, map[string]any{"role": r, "members": ms})
	}
	return out
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
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": "storage#policy", "resourceId": "projects/_/buckets/" + name,
			"version": 1, "etag": "CAE=", "bindings": s.policy()})
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
