package store_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

const day = 24 * time.Hour

// staleBefore is "now" (base) less the default 90 days.
var staleBefore = base.Add(-90 * day)

type who struct {
	id, name, typ string
	enabled       *bool
	privileged    bool
	lastLogin     *time.Time
	mfa           *bool
	attrs         map[string]string
}

func (f fixture) principal(w who) wire.Record {
	r := f.env(wire.KindPrincipal)
	r.PrincipalID, r.Name, r.PrincipalType = w.id, w.name, w.typ
	r.Enabled, r.Privileged, r.LastLogin, r.MFA, r.Attributes = w.enabled, w.privileged, w.lastLogin, w.mfa, w.attrs
	if w.privileged {
		r.PrivilegedVia = []string{"member of Domain Admins"}
	}
	return r
}

func (f fixture) grant(principal, resource, resourceType, permission string) wire.Record {
	r := f.env(wire.KindEntitlement)
	r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = principal, resource, resourceType, permission
	return r
}

func created(d time.Duration) string { return base.Add(-d).Format(time.RFC3339) }

// identities is a directory, an AWS account and a host with files and a
// bucket, covering every filter and every path to personal data.
func identities(t *testing.T) *store.Store {
	t.Helper()
	s := storetest.New(t)
	ldap := fixture{agent: "ag", host: "dc1", source: wire.SourceLDAP, scan: "l1", at: base}
	iam := fixture{agent: "ag", host: "aws", source: wire.SourceIAM, scan: "i1", at: base}
	host := fixture{agent: "ag", host: "h1", source: wire.SourceHost, scan: "h1", at: base}
	fs := fixture{agent: "ag", host: "h1", source: wire.SourceFS, scan: "f1", at: base}
	s3 := fixture{agent: "ag", host: "aws", source: wire.SourceS3, scan: "s1", at: base}
	yes, no := ptr(true), ptr(false)
	ann, ben := wire.LocalPrincipalID("h1", "user", "ann"), wire.LocalPrincipalID("h1", "user", "ben")
	fin, everyone := wire.LocalPrincipalID("h1", "group", "fin"), wire.LocalPrincipalID("h1", "everyone", "")
	fileA, fileB, fileC := assetID("h1", "/srv/a.csv"), assetID("h1", "/srv/b.csv"), assetID("h1", "/srv/c.txt")
	bucket := func(name string) wire.Record {
		r := s3.env(wire.KindAsset)
		r.AssetID, r.AssetType, r.Location = "bucket:"+name, "bucket", "s3://"+name
		return r
	}
	object := func(bk, key string) wire.Record {
		r := s3.env(wire.KindAsset)
		r.AssetID, r.AssetType, r.Location = "object:"+bk+"/"+key, "object", "s3://"+bk+"/"+key
		r.Attributes = map[string]string{"bucket": bk}
		return r
	}
	objectPII := func(bk, key string) wire.Record {
		r := s3.env(wire.KindPII)
		r.AssetID, r.Location = "object:"+bk+"/"+key, "s3://"+bk+"/"+key
		r.Type, r.Category, r.Count, r.Distinct, r.Confidence = "email", "contact", 3, 3, wire.ConfidenceHigh
		return r
	}
	insert(t, s,
		ldap.principal(who{id: "alice", name: "alice", typ: "user", enabled: yes, privileged: true, lastLogin: ptr(base.Add(-200 * day)),
			attrs: map[string]string{"hygiene": "stale_and_privileged", "when_created": created(1000 * day)}}),
		ldap.principal(who{id: "bob", name: "bob", typ: "user", enabled: no, privileged: true, lastLogin: ptr(base.Add(-300 * day)),
			attrs: map[string]string{"hygiene": "disabled_but_privileged"}}),
		ldap.principal(who{id: "carol", name: "carol", typ: "user", enabled: yes, lastLogin: ptr(base.Add(-10 * day)),
			attrs: map[string]string{"hygiene": "asrep_roastable"}}),
		ldap.principal(who{id: "dave", name: "dave", typ: "user", enabled: yes,
			attrs: map[string]string{"hygiene": "password_never_expires,orphaned_admin_count", "when_created": created(400 * day)}}),
		ldap.principal(who{id: "erin", name: "erin", typ: "user", enabled: yes, attrs: map[string]string{"when_created": created(10 * day)}}),
		ldap.principal(who{id: "frank", name: "frank", typ: "user", enabled: yes}),
		ldap.principal(who{id: "staff", name: "staff", typ: "group", attrs: map[string]string{"when_created": created(2000 * day)}}),
		ldap.grant("alice", "staff", "group", "member"),
		fs.grant("staff", fileA, "file", "read"),
		iam.principal(who{id: "iam-u1", name: "deployer", typ: "user", privileged: true, mfa: no, lastLogin: ptr(base.Add(-5 * day)),
			attrs: map[string]string{"hygiene": "console_without_mfa"}}),
		iam.principal(who{id: "iam-u2", name: "auditor", typ: "user", mfa: yes, lastLogin: ptr(base.Add(-100 * day))}),
		iam.grant("iam-u1", "bucket:bk1", "bucket", "read"),
		host.principal(who{id: ann, name: "ann", typ: "user", enabled: yes}),
		host.principal(who{id: ben, name: "ben", typ: "user", enabled: yes}),
		host.principal(who{id: fin, name: "fin", typ: "group"}),
		host.principal(who{id: wire.LocalPrincipalID("h1", "user", "nobody"), name: "nobody", typ: "service", enabled: no}),
		host.grant(ann, fin, "group", "member"),
		fs.asset("/srv/a.csv"), fs.pii("/srv/a.csv", "email", "contact", 5),
		fs.asset("/srv/b.csv"), fs.pii("/srv/b.csv", "us_ssn", "government_id", 2),
		fs.asset("/srv/c.txt"),
		fs.grant(fin, fileA, "file", "read"),
		fs.grant(ann, fileA, "file", "write"),
		fs.grant(ann, fileC, "file", "read"),
		fs.grant(everyone, fileB, "file", "read"),
		bucket("bk1"), bucket("bk2"),
		object("bk1", "x.csv"), objectPII("bk1", "x.csv"),
		object("bk1", "y.csv"), objectPII("bk1", "y.csv"),
		object("bk1", "z.txt"),
		object("bk2", "w.csv"), objectPII("bk2", "w.csv"),
	)
	return s
}

func names(ps []store.Principal) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	sort.Strings(out)
	return out
}

func TestPrincipalFilters(t *testing.T) {
	s := identities(t)
	ctx := context.Background()
	all := []string{"alice", "ann", "auditor", "ben", "bob", "carol", "dave", "deployer", "erin", "fin", "frank", "nobody", "staff"}
	yes, no := ptr(true), ptr(false)
	for _, tc := range []struct {
		name string
		f    store.PrincipalFilter
		want []string
	}{
		{"no filter", store.PrincipalFilter{}, all},
		// alice: last login 200 days ago; dave: never, created 400 days
		// ago; auditor: IAM reports no enabled state, last login 100 days
		// ago. Not bob (disabled), erin (created 10 days ago), frank (no
		// creation time), groups.
		{"stale", store.PrincipalFilter{Stale: yes}, []string{"alice", "auditor", "dave"}},
		{"not stale", store.PrincipalFilter{Stale: no}, []string{"ann", "ben", "bob", "carol", "deployer", "erin", "fin", "frank", "nobody", "staff"}},
		{"no cutoff: nobody is stale", store.PrincipalFilter{Stale: yes, StaleBefore: time.Time{}}, []string{}},
		{"disabled", store.PrincipalFilter{Disabled: yes}, []string{"bob", "nobody"}},
		{"not disabled", store.PrincipalFilter{Disabled: no}, []string{"alice", "ann", "auditor", "ben", "carol", "dave", "deployer", "erin", "fin", "frank", "staff"}},
		{"without mfa", store.PrincipalFilter{MFA: no}, []string{"deployer"}},
		{"with mfa", store.PrincipalFilter{MFA: yes}, []string{"auditor"}},
		{"hygiene flag", store.PrincipalFilter{Hygiene: "orphaned_admin_count"}, []string{"dave"}},
		{"hygiene first flag", store.PrincipalFilter{Hygiene: "password_never_expires"}, []string{"dave"}},
		{"hygiene is a whole flag, not a substring", store.PrincipalFilter{Hygiene: "roastable"}, []string{}},
		{"combined", store.PrincipalFilter{Stale: yes, Privileged: yes, Source: wire.SourceLDAP}, []string{"alice"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			if tc.name != "no cutoff: nobody is stale" {
				f.StaleBefore = staleBefore
			}
			items, total, err := s.Principals(ctx, f)
			require.NoError(t, err)
			require.Equal(t, tc.want, names(items))
			require.Equal(t, uint64(len(tc.want)), total)
		})
	}
}

func TestPrincipalAnswerFields(t *testing.T) {
	s := identities(t)
	items, _, err := s.Principals(context.Background(), store.PrincipalFilter{StaleBefore: staleBefore})
	require.NoError(t, err)
	by := map[string]store.Principal{}
	for _, p := range items {
		by[p.Name] = p
	}
	require.True(t, by["alice"].Stale)
	require.Equal(t, base.Add(-200*day), *by["alice"].LastLogin)
	require.Equal(t, []string{"stale_and_privileged"}, by["alice"].Hygiene)
	require.Nil(t, by["alice"].MFA, "LDAP does not report MFA")
	require.Equal(t, []string{"password_never_expires", "orphaned_admin_count"}, by["dave"].Hygiene)
	require.Nil(t, by["dave"].LastLogin)
	require.Equal(t, []string{}, by["erin"].Hygiene)
	require.False(t, *by["deployer"].MFA)
	require.True(t, *by["auditor"].MFA)
}

func TestPrincipalExposures(t *testing.T) {
	s := identities(t)
	storetest.BuildIndex(t, s)
	ex, err := s.PrincipalExposures(context.Background(), staleBefore)
	require.NoError(t, err)
	by := map[string]store.PrincipalExposure{}
	for _, e := range ex {
		by[e.Name] = e
	}
	reach := map[string]uint64{}
	for n, e := range by {
		reach[n] = e.ReadableAssets
	}
	require.Equal(t, map[string]uint64{
		"alice":  1, // a.csv through the directory group staff
		"ann":    2, // a.csv (own write, group fin), b.csv (everyone); c.txt has no personal data
		"ben":    1, // b.csv through everyone on h1
		"fin":    1, // a group: its own grant, not everyone's
		"staff":  1,
		"nobody": 1, // disabled, but everyone's grants are its grants
		// the objects of bk1 with personal data, not bk2's
		"deployer": 2,
		// privileged, stale or flagged, nothing within reach
		"bob": 0, "carol": 0, "dave": 0, "auditor": 0,
	}, reach, "erin and frank have nothing to score and are left out")
	a := by["alice"]
	require.True(t, a.Privileged && a.Stale)
	require.Equal(t, []string{"member of Domain Admins"}, a.PrivilegedVia)
	require.Equal(t, base.Add(-1000*day), *a.Created)
	require.False(t, *by["bob"].Enabled)
	require.Equal(t, []string{"disabled_but_privileged"}, by["bob"].Hygiene)
	require.Nil(t, by["dave"].LastLogin)
	require.True(t, by["dave"].Stale)
	require.False(t, *by["deployer"].MFA)
	require.Equal(t, wire.SourceIAM, by["deployer"].Source)
}

func TestRiskRegisterStore(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	states, err := s.RegisterStates(ctx)
	require.NoError(t, err)
	require.Empty(t, states)
	for i, e := range []store.RegisterEntry{
		{Kind: "asset", ItemID: "a1", Owner: "hr", Status: "open", ChangedBy: "sec1", ChangedAt: at(1)},
		{Kind: "asset", ItemID: "a1", Owner: "hr", Status: "accepted", Comment: "kept for payroll", ChangedBy: "sec2", ChangedAt: at(1)},
		{Kind: "principal", ItemID: "a1", Owner: "it", Status: "mitigating", ChangedBy: "sec1", ChangedAt: at(2)},
	} {
		require.NoError(t, s.AppendRegister(ctx, e), "entry %d", i)
	}
	states, err = s.RegisterStates(ctx)
	require.NoError(t, err)
	require.Equal(t, map[store.RegisterKey]store.RegisterEntry{
		{"asset", "a1"}:     {Kind: "asset", ItemID: "a1", Owner: "hr", Status: "accepted", Comment: "kept for payroll", ChangedBy: "sec2", ChangedAt: at(1)},
		{"principal", "a1"}: {Kind: "principal", ItemID: "a1", Owner: "it", Status: "mitigating", ChangedBy: "sec1", ChangedAt: at(2)},
	}, states, "the latest change wins, even within the same second")
	hist, err := s.RegisterHistory(ctx, "asset", "a1")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	require.Equal(t, "open", hist[0].Status)
	require.Equal(t, "accepted", hist[1].Status)
	hist, err = s.RegisterHistory(ctx, "asset", "nope")
	require.NoError(t, err)
	require.Empty(t, hist)
}

func TestAssetOwners(t *testing.T) {
	s := storetest.New(t)
	fs := fixture{agent: "ag", host: "h1", source: wire.SourceFS, scan: "f1", at: base}
	a, b := fs.asset("/srv/a.csv"), fs.asset("/srv/b.csv")
	a.Owner = "hr-admin"
	insert(t, s, a, b)
	storetest.BuildIndex(t, s)
	owners, err := s.AssetOwners(context.Background(), []string{a.AssetID, b.AssetID, "missing"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{a.AssetID: "hr-admin"}, owners)
}
