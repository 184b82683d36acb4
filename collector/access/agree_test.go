package access_test

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/access"
	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// reachFixture is two hosts with files (one world-readable), a directory
// with groups nested three deep, and an AWS account whose bucket is open
// to a role by a bucket policy and to a user by an IAM policy.
func reachFixture(t *testing.T) *store.Store {
	s := storetest.New(t)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var recs []wire.Record
	env := func(kind, source, host string) wire.Record {
		return wire.Record{Kind: kind, Source: source, ScanID: source + "-" + host, ObservedAt: at, AgentID: "ag-" + host, Host: host}
	}
	asset := func(source, host, id, typ, loc string, attrs map[string]string, pii bool) {
		a := env(wire.KindAsset, source, host)
		a.AssetID, a.AssetType, a.Location, a.Attributes = id, typ, loc, attrs
		recs = append(recs, a)
		if pii {
			p := env(wire.KindPII, source, host)
			p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Distinct, p.Confidence = id, loc, "email", "contact", 2, 2, wire.ConfidenceHigh
			recs = append(recs, p)
		}
	}
	principal := func(source, host, id, name, typ string, privileged bool) {
		r := env(wire.KindPrincipal, source, host)
		r.PrincipalID, r.Name, r.PrincipalType, r.Privileged = id, name, typ, privileged
		recs = append(recs, r)
	}
	grant := func(source, host, who, what, typ, perm string, via ...string) {
		r := env(wire.KindEntitlement, source, host)
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission, r.Via = who, what, typ, perm, via
		recs = append(recs, r)
	}
	user := func(host, n string) string { return wire.LocalPrincipalID(host, "user", n) }
	everyone := func(host string) string { return wire.LocalPrincipalID(host, "everyone", "") }

	for _, h := range []string{"web-eu-1", "db-us-1"} {
		principal(wire.SourceHost, h, user(h, "root"), "root@"+h, "user", true)
		principal(wire.SourceHost, h, user(h, "app"), "app@"+h, "service", false)
		principal(wire.SourceHost, h, wire.LocalPrincipalID(h, "group", "wheel"), "wheel@"+h, "group", true)
		grant(wire.SourceHost, h, user(h, "root"), wire.LocalPrincipalID(h, "group", "wheel"), "group", "member")
		asset(wire.SourceFS, h, "f-own-"+h, "file", "file:///srv/own.csv", nil, true)
		grant(wire.SourceFS, h, user(h, "app"), "f-own-"+h, "file", "read", "owner")
		asset(wire.SourceFS, h, "f-world-"+h, "file", "file:///srv/world.csv", map[string]string{"world_readable": "true"}, true)
		grant(wire.SourceFS, h, user(h, "root"), "f-world-"+h, "file", "read", "owner")
		grant(wire.SourceFS, h, everyone(h), "f-world-"+h, "file", "read", "world-readable")
		asset(wire.SourceFS, h, "f-wheel-"+h, "file", "file:///srv/wheel.csv", nil, true)
		grant(wire.SourceFS, h, wire.LocalPrincipalID(h, "group", "wheel"), "f-wheel-"+h, "file", "read", "group")
		asset(wire.SourceFS, h, "f-empty-"+h, "file", "file:///srv/empty.txt", nil, false)
		grant(wire.SourceFS, h, everyone(h), "f-empty-"+h, "file", "read", "world-readable")
	}
	// An orphaned grantee: no scan reports it as a principal.
	grant(wire.SourceFS, "db-us-1", "deadbeefcafe0001", "f-own-db-us-1", "file", "read", "acl")

	// Directory: alice ∈ inner ∈ middle ∈ outer; the scan reports only the
	// direct memberships of the chain here, so the closure is the index's.
	for _, p := range [][2]string{{"alice", "user"}, {"bob", "user"}, {"inner", "group"}, {"middle", "group"}, {"outer", "group"}} {
		principal(wire.SourceLDAP, "dc", p[0], p[0], p[1], false)
	}
	grant(wire.SourceLDAP, "dc", "alice", "inner", "group", "member")
	grant(wire.SourceLDAP, "dc", "inner", "middle", "group", "member")
	grant(wire.SourceLDAP, "dc", "middle", "outer", "group", "member")
	grant(wire.SourceLDAP, "dc", "bob", "middle", "group", "member")
	grant(wire.SourceFS, "web-eu-1", "outer", "f-own-web-eu-1", "file", "write", "acl")

	// AWS: a bucket in eu-west-1 with three objects (two hold personal
	// data), a public bucket with one.
	asset(wire.SourceS3, "aws", "b-1", "bucket", "s3://data-1", map[string]string{"jurisdiction": "EU"}, false)
	for _, k := range []string{"a.csv", "b.csv"} {
		asset(wire.SourceS3, "aws", "o-1-"+k, "object", "s3://data-1/"+k, map[string]string{"bucket": "data-1"}, true)
	}
	asset(wire.SourceS3, "aws", "o-1-c.txt", "object", "s3://data-1/c.txt", map[string]string{"bucket": "data-1"}, false)
	asset(wire.SourceS3, "aws", "b-2", "bucket", "s3://open-2", map[string]string{"public": "true"}, false)
	asset(wire.SourceS3, "aws", "o-2-x.csv", "object", "s3://open-2/x.csv", map[string]string{"bucket": "open-2"}, true)
	principal(wire.SourceIAM, "aws", "iam-deployer", "deployer", "user", true)
	principal(wire.SourceIAM, "aws", "iam-etl", "etl", "role", false)
	principal(wire.SourceIAM, "aws", "iam-ops", "ops", "group", false)
	grant(wire.SourceIAM, "aws", "iam-deployer", "iam-ops", "group", "member")
	grant(wire.SourceIAM, "aws", "iam-ops", "b-1", "bucket", "write")
	grant(wire.SourceS3, "aws", "iam-etl", "b-1", "bucket", "read", "bucket policy: etl")
	grant(wire.SourceS3, "aws", "iam-etl", "b-2", "bucket", "read", "bucket policy: etl")

	require.NoError(t, s.InsertRecords(context.Background(), recs))
	rules := []datamap.HostRule{{Glob: "*-eu-*", Jurisdiction: "EU"}, {Glob: "*-us-*", Jurisdiction: "US"}}
	x := index.New(index.Options{Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HomeJurisdiction: "EU",
		HostJurisdiction: func(h string) string { return datamap.HostJurisdiction(h, rules) }})
	require.NoError(t, x.Build(context.Background()))
	return s
}

// Reader counts, reader lists, principal reach and principal risk's
// readable counts all come from one definition and must agree.
func TestReachAgreesEverywhere(t *testing.T) {
	s := reachFixture(t)
	ctx := context.Background()

	assets, _, err := s.Assets(ctx, store.AssetFilter{Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Len(t, assets, 14)
	readersOf := map[string][]string{}     // asset id → reader names
	readBy := map[string]map[string]bool{} // principal id → asset ids with personal data
	via := map[string]map[string][]string{}
	for _, a := range assets {
		_, rs, err := access.Readers(ctx, s, a.Location, a.Host, a.Source)
		require.NoError(t, err)
		require.Equal(t, int(a.Readers), len(rs), "reader count and reader list of %s", a.ID)
		via[a.ID] = map[string][]string{}
		for _, r := range rs {
			require.NotEqual(t, "group", r.Type, "groups are listed through their members")
			readersOf[a.ID] = append(readersOf[a.ID], r.Name)
			via[a.ID][r.Name] = r.Via
			if a.Occurrences > 0 {
				if readBy[r.PrincipalID] == nil {
					readBy[r.PrincipalID] = map[string]bool{}
				}
				readBy[r.PrincipalID][a.ID] = true
			}
		}
		sort.Strings(readersOf[a.ID])
	}

	ex, err := s.PrincipalExposures(ctx, time.Time{})
	require.NoError(t, err)
	readable := map[string]uint64{}
	for _, e := range ex {
		readable[e.ID] = e.ReadableAssets
	}
	ps, _, err := s.Principals(ctx, store.PrincipalFilter{Limit: store.MaxLimit})
	require.NoError(t, err)
	require.Len(t, ps, 14)
	exposing := 0
	for _, p := range ps {
		r, err := access.PrincipalReach(ctx, s, p.ID)
		require.NoError(t, err)
		got := map[string]bool{}
		for _, a := range r.Assets {
			got[a.ID] = true
		}
		require.Equal(t, len(r.Assets), len(got), "each asset once")
		require.Equal(t, readable[p.ID], uint64(len(got)), "principal risk's count and principal reach of %s", p.Name)
		// Breach impact of the principal covers exactly what it reaches.
		byPrincipal, err := s.Impact(ctx, store.ImpactScope{Principals: []string{p.ID}})
		require.NoError(t, err)
		var ids []string
		for id := range got {
			ids = append(ids, id)
		}
		var byAssets []store.ImpactRow
		if len(ids) > 0 {
			byAssets, err = s.Impact(ctx, store.ImpactScope{AssetIDs: ids})
			require.NoError(t, err)
		}
		require.Equal(t, byAssets, byPrincipal, "breach impact of %s and its reach", p.Name)
		if len(byPrincipal) > 0 {
			exposing++
		}
		if p.Type != "group" {
			want := readBy[p.ID]
			if want == nil {
				want = map[string]bool{}
			}
			require.Equal(t, want, got, "reach of %s and the reader lists", p.Name)
		}
	}

	require.Greater(t, exposing, 3, "several principals reach personal data")

	// What the definition says, on paths that used to disagree.
	require.Equal(t, []string{"alice", "app@web-eu-1", "bob"}, readersOf["f-own-web-eu-1"], "alice three groups deep")
	require.Equal(t, []string{"group outer"}, via["f-own-web-eu-1"]["alice"])
	require.Equal(t, []string{"app@db-us-1", "unknown account (deadbeef)"}, readersOf["f-own-db-us-1"], "a grantee no scan reports")
	require.Equal(t, []string{"app@web-eu-1", "root@web-eu-1"}, readersOf["f-world-web-eu-1"], "everyone is every account of its host")
	require.Equal(t, []string{"owner", "world-readable"}, via["f-world-web-eu-1"]["root@web-eu-1"])
	require.Equal(t, []string{"root@db-us-1"}, readersOf["f-wheel-db-us-1"])
	require.Equal(t, []string{"deployer", "etl"}, readersOf["o-1-a.csv"], "bucket grants cover the objects")
	require.Equal(t, []string{"bucket policy: etl"}, via["o-1-a.csv"]["etl"])
	require.Equal(t, []string{"group ops"}, via["o-1-a.csv"]["deployer"])
	require.Equal(t, []string{"deployer", "etl"}, readersOf["b-1"])
	require.Equal(t, uint64(3), readable["iam-etl"], "two objects of data-1, one of open-2")
	require.Equal(t, uint64(2), readable["iam-ops"], "a group reaches through its own grants")
	require.Equal(t, uint64(1), readable["outer"])
	require.Equal(t, uint64(2), readable[wire.LocalPrincipalID("web-eu-1", "user", "root")], "world.csv (owner, everyone) and wheel.csv (group wheel)")
}

// The jurisdiction is resolved once, at build: risk scoring and the data
// map read the same answer.
func TestJurisdictionResolvedOnce(t *testing.T) {
	s := reachFixture(t)
	ctx := context.Background()
	var st store.IndexState
	st, err := s.IndexState(ctx)
	require.NoError(t, err)
	byAsset := map[string]string{}
	require.NoError(t, s.IndexExposures(ctx, st.Gen, func(e store.AssetExposure) error {
		byAsset[e.AssetID] = e.Jurisdiction
		return nil
	}))
	require.Equal(t, map[string]string{
		"f-own-web-eu-1": "EU", "f-world-web-eu-1": "EU", "f-wheel-web-eu-1": "EU",
		"f-own-db-us-1": "US", "f-world-db-us-1": "US", "f-wheel-db-us-1": "US",
		"o-1-a.csv": "EU", "o-1-b.csv": "EU", // the bucket's region
		"o-2-x.csv": "", // no region, and no rule places the host "aws"
	}, byAsset)

	systems, err := datamap.Map(ctx, s)
	require.NoError(t, err)
	got := map[string]string{}
	public := map[string]bool{}
	for _, m := range systems {
		got[m.System], public[m.System] = m.Jurisdiction, m.Public
	}
	require.Equal(t, map[string]string{"web-eu-1": "EU", "db-us-1": "US", "s3://data-1": "EU", "s3://open-2": "unknown"}, got)
	require.Equal(t, map[string]bool{"web-eu-1": false, "db-us-1": false, "s3://data-1": false, "s3://open-2": true}, public)
}
