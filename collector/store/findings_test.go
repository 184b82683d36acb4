package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// base is a whole second: DateTime keeps seconds.
var base = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func at(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }

func ptr[T any](v T) *T { return &v }

// fixture builds the records of scans. Values are masked samples and
// made-up tokens: nothing here is personal data.
type fixture struct {
	agent, host, source, scan string
	at                        time.Time
}

func (f fixture) env(kind string) wire.Record {
	return wire.Record{Kind: kind, Source: f.source, ScanID: f.scan, ObservedAt: f.at, AgentID: f.agent, Host: f.host}
}

func (f fixture) asset(path string) wire.Record {
	r := f.env(wire.KindAsset)
	r.AssetID = assetID(f.host, path)
	r.AssetType = "file"
	r.Location = "file://" + path
	return r
}

func (f fixture) pii(path, typ, category string, count int64) wire.Record {
	r := f.env(wire.KindPII)
	r.AssetID = assetID(f.host, path)
	r.Location = "file://" + path
	r.Type, r.Category, r.Count, r.Distinct = typ, category, count, count
	r.Confidence = wire.ConfidenceHigh
	r.Samples = []string{"j***@e***.com"}
	r.Tokens = []string{strings.Repeat("ab", 16)}
	r.Where = []string{"line 3"}
	return r
}

func (f fixture) done(status string) wire.Record {
	r := f.env(wire.KindScan)
	r.Scanner = "fs"
	r.StartedAt = ptr(f.at.Add(-time.Minute))
	r.FinishedAt = ptr(f.at)
	r.Status = status
	r.Stats = map[string]int64{"files": 10, "bytes": 1000}
	return r
}

func assetID(host, path string) string { return "fs:" + host + ":" + path }

func insert(t *testing.T, s *store.Store, recs ...wire.Record) {
	t.Helper()
	for i := range recs {
		require.NoError(t, recs[i].Validate(), "fixture record %d", i)
	}
	require.NoError(t, s.InsertRecords(context.Background(), recs))
}

func findings(t *testing.T, s *store.Store, f store.FindingFilter) ([]store.Finding, uint64) {
	t.Helper()
	// The finding list reads the read index, as the API does after its
	// freshness check.
	storetest.BuildIndex(t, s)
	items, total, err := s.Findings(context.Background(), f)
	require.NoError(t, err)
	return items, total
}

// keys renders findings as "location type scan" for compact comparisons.
func keys(items []store.Finding) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = strings.TrimPrefix(it.Location, "file://") + " " + it.Type + " " + it.ScanID
	}
	return out
}

func TestInsertRecordsAllKinds(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	f := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	h := fixture{agent: "ag-1", host: "web-1", source: wire.SourceHost, scan: "h1", at: at(1)}

	asset := f.asset("/srv/a.csv")
	asset.Owner, asset.Size = "alice", 1234
	asset.ModifiedAt = ptr(at(-60))
	asset.Attributes = map[string]string{"world_readable": "true", "mode": "0644"}

	pii := f.pii("/srv/a.csv", "email", "contact", 7)
	pii.Distinct = 5

	user := h.env(wire.KindPrincipal)
	user.PrincipalID, user.Name, user.PrincipalType = "uid:1000@web-1", "alice", "user"
	user.Enabled, user.MFA = ptr(true), nil
	user.Privileged, user.PrivilegedVia = true, []string{"sudo"}
	user.LastLogin = ptr(at(-5))
	user.Attributes = map[string]string{"shell": "/bin/bash", "home": "/home/alice"}

	ent := h.env(wire.KindEntitlement)
	ent.PrincipalID, ent.ResourceID, ent.ResourceType, ent.Permission = "uid:1000@web-1", "file:///srv/a.csv", "file", "read"
	ent.Via = []string{"group:staff"}

	insert(t, s, asset, pii, user, ent, f.done(wire.StatusOK), h.done(wire.StatusPartial))

	var assets []struct {
		AssetID    string    `ch:"asset_id"`
		Owner      string    `ch:"owner"`
		Size       int64     `ch:"size"`
		ModifiedAt time.Time `ch:"modified_at"`
		Keys       []string  `ch:"attr_keys"`
		Values     []string  `ch:"attr_values"`
		ScanID     string    `ch:"scan_id"`
	}
	require.NoError(t, s.Select(ctx, &assets, `SELECT asset_id, owner, size, modified_at, attr_keys, attr_values, scan_id FROM {db}.assets FINAL`))
	require.Len(t, assets, 1)
	require.Equal(t, asset.AssetID, assets[0].AssetID)
	require.Equal(t, "alice", assets[0].Owner)
	require.Equal(t, int64(1234), assets[0].Size)
	require.True(t, at(-60).Equal(assets[0].ModifiedAt))
	require.Equal(t, []string{"mode", "world_readable"}, assets[0].Keys, "attributes sorted by key")
	require.Equal(t, []string{"0644", "true"}, assets[0].Values)
	require.Equal(t, "s1", assets[0].ScanID)

	items, total := findings(t, s, store.FindingFilter{})
	require.Equal(t, uint64(1), total)
	require.Equal(t, store.Finding{
		AssetID: pii.AssetID, Location: "file:///srv/a.csv", Host: "web-1", Source: "fs", AgentID: "ag-1", ScanID: "s1",
		FindingDetail: store.FindingDetail{Type: "email", Category: "contact", Confidence: "high", Count: 7, Distinct: 5,
			Samples: []string{"j***@e***.com"}, Locations: []string{"line 3"}, ObservedAt: at(0)},
	}, items[0])

	// Tokens are stored (subject search needs them) but Findings never returns them.
	var tok []struct {
		Tokens []string `ch:"tokens"`
	}
	require.NoError(t, s.Select(ctx, &tok, `SELECT tokens FROM {db}.pii_findings FINAL`))
	require.Len(t, tok, 1)
	require.Len(t, tok[0].Tokens, 1)

	var princ []struct {
		Name      string    `ch:"name"`
		Enabled   int8      `ch:"enabled"`
		MFA       int8      `ch:"mfa"`
		Priv      uint8     `ch:"privileged"`
		Via       []string  `ch:"privileged_via"`
		LastLogin time.Time `ch:"last_login"`
		PwdSet    time.Time `ch:"password_last_set"`
		Keys      []string  `ch:"attr_keys"`
	}
	require.NoError(t, s.Select(ctx, &princ, `SELECT name, enabled, mfa, privileged, privileged_via, last_login, password_last_set, attr_keys FROM {db}.principals FINAL`))
	require.Len(t, princ, 1)
	require.Equal(t, "alice", princ[0].Name)
	require.Equal(t, int8(1), princ[0].Enabled)
	require.Equal(t, int8(-1), princ[0].MFA, "unknown mfa is -1")
	require.Equal(t, uint8(1), princ[0].Priv)
	require.Equal(t, []string{"sudo"}, princ[0].Via)
	require.True(t, at(-5).Equal(princ[0].LastLogin))
	require.Equal(t, int64(0), princ[0].PwdSet.Unix(), "unknown times are stored as 0")
	require.Equal(t, []string{"home", "shell"}, princ[0].Keys)

	var ents []struct {
		Resource string   `ch:"resource_id"`
		Perm     string   `ch:"permission"`
		Via      []string `ch:"via"`
		Priv     uint8    `ch:"privileged"`
	}
	require.NoError(t, s.Select(ctx, &ents, `SELECT resource_id, permission, via, privileged FROM {db}.entitlements FINAL`))
	require.Len(t, ents, 1)
	require.Equal(t, "file:///srv/a.csv", ents[0].Resource)
	require.Equal(t, "read", ents[0].Perm)
	require.Equal(t, []string{"group:staff"}, ents[0].Via)
	require.Equal(t, uint8(0), ents[0].Priv)

	var scans []struct {
		ScanID   string    `ch:"scan_id"`
		Source   string    `ch:"source"`
		Status   string    `ch:"status"`
		Started  time.Time `ch:"started_at"`
		Finished time.Time `ch:"finished_at"`
		SK       []string  `ch:"stat_keys"`
		SV       []int64   `ch:"stat_values"`
	}
	require.NoError(t, s.Select(ctx, &scans, `SELECT scan_id, source, status, started_at, finished_at, stat_keys, stat_values FROM {db}.scans FINAL ORDER BY scan_id`))
	require.Len(t, scans, 2)
	require.Equal(t, "h1", scans[0].ScanID)
	require.Equal(t, "partial", scans[0].Status)
	require.Equal(t, "s1", scans[1].ScanID)
	require.True(t, at(-1).Equal(scans[1].Started))
	require.True(t, at(0).Equal(scans[1].Finished))
	require.Equal(t, []string{"bytes", "files"}, scans[1].SK)
	require.Equal(t, []int64{1000, 10}, scans[1].SV)

	// An unknown kind is refused before anything is written.
	err := s.InsertRecords(ctx, []wire.Record{f.asset("/srv/z"), {Kind: "bogus"}})
	require.ErrorContains(t, err, "record 2")
	n, err := s.CountRows(ctx, "assets")
	require.NoError(t, err)
	require.Equal(t, uint64(1), n)
}

func TestResentBatchDoesNotDouble(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	f := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	h := fixture{agent: "ag-1", host: "web-1", source: wire.SourceHost, scan: "h1", at: at(0)}
	user := h.env(wire.KindPrincipal)
	user.PrincipalID, user.Name, user.PrincipalType = "uid:1000@web-1", "alice", "user"
	ent := h.env(wire.KindEntitlement)
	ent.PrincipalID, ent.ResourceID, ent.ResourceType, ent.Permission = "uid:1000@web-1", "r", "file", "read"
	batch := []wire.Record{
		f.asset("/a"), f.pii("/a", "email", "contact", 3), f.pii("/a", "phone", "contact", 2),
		f.asset("/b"), f.pii("/b", "ssn", "government_id", 1),
		user, ent, f.done(wire.StatusOK), h.done(wire.StatusOK),
	}
	insert(t, s, batch...)
	storetest.BuildIndex(t, s)
	sum1, err := s.Summary(ctx, store.FindingFilter{})
	require.NoError(t, err)

	insert(t, s, batch...)
	insert(t, s, batch...)

	items, total := findings(t, s, store.FindingFilter{})
	require.Equal(t, uint64(3), total)
	require.Len(t, items, 3)
	storetest.BuildIndex(t, s)
	sum2, err := s.Summary(ctx, store.FindingFilter{})
	require.NoError(t, err)
	require.Equal(t, sum1, sum2)
	for table, want := range map[string]uint64{"assets": 2, "pii_findings": 3, "principals": 1, "entitlements": 1, "scans": 2} {
		n, err := s.CountRows(ctx, table)
		require.NoError(t, err)
		require.Equal(t, want, n, table)
	}
}

func TestCurrentScan(t *testing.T) {
	s := storetest.New(t)
	s1 := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	s2 := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s2", at: at(10)}
	s3 := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s3", at: at(20)}
	other := fixture{agent: "ag-2", host: "db-1", source: wire.SourceFS, scan: "o1", at: at(5)}

	insert(t, s,
		s1.asset("/a"), s1.pii("/a", "email", "contact", 3), s1.pii("/a", "phone", "contact", 1),
		s1.asset("/b"), s1.pii("/b", "ssn", "government_id", 2),
		s1.done(wire.StatusOK),
		other.asset("/c"), other.pii("/c", "email", "contact", 1), other.done(wire.StatusOK),
	)
	want1 := []string{"/a email s1", "/a phone s1", "/b ssn s1", "/c email o1"}
	items, total := findings(t, s, store.FindingFilter{})
	require.Equal(t, want1, keys(items))
	require.Equal(t, uint64(4), total)

	// s2 is running: /a lost its phone numbers, /b was cleaned. Its records
	// arrive before its scan record: what it re-reports replaces s1's row in
	// place, and nothing of s1 is hidden until s2 completes.
	insert(t, s, s2.asset("/a"), s2.pii("/a", "email", "contact", 4))
	items, _ = findings(t, s, store.FindingFilter{})
	require.Equal(t, []string{"/a email s2", "/a phone s1", "/b ssn s1", "/c email o1"}, keys(items),
		"a scan without its scan record must not hide the previous one")
	n, err := s.CountRows(context.Background(), "pii_findings")
	require.NoError(t, err)
	require.Equal(t, uint64(4), n, "a re-scan replaces rows instead of adding them")

	insert(t, s, s2.done(wire.StatusPartial))
	items, total = findings(t, s, store.FindingFilter{})
	require.Equal(t, []string{"/a email s2", "/c email o1"}, keys(items), "the vanished type and the cleaned file drop out; other agents are untouched")
	require.Equal(t, uint64(2), total)
	require.Equal(t, uint64(4), items[0].Count)

	// A failed scan never becomes current.
	insert(t, s, s3.asset("/z"), s3.pii("/z", "iban", "financial", 1), s3.done(wire.StatusFailed))
	items, _ = findings(t, s, store.FindingFilter{})
	require.Equal(t, []string{"/a email s2", "/c email o1"}, keys(items))

	// A scan record arriving late for an older scan does not take over.
	old := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s0", at: at(-10)}
	insert(t, s, old.asset("/y"), old.pii("/y", "email", "contact", 1), old.done(wire.StatusOK))
	items, _ = findings(t, s, store.FindingFilter{})
	require.Equal(t, []string{"/a email s2", "/c email o1"}, keys(items))
}

// filterFixture stores 2 hosts × a few files, all current.
func filterFixture(t *testing.T) *store.Store {
	s := storetest.New(t)
	web := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "w1", at: at(0)}
	db := fixture{agent: "ag-2", host: "db-1", source: wire.SourceFS, scan: "d1", at: at(0)}
	insert(t, s,
		web.asset("/srv/app/users.csv"), web.pii("/srv/app/users.csv", "email", "contact", 10), web.pii("/srv/app/users.csv", "phone", "contact", 4),
		web.asset("/srv/app/pay.csv"), web.pii("/srv/app/pay.csv", "credit_card", "financial", 3), web.pii("/srv/app/pay.csv", "email", "contact", 1),
		web.asset("/home/bob/notes.txt"), web.pii("/home/bob/notes.txt", "ssn", "government_id", 2),
		web.done(wire.StatusOK),
		db.asset("/srv/app/users.csv"), db.pii("/srv/app/users.csv", "email", "contact", 5),
		db.asset("/var/dump.sql"), db.pii("/var/dump.sql", "email", "contact", 100), db.pii("/var/dump.sql", "iban", "financial", 7),
		db.done(wire.StatusOK),
	)
	return s
}

func TestFindingsFilters(t *testing.T) {
	s := filterFixture(t)
	for _, tc := range []struct {
		name string
		f    store.FindingFilter
		want []string
	}{
		{"all", store.FindingFilter{}, []string{
			"/home/bob/notes.txt ssn w1", "/srv/app/pay.csv credit_card w1", "/srv/app/pay.csv email w1",
			"/srv/app/users.csv email d1", "/srv/app/users.csv email w1", "/srv/app/users.csv phone w1",
			"/var/dump.sql email d1", "/var/dump.sql iban d1"}},
		{"type", store.FindingFilter{Type: "email"}, []string{
			"/srv/app/pay.csv email w1", "/srv/app/users.csv email d1", "/srv/app/users.csv email w1", "/var/dump.sql email d1"}},
		{"category", store.FindingFilter{Category: "financial"}, []string{"/srv/app/pay.csv credit_card w1", "/var/dump.sql iban d1"}},
		{"host", store.FindingFilter{Host: "db-1"}, []string{"/srv/app/users.csv email d1", "/var/dump.sql email d1", "/var/dump.sql iban d1"}},
		{"agent", store.FindingFilter{AgentID: "ag-2", Type: "iban"}, []string{"/var/dump.sql iban d1"}},
		{"source", store.FindingFilter{Source: "s3"}, []string{}},
		{"location prefix", store.FindingFilter{LocationPrefix: "file:///srv/app/"}, []string{
			"/srv/app/pay.csv credit_card w1", "/srv/app/pay.csv email w1",
			"/srv/app/users.csv email d1", "/srv/app/users.csv email w1", "/srv/app/users.csv phone w1"}},
		{"combined", store.FindingFilter{LocationPrefix: "file:///srv/", Host: "web-1", Category: "contact"}, []string{
			"/srv/app/pay.csv email w1", "/srv/app/users.csv email w1", "/srv/app/users.csv phone w1"}},
		{"prefix is not a pattern", store.FindingFilter{LocationPrefix: "file:///srv/%"}, []string{}},
		{"quotes are bound, not spliced", store.FindingFilter{LocationPrefix: `file:///x' OR 1=1 OR '`, Type: `?`}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, total := findings(t, s, tc.f)
			require.Equal(t, tc.want, keys(items))
			require.Equal(t, uint64(len(tc.want)), total)
		})
	}
}

func TestFindingsPaging(t *testing.T) {
	s := filterFixture(t)
	all, total := findings(t, s, store.FindingFilter{})
	require.Equal(t, uint64(8), total)

	var paged []store.Finding
	for off := 0; off < 10; off += 3 {
		items, total := findings(t, s, store.FindingFilter{Limit: 3, Offset: off})
		require.Equal(t, uint64(8), total, "total counts the whole match, not the page")
		paged = append(paged, items...)
	}
	require.Equal(t, keys(all), keys(paged))

	items, total := findings(t, s, store.FindingFilter{Type: "email", Limit: 2, Offset: 1})
	require.Equal(t, []string{"/srv/app/users.csv email d1", "/srv/app/users.csv email w1"}, keys(items))
	require.Equal(t, uint64(4), total)

	items, total = findings(t, s, store.FindingFilter{Offset: 100})
	require.Empty(t, items)
	require.Equal(t, uint64(8), total)
}

func TestFindingsLimitBounds(t *testing.T) {
	s := storetest.New(t)
	f := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	recs := []wire.Record{f.done(wire.StatusOK)}
	for i := 0; i < store.MaxLimit+50; i++ {
		recs = append(recs, f.pii(fmt.Sprintf("/data/%05d.csv", i), "email", "contact", 1))
	}
	insert(t, s, recs...)

	items, total := findings(t, s, store.FindingFilter{})
	require.Len(t, items, store.DefaultLimit)
	require.Equal(t, uint64(store.MaxLimit+50), total)
	items, _ = findings(t, s, store.FindingFilter{Limit: 5000})
	require.Len(t, items, store.MaxLimit)
}

func TestSummary(t *testing.T) {
	ctx := context.Background()
	s := filterFixture(t)
	storetest.BuildIndex(t, s)

	sum, err := s.Summary(ctx, store.FindingFilter{Limit: 1, Offset: 5})
	require.NoError(t, err)
	require.Equal(t, store.Summary{
		Assets: 5, Hosts: 2,
		ByCategory: []store.SummaryRow{
			{Category: "contact", Assets: 4, Findings: 5, Occurrences: 120},
			{Category: "financial", Assets: 2, Findings: 2, Occurrences: 10},
			{Category: "government_id", Assets: 1, Findings: 1, Occurrences: 2},
		},
		ByType: []store.SummaryRow{
			{Category: "contact", Type: "email", Assets: 4, Findings: 4, Occurrences: 116},
			{Category: "contact", Type: "phone", Assets: 1, Findings: 1, Occurrences: 4},
			{Category: "financial", Type: "credit_card", Assets: 1, Findings: 1, Occurrences: 3},
			{Category: "financial", Type: "iban", Assets: 1, Findings: 1, Occurrences: 7},
			{Category: "government_id", Type: "ssn", Assets: 1, Findings: 1, Occurrences: 2},
		},
	}, sum)

	sum, err = s.Summary(ctx, store.FindingFilter{Host: "db-1", Type: "email"})
	require.NoError(t, err)
	require.Equal(t, store.Summary{
		Assets: 2, Hosts: 1,
		ByCategory: []store.SummaryRow{{Category: "contact", Assets: 2, Findings: 2, Occurrences: 105}},
		ByType:     []store.SummaryRow{{Category: "contact", Type: "email", Assets: 2, Findings: 2, Occurrences: 105}},
	}, sum)

	sum, err = s.Summary(ctx, store.FindingFilter{Category: "health"})
	require.NoError(t, err)
	require.Equal(t, store.Summary{ByCategory: []store.SummaryRow{}, ByType: []store.SummaryRow{}}, sum)

	sum, err = s.Summary(ctx, store.FindingFilter{Category: "contact"})
	require.NoError(t, err)
	require.Equal(t, store.Summary{
		Assets: 4, Hosts: 2,
		ByCategory: []store.SummaryRow{{Category: "contact", Assets: 4, Findings: 5, Occurrences: 120}},
		ByType: []store.SummaryRow{
			{Category: "contact", Type: "email", Assets: 4, Findings: 4, Occurrences: 116},
			{Category: "contact", Type: "phone", Assets: 1, Findings: 1, Occurrences: 4},
		},
	}, sum)
}

// The per-system counts and a fold over the index's findings (taken for a
// location prefix) must agree: a prefix that holds everything gives the
// same summary as no filter, for every other filter too.
func TestSummaryPathsAgree(t *testing.T) {
	ctx := context.Background()
	s := filterFixture(t)
	storetest.BuildIndex(t, s)
	for _, f := range []store.FindingFilter{
		{}, {Host: "web-1"}, {Type: "email"}, {Category: "financial"}, {AgentID: "ag-2"}, {Host: "db-1", Category: "contact"},
	} {
		fast, err := s.Summary(ctx, f)
		require.NoError(t, err)
		f.LocationPrefix = "file:///"
		folded, err := s.Summary(ctx, f)
		require.NoError(t, err)
		require.Equal(t, fast, folded, "filter %+v", f)
		require.NotZero(t, fast.Assets, "filter %+v selects something", f)
	}
}

// The asset list reads the read index: every order is total (ties by
// location rank), pages neither repeat nor skip, and the rollup is right.
func TestAssetsSortAndPage(t *testing.T) {
	ctx := context.Background()
	s := filterFixture(t)
	storetest.BuildIndex(t, s)

	locs := func(as []store.Asset) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = a.Host + ":" + a.Location
		}
		return out
	}
	all, total, err := s.Assets(ctx, store.AssetFilter{})
	require.NoError(t, err)
	require.Equal(t, uint64(5), total)
	// Two hosts hold /srv/app/users.csv: the asset id breaks the tie.
	usersFirst := "db-1"
	if assetID("web-1", "/srv/app/users.csv") < assetID("db-1", "/srv/app/users.csv") {
		usersFirst = "web-1"
	}
	usersSecond := map[string]string{"db-1": "web-1", "web-1": "db-1"}[usersFirst]
	require.Equal(t, []string{
		"web-1:file:///home/bob/notes.txt", "web-1:file:///srv/app/pay.csv",
		usersFirst + ":file:///srv/app/users.csv", usersSecond + ":file:///srv/app/users.csv", "db-1:file:///var/dump.sql",
	}, locs(all))
	dump := all[4]
	require.Equal(t, []string{"email", "iban"}, dump.Types)
	require.Equal(t, []string{"contact", "financial"}, dump.Categories)
	require.Equal(t, uint64(107), dump.Occurrences)
	require.Equal(t, "fs", dump.Source)

	desc, _, err := s.Assets(ctx, store.AssetFilter{Sort: "location", Desc: true})
	require.NoError(t, err)
	for i := range desc {
		require.Equal(t, all[len(all)-1-i].ID, desc[i].ID)
	}

	var paged []string
	for off := 0; off < 5; off += 2 {
		page, total, err := s.Assets(ctx, store.AssetFilter{Sort: "occurrences", Desc: true, Limit: 2, Offset: off})
		require.NoError(t, err)
		require.Equal(t, uint64(5), total)
		paged = append(paged, locs(page)...)
	}
	require.Equal(t, []string{
		"db-1:file:///var/dump.sql", "web-1:file:///srv/app/users.csv", "db-1:file:///srv/app/users.csv",
		"web-1:file:///srv/app/pay.csv", "web-1:file:///home/bob/notes.txt",
	}, paged)

	one, err := s.AssetByID(ctx, dump.ID)
	require.NoError(t, err)
	require.Equal(t, dump, one)
	_, err = s.AssetByID(ctx, "no-such-asset")
	require.ErrorIs(t, err, store.ErrNotFound)

	_, _, err = s.Assets(ctx, store.AssetFilter{Sort: "owner"})
	require.ErrorIs(t, err, store.ErrBadFilter)
}

// The finding list is the index's: a scan stored after the build shows up
// only once the index is rebuilt, and until then the listed finding carries
// the detail (samples, locations, confidence) of its row as stored now.
func TestFindingsReadTheIndex(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	s1 := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	insert(t, s, s1.asset("/a"), s1.pii("/a", "email", "contact", 3), s1.done(wire.StatusOK))
	storetest.BuildIndex(t, s)

	s2 := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s2", at: at(10)}
	p := s2.pii("/a", "email", "contact", 9)
	p.Samples, p.Where, p.Confidence = []string{"x***@y***.org"}, []string{"line 9"}, wire.ConfidenceLow
	insert(t, s, s2.asset("/a"), s2.asset("/b"), p, s2.pii("/b", "phone", "contact", 1), s2.done(wire.StatusOK))

	items, total, err := s.Findings(ctx, store.FindingFilter{})
	require.NoError(t, err)
	require.Equal(t, uint64(1), total, "the build before s2 knows one finding")
	require.Equal(t, []string{"/a email s1"}, keys(items))
	require.Equal(t, uint64(3), items[0].Count, "count and scan are the build's")
	require.Equal(t, []string{"x***@y***.org"}, items[0].Samples, "detail is the row's as stored now")
	require.Equal(t, []string{"line 9"}, items[0].Locations)
	require.Equal(t, wire.ConfidenceLow, items[0].Confidence)

	storetest.BuildIndex(t, s)
	items, total, err = s.Findings(ctx, store.FindingFilter{})
	require.NoError(t, err)
	require.Equal(t, uint64(2), total)
	require.Equal(t, []string{"/a email s2", "/b phone s2"}, keys(items))
	require.Equal(t, uint64(9), items[0].Count)
}

// TestAssetsWithPII: the with-personal-data filter (an index column since
// migration 0018) keeps assets holding findings themselves and buckets
// whose scan counted objects that do, and nothing else.
func TestAssetsWithPII(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	f := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "w1", at: at(0)}
	bucket := func(path, objects string) wire.Record {
		r := f.asset(path)
		r.AssetType, r.Attributes = "bucket", map[string]string{"objects_with_pii": objects}
		return r
	}
	insert(t, s,
		f.asset("/srv/people.csv"), f.pii("/srv/people.csv", "email", "contact", 3),
		f.asset("/srv/empty.txt"),
		bucket("/b/with", "4"), bucket("/b/without", "0"), bucket("/b/junk", "x"),
		f.done(wire.StatusOK),
	)
	storetest.BuildIndex(t, s)
	items, total, err := s.Assets(ctx, store.AssetFilter{WithPII: true})
	require.NoError(t, err)
	require.Equal(t, uint64(2), total)
	var locs []string
	for _, a := range items {
		locs = append(locs, a.Location)
	}
	require.Equal(t, []string{"file:///b/with", "file:///srv/people.csv"}, locs)
	_, all, err := s.Assets(ctx, store.AssetFilter{})
	require.NoError(t, err)
	require.Equal(t, uint64(5), all)
}
