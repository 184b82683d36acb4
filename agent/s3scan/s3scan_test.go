package s3scan

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/agent/s3scan/s3test"
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

func TestBuckets(t *testing.T) {
	var docx bytes.Buffer
	require.NoError(t, docgen.WriteDOCX(&docx, []string{"Employee SSN: 123-45-6780"}))
	conditioned := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::private-cond/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::private-cond/*"}]}`
	openPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::public-policy/*"}]}`
	buckets := map[string]s3test.Settings{
		"public-acl": {Region: "eu-west-1", ACLPublic: true},
		"public-policy": {Region: "us-east-2", Policy: openPolicy, PolicyPublic: true, Encryption: "AES256", Logging: true,
			Ownership: "BucketOwnerEnforced", Tags: map[string]string{"owner": "crm-team"}},
		"private-cond": {Region: "eu-central-1", Policy: conditioned, Encryption: "aws:kms"},
		"blocked":      {Region: "us-west-2", ACLPublic: true, BlockAll: true, Encryption: "aws:kms"},
		"denied":       {Region: "eu-north-1", Denied: map[string]bool{"policyStatus": true, "acl": true}},
	}
	objects := map[string]map[string][]byte{
		"public-acl":    {"crm/customers.csv": []byte("name,email\nAnn,ann@example.com\nBob,bob@example.org\n"), "img/logo.png": {0x89, 'P', 'N', 'G', 0, 0}},
		"public-policy": {"export/users.json": []byte(`{"users":[{"email":"c@example.com","card":"4111111111111111"}]}`)},
		"private-cond":  {"hr/letter.docx": docx.Bytes(), "logs/app.log.gz": gz(t, "login d@example.com\n")},
		"blocked":       {"notes.txt": []byte("nothing personal\n")},
		"denied":        {"a.txt": []byte("e@example.com\n")},
	}
	client := s3test.Client(s3test.Server(t, buckets, objects))
	var recs []wire.Record
	res, err := Scan(context.Background(), Options{Client: client, Account: "111111111111",
		Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		recs = append(recs, *r)
		return nil
	})
	require.NoError(t, err)

	type verdict struct{ region, jurisdiction, public, encrypted, evidence, partial string }
	got := map[string]verdict{}
	counts := map[string]int64{}
	var grants []string
	for _, r := range recs {
		switch {
		case r.Kind == wire.KindAsset && r.AssetType == "bucket":
			a := r.Attributes
			got[strings.TrimPrefix(r.Location, "s3://")] = verdict{a["region"], a["jurisdiction"], a["public"], a["encrypted"], a["public_evidence"], a["partial"]}
		case r.Kind == wire.KindPII:
			counts[strings.TrimPrefix(r.Location, "s3://")+" "+r.Type] = r.Count
		case r.Kind == wire.KindEntitlement:
			grants = append(grants, r.Permission+" "+strings.Join(r.Via, ""))
		}
	}
	require.Equal(t, map[string]verdict{
		"public-acl":    {"eu-west-1", "EU", "true", "false", "acl grants READ to AllUsers", ""},
		"public-policy": {"us-east-2", "US", "true", "true", "policy allows s3:GetObject to *", ""},
		// Principal "*" under a condition: S3's policy status says not public.
		"private-cond": {"eu-central-1", "EU", "false", "true", "policy allows s3:GetObject to * under a condition", ""},
		// A public ACL neutralised by Block Public Access.
		"blocked": {"us-west-2", "US", "false", "true", "acl grants READ to AllUsers", ""},
		// AccessDenied on two settings: partial with the reasons; objects still read.
		"denied": {"eu-north-1", "EU", "false", "false", "", "policy status: AccessDenied; acl: AccessDenied"},
	}, got)
	require.Equal(t, map[string]int64{
		"public-acl/crm/customers.csv email":          2,
		"public-policy/export/users.json email":       1,
		"public-policy/export/users.json credit_card": 1,
		"private-cond/hr/letter.docx us_ssn":          1,
		"private-cond/logs/app.log.gz email":          1,
		"denied/a.txt email":                          1,
	}, counts)
	require.Equal(t, []string{"write bucket policy: arn:aws:iam::999999999999:root"}, grants)
	for _, r := range recs {
		if r.Kind == wire.KindAsset && r.Location == "s3://public-policy" {
			require.Equal(t, "true", r.Attributes["access_logging"])
			require.Equal(t, "BucketOwnerEnforced", r.Attributes["object_ownership"])
			require.Equal(t, "crm-team", r.Attributes["tag:owner"])
			require.Equal(t, "enabled", r.Attributes["versioning"])
		}
		if r.Kind == wire.KindAsset && r.AssetType == "object" {
			require.NotEmpty(t, r.Attributes["encryption"])
		}
	}
	require.Equal(t, wire.StatusPartial, res.Status)
	sort.Strings(res.Errors)
	require.Equal(t, []string{"s3://denied: acl: AccessDenied", "s3://denied: policy status: AccessDenied"}, res.Errors)
}

// A bucket of 100,000 objects is listed through to the end, a page at a
// time, while only the sampled few are read.
func TestLargeBucketListing(t *testing.T) {
	objs := map[string][]byte{}
	for i := 0; i < 100000; i++ {
		objs[fmt.Sprintf("logs/%06d.log", i)] = []byte("x\n")
	}
	client := s3test.Client(s3test.Server(t, map[string]s3test.Settings{"big": {Region: "eu-west-1"}}, map[string]map[string][]byte{"big": objs}))
	res, err := Scan(context.Background(), Options{Client: client, Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k")),
		Sampling: objscan.Sampling{SamplePercent: 0.05, MaxObjects: 1 << 30}}}, func(*wire.Record) error { return nil })
	require.NoError(t, err)
	require.EqualValues(t, 100000, res.Stats["objects_listed"])
	require.Less(t, res.Stats["objects_read"], int64(200), "a 0.05 percent sample")
	require.Positive(t, res.Stats["objects_read"])
}

// A second scan with the state reads no unchanged object and reports the
// same findings; the state file holds no raw value.
func TestIncremental(t *testing.T) {
	url := s3test.Server(t, map[string]s3test.Settings{"b": {Region: "eu-west-1"}}, map[string]map[string][]byte{
		"b": {"a.csv": []byte("email\nann.smith@example.com\n"), "n.txt": []byte("nothing\n")}})
	tok := pii.NewTokenizer([]byte("k"))
	path := t.TempDir() + "/s3-state.json"
	run := func() (map[string]int64, *wire.Record) {
		st, err := LoadState(path, tok, "")
		require.NoError(t, err)
		counts := map[string]int64{}
		res, err := Scan(context.Background(), Options{Client: s3test.Client(url), Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: tok, State: st}},
			func(r *wire.Record) error {
				if r.Kind == wire.KindPII {
					counts[r.Location+" "+r.Type] = r.Count
				}
				return nil
			})
		require.NoError(t, err)
		require.NoError(t, st.Save())
		return counts, res
	}
	first, r1 := run()
	second, r2 := run()
	require.Equal(t, map[string]int64{"s3://b/a.csv email": 1}, first)
	require.Equal(t, first, second)
	require.EqualValues(t, 2, r1.Stats["objects_read"])
	require.EqualValues(t, 0, r2.Stats["objects_read"])
	require.EqualValues(t, 2, r2.Stats["objects_unchanged"])
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotContains(t, string(data), "ann.smith")
	require.NoError(t, os.WriteFile(path, []byte("{damaged"), 0o600))
	_, err = LoadState(path, tok, "")
	require.ErrorContains(t, err, "damaged")
}

// The account's Block Public Access overrides a bucket's public ACL.
func TestAccountBlockPublicAccess(t *testing.T) {
	url := s3test.Server(t, map[string]s3test.Settings{
		"open":            {Region: "eu-west-1", ACLPublic: true},
		s3test.AccountKey: {BlockAll: true},
	}, map[string]map[string][]byte{"open": {"a.txt": []byte("x\n")}})
	var bucket wire.Record
	_, err := Scan(context.Background(), Options{Client: s3test.Client(url), Control: s3test.Control(url), Account: "111111111111",
		Buckets: []string{"open"}, Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}}, func(r *wire.Record) error {
		if r.Kind == wire.KindAsset && r.AssetType == "bucket" {
			bucket = *r
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, "true", bucket.Attributes["account_block_public_access"])
	require.Equal(t, "false", bucket.Attributes["public"])
	require.Equal(t, "acl grants READ to AllUsers", bucket.Attributes["public_evidence"])
}

// RandomStart samples a big text object from an offset fixed by its key;
// a compressed one is still read from its top.
func TestRandomStart(t *testing.T) {
	big := strings.Repeat("filler line without anything personal\n", 200) // 7,600 bytes
	url := s3test.Server(t, map[string]s3test.Settings{"b": {Region: "eu-west-1"}}, map[string]map[string][]byte{
		"b": {"app.log": []byte(big + "mail f@example.com\n"), "app.log.gz": gz(t, big+"mail g@example.com\n")}})
	partial := map[string]string{}
	_, err := Scan(context.Background(), Options{Client: s3test.Client(url), Common: objscan.Common{Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k")),
		Sampling: objscan.Sampling{BytesPerObject: 1000, RandomStart: true}}}, func(r *wire.Record) error {
		if r.Kind == wire.KindAsset && r.AssetType == "object" {
			partial[r.Location] = r.Attributes["partial"]
		}
		return nil
	})
	require.NoError(t, err)
	bs := objscan.Sampling{RandomStart: true, BytesPerObject: 1000}
	off := bs.Start("app.log", int64(len(big)+19))
	require.Positive(t, off, "this key's offset")
	require.Zero(t, bs.Start("app.log.gz", 1<<20))
	require.Zero(t, bs.Start("report.docx", 1<<20))
	if p, ok := partial["s3://b/app.log"]; ok { // found only when the window holds the address
		require.Equal(t, fmt.Sprintf("sampled 1000 of %d bytes from byte %d", len(big)+19, off), p)
	}
}
