package s3scan

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/extract/docgen"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// settings are the bucket settings gofakes3 does not implement, served in
// S3's documented XML by a handler in front of it; denied lists the
// settings that answer AccessDenied.
type settings struct {
	region, policy, encryption string
	policyPublic, blockAll     bool
	aclPublic                  bool
	denied                     map[string]bool
}

type front struct {
	next    http.Handler
	buckets map[string]settings
}

func xmlError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}

func (f front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	s, ok := f.buckets[parts[0]]
	q := r.URL.Query()
	if !ok || r.Method != http.MethodGet || len(parts) > 1 && parts[1] != "" {
		f.next.ServeHTTP(w, r)
		return
	}
	for _, sub := range []string{"location", "policyStatus", "publicAccessBlock", "acl", "policy", "encryption", "versioning"} {
		if _, has := q[sub]; !has {
			continue
		}
		if s.denied[sub] {
			xmlError(w, 403, "AccessDenied")
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		const ns = `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`
		switch sub {
		case "location":
			fmt.Fprintf(w, `<LocationConstraint %s>%s</LocationConstraint>`, ns, s.region)
		case "policyStatus":
			fmt.Fprintf(w, `<PolicyStatus %s><IsPublic>%v</IsPublic></PolicyStatus>`, ns, s.policyPublic)
		case "publicAccessBlock":
			if !s.blockAll {
				xmlError(w, 404, "NoSuchPublicAccessBlockConfiguration")
				return
			}
			fmt.Fprintf(w, `<PublicAccessBlockConfiguration %s><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`, ns)
		case "acl":
			grant := ""
			if s.aclPublic {
				grant = `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>`
			}
			fmt.Fprintf(w, `<AccessControlPolicy %s><Owner><ID>owner</ID></Owner><AccessControlList>%s</AccessControlList></AccessControlPolicy>`, ns, grant)
		case "policy":
			if s.policy == "" {
				xmlError(w, 404, "NoSuchBucketPolicy")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, s.policy)
		case "encryption":
			if s.encryption == "" {
				xmlError(w, 404, "ServerSideEncryptionConfigurationNotFoundError")
				return
			}
			fmt.Fprintf(w, `<ServerSideEncryptionConfiguration %s><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>%s</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, ns, s.encryption)
		case "versioning":
			fmt.Fprintf(w, `<VersioningConfiguration %s><Status>Enabled</Status></VersioningConfiguration>`, ns)
		}
		return
	}
	f.next.ServeHTTP(w, r)
}

func newServer(t *testing.T, buckets map[string]settings, objects map[string]map[string][]byte) *s3.Client {
	t.Helper()
	backend := s3mem.New()
	for b, objs := range objects {
		require.NoError(t, backend.CreateBucket(b))
		for k, v := range objs {
			_, err := backend.PutObject(b, k, map[string]string{}, bytes.NewReader(v), int64(len(v)), nil)
			require.NoError(t, err)
		}
	}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.StdLog(log.New(io.Discard, "", 0))))
	srv := httptest.NewServer(front{next: faker.Server(), buckets: buckets})
	t.Cleanup(srv.Close)
	return s3.New(s3.Options{BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
}

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
	buckets := map[string]settings{
		"public-acl":    {region: "eu-west-1", aclPublic: true},
		"public-policy": {region: "us-east-2", policy: openPolicy, policyPublic: true, encryption: "AES256"},
		"private-cond":  {region: "eu-central-1", policy: conditioned, encryption: "aws:kms"},
		"blocked":       {region: "us-west-2", aclPublic: true, blockAll: true, encryption: "aws:kms"},
		"denied":        {region: "eu-north-1", denied: map[string]bool{"policyStatus": true, "acl": true}},
	}
	objects := map[string]map[string][]byte{
		"public-acl":    {"crm/customers.csv": []byte("name,email\nAnn,ann@example.com\nBob,bob@example.org\n"), "img/logo.png": {0x89, 'P', 'N', 'G', 0, 0}},
		"public-policy": {"export/users.json": []byte(`{"users":[{"email":"c@example.com","card":"4111111111111111"}]}`)},
		"private-cond":  {"hr/letter.docx": docx.Bytes(), "logs/app.log.gz": gz(t, "login d@example.com\n")},
		"blocked":       {"notes.txt": []byte("nothing personal\n")},
		"denied":        {"a.txt": []byte("e@example.com\n")},
	}
	client := newServer(t, buckets, objects)
	var recs []wire.Record
	res, err := Scan(context.Background(), Options{Client: client, Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k")),
		Account: "111111111111"}, func(r *wire.Record) error {
		require.NoError(t, r.Validate())
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
	client := newServer(t, map[string]settings{"big": {region: "eu-west-1"}}, map[string]map[string][]byte{"big": objs})
	res, err := Scan(context.Background(), Options{Client: client, Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k")),
		SamplePercent: 0.05, MaxObjects: 1 << 30}, func(*wire.Record) error { return nil })
	require.NoError(t, err)
	require.EqualValues(t, 100000, res.Stats["objects_listed"])
	require.Less(t, res.Stats["objects_read"], int64(200), "a 0.05 percent sample")
	require.Positive(t, res.Stats["objects_read"])
}
