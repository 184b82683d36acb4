package gcsscan

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/gcsscan/gcstest"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// TestBucketIAM: each bucket's IAM policy as principals (one record per
// member per scan, privileged by any administrator's binding, with each
// as why) and entitlements on the bucket (read, write, admin by role;
// a custom role counted as read and saying so); public members refused
// by public access prevention are not granted; a legacy ACL entry is
// counted once, through its legacy role; a caller denied the policy
// leaves the bucket partial with no grants.
func TestBucketIAM(t *testing.T) {
	p := "projects/p/roles/auditor"
	endpoint, _ := gcstest.Server(t, map[string]gcstest.Settings{
		"team": {Location: "EU", Uniform: true, Roles: map[string][]string{
			"roles/storage.objectViewer":  {"user:Ann@Example.com", "group:hr@example.com", "deleted:user:gone@example.com?uid=123", "allUsers"},
			"roles/storage.objectCreator": {"serviceAccount:loader@p.iam.gserviceaccount.com"},
			"roles/storage.admin":         {"user:ops@example.com"},
			p:                             {"domain:example.com"},
		}},
		"locked": {Location: "EU", Uniform: true, Prevention: true, Roles: map[string][]string{
			"roles/storage.objectViewer": {"allAuthenticatedUsers", "user:ops@example.com"},
			"roles/storage.objectAdmin":  {"user:ann@example.com"},
		}},
		"acl":    {Location: "EU", ACLPublic: true},
		"denied": {Location: "EU", Roles: map[string][]string{"roles/storage.admin": {"user:eve@example.com"}}, Denied: map[string]bool{"iam": true}},
	}, nil)
	recs, res := scan(t, endpoint, Options{Project: "proj-1", Buckets: []string{"team", "locked", "acl", "denied"}})

	type principal struct {
		typ     string
		enabled string
		via     string
	}
	principals := map[string]principal{}
	names := map[string]string{} // id -> name
	buckets := map[string]string{}
	public := map[string]string{}
	for _, r := range recs {
		switch {
		case r.Kind == wire.KindPrincipal:
			_, dup := principals[r.Name]
			require.False(t, dup, "%s reported twice", r.Name)
			require.Equal(t, PrincipalID(r.Attributes["member"]), r.PrincipalID)
			require.Equal(t, r.Privileged, len(r.PrivilegedVia) > 0)
			en := "-"
			if r.Enabled != nil {
				en = map[bool]string{true: "enabled", false: "disabled"}[*r.Enabled]
			}
			principals[r.Name] = principal{r.PrincipalType, en, strings.Join(r.PrivilegedVia, "; ")}
			names[r.PrincipalID] = r.Name
		case r.Kind == wire.KindAsset && r.AssetType == "bucket":
			buckets[r.AssetID] = strings.TrimPrefix(r.Location, "gs://")
			public[buckets[r.AssetID]] = r.Attributes["public"] + " " + r.Attributes["public_evidence"]
		}
	}
	owner, editor, viewer := "projectOwner:"+gcstest.Project, "projectEditor:"+gcstest.Project, "projectViewer:"+gcstest.Project
	legacyOwner := func(b string) string { return "roles/storage.legacyBucketOwner on gs://" + b }
	require.Equal(t, map[string]principal{
		"ann@example.com":                  {"user", "enabled", "roles/storage.objectAdmin on gs://locked"},
		"hr@example.com":                   {"group", "-", ""},
		"gone@example.com (deleted)":       {"user", "disabled", ""},
		"loader@p.iam.gserviceaccount.com": {"service", "enabled", ""},
		"ops@example.com":                  {"user", "enabled", "roles/storage.admin on gs://team"},
		"domain:example.com":               {"group", "-", ""},
		"allUsers":                         {"group", "-", ""},
		"allAuthenticatedUsers":            {"group", "-", ""},
		owner:                              {"group", "-", strings.Join([]string{legacyOwner("acl"), legacyOwner("locked"), legacyOwner("team")}, "; ")},
		editor:                             {"group", "-", strings.Join([]string{legacyOwner("acl"), legacyOwner("locked"), legacyOwner("team")}, "; ")},
		viewer:                             {"group", "-", ""},
	}, principals, "eve is bound only where the policy could not be read")
	require.Equal(t, PrincipalID("user:ann@example.com"), PrincipalID("user:Ann@Example.com"))

	var grants []string
	for _, r := range recs {
		if r.Kind == wire.KindEntitlement {
			b, ok := buckets[r.ResourceID]
			require.True(t, ok, "a grant on a bucket the scan reported")
			require.Equal(t, "bucket", r.ResourceType)
			if strings.HasPrefix(names[r.PrincipalID], "project") {
				continue // the default legacy bindings, on every bucket
			}
			grants = append(grants, b+" "+names[r.PrincipalID]+" "+r.Permission+" "+strings.Join(r.Via, " | "))
		}
	}
	sort.Strings(grants)
	require.Equal(t, []string{
		"acl allUsers read bucket iam: roles/storage.legacyBucketReader",
		"locked ann@example.com admin bucket iam: roles/storage.objectAdmin",
		"locked ann@example.com read bucket iam: roles/storage.objectAdmin",
		"locked ann@example.com write bucket iam: roles/storage.objectAdmin",
		"locked ops@example.com read bucket iam: roles/storage.objectViewer",
		"team allUsers read bucket iam: roles/storage.objectViewer",
		"team ann@example.com read bucket iam: roles/storage.objectViewer",
		"team domain:example.com read bucket iam: " + p + " | custom role: its permissions are not read; counted as read",
		"team gone@example.com (deleted) read bucket iam: roles/storage.objectViewer",
		"team hr@example.com read bucket iam: roles/storage.objectViewer",
		"team loader@p.iam.gserviceaccount.com write bucket iam: roles/storage.objectCreator",
		"team ops@example.com admin bucket iam: roles/storage.admin",
		"team ops@example.com read bucket iam: roles/storage.admin",
		"team ops@example.com write bucket iam: roles/storage.admin",
	}, grants)
	require.Equal(t, map[string]string{
		"team":   "true iam grants roles/storage.objectViewer to allUsers",
		"locked": "false iam grants roles/storage.objectViewer to allAuthenticatedUsers",
		"acl":    "true acl grants READER to allUsers",
		"denied": "false ",
	}, public, "the ACL's public entry is evidence once, though the policy lists it too")
	require.Equal(t, []string{"gs://denied: iam policy: 403 forbidden"}, res.Errors)
	require.EqualValues(t, len(principals), res.Stats["principals"])
}

func TestRoleAccess(t *testing.T) {
	for _, c := range []struct {
		role  string
		perms string
		admin bool
		note  bool
	}{
		{"roles/storage.objectViewer", "read", false, false},
		{"roles/storage.legacyObjectReader", "read", false, false},
		{"roles/storage.legacyBucketReader", "read", false, false},
		{"roles/storage.objectCreator", "write", false, false},
		{"roles/storage.objectAdmin", "read write admin", true, false},
		{"roles/storage.admin", "read write admin", true, false},
		{"roles/storage.legacyBucketOwner", "read write admin", true, false},
		{"projects/p/roles/custom", "read", false, true},
		{"organizations/1/roles/custom", "read", false, true},
		{"roles/storage.somethingNew", "read", false, true},
	} {
		a := accessOf(c.role)
		require.Equal(t, c.perms, strings.Join(a.perms, " "), c.role)
		require.Equal(t, c.admin, a.admin, c.role)
		require.Equal(t, c.note, a.note != "", c.role)
	}
}

func TestDescribeMember(t *testing.T) {
	for member, want := range map[string]memberInfo{
		"user:Ann@Example.com":                       {name: "ann@example.com", typ: "user"},
		"group:hr@example.com":                       {name: "hr@example.com", typ: "group"},
		"serviceAccount:x@p.iam.gserviceaccount.com": {name: "x@p.iam.gserviceaccount.com", typ: "service"},
		"domain:example.com":                         {name: "domain:example.com", typ: "group"},
		"allUsers":                                   {name: "allUsers", typ: "group", public: true},
		"allAuthenticatedUsers":                      {name: "allAuthenticatedUsers", typ: "group", public: true},
		"deleted:serviceAccount:y@p.iam.gserviceaccount.com?uid=9":                   {name: "y@p.iam.gserviceaccount.com (deleted)", typ: "service", deleted: true},
		"principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s": {name: "principal://iam.googleapis.com/locations/global/workforcePools/p/subject/s", typ: "user"},
		"projectOwner:p":      {name: "projectOwner:p", typ: "group"},
		"user:":               {name: "user:", typ: "user"},
		"deleted:user:?uid=1": {name: "deleted:user:?uid=1", typ: "user", deleted: true},
	} {
		require.Equal(t, want, describeMember(member), member)
	}
}

// FuzzIAMPolicy: whatever a server answers as a policy, reading it into
// principals and grants neither panics nor makes an invalid record.
func FuzzIAMPolicy(f *testing.F) {
	f.Add([]byte(`{"bindings":[{"role":"roles/storage.admin","members":["user:a@b.c","deleted:group:g@b.c?uid=1","allUsers"]}]}`))
	f.Add([]byte(`{"bindings":[{"role":"projects/p/roles/r","members":["domain:x",""],"condition":{"title":"t"}}]}`))
	f.Add([]byte(`{"bindings":[{"role":"","members":["deleted:","deleted:deleted:user:?"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p struct {
			Bindings []Binding `json:"bindings"`
		}
		if json.Unmarshal(data, &p) != nil {
			return
		}
		var ps policyPrincipals
		ps.add("b", p.Bindings)
		env := func(kind string) wire.Record {
			return wire.Record{Kind: kind, Source: wire.SourceGCS, ScanID: "s", ObservedAt: time.Unix(1, 0)}
		}
		ids := map[string]bool{}
		for _, r := range ps.records(env) {
			wiretest.RequireValid(t, &r)
			ids[r.PrincipalID] = true
		}
		for _, g := range grantsOf(p.Bindings, false) {
			require.True(t, ids[g.principalID], "a grant to a principal the scan reports")
			e := env(wire.KindEntitlement)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission, e.Via = g.principalID, "r", "bucket", g.permission, g.via
			wiretest.RequireValid(t, &e)
		}
	})
}
