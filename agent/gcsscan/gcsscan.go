// Package gcsscan reads Google Cloud Storage buckets (location and
// jurisdiction, public verdict from IAM bindings and legacy ACLs under
// public access prevention, uniform access, encryption, versioning,
// logging, labels), their IAM policies as principals and entitlements
// (iam.go), and a sample of their objects, whose content goes through the
// same reader as S3 objects and files (package objscan). Each bucket
// setting that cannot be read makes that bucket partial with the reason;
// the rest of the scan goes on.
package gcsscan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options configures a GCS scan.
type Options struct {
	Client *Client
	// Project lists its buckets when Buckets is empty, and is the host of
	// the records (bucket names are global, so ids do not need it).
	Project string
	Buckets []string
	// Common: prefix, sampling, detector, state (incremental by ETag and
	// update time; the caller saves it after the scan), envelope.
	objscan.Common
}

// LoadState reads the incremental state at path (see objscan.LoadState).
func LoadState(path string, tok *pii.Tokenizer, detectors string) (*objscan.State, error) {
	return objscan.LoadState(path, "sightline-gcs-state", "GCS scan state", tok, detectors)
}

// Scan reads the buckets and emits records. It fails only when it cannot
// run at all (no bucket list, emit failing, a cancelled context).
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	if o.Client == nil || o.Detector == nil || o.Tokenizer == nil {
		return nil, errors.New("gcsscan: Client, Detector and Tokenizer are required")
	}
	run := o.Begin("gcs", wire.SourceGCS, o.Project)
	buckets := o.Buckets
	if len(buckets) == 0 {
		if o.Project == "" {
			run.Problem("listing buckets: name the project (project, --project) or the buckets")
			return run.Finish(wire.StatusFailed, emit)
		}
		var err error
		if buckets, err = listBuckets(ctx, o.Client, o.Project); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			run.Problem("listing buckets: " + describe(err))
			return run.Finish(wire.StatusFailed, emit)
		}
	}
	// The IAM policies first: a member's principal record says whether
	// any bucket makes it an administrator, so it waits for all of them.
	policies := make(map[string]policy, len(buckets))
	var members policyPrincipals
	for _, name := range buckets {
		bindings, err := o.Client.IAMPolicy(ctx, name)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		policies[name] = policy{bindings, err}
		members.add(name, bindings)
	}
	for _, r := range members.records(run.Record) {
		if err := emit(&r); err != nil {
			return nil, err
		}
		run.Stats["principals"]++
	}
	return objscan.ScanBuckets(ctx, run, emit, buckets, func(name string) string { return "gs://" + name },
		func(ctx context.Context, name string) ([]string, error) {
			bs := bucketScan{o: o, name: name, policy: policies[name],
				ob: o.NewBucket(run, emit, wire.SourceGCS, o.Project, name, "gs://"+name, describe)}
			err := bs.run(ctx)
			return bs.ob.Partial, err
		})
}

// describe names a GCS error by its HTTP status and reason, without the
// request's details.
func describe(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.Reason != "" {
			return strconv.Itoa(ae.Code) + " " + ae.Reason
		}
		return strconv.Itoa(ae.Code) + " " + strings.ReplaceAll(strings.ToLower(http.StatusText(ae.Code)), " ", "_")
	}
	if errors.Is(err, objscan.ErrPaging) || errors.Is(err, errTooMany) {
		return err.Error()
	}
	return "unreachable: " + strings.Join(strings.Fields(err.Error()), " ")
}

// policy is a bucket's IAM policy as read, or why it could not be.
type policy struct {
	bindings []Binding
	err      error
}

type bucketScan struct {
	o      Options
	name   string
	policy policy
	ob     *objscan.Bucket
}

// publicMembers are the IAM members and ACL entities that are everyone.
var publicMembers = map[string]bool{"allUsers": true, "allAuthenticatedUsers": true}

func (b *bucketScan) run(ctx context.Context) error {
	a := map[string]string{}
	fail := func(what string, err error) { b.ob.Partial = append(b.ob.Partial, what+": "+describe(err)) }
	var evidence []string
	prevention := false
	ubla := false
	at, err := b.o.Client.Bucket(ctx, b.name, true)
	aclRead := err == nil
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == http.StatusForbidden {
		// Reading the ACL takes more than reading the bucket: without it
		// the bucket's other settings are still worth having.
		if at, err = b.o.Client.Bucket(ctx, b.name, false); err == nil {
			fail("acl", ae)
		}
	}
	if err == nil {
		region := strings.ToLower(at.Location)
		a["region"], a["jurisdiction"] = cmp.Or(region, "unknown"), objscan.Jurisdiction(region)
		if at.LocationType != "" {
			a["location_type"] = at.LocationType
		}
		a["storage_class"] = at.StorageClass
		ubla = at.IAMConfiguration.UniformBucketLevelAccess.Enabled
		a["uniform_access"] = strconv.FormatBool(ubla)
		prevention = at.IAMConfiguration.PublicAccessPrevention == "enforced"
		a["public_access_prevention"] = strconv.FormatBool(prevention)
		// Google encrypts every object at rest; what varies is the key.
		a["encrypted"], a["encryption"] = "true", "google-managed"
		if at.Encryption != nil && at.Encryption.DefaultKMSKeyName != "" {
			a["encryption"], a["kms_key"] = "kms", at.Encryption.DefaultKMSKeyName
		}
		a["versioning"] = "disabled"
		if at.Versioning != nil && at.Versioning.Enabled {
			a["versioning"] = "enabled"
		}
		a["access_logging"] = strconv.FormatBool(at.Logging != nil && at.Logging.LogBucket != "")
		if at.RetentionPolicy != nil {
			a["retention"] = (time.Duration(at.RetentionPolicy.RetentionPeriod) * time.Second).String()
		}
		labels := slices.Sorted(maps.Keys(at.Labels))
		for i, k := range labels {
			if i < 20 { // attributes are bounded
				a["tag:"+k] = at.Labels[k]
			}
		}
		if !ubla { // legacy ACLs count only without uniform access
			for _, r := range at.ACL {
				if publicMembers[r.Entity] {
					evidence = append(evidence, "acl grants "+r.Role+" to "+r.Entity)
				}
			}
		}
	} else {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fail("attributes", err)
		a["region"], a["jurisdiction"] = "unknown", "unknown"
	}
	if err := b.policy.err; err == nil {
		for _, bd := range b.policy.bindings {
			// A legacy bucket role the ACL read above already showed
			// (Cloud Storage keeps each ACL entry as such a binding) is
			// evidence once.
			if aclRead && !ubla && strings.HasPrefix(bd.Role, "roles/storage.legacyBucket") {
				continue
			}
			for _, m := range bd.Members {
				if publicMembers[m] {
					ev := "iam grants " + bd.Role + " to " + m
					if len(bd.Condition) > 0 && string(bd.Condition) != "null" {
						ev += " under a condition"
					}
					evidence = append(evidence, ev)
				}
			}
		}
	} else {
		fail("iam policy", err)
	}
	// Public access prevention refuses every public grant, whatever the
	// policy or ACLs say.
	sort.Strings(evidence)
	a["public"] = strconv.FormatBool(len(evidence) > 0 && !prevention)
	if len(evidence) > 0 {
		a["public_evidence"] = strings.Join(evidence, "; ")
	}

	if err := b.objects(ctx); err != nil {
		return err
	}
	bucketID, err := b.ob.EmitBucket(a, b.ob.Partial)
	if err != nil {
		return err
	}
	for _, g := range grantsOf(b.policy.bindings, prevention) {
		e := b.ob.Env(wire.KindEntitlement)
		e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission, e.Via = g.principalID, bucketID, "bucket", g.permission, g.via
		if err := b.ob.Emit(&e); err != nil {
			return err
		}
		b.ob.Stats["entitlements"]++
	}
	return nil
}

// errTooMany is a project with more buckets than a scan takes.
var errTooMany = fmt.Errorf("more than %d buckets; name the buckets to scan", maxBuckets)

// maxBuckets bounds a project's bucket list (and the memory it takes).
const maxBuckets = 100_000

// listBuckets lists a project's bucket names page by page.
func listBuckets(ctx context.Context, c *Client, project string) ([]string, error) {
	var names []string
	var paging objscan.Paging
	token := ""
	for {
		page, next, err := c.ListBuckets(ctx, project, token)
		if err != nil {
			return nil, err
		}
		names = append(names, page...)
		if len(names) > maxBuckets {
			return nil, errTooMany
		}
		if err := paging.Next(next, len(page)); err != nil {
			return nil, err
		}
		if next == "" {
			return names, nil
		}
		token = next
	}
}

// objects lists the bucket page by page (memory holds one page) and
// reads the sampled objects into b.ob, which then emits the bucket.
func (b *bucketScan) objects(ctx context.Context) error {
	ob := b.ob
	token := ""
	var paging objscan.Paging // only tokens' hashes are kept: a page's objects are let go
	for !ob.Full() {
		page, next, err := b.o.Client.ListObjects(ctx, b.name, b.o.Prefix, token)
		if err != nil {
			return ob.ListingFailed(ctx, "listing objects", err)
		}
		for _, at := range page {
			if ob.Full() {
				break
			}
			// The generation changes with every write of an object: it
			// stands in for an ETag a server leaves out.
			etag := cmp.Or(at.ETag, "g"+strconv.FormatInt(int64(at.Generation), 10))
			o := objscan.Object{Key: at.Name, ETag: etag, Modified: at.Updated, Size: int64(at.Size),
				Attributes: map[string]string{"storage_class": at.StorageClass}}
			if err := ob.Object(ctx, o, b.opener(at.Name, int64(at.Generation), objectEncryption(at))); err != nil {
				return err
			}
		}
		if err := paging.Next(next, len(page)); err != nil {
			ob.Partial = append(ob.Partial, "listing objects: "+err.Error())
			break
		}
		if next == "" {
			break
		}
		token = next
	}
	return nil
}

// objectEncryption names an object's key: a customer-supplied one, a
// Cloud KMS key, else Google's.
func objectEncryption(at ObjectAttrs) string {
	switch {
	case at.CustomerEncryption != nil && at.CustomerEncryption.KeySHA256 != "":
		return "customer-supplied-key"
	case at.KMSKeyName != "":
		return "kms"
	}
	return "google-managed"
}

// opener reads a range of one generation of an object.
func (b *bucketScan) opener(name string, generation int64, encryption string) objscan.Opener {
	return func(ctx context.Context, start, length int64) (io.ReadCloser, string, error) {
		r, err := b.o.Client.ReadRange(ctx, b.name, name, generation, start, length)
		if err != nil {
			return nil, "", err
		}
		return r, encryption, nil
	}
}
