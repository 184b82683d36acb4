// Package s3test serves the S3 protocol for tests: gofakes3 in memory,
// with a handler in front for the bucket settings gofakes3 lacks (policy
// status, public access block, ACL, policy, encryption, location,
// versioning), in S3's documented XML.
package s3test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
)

// Settings are the bucket settings gofakes3 does not implement, served in
// S3's documented XML by a handler in front of it; denied lists the
// settings that answer AccessDenied.
type Settings struct {
	Region, Policy, Encryption string
	PolicyPublic, BlockAll     bool
	ACLPublic                  bool
	Logging                    bool
	Ownership                  string            // e.g. BucketOwnerEnforced
	Tags                       map[string]string // bucket tags
	Denied                     map[string]bool
}

type front struct {
	next    http.Handler
	buckets map[string]Settings
}

func xmlError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}

// AccountKey in a Server's settings holds the account's Block Public
// Access (BlockAll), served on the S3 Control path.
const AccountKey = "*account*"

func (f front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v20180820/configuration/publicAccessBlock" && r.Method == http.MethodGet {
		s, ok := f.buckets[AccountKey]
		if !ok || !s.BlockAll {
			xmlError(w, 404, "NoSuchPublicAccessBlockConfiguration")
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, `<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`)
		return
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	s, ok := f.buckets[parts[0]]
	q := r.URL.Query()
	if !ok || r.Method != http.MethodGet || len(parts) > 1 && parts[1] != "" {
		f.next.ServeHTTP(w, r)
		return
	}
	for _, sub := range []string{"location", "policyStatus", "publicAccessBlock", "acl", "policy", "encryption", "versioning",
		"logging", "ownershipControls", "tagging"} {
		if _, has := q[sub]; !has {
			continue
		}
		if s.Denied[sub] {
			xmlError(w, 403, "AccessDenied")
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		const ns = `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`
		switch sub {
		case "location":
			fmt.Fprintf(w, `<LocationConstraint %s>%s</LocationConstraint>`, ns, s.Region)
		case "policyStatus":
			fmt.Fprintf(w, `<PolicyStatus %s><IsPublic>%v</IsPublic></PolicyStatus>`, ns, s.PolicyPublic)
		case "publicAccessBlock":
			if !s.BlockAll {
				xmlError(w, 404, "NoSuchPublicAccessBlockConfiguration")
				return
			}
			fmt.Fprintf(w, `<PublicAccessBlockConfiguration %s><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`, ns)
		case "acl":
			grant := ""
			if s.ACLPublic {
				grant = `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>`
			}
			fmt.Fprintf(w, `<AccessControlPolicy %s><Owner><ID>owner</ID></Owner><AccessControlList>%s</AccessControlList></AccessControlPolicy>`, ns, grant)
		case "policy":
			if s.Policy == "" {
				xmlError(w, 404, "NoSuchBucketPolicy")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, s.Policy)
		case "encryption":
			if s.Encryption == "" {
				xmlError(w, 404, "ServerSideEncryptionConfigurationNotFoundError")
				return
			}
			fmt.Fprintf(w, `<ServerSideEncryptionConfiguration %s><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>%s</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`, ns, s.Encryption)
		case "logging":
			if s.Logging {
				fmt.Fprintf(w, `<BucketLoggingStatus %s><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>%s/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`, ns, parts[0])
			} else {
				fmt.Fprintf(w, `<BucketLoggingStatus %s/>`, ns)
			}
		case "ownershipControls":
			if s.Ownership == "" {
				xmlError(w, 404, "OwnershipControlsNotFoundError")
				return
			}
			fmt.Fprintf(w, `<OwnershipControls %s><Rule><ObjectOwnership>%s</ObjectOwnership></Rule></OwnershipControls>`, ns, s.Ownership)
		case "tagging":
			if len(s.Tags) == 0 {
				xmlError(w, 404, "NoSuchTagSet")
				return
			}
			var tags strings.Builder
			for k, v := range s.Tags {
				fmt.Fprintf(&tags, `<Tag><Key>%s</Key><Value>%s</Value></Tag>`, k, v)
			}
			fmt.Fprintf(w, `<Tagging %s><TagSet>%s</TagSet></Tagging>`, ns, tags.String())
		case "versioning":
			fmt.Fprintf(w, `<VersioningConfiguration %s><Status>Enabled</Status></VersioningConfiguration>`, ns)
		}
		return
	}
	f.next.ServeHTTP(w, r)
}

// Server starts an S3-protocol server (gofakes3 in memory, with the
// settings it lacks served in front) holding objects, and returns its URL.
func Server(t *testing.T, buckets map[string]Settings, objects map[string]map[string][]byte) string {
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
	return srv.URL
}

// Control returns an S3 Control client for a Server's URL. S3 Control puts
// the account id in front of the host name; every host is dialled to the
// test server.
func Control(serverURL string) *s3control.Client {
	addr := strings.TrimPrefix(serverURL, "http://")
	dialer := &net.Dialer{}
	return s3control.New(s3control.Options{BaseEndpoint: aws.String(serverURL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		}}}})
}

// Client returns an S3 client for a Server's URL with static test keys.
func Client(url string) *s3.Client {
	return s3.New(s3.Options{BaseEndpoint: aws.String(url), UsePathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
}
