package gcsscan

import (
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/sightline-dev/sightline/internal/wire"
)

// A bucket's IAM policy (buckets.getIamPolicy) is who may do what with
// it and its objects: each binding's members become principals and its
// role entitlements on the bucket, which the collector passes on to the
// bucket's objects. The bucket's legacy ACL is not counted again: Cloud
// Storage keeps each bucket ACL entry as a member of a legacy role
// (OWNER: roles/storage.legacyBucketOwner, WRITER: legacyBucketWriter,
// READER: legacyBucketReader), and the policy lists those bindings.
// Object ACLs are not read.

// PrincipalID is the id of an IAM member ("user:ann@example.com",
// "group:hr@example.com", "serviceAccount:…", "domain:example.com",
// "allUsers", …). Members are global to Google Cloud, so the id does not
// name the project or bucket: the same account bound on two buckets, or
// scanned by two agents, is one principal. The email of a user, group or
// service account is its identity and is not case-sensitive.
func PrincipalID(member string) string { return wire.GCSPrincipalID(member) }

// memberInfo is a member as a principal: its name, type (wire's principal
// types), whether it is known to be gone (a deleted account), and
// whether it is everyone on the internet.
type memberInfo struct {
	name, typ       string
	deleted, public bool
}

// describeMember reads a member string (wire.DescribeGCSMember: the
// collector names GCS principals with it again).
func describeMember(member string) memberInfo {
	m := wire.DescribeGCSMember(member)
	return memberInfo{name: m.Name, typ: m.Type, deleted: m.Deleted, public: m.Public}
}

// roleAccess is what a role lets its members do with the bucket's
// objects: the entitlements' permissions (read and write are what the
// collector counts as access), whether the role is an administrator's
// (it may change the policy itself: privileged), and a note for a role
// whose permissions the scan assumes.
type roleAccess struct {
	perms []string
	admin bool
	note  string
}

// storageRoles are Cloud Storage's predefined roles and the basic roles
// (project-wide, listed here for a policy that shows them).
var storageRoles = map[string]roleAccess{
	"roles/storage.objectViewer":       {perms: []string{"read"}},
	"roles/storage.legacyObjectReader": {perms: []string{"read"}},
	"roles/storage.legacyBucketReader": {perms: []string{"read"}},
	"roles/storage.objectCreator":      {perms: []string{"write"}},
	"roles/storage.legacyBucketWriter": {perms: []string{"write"}},
	"roles/storage.objectUser":         {perms: []string{"read", "write"}},
	"roles/storage.objectAdmin":        {perms: []string{"read", "write", "admin"}, admin: true},
	"roles/storage.admin":              {perms: []string{"read", "write", "admin"}, admin: true},
	"roles/storage.legacyBucketOwner":  {perms: []string{"read", "write", "admin"}, admin: true},
	"roles/storage.legacyObjectOwner":  {perms: []string{"read", "write", "admin"}, admin: true},
	"roles/storage.folderAdmin":        {perms: []string{"read", "write", "admin"}, admin: true},
	// Bucket metadata only: no object's content.
	"roles/storage.bucketViewer": {perms: []string{"metadata"}},
	"roles/owner":                {perms: []string{"read", "write", "admin"}, admin: true},
	"roles/editor":               {perms: []string{"read", "write"}},
	"roles/viewer":               {perms: []string{"read"}},
}

// accessOf maps a role; a custom role (projects/P/roles/R,
// organizations/O/roles/R) or a predefined role not listed is counted as
// read, and its entitlements say so: its permissions are not read.
func accessOf(role string) roleAccess {
	if a, ok := storageRoles[role]; ok {
		return a
	}
	if strings.HasPrefix(role, "projects/") || strings.HasPrefix(role, "organizations/") {
		return roleAccess{perms: []string{"read"}, note: "custom role: its permissions are not read; counted as read"}
	}
	return roleAccess{perms: []string{"read"}, note: "role unknown to the scanner: counted as read"}
}

// policyPrincipals gathers, over the policies of every bucket scanned,
// each member once: one principal record each per scan, privileged when
// any of its bindings is an administrator's, with every such binding as
// the reason.
type policyPrincipals struct {
	members map[string]*gcsPrincipal // by normalised member
}

type gcsPrincipal struct {
	member string
	info   memberInfo
	via    []string
}

func (p *policyPrincipals) add(bucket string, bindings []Binding) {
	if p.members == nil {
		p.members = map[string]*gcsPrincipal{}
	}
	for _, b := range bindings {
		a := accessOf(b.Role)
		for _, m := range b.Members {
			if m == "" {
				continue
			}
			key := wire.GCSMember(m)
			pr := p.members[key]
			if pr == nil {
				pr = &gcsPrincipal{member: key, info: describeMember(key)}
				p.members[key] = pr
			}
			if a.admin {
				pr.via = append(pr.via, b.Role+" on gs://"+bucket)
			}
		}
	}
}

// records are the principal records, in member order.
func (p *policyPrincipals) records(env func(string) wire.Record) []wire.Record {
	keys := slices.Sorted(maps.Keys(p.members))
	out := make([]wire.Record, 0, len(keys))
	for _, k := range keys {
		pr := p.members[k]
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType = PrincipalID(pr.member), pr.info.name, pr.info.typ
		r.Attributes = map[string]string{"member": pr.member}
		if pr.info.public {
			r.Attributes["public"] = "true"
		}
		if pr.info.typ != "group" {
			enabled := !pr.info.deleted
			r.Enabled = &enabled
		}
		sort.Strings(pr.via)
		r.Privileged, r.PrivilegedVia = len(pr.via) > 0, pr.via
		out = append(out, r)
	}
	return out
}

// bindingGrant is one entitlement a binding gives one member.
type bindingGrant struct {
	principalID, permission string
	via                     []string
}

// grantsOf are the entitlements a policy gives on its bucket. Under
// public access prevention, grants to allUsers and allAuthenticatedUsers
// are refused by Cloud Storage and left out (the bucket's
// public_evidence still names them).
func grantsOf(bindings []Binding, prevention bool) []bindingGrant {
	var out []bindingGrant
	seen := map[string]bool{}
	for _, b := range bindings {
		a := accessOf(b.Role)
		via := []string{"bucket iam: " + b.Role}
		if len(b.Condition) > 0 && string(b.Condition) != "null" {
			via = append(via, "under a condition")
		}
		if a.note != "" {
			via = append(via, a.note)
		}
		for _, m := range b.Members {
			if m == "" || (prevention && publicMembers[m]) {
				continue
			}
			id := PrincipalID(m)
			for _, perm := range a.perms {
				// A member bound twice to one role (a conditional and a
				// plain binding) is one grant per reason.
				k := id + "\x00" + perm + "\x00" + strings.Join(via, "\x00")
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, bindingGrant{principalID: id, permission: perm, via: via})
			}
		}
	}
	return out
}
