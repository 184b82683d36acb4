package gcsscan

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/gcsscan/gcstest"
	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/extract/docgen"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func scan(t *testing.T, endpoint string, o Options) ([]wire.Record, *wire.Record) {
	t.Helper()
	c, err := NewClient(context.Background(), Credentials{Endpoint: endpoint, Anonymous: true})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	o.Client = c
	if o.Tokenizer == nil {
		o.Tokenizer = pii.NewTokenizer([]byte("k"))
	}
	o.Detector = pii.NewDefault()
	var recs []wire.Record
	res, err := Scan(context.Background(), o, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		recs = append(recs, *r)
		return nil
	})
	require.NoError(t, err)
	return recs, res
}

func TestBuckets(t *testing.T) {
	var docx bytes.Buffer
	require.NoError(t, docgen.WriteDOCX(&docx, []string{"Employee SSN: 123-45-6780"}))
	endpoint, _ := gcstest.Server(t, map[string]gcstest.Settings{
		"public-iam": {Location: "EUROPE-WEST1", LocationType: "region", Uniform: true,
			Bindings: map[string]string{"allUsers": "roles/storage.objectViewer", "user:ann@example.com": "roles/storage.admin"},
			Labels:   map[string]string{"owner": "crm-team"}, LogBucket: "logs"},
		"public-acl": {Location: "US", LocationType: "multi-region", ACLPublic: true, KMSKey: "projects/p/locations/us/keyRings/r/cryptoKeys/k"},
		// Public grants refused by public access prevention; an ACL
		// ignored under uniform access.
		"prevented": {Location: "US-EAST1", LocationType: "region", Prevention: true, ACLPublic: true,
			Bindings: map[string]string{"allAuthenticatedUsers": "roles/storage.objectViewer"}},
		"uniform-acl": {Location: "ASIA-NORTHEAST1", LocationType: "region", Uniform: true, ACLPublic: true},
		"denied":      {Location: "EUROPE-NORTH1", LocationType: "region", Denied: map[string]bool{"iam": true}},
		// A caller who may read the bucket but not its ACL or policy
		// still gets the bucket's other settings.
		"viewer-only": {Location: "EUROPE-WEST3", LocationType: "region", ACLPublic: true, KMSKey: "projects/p/k",
			Denied: map[string]bool{"iam": true, "acl": true}},
	}, []gcstest.Object{
		{Bucket: "public-iam", Name: "crm/customers.csv", Content: []byte("name,email\nAnn,ann@example.com\nBob,bob@example.org\n")},
		{Bucket: "public-iam", Name: "img/logo.png", Content: []byte{0x89, 'P', 'N', 'G', 0, 0}},
		{Bucket: "public-acl", Name: "export/users.json", Content: []byte(`{"users":[{"email":"c@example.com","card":"4111111111111111"}]}`)},
		{Bucket: "prevented", Name: "hr/letter.docx", Content: docx.Bytes()},
		{Bucket: "prevented", Name: "logs/app.log.gz", Content: gz(t, "login d@example.com\n")},
		{Bucket: "uniform-acl", Name: "notes.txt", Content: []byte("nothing personal\n")},
		{Bucket: "denied", Name: "a.txt", Content: []byte("e@example.com\n")},
	})
	recs, res := scan(t, endpoint, Options{Project: "proj-1"})

	type verdict struct{ region, jurisdiction, public, evidence, encryption, encrypted, uniform, prevention, partial string }
	got := map[string]verdict{}
	counts := map[string]int64{}
	objects := map[string]map[string]string{}
	for _, r := range recs {
		loc := strings.TrimPrefix(r.Location, "gs://")
		switch {
		case r.Kind == wire.KindAsset && r.AssetType == "bucket":
			a := r.Attributes
			got[loc] = verdict{a["region"], a["jurisdiction"], a["public"], a["public_evidence"], a["encryption"], a["encrypted"],
				a["uniform_access"], a["public_access_prevention"], a["partial"]}
			require.Equal(t, wire.SourceGCS, r.Source)
			require.Equal(t, "proj-1", r.Host)
		case r.Kind == wire.KindAsset && r.AssetType == "object":
			objects[loc] = r.Attributes
		case r.Kind == wire.KindPII:
			counts[loc+" "+r.Type] = r.Count
		}
	}
	require.Equal(t, map[string]verdict{
		"public-iam": {"europe-west1", "EU", "true", "iam grants roles/storage.objectViewer to allUsers", "google-managed", "true", "true", "false", ""},
		"public-acl": {"us", "US", "true", "acl grants READER to allUsers", "kms", "true", "false", "false", ""},
		"prevented": {"us-east1", "US", "false", "acl grants READER to allUsers; iam grants roles/storage.objectViewer to allAuthenticatedUsers",
			"google-managed", "true", "false", "true", ""},
		"uniform-acl": {"asia-northeast1", "APAC", "false", "", "google-managed", "true", "true", "false", ""},
		"denied":      {"europe-north1", "EU", "false", "", "google-managed", "true", "false", "false", "iam policy: 403 forbidden"},
		"viewer-only": {"europe-west3", "EU", "false", "", "kms", "true", "false", "false", "acl: 403 forbidden; iam policy: 403 forbidden"},
	}, got)
	require.Equal(t, map[string]int64{
		"public-iam/crm/customers.csv email":       2,
		"public-acl/export/users.json email":       1,
		"public-acl/export/users.json credit_card": 1,
		"prevented/hr/letter.docx us_ssn":          1,
		"prevented/logs/app.log.gz email":          1,
		"denied/a.txt email":                       1,
	}, counts)
	a := objects["public-iam/crm/customers.csv"]
	require.Equal(t, "public-iam", a["bucket"])
	require.Equal(t, "google-managed", a["encryption"])
	require.NotEmpty(t, a["etag"])
	for _, r := range recs {
		if r.Kind == wire.KindAsset && r.Location == "gs://public-iam" {
			require.Equal(t, "crm-team", r.Attributes["tag:owner"])
			require.Equal(t, "true", r.Attributes["access_logging"])
			require.Equal(t, "region", r.Attributes["location_type"])
		}
	}
	require.Equal(t, wire.StatusPartial, res.Status)
	sort.Strings(res.Errors)
	require.Equal(t, []string{"gs://denied: iam policy: 403 forbidden", "gs://viewer-only: acl: 403 forbidden",
		"gs://viewer-only: iam policy: 403 forbidden"}, res.Errors)
}

// A second scan with the state reads no unchanged object and reports the
// same findings; an object rewritten since is read again.
func TestIncremental(t *testing.T) {
	endpoint, fake := gcstest.Server(t, map[string]gcstest.Settings{"b": {Location: "EU", LocationType: "multi-region"}}, []gcstest.Object{
		{Bucket: "b", Name: "a.csv", Content: []byte("email\nann.smith@example.com\n")},
		{Bucket: "b", Name: "n.txt", Content: []byte("nothing\n")},
	})
	tok := pii.NewTokenizer([]byte("k"))
	path := t.TempDir() + "/gcs-state.json"
	run := func() (map[string]int64, *wire.Record) {
		st, err := LoadState(path, tok, "")
		require.NoError(t, err)
		recs, res := scan(t, endpoint, Options{Buckets: []string{"b"}, Common: objscan.Common{State: st, Tokenizer: tok}})
		require.NoError(t, st.Save())
		counts := map[string]int64{}
		for _, r := range recs {
			if r.Kind == wire.KindPII {
				counts[r.Location+" "+r.Type] = r.Count
			}
		}
		return counts, res
	}
	first, r1 := run()
	second, r2 := run()
	require.Equal(t, map[string]int64{"gs://b/a.csv email": 1}, first)
	require.Equal(t, first, second)
	require.EqualValues(t, 2, r1.Stats["objects_read"])
	require.EqualValues(t, 0, r2.Stats["objects_read"])
	require.EqualValues(t, 2, r2.Stats["objects_unchanged"])
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(data), "ann.smith")

	fake.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "b", Name: "n.txt"},
		Content: []byte("now b@example.com and c@example.com\n")})
	third, r3 := run()
	require.Equal(t, map[string]int64{"gs://b/a.csv email": 1, "gs://b/n.txt email": 2}, third)
	require.EqualValues(t, 1, r3.Stats["objects_read"])
	require.EqualValues(t, 1, r3.Stats["objects_unchanged"])
}

// The object budget and the per-object byte budget hold.
func TestBudgets(t *testing.T) {
	big := []byte(strings.Repeat("filler line without anything personal\n", 200) + "mail f@example.com\n")
	var objs []gcstest.Object
	for _, n := range []string{"a.log", "b.log", "c.log", "d.log"} {
		objs = append(objs, gcstest.Object{Bucket: "b", Name: n, Content: big})
	}
	endpoint, _ := gcstest.Server(t, map[string]gcstest.Settings{"b": {Location: "EU"}}, objs)
	recs, res := scan(t, endpoint, Options{Buckets: []string{"b"}, Common: objscan.Common{Sampling: objscan.Sampling{MaxObjects: 2, BytesPerObject: 1000}}})
	require.EqualValues(t, 2, res.Stats["objects_read"])
	require.EqualValues(t, 2000, res.Stats["bytes"])
	for _, r := range recs {
		require.NotEqual(t, wire.KindPII, r.Kind, "the address lies past the first 1000 bytes")
	}
}

// Listing a project's buckets needs the project; a bucket that does not
// exist is partial, not the end of the scan.
func TestProjectAndMissingBucket(t *testing.T) {
	endpoint, _ := gcstest.Server(t, map[string]gcstest.Settings{"b": {Location: "EU"}}, []gcstest.Object{
		{Bucket: "b", Name: "a.txt", Content: []byte("x@example.com\n")}})
	_, res := scan(t, endpoint, Options{})
	require.Equal(t, wire.StatusFailed, res.Status)
	require.Contains(t, res.Errors[0], "name the project")
	recs, res := scan(t, endpoint, Options{Project: "proj-1"})
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)
	var buckets []string
	for _, r := range recs {
		if r.AssetType == "bucket" {
			buckets = append(buckets, r.Location)
		}
	}
	require.Equal(t, []string{"gs://b"}, buckets)
}
