// Package azblobscan reads the blob containers of an Azure storage account
// (public access level, checked by an anonymous request; stored access
// policies; default encryption scope; immutability; the account's
// replication and logging)
// and a sample of their blobs, whose content goes through the same reader
// as S3 objects and files (package objscan). Azure's data plane does not
// say where an account lives, so its region comes from the configuration;
// nor who may use the account: Azure RBAC role assignments live in Azure
// Resource Manager, which this scanner does not call, so it reports no
// principals or entitlements.
package azblobscan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/sightline-dev/sightline/agent/objscan"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options configures a scan of one storage account.
type Options struct {
	// Client is the account's blob service, with credentials; Account is
	// its name (the host of the records and of every location,
	// azblob://ACCOUNT/CONTAINER/BLOB).
	Client  *service.Client
	Account string
	// Anonymous, when set, is the same service without credentials: a
	// container whose access level is public is checked by an anonymous
	// request, since an account that disallows public access keeps the
	// level but refuses the request.
	Anonymous  *service.Client
	Containers []string // empty: every container listed
	// Region is the account's Azure region (westeurope), from the
	// configuration: the data plane does not tell it.
	Region string
	// Common: prefix, sampling, detector, state (incremental by ETag and
	// last-modified time; the caller saves it after the scan), envelope.
	objscan.Common
}

// LoadState reads the incremental state at path (see objscan.LoadState).
func LoadState(path string, tok *pii.Tokenizer, detectors string) (*objscan.State, error) {
	return objscan.LoadState(path, "sightline-azblob-state", "Azure Blob scan state", tok, detectors)
}

// Location is where a container (blob "") or a blob is reported.
func Location(account, containerName, blobName string) string {
	loc := "azblob://" + account + "/" + containerName
	if blobName != "" {
		loc += "/" + blobName
	}
	return loc
}

// Scan reads the containers and emits records. It fails only when it
// cannot run at all (no container list, emit failing, a cancelled
// context).
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	if o.Client == nil || o.Account == "" || o.Detector == nil || o.Tokenizer == nil {
		return nil, errors.New("azblobscan: Client, Account, Detector and Tokenizer are required")
	}
	run := o.Begin("azblob", wire.SourceAzureBlob, o.Account)
	acct := accountAttributes(ctx, o.Client)
	for _, p := range acct.partial {
		run.Problem(Location(o.Account, "", "") + ": " + p)
	}
	names := map[string]*service.ContainerProperties{}
	if len(o.Containers) == 0 {
		p := o.Client.NewListContainersPager(&service.ListContainersOptions{Include: service.ListContainersInclude{Metadata: true}})
		var paging objscan.Paging
		for p.More() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				run.Problem("listing containers: " + describe(err))
				return run.Finish(wire.StatusFailed, emit)
			}
			for _, c := range page.ContainerItems {
				if c.Name != nil {
					names[*c.Name] = c.Properties
				}
			}
			if len(names) > maxContainers {
				run.Problem(fmt.Sprintf("listing containers: more than %d containers; name the containers to scan", maxContainers))
				return run.Finish(wire.StatusFailed, emit)
			}
			if err := paging.Next(deref(page.NextMarker), len(page.ContainerItems)); err != nil {
				run.Problem("listing containers: " + err.Error())
				return run.Finish(wire.StatusFailed, emit)
			}
		}
	} else {
		for _, n := range o.Containers {
			names[n] = nil
		}
	}
	sorted := slices.Sorted(maps.Keys(names))
	return objscan.ScanBuckets(ctx, run, emit, sorted, func(name string) string { return Location(o.Account, name, "") },
		func(ctx context.Context, name string) ([]string, error) {
			cs := containerScan{o: o, name: name, props: names[name], acct: acct.attrs,
				ob: o.NewBucket(run, emit, wire.SourceAzureBlob, o.Account, name, Location(o.Account, name, ""), describe)}
			err := cs.run(ctx)
			return cs.ob.Partial, err
		})
}

// describe names an Azure error by its code, without the request's
// details.
func describe(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		if re.ErrorCode != "" {
			return re.ErrorCode
		}
		return "HTTP " + strconv.Itoa(re.StatusCode)
	}
	return "unreachable: " + strings.Join(strings.Fields(err.Error()), " ")
}

type accountInfo struct {
	attrs   map[string]string
	partial []string
}

// accountAttributes reads what the account says of itself that matters
// for every container: its replication (a geo-redundant SKU keeps a copy
// in the paired region) and its request logging.
func accountAttributes(ctx context.Context, c *service.Client) accountInfo {
	a := accountInfo{attrs: map[string]string{}}
	if out, err := c.GetAccountInfo(ctx, nil); err == nil {
		if out.SKUName != nil {
			sku := string(*out.SKUName)
			a.attrs["sku"] = sku
			a.attrs["geo_redundant"] = strconv.FormatBool(strings.Contains(sku, "GRS") || strings.Contains(sku, "GZRS"))
		}
		if out.AccountKind != nil {
			a.attrs["account_kind"] = string(*out.AccountKind)
		}
	} else {
		a.partial = append(a.partial, "account info: "+describe(err))
	}
	if out, err := c.GetProperties(ctx, nil); err == nil {
		if out.Logging != nil {
			a.attrs["access_logging"] = strconv.FormatBool(deref(out.Logging.Read) || deref(out.Logging.Write) || deref(out.Logging.Delete))
		}
		if out.DeleteRetentionPolicy != nil {
			a.attrs["soft_delete"] = strconv.FormatBool(deref(out.DeleteRetentionPolicy.Enabled))
		}
		if out.StaticWebsite != nil && deref(out.StaticWebsite.Enabled) {
			// $web is served anonymously whatever its access level says.
			a.attrs["static_website"] = "true"
		}
	} else {
		a.partial = append(a.partial, "service properties: "+describe(err))
	}
	return a
}

type containerScan struct {
	o     Options
	name  string
	props *service.ContainerProperties // from the listing; nil when named in the config
	acct  map[string]string
	ob    *objscan.Bucket
}

func (c *containerScan) run(ctx context.Context) error {
	cc := c.o.Client.NewContainerClient(c.name)
	a := map[string]string{}
	for k, v := range c.acct {
		a[k] = v
	}
	region := cmp.Or(c.o.Region, "unknown")
	a["region"], a["jurisdiction"] = region, objscan.Jurisdiction(region)
	p := c.props
	if p == nil {
		out, err := cc.GetProperties(ctx, nil)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.ob.Partial = append(c.ob.Partial, "properties: "+describe(err))
		} else {
			p = &service.ContainerProperties{PublicAccess: out.BlobPublicAccess, DefaultEncryptionScope: out.DefaultEncryptionScope,
				PreventEncryptionScopeOverride: out.DenyEncryptionScopeOverride, HasImmutabilityPolicy: out.HasImmutabilityPolicy,
				HasLegalHold: out.HasLegalHold, IsImmutableStorageWithVersioningEnabled: out.IsImmutableStorageWithVersioningEnabled}
		}
	}
	level := "none"
	if p != nil {
		if p.PublicAccess != nil && *p.PublicAccess != "" {
			level = string(*p.PublicAccess)
		}
		// Azure encrypts every blob at rest and cannot be told not to; what
		// varies is the key: the account's ($account-encryption-key) or an
		// encryption scope's.
		scope := deref(p.DefaultEncryptionScope)
		a["encryption"] = "account-key"
		if scope != "" && scope != "$account-encryption-key" {
			a["encryption"] = "scope:" + scope
		}
		a["encrypted"] = "true"
		a["encryption_scope_enforced"] = strconv.FormatBool(deref(p.PreventEncryptionScopeOverride))
		a["immutable"] = strconv.FormatBool(deref(p.HasImmutabilityPolicy) || deref(p.IsImmutableStorageWithVersioningEnabled))
		a["legal_hold"] = strconv.FormatBool(deref(p.HasLegalHold))
	}
	if out, err := cc.GetAccessPolicy(ctx, nil); err == nil {
		for k, v := range storedPolicies(out.SignedIdentifiers) {
			a[k] = v
		}
	} else if ctx.Err() == nil {
		c.ob.Partial = append(c.ob.Partial, "access policy: "+describe(err))
	}
	a["public_access"] = level
	public, evidence := c.publicVerdict(ctx, level)
	if c.name == "$web" && c.acct["static_website"] == "true" {
		public, evidence = true, append(evidence, "served anonymously as the account's static website")
	}
	a["public"] = strconv.FormatBool(public)
	if len(evidence) > 0 {
		a["public_evidence"] = strings.Join(evidence, "; ")
	}

	if err := c.blobs(ctx, cc); err != nil {
		return err
	}
	_, err := c.ob.EmitBucket(a, c.ob.Partial)
	return err
}

// publicVerdict weighs a container's access level: "container" lets anyone
// list and read its blobs, "blob" read a blob whose name they know. The
// level alone can mislead (an account that disallows public access keeps
// it but refuses), so with an anonymous client an anonymous request
// decides: a listing for "container", a blob's properties for "blob".
func (c *containerScan) publicVerdict(ctx context.Context, level string) (bool, []string) {
	if level == "none" {
		return false, nil
	}
	ev := []string{"access level " + level}
	if c.o.Anonymous == nil {
		return true, ev
	}
	anon := c.o.Anonymous.NewContainerClient(c.name)
	var err error
	if level == string(container.PublicAccessTypeContainer) {
		_, err = anon.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{MaxResults: to.Ptr[int32](1)}).NextPage(ctx)
	} else {
		page, lerr := c.o.Client.NewContainerClient(c.name).NewListBlobsFlatPager(&container.ListBlobsFlatOptions{MaxResults: to.Ptr[int32](1)}).NextPage(ctx)
		items := blobItems(page)
		if lerr != nil || len(items) == 0 || items[0].Name == nil {
			return true, append(ev, "no blob to check anonymously")
		}
		_, err = anon.NewBlobClient(*items[0].Name).GetProperties(ctx, nil)
	}
	var re *azcore.ResponseError
	switch {
	case err == nil:
		return true, append(ev, "anonymous read allowed")
	case errors.As(err, &re) && (re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusUnauthorized ||
		re.StatusCode == http.StatusConflict || re.StatusCode == http.StatusNotFound):
		// 409 PublicAccessNotPermitted: the account disallows it.
		return false, append(ev, "anonymous read refused ("+describe(err)+")")
	default:
		return true, append(ev, "anonymous check failed: "+describe(err))
	}
}

// maxContainers bounds an account's container list (and the memory it
// takes), as the GCS scanner bounds a project's buckets.
const maxContainers = 100_000

// blobItems are a listing page's blobs. An answer without a <Blobs>
// element (an endpoint that is not Azure's) leaves the SDK's Segment nil:
// no blobs, not a crash of the agent.
func blobItems(page container.ListBlobsFlatResponse) []*container.BlobItem {
	if page.Segment == nil {
		return nil
	}
	return page.Segment.BlobItems
}

// blobs lists the container page by page (memory holds one page) and
// reads the sampled blobs into c.ob, which then emits the container.
func (c *containerScan) blobs(ctx context.Context, cc *container.Client) error {
	ob := c.ob
	opts := &container.ListBlobsFlatOptions{}
	if c.o.Prefix != "" {
		opts.Prefix = &c.o.Prefix
	}
	p := cc.NewListBlobsFlatPager(opts)
	var paging objscan.Paging // only markers' hashes are kept: a page's blobs are let go
	for p.More() && !ob.Full() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return ob.ListingFailed(ctx, "listing blobs", err)
		}
		items := blobItems(page)
		if err := paging.Next(deref(page.NextMarker), len(items)); err != nil {
			ob.Partial = append(ob.Partial, "listing blobs: "+err.Error())
			break
		}
		for _, it := range items {
			if it.Name == nil || it.Properties == nil {
				continue
			}
			pr := it.Properties
			attrs := map[string]string{}
			if pr.AccessTier != nil {
				attrs["storage_class"] = string(*pr.AccessTier)
			}
			if pr.BlobType != nil {
				attrs["blob_type"] = string(*pr.BlobType)
			}
			o := objscan.Object{Key: *it.Name, ETag: strings.Trim(string(deref(pr.ETag)), `"`), Modified: deref(pr.LastModified),
				Size: deref(pr.ContentLength), Attributes: attrs}
			if err := ob.Object(ctx, o, c.opener(cc.NewBlobClient(*it.Name), blobEncryption(pr))); err != nil {
				return err
			}
		}
	}
	return nil
}

// blobEncryption names a blob's encryption as its listing says: a
// customer-provided key, an encryption scope, or the account's key.
func blobEncryption(p *container.BlobProperties) string {
	switch {
	case deref(p.CustomerProvidedKeySHA256) != "":
		return "customer-provided-key"
	case deref(p.EncryptionScope) != "":
		return "scope:" + *p.EncryptionScope
	case deref(p.ServerEncrypted):
		return "account-key"
	}
	return ""
}

// opener reads a range of one blob.
func (c *containerScan) opener(bc *blob.Client, encryption string) objscan.Opener {
	return func(ctx context.Context, start, length int64) (io.ReadCloser, string, error) {
		out, err := bc.DownloadStream(ctx, &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: start, Count: length}})
		if err != nil {
			return nil, "", err
		}
		return out.Body, encryption, nil
	}
}

// sasPermissions are the permission letters of a container's stored
// access policy, in the order Azure writes them (read, add, create,
// write, delete, delete version, permanent delete, list, tags, find,
// move, execute, ownership, permissions, set immutability policy).
const sasPermissions = "racwdxyltfmeopi"

// storedPolicies are the facts a container's stored access policies
// (its signed identifiers, GetAccessPolicy) give its asset. They are not
// principals: a SAS token signed against a policy is a bearer secret the
// Blob API does not list, held by whoever was given it. So: how many
// policies (at most five), the widest permission they grant (the union
// of their letters, in Azure's order: what a token signed against one
// may be given at most), and whether any sets no expiry (then only each
// token's own expiry ends it; revoking means deleting the policy).
// Policy names are left out: they are free text.
func storedPolicies(ids []*container.SignedIdentifier) map[string]string {
	letters := map[rune]bool{}
	never := false
	n := 0
	for _, id := range ids {
		if id == nil {
			continue
		}
		n++
		if id.AccessPolicy == nil || id.AccessPolicy.Expiry == nil || id.AccessPolicy.Expiry.IsZero() {
			never = true
		}
		if id.AccessPolicy != nil {
			for _, c := range deref(id.AccessPolicy.Permission) {
				letters[c] = true
			}
		}
	}
	widest := ""
	for _, c := range sasPermissions {
		if letters[c] {
			widest += string(c)
		}
	}
	a := map[string]string{"stored_access_policies": strconv.Itoa(n),
		"stored_access_policy_never_expires": strconv.FormatBool(never)}
	if n > 0 {
		a["stored_access_policy_widest"] = cmp.Or(widest, "none")
	}
	return a
}

// deref is *p, or the zero value for nil (the SDK's optional fields).
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
