package risk

// The register's and the rankings' rules as plain functions, with no
// ClickHouse: which requests are valid, what a change leaves behind, how
// items are ranked and filtered. register_test.go runs the same flow
// against a real store.

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
)

func TestVolume(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		max  int
		want int
	}{
		{0, 15, 0}, {1, 15, 1}, {9, 16, 4}, {999, 20, 15}, {9999, 15, 15}, {1e12, 15, 15},
	} {
		require.Equal(t, tc.want, volume(tc.n, tc.max), "volume(%d, %d)", tc.n, tc.max)
	}
}

func TestScoreRowRoundTrip(t *testing.T) {
	s := Score{AssetID: "a1", Location: "file:///x", Host: "h", Source: "fs", AssetType: "file", Score: 42,
		Factors: []Factor{{"holds contact data", 10}, {"public (anyone on the internet can read it)", 30}, {"stored unencrypted", 2}}}
	require.Equal(t, s, fromRow(s.Row()))
	r := s.Row()
	r.FactorPoints = r.FactorPoints[:2]
	require.Len(t, fromRow(r).Factors, 2, "a name without points is dropped")
}

func TestRegisterQueryCheck(t *testing.T) {
	for _, tc := range []struct {
		q    RegisterQuery
		want string
	}{
		{RegisterQuery{}, ""},
		{RegisterQuery{Status: StatusMitigating, Kind: KindAsset, Limit: 5}, ""},
		{RegisterQuery{Status: "closed"}, "status must be one of"},
		{RegisterQuery{Kind: "bucket"}, "kind must be asset or principal"},
	} {
		err := tc.q.check()
		if tc.want == "" {
			require.NoError(t, err, "%+v", tc.q)
			continue
		}
		require.ErrorIs(t, err, ErrInvalid)
		require.ErrorContains(t, err, tc.want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestChangeCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Change
		want string
	}{
		{"owner only", Change{Kind: KindAsset, Owner: ptr("dpo")}, ""},
		{"back to the default owner", Change{Kind: KindPrincipal, Owner: ptr("")}, ""},
		{"mitigating needs no comment", Change{Kind: KindAsset, Status: ptr(StatusMitigating)}, ""},
		{"accepted with a reason", Change{Kind: KindAsset, Status: ptr(StatusAccepted), Comment: "break-glass"}, ""},
		{"unknown kind", Change{Kind: "bucket", Owner: ptr("x")}, `kind must be asset or principal, not "bucket"`},
		{"a long kind is clipped", Change{Kind: strings.Repeat("k", 100), Owner: ptr("x")}, strings.Repeat("k", 40) + "…"},
		{"nothing to change", Change{Kind: KindAsset}, "give an owner, a status or both"},
		{"unknown status", Change{Kind: KindAsset, Status: ptr("closed")}, "status must be one of"},
		{"accepted without a reason", Change{Kind: KindAsset, Status: ptr(StatusAccepted)}, "comment is required to set status accepted"},
		{"resolved without a reason", Change{Kind: KindAsset, Status: ptr(StatusResolved)}, "comment is required to set status resolved"},
		{"long owner", Change{Kind: KindAsset, Owner: ptr(strings.Repeat("o", maxOwner+1))}, "owner is longer than 256 bytes"},
		{"long comment", Change{Kind: KindAsset, Owner: ptr("x"), Comment: strings.Repeat("c", maxComment+1)}, "comment is longer than 4000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.check()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestChangeAfter(t *testing.T) {
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.FixedZone("X", 7200))
	hist := []store.RegisterEntry{
		{Owner: "alice", Status: StatusMitigating},
		{Owner: "bob", Status: StatusAccepted, Comment: "old reason"},
	}
	for _, tc := range []struct {
		name          string
		c             Change
		hist          []store.RegisterEntry
		owner, status string
	}{
		{"untouched item: open, no owner", Change{Status: ptr(StatusMitigating)}, nil, "", StatusMitigating},
		{"an owner keeps the latest status", Change{Owner: ptr("carol")}, hist, "carol", StatusAccepted},
		{"a status keeps the latest owner", Change{Status: ptr(StatusResolved)}, hist, "bob", StatusResolved},
		{"an empty owner clears it", Change{Owner: ptr("")}, hist, "", StatusAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.Kind, c.ID, c.By, c.At, c.Comment = KindAsset, "a1", "admin", at, "why"
			e := c.after(tc.hist)
			require.Equal(t, store.RegisterEntry{Kind: KindAsset, ItemID: "a1", Owner: tc.owner, Status: tc.status,
				Comment: "why", ChangedBy: "admin", ChangedAt: at.UTC()}, e, "the comment is the change's, never carried over")
		})
	}
}

func TestRankRegister(t *testing.T) {
	changed := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	items := func() []RegisterItem {
		return []RegisterItem{
			Score{AssetID: "f-b", Location: "file:///b", Score: 50}.registerItem(),
			PrincipalScore{PrincipalID: "u-1", Name: "zed", Score: 50}.registerItem(),
			Score{AssetID: "f-a", Location: "file:///a", Score: 50}.registerItem(),
			PrincipalScore{PrincipalID: "u-2", Name: "admin", Score: 80}.registerItem(),
			Score{AssetID: "f-c", Location: "file:///c", Score: 10}.registerItem(),
		}
	}
	states := map[store.RegisterKey]store.RegisterEntry{
		{Kind: KindPrincipal, ItemID: "u-2"}: {Owner: "iam-team", Status: StatusAccepted, Comment: "break-glass", ChangedBy: "admin", ChangedAt: changed},
		{Kind: KindAsset, ItemID: "f-c"}:     {Owner: "dpo", Status: StatusMitigating, ChangedAt: changed},
		{Kind: KindAsset, ItemID: "gone"}:    {Status: StatusResolved},
	}
	ids := func(items []RegisterItem) []string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it.ID + ":" + it.Status
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    RegisterQuery
		want []string
	}{
		{"by score, then kind (asset first), title, id", RegisterQuery{},
			[]string{"u-2:accepted", "f-a:open", "f-b:open", "u-1:open", "f-c:mitigating"}},
		{"open only", RegisterQuery{Status: StatusOpen}, []string{"f-a:open", "f-b:open", "u-1:open"}},
		{"accepted only", RegisterQuery{Status: StatusAccepted}, []string{"u-2:accepted"}},
		{"resolved: an item no longer at risk is not listed", RegisterQuery{Status: StatusResolved}, []string{}},
		{"limited after filtering", RegisterQuery{Status: StatusOpen, Limit: 2}, []string{"f-a:open", "f-b:open"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ids(rankRegister(items(), states, tc.q)))
		})
	}
	all := rankRegister(items(), states, RegisterQuery{})
	require.Equal(t, RegisterItem{Kind: KindPrincipal, ID: "u-2", Title: "admin", Score: 80, Owner: "iam-team",
		Status: StatusAccepted, Comment: "break-glass", ChangedBy: "admin", ChangedAt: &changed}, all[0])
	require.Nil(t, all[1].ChangedAt, "never changed")
	require.Equal(t, []string{"f-a", "f-b"}, unowned(all), "assets without a set owner get the default one; principals none")
}

func TestRankPrincipals(t *testing.T) {
	ex := []store.PrincipalExposure{
		{ID: "u-none", Name: "nobody"},
		{ID: "u-b", Name: "bob", Hygiene: []string{"kerberoastable"}},
		{ID: "u-a2", Name: "alice", Hygiene: []string{"kerberoastable"}},
		{ID: "u-a1", Name: "alice", Hygiene: []string{"kerberoastable"}},
		{ID: "u-root", Name: "root", Privileged: true, PrivilegedVia: []string{"member of Domain Admins"}},
	}
	names := func(ps []PrincipalScore) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, p.PrincipalID)
		}
		return out
	}
	require.Equal(t, []string{"u-root", "u-a1", "u-a2", "u-b"}, names(rankPrincipals(ex, now, 0)),
		"highest first, then by name and id; a principal scoring 0 is left out")
	require.Equal(t, []string{"u-root", "u-a1"}, names(rankPrincipals(ex, now, 2)))
	require.Empty(t, rankPrincipals(nil, now, 3))
}
