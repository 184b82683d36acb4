package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

type target struct {
	RefID      string `json:"refId"`
	RawSQL     string `json:"rawSql"`
	Format     *int   `json:"format"`
	QueryType  string `json:"queryType"`
	EditorType string `json:"editorType"`
	Datasource struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
}

type panel struct {
	ID      int      `json:"id"`
	Type    string   `json:"type"`
	Title   string   `json:"title"`
	Targets []target `json:"targets"`
}

type variable struct {
	Name    string `json:"name"`
	Current struct {
		Value any `json:"value"`
	} `json:"current"`
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

// The dashboards a security operations team keeps on a wall; the test
// fails when one goes missing or an unexpected one appears untested.
var wantDashboards = []string{
	"sightline-overview",
	"sightline-risk-over-time",
	"sightline-review-progress",
	"sightline-fleet-health",
	"sightline-scan-errors",
}

func loadDashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob("*.json")
	require.NoError(t, err)
	out := map[string]dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var d dashboard
		require.NoError(t, json.Unmarshal(b, &d), f)
		require.Equal(t, d.UID+".json", f, "a dashboard's file is named after its uid")
		require.NotContains(t, out, d.UID, f)
		out[d.UID] = d
	}
	return out
}

// The dashboards' shape: what Grafana and the provisioning need, with no
// ClickHouse.
func TestDashboardsShape(t *testing.T) {
	ds := loadDashboards(t)
	got := make([]string, 0, len(ds))
	for uid := range ds {
		got = append(got, uid)
	}
	require.ElementsMatch(t, wantDashboards, got)
	for uid, d := range ds {
		require.NotEmpty(t, d.Title, uid)
		require.NotEmpty(t, d.Panels, uid)
		ids, titles := map[int]bool{}, map[string]bool{}
		for _, p := range d.Panels {
			require.NotEmpty(t, p.Title, uid)
			require.False(t, ids[p.ID], "%s: panel id %d used twice", uid, p.ID)
			require.False(t, titles[p.Title], "%s: panel title %q used twice", uid, p.Title)
			ids[p.ID], titles[p.Title] = true, true
			require.Len(t, p.Targets, 1, "%s: panel %q", uid, p.Title)
			tg := p.Targets[0]
			require.Equal(t, "grafana-clickhouse-datasource", tg.Datasource.Type, "%s: panel %q", uid, p.Title)
			require.Equal(t, "sightline-clickhouse", tg.Datasource.UID, "%s: panel %q: the provisioned data source", uid, p.Title)
			require.Equal(t, "sql", tg.EditorType, "%s: panel %q", uid, p.Title)
			require.NotNil(t, tg.Format, "%s: panel %q", uid, p.Title)
			// The plugin's formats: 0 time series, 1 table.
			if p.Type == "timeseries" {
				require.Equal(t, 0, *tg.Format, "%s: panel %q", uid, p.Title)
				require.Equal(t, "timeSeries", tg.QueryType, "%s: panel %q", uid, p.Title)
			} else {
				require.Equal(t, 1, *tg.Format, "%s: panel %q", uid, p.Title)
				require.Equal(t, "table", tg.QueryType, "%s: panel %q", uid, p.Title)
			}
			require.Contains(t, tg.RawSQL, "sightline.", "%s: panel %q reads the sightline database", uid, p.Title)
			_, err := expand(tg.RawSQL, variables(d), testRange(time.Now()))
			require.NoError(t, err, "%s: panel %q", uid, p.Title)
		}
	}
}

// fixture stores a small estate relative to now: three agents (one
// stale), scans of every status, two index builds with their risk
// snapshots, deliveries, and two review campaigns with certify, revoke
// and reassign decisions (one campaign overdue).
func fixture(t *testing.T, st *store.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }

	for _, a := range []store.Agent{
		{ID: "ag-web", Hostname: "web-1", OS: "linux", Version: "1.0.0", EnrolledAt: ago(240 * time.Hour), LastSeen: ago(5 * time.Minute)},
		{ID: "ag-db", Hostname: "db-1", OS: "linux", Version: "1.0.0", EnrolledAt: ago(240 * time.Hour), LastSeen: ago(72 * time.Hour)},
		{ID: "ag-s3", Hostname: "s3-1", OS: "linux", Version: "1.0.0", EnrolledAt: ago(240 * time.Hour), LastSeen: ago(30 * time.Minute)},
	} {
		require.NoError(t, st.PutAgent(ctx, a))
	}
	require.NoError(t, st.PutBatches(ctx, []store.Batch{
		{AgentID: "ag-web", Key: "k1", Records: 100, ReceivedAt: ago(2 * time.Hour)},
		{AgentID: "ag-s3", Key: "k2", Records: 50, ReceivedAt: ago(time.Hour)},
	}))

	scan := func(agent, host, scanner, id, status string, fin time.Time, errs []string, nerrs int64) wire.Record {
		start := fin.Add(-time.Minute)
		return wire.Record{Kind: wire.KindScan, Source: scanner, ScanID: id, ObservedAt: start, AgentID: agent, Host: host,
			Scanner: scanner, StartedAt: &start, FinishedAt: &fin, Status: status,
			Stats: map[string]int64{"files": 10, "errors": nerrs}, Errors: errs}
	}
	// files is an fs scan of n files whose risks fall in every band: the
	// most sensitive category, the volume and world-readability vary.
	files := func(scanID string, fin time.Time, n int) []wire.Record {
		env := wire.Record{Source: wire.SourceFS, ScanID: scanID, ObservedAt: fin.Add(-time.Minute), AgentID: "ag-web", Host: "web-1"}
		kinds := []struct {
			typ, cat string
			n        int64
			world    bool
		}{
			{"ssn", "government_id", 20000, true},
			{"iban", "financial", 500, true},
			{"email", "contact", 300, false},
			{"ipv4", "network", 1, false},
		}
		var recs []wire.Record
		for i := range n {
			k := kinds[i%len(kinds)]
			id, loc := fmt.Sprintf("file-%d", i), fmt.Sprintf("file:///data/%d.csv", i)
			a, p := env, env
			a.Kind, a.AssetID, a.AssetType, a.Location = wire.KindAsset, id, "file", loc
			if k.world {
				a.Attributes = map[string]string{"world_readable": "true"}
			}
			p.Kind, p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Distinct = wire.KindPII, id, loc, k.typ, k.cat, k.n, k.n
			recs = append(recs, a, p)
		}
		return append(recs, scan("ag-web", "web-1", "fs", scanID, wire.StatusOK, fin, nil, 0))
	}
	snapshot := func() {
		storetest.BuildIndex(t, st)
		ix, err := st.IndexState(ctx)
		require.NoError(t, err)
		// What the collector does after every build that commits.
		require.NoError(t, st.RecordRiskSnapshot(ctx, ix.Gen))
	}

	require.NoError(t, st.InsertRecords(ctx, files("s-web-fs-1", ago(24*time.Hour), 4)))
	snapshot()

	hostEnv := wire.Record{Source: wire.SourceHost, ScanID: "s-web-host", ObservedAt: ago(3 * time.Hour), AgentID: "ag-web", Host: "web-1"}
	bob, grant := hostEnv, hostEnv
	bob.Kind, bob.PrincipalID, bob.Name, bob.PrincipalType = wire.KindPrincipal, "web-1:user:bob", "bob", "user"
	grant.Kind, grant.PrincipalID, grant.ResourceID, grant.ResourceType, grant.Permission =
		wire.KindEntitlement, "web-1:user:bob", "file-2", "file", "read"
	recs := files("s-web-fs-2", ago(2*time.Hour), 8)
	recs = append(recs, bob, grant,
		scan("ag-web", "web-1", "host", "s-web-host", wire.StatusOK, ago(2*time.Hour), nil, 0),
		scan("ag-db", "db-1", "fs", "s-db-fs", wire.StatusFailed, ago(72*time.Hour),
			[]string{"walk /srv/data: open /srv/data: permission denied"}, 1),
		scan("ag-s3", "s3-1", "s3", "s-s3", wire.StatusPartial, ago(time.Hour), []string{
			"s3://b1: reading the bucket policy: AccessDenied",
			"s3://b2: reading the bucket policy: AccessDenied",
			"s3://b3: public access block: timeout",
		}, 7))
	require.NoError(t, st.InsertRecords(ctx, recs))
	snapshot()

	items := func(reviewers ...string) []store.ReviewItem {
		var out []store.ReviewItem
		for i, r := range reviewers {
			out = append(out, store.ReviewItem{ItemID: fmt.Sprintf("it-%d", i+1), PrincipalID: "web-1:user:bob",
				PrincipalName: "bob", ResourceID: fmt.Sprintf("file-%d", i), ResourceType: "file", Permission: "read",
				Reviewer: r, ReviewerSource: "named"})
		}
		return out
	}
	require.NoError(t, st.CreateCampaign(ctx, store.Campaign{ID: "c1", Name: "Quarterly admins", Scope: "{}", Reviewer: "alice",
		Due: ago(24 * time.Hour), CreatedBy: "admin", CreatedAt: ago(240 * time.Hour)}, items("alice", "alice", "bob")))
	require.NoError(t, st.CreateCampaign(ctx, store.Campaign{ID: "c2", Name: "Web readers", Scope: "{}", Reviewer: "alice",
		Due: now.Add(168 * time.Hour), CreatedBy: "admin", CreatedAt: ago(48 * time.Hour)}, items("alice", "dave")))
	for _, d := range []store.Decision{
		{CampaignID: "c1", ItemID: "it-1", Decision: "certify", DecidedBy: "alice", DecidedAt: ago(120 * time.Hour)},
		{CampaignID: "c1", ItemID: "it-2", Decision: "reassign", ReassignTo: "carol", DecidedBy: "alice", DecidedAt: ago(96 * time.Hour)},
		// it-3 of c1 grants bob read on file-2, which the host scan
		// still reports: revoked but still granted.
		{CampaignID: "c1", ItemID: "it-3", Decision: "revoke", Comment: "left the team", DecidedBy: "bob", DecidedAt: ago(72 * time.Hour)},
		{CampaignID: "c2", ItemID: "it-2", Decision: "certify", DecidedBy: "dave", DecidedAt: ago(48 * time.Hour)},
		{CampaignID: "c2", ItemID: "it-2", Decision: "reassign", ReassignTo: "erin", DecidedBy: "dave", DecidedAt: ago(24 * time.Hour)},
		{CampaignID: "c2", ItemID: "it-2", Decision: "certify", DecidedBy: "erin", DecidedAt: ago(12 * time.Hour)},
	} {
		require.NoError(t, st.AppendDecision(ctx, d))
	}
}

// want is what some panels must show for the fixture: the first column of
// the first row, printed, or (with rows:) how many rows. Every other panel
// must at least return a row.
var want = map[string]map[string]string{
	"sightline-overview": {
		"Files and objects with personal data": "8",
		"Agents seen in the last hour":         "2",
	},
	"sightline-risk-over-time": {
		"Critical-risk assets (latest build)": "2",
		"High-risk assets (latest build)":     "2",
		"Assets scored (latest build)":        "8",
		"Highest-risk assets now":             "rows:8",
	},
	"sightline-review-progress": {
		"Campaigns with pending items": "2",
		"Items pending":                "2",
		"Items overdue":                "1",
		"Decided":                      "60",
		"Campaigns":                    "Quarterly admins",
		"By reviewer":                  "carol",
		"Pending items by reviewer":    "carol",
		"Decisions":                    "rows:>0",
		"Revoked but still granted":    "rows:1",
	},
	"sightline-fleet-health": {
		"Agents enrolled":                    "3",
		"Agents seen in the last hour":       "2",
		"Stale agents":                       "1",
		"Agents whose latest scan failed":    "1",
		"Agents":                             "db-1",
		"Stale agents, longest silent first": "rows:1",
		"Latest scan of each scanner":        "ag-db",
	},
	"sightline-scan-errors": {
		"Failed scans":                    "1",
		"Partial scans":                   "1",
		"Errors reported":                 "8",
		"Agents with scan problems":       "2",
		"By agent and scanner":            "db-1",
		"Reasons":                         "AccessDenied",
		"Latest failed and partial scans": "rows:2",
	},
}

// Every panel's query runs on the test ClickHouse (18.16 in CI), against
// the schema the collector migrates and the fixture, with the macros
// expanded as the Grafana ClickHouse plugin expands them.
func TestPanelQueriesRun(t *testing.T) {
	st := storetest.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	fixture(t, st, now)
	ds := loadDashboards(t)
	for _, uid := range wantDashboards {
		d := ds[uid]
		vars := variables(d)
		checked := map[string]bool{}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				q, err := expand(tg.RawSQL, vars, testRange(now))
				require.NoError(t, err)
				q = strings.ReplaceAll(q, "sightline.", st.Database()+".")
				cols, rows := run(t, st, q, "%s: panel %q", uid, p.Title)
				require.NotEmpty(t, rows, "%s: panel %q shows nothing for the fixture", uid, p.Title)
				if tg.QueryType == "timeSeries" {
					require.Equal(t, "time", cols[0].Name(), "%s: panel %q: a time series starts with its time column", uid, p.Title)
					require.Equal(t, "DateTime", cols[0].DatabaseTypeName(), "%s: panel %q", uid, p.Title)
				}
				w, ok := want[uid][p.Title]
				if !ok {
					continue
				}
				checked[p.Title] = true
				switch {
				case w == "rows:>0":
				case strings.HasPrefix(w, "rows:"):
					require.Equal(t, w, fmt.Sprintf("rows:%d", len(rows)), "%s: panel %q", uid, p.Title)
				default:
					require.Equal(t, w, fmt.Sprint(rows[0][0]), "%s: panel %q: first value", uid, p.Title)
				}
			}
		}
		for title := range want[uid] {
			require.True(t, checked[title], "%s: no panel %q", uid, title)
		}
	}
}

// current_review_items (migration 0016), which the review dashboard reads,
// says what store.ReviewItems says of every item: the same reviewer after
// reassignments, the same decision, by the same person, at the same time.
func TestCurrentReviewItemsMatchesStore(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	fixture(t, st, now)
	type state struct{ Reviewer, Decision, DecidedBy, DecidedAt string }
	for _, c := range []string{"c1", "c2"} {
		items, err := st.ReviewItems(ctx, c)
		require.NoError(t, err)
		require.NotEmpty(t, items)
		wantState := map[string]state{}
		for _, it := range items {
			at := ""
			if !it.DecidedAt.IsZero() {
				at = it.DecidedAt.UTC().Format(time.RFC3339)
			}
			wantState[it.ItemID] = state{it.Reviewer, it.Decision, it.DecidedBy, at}
		}
		var rows []struct {
			ItemID    string    `ch:"item_id"`
			Reviewer  string    `ch:"reviewer"`
			Decision  string    `ch:"decision"`
			DecidedBy string    `ch:"decided_by"`
			DecidedAt time.Time `ch:"decided_at"`
		}
		require.NoError(t, st.Conn().Select(ctx, &rows, `SELECT item_id, reviewer, decision, decided_by, decided_at
			FROM `+st.Database()+`.current_review_items WHERE campaign_id = ?`, c))
		got := map[string]state{}
		for _, r := range rows {
			at := ""
			if r.DecidedAt.Unix() > 0 {
				at = r.DecidedAt.UTC().Format(time.RFC3339)
			}
			got[r.ItemID] = state{r.Reviewer, r.Decision, r.DecidedBy, at}
		}
		require.Equal(t, wantState, got, "campaign %s", c)
	}
}

// run returns a query's columns and rows, every value as the driver scans
// it.
func run(t *testing.T, st *store.Store, q string, msg string, args ...any) ([]columnType, [][]any) {
	t.Helper()
	rows, err := st.Conn().Query(context.Background(), q)
	require.NoError(t, err, append([]any{msg + "\n%s"}, append(args, q)...)...)
	defer rows.Close()
	cts := rows.ColumnTypes()
	cols := make([]columnType, len(cts))
	for i, c := range cts {
		cols[i] = c
	}
	var out [][]any
	for rows.Next() {
		dst := make([]any, len(cts))
		for i, c := range cts {
			dst[i] = reflect.New(c.ScanType()).Interface()
		}
		require.NoError(t, rows.Scan(dst...), append([]any{msg}, args...)...)
		row := make([]any, len(dst))
		for i, d := range dst {
			row[i] = reflect.ValueOf(d).Elem().Interface()
		}
		out = append(out, row)
	}
	require.NoError(t, rows.Err(), append([]any{msg}, args...)...)
	return cols, out
}

// columnType is what the test reads of a result column.
type columnType interface {
	Name() string
	DatabaseTypeName() string
}

// testRange is the time picker the test queries with: the fixture's last
// 30 days, one-hour intervals.
func testRange(now time.Time) timeRange {
	return timeRange{From: now.Add(-30 * 24 * time.Hour), To: now.Add(time.Hour), Interval: time.Hour}
}

// variables are a dashboard's template variables at their current values.
func variables(d dashboard) map[string]string {
	out := map[string]string{}
	for _, v := range d.Templating.List {
		out[v.Name] = fmt.Sprint(v.Current.Value)
	}
	return out
}
