package store

// Tests of the package's pure parts: how filters become SQL conditions
// and bound values, and how rows read back are folded. They need no
// ClickHouse; the behaviour of the SQL itself is tested against one in the
// store_test package.

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWhere(t *testing.T) {
	var w where
	require.Equal(t, "", w.sql(), "no conditions, no clause")
	w.filter("host = ?", "")
	require.Empty(t, w.conds, "an empty value does not filter")
	w.filter("host = ?", "h1")
	w.add("privileged = 1")
	w.add("has(?, resource_id)", []string{"r1", "r2"})
	require.Equal(t, " WHERE host = ? AND privileged = 1 AND has(?, resource_id)", w.sql())
	require.Equal(t, []any{"h1", []string{"r1", "r2"}}, w.args)

	more := w.with("type != ''")
	more.filter("type = ?", "email")
	require.Equal(t, " WHERE host = ? AND privileged = 1 AND has(?, resource_id)", w.sql(), "with copies: w is unchanged")
	require.Len(t, w.args, 2)
	require.Equal(t, " WHERE host = ? AND privileged = 1 AND has(?, resource_id) AND type != '' AND type = ?", more.sql())
	require.Equal(t, []any{"h1", []string{"r1", "r2"}, "email"}, more.args)
}

// requireBound fails when a user value made its way into SQL text.
func requireBound(t *testing.T, sql string, values ...string) {
	t.Helper()
	for _, v := range values {
		require.NotContains(t, sql, v, "a user value is bound, never spliced into SQL")
	}
}

func TestFindingFilterWhere(t *testing.T) {
	hostile := "x' OR 1=1 --"
	for _, tc := range []struct {
		name  string
		f     FindingFilter
		conds []string
		args  []any
	}{
		{"none", FindingFilter{}, nil, nil},
		{"every field, in a fixed order", FindingFilter{Source: "fs", AssetID: "a1", Type: "email", Host: "h1",
			LocationPrefix: "file:///srv/", AgentID: "ag", Category: "contact", Limit: 5, Offset: 10},
			[]string{"type = ?", "category = ?", "host = ?", "startsWith(location, ?)", "agent_id = ?", "source = ?", "asset_id = ?"},
			[]any{"email", "contact", "h1", "file:///srv/", "ag", "fs", "a1"}},
		{"a hostile value stays an argument", FindingFilter{Host: hostile}, []string{"host = ?"}, []any{hostile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.f.where()
			require.Equal(t, tc.conds, w.conds)
			require.Equal(t, tc.args, w.args)
			from, args := tc.f.indexFrom()
			require.True(t, strings.HasPrefix(from, " {db}.idx_findings WHERE "+findingsOf(curGen)), from)
			require.Equal(t, tc.args, args)
			requireBound(t, from, hostile)
		})
	}
}

func TestAssetFromBindsTheAssetThrice(t *testing.T) {
	from, args := FindingFilter{AssetID: "a'1", Type: "email"}.assetFrom()
	require.True(t, strings.HasPrefix(from, " {db}.pii_findings FINAL WHERE type = ? AND asset_id = ? AND (asset_id, type, scan_id) IN ("), from)
	require.Equal(t, 4, strings.Count(from, "?"), "type, asset, asset in the index, asset's hosts")
	require.Len(t, args, 4)
	require.Equal(t, []any{"email", "a'1", "a'1", groupSet([]string{"a'1"})}, args)
	requireBound(t, from, "a'1")
}

func TestSummaryPlan(t *testing.T) {
	gen := "gen = " + curGen
	found := findingsOf(curGen) // the findings of the newest build
	for _, tc := range []struct {
		name                       string
		f                          FindingFilter
		table                      string
		totals, byCategory, byType []string
		args                       []any // of byType
	}{
		{"everything: system rows, category rows, type rows", FindingFilter{}, "idx_summary",
			[]string{gen, "type = ''", "category = ''"},
			[]string{gen, "type = ''", "category != ''"},
			[]string{gen, "type != ''"}, nil},
		{"a category: its category row gives the totals", FindingFilter{Category: "contact", Host: "h1"}, "idx_summary",
			[]string{gen, "host = ?", "category = ?", "type = ''", "category != ''"},
			[]string{gen, "host = ?", "category = ?", "type = ''", "category != ''"},
			[]string{gen, "host = ?", "category = ?", "type != ''"}, []any{"h1", "contact"}},
		{"a type: everything from its rows", FindingFilter{Type: "email", Source: "fs"}, "idx_summary",
			[]string{gen, "source = ?", "type != ''", "type = ?"},
			[]string{gen, "source = ?", "type != ''", "type = ?"},
			[]string{gen, "source = ?", "type != ''", "type = ?"}, []any{"fs", "email"}},
		{"a location prefix: the index's findings", FindingFilter{LocationPrefix: "s3://b/", Type: "email"}, "idx_findings",
			[]string{found, "type = ?", "startsWith(location, ?)"},
			[]string{found, "type = ?", "startsWith(location, ?)"},
			[]string{found, "type = ?", "startsWith(location, ?)"}, []any{"email", "s3://b/"}},
		{"an asset: the index's findings", FindingFilter{AssetID: "a1"}, "idx_findings",
			[]string{found, "asset_id = ?"}, []string{found, "asset_id = ?"}, []string{found, "asset_id = ?"}, []any{"a1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.f.summaryPlan()
			require.Equal(t, tc.table, p.table)
			require.Equal(t, tc.totals, p.totals.conds)
			require.Equal(t, tc.byCategory, p.byCategory.conds)
			require.Equal(t, tc.byType, p.byType.conds)
			require.Equal(t, tc.args, p.byType.args)
			for _, w := range []where{p.totals, p.byCategory, p.byType} {
				require.Equal(t, strings.Count(w.sql(), "?"), len(w.args), "one value per placeholder")
			}
		})
	}
}

func TestEntitlementFilterWhere(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    EntitlementFilter
		sql  string
		args []any
	}{
		{"all", EntitlementFilter{}, "", nil},
		{"privileged from one source", EntitlementFilter{PrivilegedOnly: true, Source: "ldap"},
			" WHERE privileged = 1 AND source = ?", []any{"ldap"}},
		{"some resources of a type", EntitlementFilter{ResourceType: "file", ResourceIDs: []string{"r1"}},
			" WHERE resource_type = ? AND has(?, resource_id)", []any{"file", []string{"r1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.f.where()
			require.Equal(t, tc.sql, w.sql())
			require.Equal(t, tc.args, w.args)
		})
	}
}

func TestChunks(t *testing.T) {
	keys := func(n, size int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strings.Repeat("k", size)
		}
		return out
	}
	lens := func(cs [][]string) []int {
		out := []int{}
		for _, c := range cs {
			out = append(out, len(c))
		}
		return out
	}
	require.Empty(t, chunks(nil))
	require.Equal(t, []int{3}, lens(chunks(keys(3, 10))))
	require.Equal(t, []int{chunkKeys, chunkKeys, 1}, lens(chunks(keys(2*chunkKeys+1, 10))), "bounded by count")
	require.Equal(t, []int{4, 4, 2}, lens(chunks(keys(10, chunkBytes/4))), "bounded by bytes")
	require.Equal(t, []int{1, 1}, lens(chunks(keys(2, chunkBytes+1))), "an oversized key goes alone")

	all := keys(1234, 100)
	var joined []string
	for _, c := range chunks(all) {
		joined = append(joined, c...)
	}
	require.Equal(t, all, joined, "every key once, in order")
}

func TestApplyDecisions(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	items := []ReviewItem{{ItemID: "i1", Reviewer: "alice"}, {ItemID: "i2", Reviewer: "bob"}, {ItemID: "i3", Reviewer: "carol"}}
	applyDecisions(items, []Decision{
		{ItemID: "i1", Decision: "certify", Comment: "ok", DecidedBy: "alice", DecidedAt: at},
		{ItemID: "i1", Decision: "revoke", Comment: "left", DecidedBy: "alice", DecidedAt: at.Add(time.Minute)},
		{ItemID: "i2", Decision: "revoke", Comment: "no", DecidedBy: "bob", DecidedAt: at},
		{ItemID: "i2", Decision: "reassign", ReassignTo: "dave", DecidedBy: "bob", DecidedAt: at.Add(time.Minute)},
		{ItemID: "gone", Decision: "certify", DecidedBy: "eve"},
	})
	require.Equal(t, []ReviewItem{
		{ItemID: "i1", Reviewer: "alice", Decision: "revoke", Comment: "left", DecidedBy: "alice", DecidedAt: at.Add(time.Minute)},
		{ItemID: "i2", Reviewer: "dave"},
		{ItemID: "i3", Reviewer: "carol"},
	}, items, "the latest decision wins; a reassignment moves the item and clears its decision")
}

func TestWithDetails(t *testing.T) {
	items := []Finding{
		{AssetID: "a1", AgentID: "ag1", FindingDetail: FindingDetail{Type: "email", Samples: []string{}, Locations: []string{}}},
		{AssetID: "a1", AgentID: "ag2", FindingDetail: FindingDetail{Type: "email", Samples: []string{}, Locations: []string{}}},
		{AssetID: "a2", AgentID: "ag1", FindingDetail: FindingDetail{Type: "iban", Samples: []string{}, Locations: []string{}}},
	}
	withDetails(items, []Finding{
		{AssetID: "a1", AgentID: "ag2", FindingDetail: FindingDetail{Type: "email", Confidence: "high", Samples: []string{"j***@x"}, Locations: []string{"line 3"}}},
		{AssetID: "a2", AgentID: "ag1", FindingDetail: FindingDetail{Type: "iban", Confidence: "medium"}},
	})
	require.Equal(t, Finding{AssetID: "a1", AgentID: "ag1", FindingDetail: FindingDetail{Type: "email", Samples: []string{}, Locations: []string{}}}, items[0],
		"no detail (gone since the build): empty")
	require.Equal(t, "high", items[1].Confidence, "matched by asset, type and agent")
	require.Equal(t, []string{"j***@x"}, items[1].Samples)
	require.Equal(t, []string{"line 3"}, items[1].Locations)
	require.Equal(t, "medium", items[2].Confidence)
	require.NotNil(t, items[2].Samples, "lists stay lists")
}

func TestScanRowSummary(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	for _, tc := range []struct {
		name   string
		row    scanRow
		stats  map[string]int64
		errors uint64
	}{
		{"stats paired", scanRow{StatKeys: []string{"files", "bytes"}, StatValues: []int64{3, 100}},
			map[string]int64{"files": 3, "bytes": 100}, 0},
		{"a key without a value is dropped", scanRow{StatKeys: []string{"files", "bytes"}, StatValues: []int64{3}},
			map[string]int64{"files": 3}, 0},
		{"the errors stat beats the messages sent", scanRow{StatKeys: []string{"errors"}, StatValues: []int64{250}, ErrorCount: 100},
			map[string]int64{"errors": 250}, 250},
		{"the messages sent beat a smaller stat", scanRow{StatKeys: []string{"errors"}, StatValues: []int64{2}, ErrorCount: 7},
			map[string]int64{"errors": 2}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.row.StartedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, est)
			sc := tc.row.summary()
			require.Equal(t, tc.stats, sc.Stats)
			require.Equal(t, tc.errors, sc.ErrorCount)
			require.Equal(t, []string{}, sc.Errors)
			require.Equal(t, time.UTC, sc.StartedAt.Location())
			require.True(t, sc.StartedAt.Equal(tc.row.StartedAt))
		})
	}
}

func TestVersionsIncrease(t *testing.T) {
	var s Store
	s.lastVersion = unixNano(time.Now()) + 1e12 // a clock that stepped back
	v1 := s.nextVersion()
	first := s.reserveVersions(3)
	v2 := s.nextVersion()
	z := s.reserveVersions(0)
	v3 := s.nextVersion()
	require.Equal(t, []uint64{v1 + 1, first + 3, v2 + 1, z + 1}, []uint64{first, v2, z, v3})
}
