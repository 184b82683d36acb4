package access_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/access"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// The risk model counts reach in one query (store.PrincipalExposures);
// for accounts it must agree with PrincipalReach, asset by asset count.
func TestReachCountsAgreeWithPrincipalReach(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := func(kind, source, host string) wire.Record {
		return wire.Record{Kind: kind, Source: source, ScanID: source + host, ObservedAt: at, AgentID: "ag-" + host, Host: host}
	}
	var recs []wire.Record
	files := make([]string, 12)
	for i := range files {
		host := fmt.Sprintf("h%d", i%2)
		a := env(wire.KindAsset, wire.SourceFS, host)
		a.AssetID, a.AssetType, a.Location = fmt.Sprintf("file-%d", i), "file", fmt.Sprintf("file:///srv/f%d.csv", i)
		files[i] = a.AssetID
		recs = append(recs, a)
		if i%4 != 3 { // every fourth file holds nothing
			p := env(wire.KindPII, wire.SourceFS, host)
			p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Confidence = a.AssetID, a.Location, "email", "contact", 2, wire.ConfidenceHigh
			recs = append(recs, p)
		}
	}
	principal := func(source, host, id, typ string) {
		r := env(wire.KindPrincipal, source, host)
		r.PrincipalID, r.Name, r.PrincipalType = id, id, typ
		recs = append(recs, r)
	}
	grant := func(source, host, who, what, perm string) {
		r := env(wire.KindEntitlement, source, host)
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = who, what, "file", perm
		if perm == "member" {
			r.ResourceType = "group"
		}
		recs = append(recs, r)
	}
	var users []string
	for h := 0; h < 2; h++ {
		host := fmt.Sprintf("h%d", h)
		group := wire.LocalPrincipalID(host, "group", "staff")
		principal(wire.SourceHost, host, group, "group")
		for u := 0; u < 4; u++ {
			id := wire.LocalPrincipalID(host, "user", fmt.Sprintf("u%d", u))
			principal(wire.SourceHost, host, id, "user")
			users = append(users, id)
			if u%2 == 0 {
				grant(wire.SourceHost, host, id, group, "member")
			}
			grant(wire.SourceFS, host, id, files[(h*5+u)%len(files)], "read")
		}
		grant(wire.SourceFS, host, group, files[h+2], "read")
		grant(wire.SourceFS, host, group, files[h+6], "write")
		grant(wire.SourceFS, host, wire.LocalPrincipalID(host, "everyone", ""), files[h+8], "read")
	}
	// A directory: alice in a nested chain (one membership per group).
	for _, id := range []string{"alice", "bob"} {
		principal(wire.SourceLDAP, "dc", id, "user")
		users = append(users, id)
	}
	principal(wire.SourceLDAP, "dc", "inner", "group")
	principal(wire.SourceLDAP, "dc", "outer", "group")
	grant(wire.SourceLDAP, "dc", "alice", "inner", "member")
	grant(wire.SourceLDAP, "dc", "alice", "outer", "member")
	grant(wire.SourceLDAP, "dc", "inner", "outer", "member")
	grant(wire.SourceFS, "h0", "outer", files[0], "read")
	grant(wire.SourceFS, "h0", "inner", files[4], "read")
	grant(wire.SourceFS, "h0", "bob", files[3], "read") // no personal data there
	require.NoError(t, s.InsertRecords(ctx, recs))
	storetest.BuildIndex(t, s)

	ex, err := s.PrincipalExposures(ctx, time.Time{})
	require.NoError(t, err)
	counts := map[string]int{}
	for _, e := range ex {
		counts[e.ID] = int(e.ReadableAssets)
	}
	reached := 0
	for _, id := range users {
		r, err := access.PrincipalReach(ctx, s, id)
		require.NoError(t, err)
		require.Equal(t, len(r.Assets), counts[id], id)
		reached += len(r.Assets)
	}
	require.Greater(t, reached, len(users), "the fixture reaches something through every path")
	require.Equal(t, 2, counts["alice"])
	require.Zero(t, counts["bob"])
}
