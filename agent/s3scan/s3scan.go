// Package s3scan reads S3 buckets (region and jurisdiction, public verdict
// with its evidence, Block Public Access, encryption, versioning) and a
// sample of their objects, whose content goes through the same format
// readers and detectors as files. Each bucket setting that cannot be read
// (AccessDenied) makes that bucket partial with the reason; the rest of the
// scan goes on.
package s3scan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go"

	"github.com/sightline-dev/sightline/agent/awspolicy"
	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/wire"
)

// API is the part of the S3 client the scan uses.
type API interface {
	ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketPolicyStatus(context.Context, *s3.GetBucketPolicyStatusInput, ...func(*s3.Options)) (*s3.GetBucketPolicyStatusOutput, error)
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketAcl(context.Context, *s3.GetBucketAclInput, ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetBucketLogging(context.Context, *s3.GetBucketLoggingInput, ...func(*s3.Options)) (*s3.GetBucketLoggingOutput, error)
	GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// ControlAPI is the account-level part of S3 the scan uses.
type ControlAPI interface {
	GetPublicAccessBlock(context.Context, *s3control.GetPublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
}

// Options configures an S3 scan.
type Options struct {
	Client API
	// Control, with Account, reads the account's Block Public Access,
	// which overrides every bucket's.
	Control ControlAPI
	Buckets []string // empty: every bucket the credentials list
	Account string   // the AWS account, for locations and ids
	// Common: prefix (only keys under it), sampling (ranged GETs),
	// detector, state (incremental by ETag and last-modified time; the
	// caller saves it after the scan), envelope.
	objscan.Common
}

// Scan reads the buckets and emits records. It fails only when it cannot
// run at all (no bucket list, emit failing, a cancelled context).
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	if o.Client == nil || o.Detector == nil || o.Tokenizer == nil {
		return nil, errors.New("s3scan: Client, Detector and Tokenizer are required")
	}
	run := o.Begin("s3", wire.SourceS3, o.Account)
	buckets := o.Buckets
	if len(buckets) == 0 {
		out, err := o.Client.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			run.Problem("listing buckets: " + describe(err))
			return run.Finish(wire.StatusFailed, emit)
		}
		for _, bk := range out.Buckets {
			buckets = append(buckets, aws.ToString(bk.Name))
		}
	}
	var account blockPublic
	if o.Control != nil && o.Account != "" {
		out, err := o.Control.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(o.Account)})
		switch {
		case err == nil && out.PublicAccessBlockConfiguration != nil:
			p := out.PublicAccessBlockConfiguration
			account = blockPublic{set: true, ignoreACLs: aws.ToBool(p.IgnorePublicAcls), restrict: aws.ToBool(p.RestrictPublicBuckets),
				all: aws.ToBool(p.BlockPublicAcls) && aws.ToBool(p.IgnorePublicAcls) && aws.ToBool(p.BlockPublicPolicy) && aws.ToBool(p.RestrictPublicBuckets)}
		case err != nil && !notConfigured(err):
			run.Problem("account public access block: " + describe(err))
		}
	}
	return objscan.ScanBuckets(ctx, run, emit, buckets, func(name string) string { return "s3://" + name },
		func(ctx context.Context, name string) ([]string, error) {
			bs := bucketScan{o: o, account: account, name: name,
				ob: o.NewBucket(run, emit, wire.SourceS3, o.Account, name, "s3://"+name, describe)}
			err := bs.run(ctx)
			return bs.ob.Partial, err
		})
}

// describe names an AWS error by its code, without the request's details.
func describe(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "unreachable: " + strings.Join(strings.Fields(err.Error()), " ")
}

// notConfigured reports the errors S3 gives for a setting that is simply
// not set on the bucket.
func notConfigured(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "NoSuchPublicAccessBlockConfiguration", "NoSuchBucketPolicy", "NoSuchPublicAccessBlock", "ServerSideEncryptionConfigurationNotFoundError",
		"NoSuchPolicyStatus", "OwnershipControlsNotFoundError", "NoSuchTagSet":
		return true
	}
	return false
}

// blockPublic is an account's Block Public Access.
type blockPublic struct{ set, ignoreACLs, restrict, all bool }

type bucketScan struct {
	o       Options
	account blockPublic
	name    string
	ob      *objscan.Bucket
}

func (b *bucketScan) run(ctx context.Context) error {
	c := b.o.Client
	bk := aws.String(b.name)
	a := map[string]string{}
	fail := func(what string, err error) {
		b.ob.Partial = append(b.ob.Partial, what+": "+describe(err))
	}
	region := "us-east-1"
	if out, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: bk}); err == nil {
		if out.LocationConstraint != "" {
			region = string(out.LocationConstraint)
		}
	} else {
		fail("location", err)
		region = "unknown"
	}
	a["region"], a["jurisdiction"] = region, objscan.Jurisdiction(region)

	var ignoreACLs, restrictPublic bool
	if out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bk}); err == nil && out.PublicAccessBlockConfiguration != nil {
		p := out.PublicAccessBlockConfiguration
		ignoreACLs, restrictPublic = aws.ToBool(p.IgnorePublicAcls), aws.ToBool(p.RestrictPublicBuckets)
		all := aws.ToBool(p.BlockPublicAcls) && ignoreACLs && aws.ToBool(p.BlockPublicPolicy) && restrictPublic
		a["block_public_access"] = strconv.FormatBool(all)
	} else if err != nil && !notConfigured(err) {
		fail("public access block", err)
	} else {
		a["block_public_access"] = "false"
	}
	policyPublic := false
	if out, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: bk}); err == nil && out.PolicyStatus != nil {
		policyPublic = aws.ToBool(out.PolicyStatus.IsPublic)
	} else if err != nil && !notConfigured(err) {
		fail("policy status", err)
	}
	var evidence []string
	aclPublic := false
	if out, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bk}); err == nil {
		for _, g := range out.Grants {
			if g.Grantee == nil || g.Grantee.URI == nil {
				continue
			}
			switch uri := aws.ToString(g.Grantee.URI); {
			case strings.HasSuffix(uri, "/global/AllUsers"), strings.HasSuffix(uri, "/global/AuthenticatedUsers"):
				aclPublic = true
				evidence = append(evidence, "acl grants "+string(g.Permission)+" to "+uri[strings.LastIndexByte(uri, '/')+1:])
			}
		}
	} else {
		fail("acl", err)
	}
	var principals []policyGrant
	if out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bk}); err == nil {
		ev, ps := readPolicy(aws.ToString(out.Policy), b.o.Account)
		evidence = append(evidence, ev...)
		principals = ps
	} else if !notConfigured(err) {
		fail("policy", err)
	}
	// The verdict is S3's own (policy status), plus public ACL grants;
	// Block Public Access settings, the bucket's or the account's, that
	// neutralise either are honoured.
	ignoreACLs = ignoreACLs || b.account.ignoreACLs
	restrictPublic = restrictPublic || b.account.restrict
	if b.account.set {
		a["account_block_public_access"] = strconv.FormatBool(b.account.all)
	}
	public := (policyPublic && !restrictPublic) || (aclPublic && !ignoreACLs)
	a["public"] = strconv.FormatBool(public)
	if len(evidence) > 0 {
		sort.Strings(evidence)
		a["public_evidence"] = strings.Join(evidence, "; ")
	}
	if out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: bk}); err == nil && out.ServerSideEncryptionConfiguration != nil {
		alg := "none"
		for _, r := range out.ServerSideEncryptionConfiguration.Rules {
			if r.ApplyServerSideEncryptionByDefault != nil {
				alg = string(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
			}
		}
		a["encryption"] = alg
	} else if err != nil && !notConfigured(err) {
		fail("encryption", err)
	} else {
		a["encryption"] = "none"
	}
	a["encrypted"] = strconv.FormatBool(a["encryption"] != "none" && a["encryption"] != "")
	if out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bk}); err == nil {
		a["versioning"] = strings.ToLower(string(out.Status))
		if a["versioning"] == "" {
			a["versioning"] = "disabled"
		}
	} else {
		fail("versioning", err)
	}

	if out, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: bk}); err == nil {
		a["access_logging"] = strconv.FormatBool(out.LoggingEnabled != nil)
	} else {
		fail("logging", err)
	}
	if out, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: bk}); err == nil && out.OwnershipControls != nil {
		for _, r := range out.OwnershipControls.Rules {
			a["object_ownership"] = string(r.ObjectOwnership)
		}
	} else if err != nil && !notConfigured(err) {
		fail("ownership controls", err)
	}
	if out, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: bk}); err == nil {
		for i, t := range out.TagSet {
			if i < 20 { // attributes are bounded; owners and data classes come first in practice
				a["tag:"+aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
	} else if !notConfigured(err) {
		fail("tagging", err)
	}

	if err := b.objects(ctx); err != nil {
		return err
	}
	bucketID, err := b.ob.EmitBucket(a, b.ob.Partial)
	if err != nil {
		return err
	}
	for _, p := range principals {
		e := b.ob.Env(wire.KindEntitlement)
		e.PrincipalID = wire.StableID(wire.SourceIAM, p.principal)
		e.ResourceID, e.ResourceType, e.Permission, e.Via = bucketID, "bucket", p.permission, []string{"bucket policy: " + p.principal}
		if err := b.ob.Emit(&e); err != nil {
			return err
		}
	}
	return nil
}

// objects lists the bucket page by page (memory holds one page) and reads
// the sampled objects into b.ob, which then emits the bucket.
func (b *bucketScan) objects(ctx context.Context) error {
	ob := b.ob
	p := s3.NewListObjectsV2Paginator(b.o.Client, &s3.ListObjectsV2Input{Bucket: aws.String(b.name), Prefix: aws.String(b.o.Prefix)})
	// An endpoint that repeats a token or answers empty pages without end
	// stops the listing (partial) instead of holding the scan forever.
	var paging objscan.Paging
	for p.HasMorePages() && !ob.Full() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return ob.ListingFailed(ctx, "listing objects", err)
		}
		for _, obj := range page.Contents {
			o := objscan.Object{Key: aws.ToString(obj.Key), ETag: strings.Trim(aws.ToString(obj.ETag), `"`),
				Modified: aws.ToTime(obj.LastModified), Size: aws.ToInt64(obj.Size),
				Attributes: map[string]string{"storage_class": string(obj.StorageClass)}}
			if err := ob.Object(ctx, o, b.opener(obj.Key)); err != nil {
				return err
			}
		}
		next := ""
		if aws.ToBool(page.IsTruncated) {
			next = aws.ToString(page.NextContinuationToken)
		}
		if err := paging.Next(next, len(page.Contents)); err != nil {
			ob.Partial = append(ob.Partial, "listing objects: "+err.Error())
			return nil
		}
	}
	return nil
}

// opener reads a range of one object with a ranged GET.
func (b *bucketScan) opener(key *string) objscan.Opener {
	return func(ctx context.Context, start, length int64) (io.ReadCloser, string, error) {
		out, err := b.o.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.name), Key: key,
			Range: aws.String(fmt.Sprintf("bytes=%d-%d", start, start+length-1))})
		if err != nil {
			return nil, "", err
		}
		return out.Body, string(out.ServerSideEncryption), nil
	}
}

// policyGrant is a principal outside the account a bucket policy lets in.
type policyGrant struct{ principal, permission string }

// readPolicy reads a bucket policy: evidence of public statements
// (Principal "*" allowed; noted with their conditions, which S3's policy
// status already weighs) and principals of other accounts.
func readPolicy(doc, account string) ([]string, []policyGrant) {
	var p struct {
		Statement []struct {
			Effect    string
			Principal any
			Action    any
			Condition map[string]any
		}
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return []string{"policy unreadable"}, nil
	}
	var ev []string
	var grants []policyGrant
	for _, s := range p.Statement {
		if !strings.EqualFold(s.Effect, "Allow") {
			continue
		}
		actions := strings.Join(awspolicy.Strings(s.Action), ",")
		perm := "read"
		if strings.Contains(actions, "Put") || strings.Contains(actions, "Delete") || strings.Contains(actions, "s3:*") || actions == "*" {
			perm = "write"
		}
		for _, pr := range principals(s.Principal) {
			switch {
			case pr == "*":
				if len(s.Condition) > 0 {
					ev = append(ev, "policy allows "+actions+" to * under a condition")
				} else {
					ev = append(ev, "policy allows "+actions+" to *")
				}
			case account == "" || !strings.Contains(pr, ":"+account+":"):
				grants = append(grants, policyGrant{pr, perm})
			}
		}
	}
	return ev, grants
}

func principals(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	if m, ok := v.(map[string]any); ok {
		var out []string
		for _, k := range []string{"AWS", "Service", "Federated", "CanonicalUser"} {
			out = append(out, awspolicy.Strings(m[k])...)
		}
		return out
	}
	return nil
}
