package store_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

var currentViews = []string{"current_scans", "current_pii_findings", "current_principals", "current_entitlements", "current_assets", "current_review_items"}

// viewSchema is each view's definition as the server keeps it, with the
// database name taken out, and its columns.
func viewSchema(t *testing.T, s *store.Store) map[string]string {
	t.Helper()
	var rows []struct {
		Name   string `ch:"name"`
		Engine string `ch:"engine"`
		Query  string `ch:"create_table_query"`
	}
	require.NoError(t, s.Select(context.Background(), &rows,
		`SELECT name, engine, create_table_query FROM system.tables WHERE database = ? AND engine = 'View' ORDER BY name`, s.Database()))
	out := map[string]string{}
	for _, r := range rows {
		var cols []struct {
			Name string `ch:"name"`
			Type string `ch:"type"`
		}
		require.NoError(t, s.Select(context.Background(), &cols,
			`SELECT name, type FROM system.columns WHERE database = ? AND table = ?`, s.Database(), r.Name))
		out[r.Name] = strings.ReplaceAll(r.Query, s.Database(), "DB") + fmt.Sprintf("\n%v", cols)
	}
	return out
}

// viewRows is every row of every current view, as text.
func viewRows(t *testing.T, s *store.Store, views ...string) string {
	t.Helper()
	var lines []string
	for _, v := range views {
		rows, err := s.Conn().Query(context.Background(), "SELECT * FROM `"+s.Database()+"`.`"+v+"`")
		require.NoError(t, err, v)
		cols := rows.ColumnTypes()
		for rows.Next() {
			dst := make([]any, len(cols))
			for i, c := range cols {
				dst[i] = reflect.New(c.ScanType()).Interface()
			}
			require.NoError(t, rows.Scan(dst...))
			var b strings.Builder
			b.WriteString(v)
			for _, d := range dst {
				fmt.Fprintf(&b, "\t%v", reflect.ValueOf(d).Elem().Interface())
			}
			lines = append(lines, b.String()+"\n")
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	sort.Strings(lines)
	return strings.Join(lines, "")
}

// viewFixture has a completed scan, a newer one in progress, a failed one,
// and two scans of another agent finishing in the same second (a tie on
// finished_at, broken by version).
func viewFixture(t *testing.T, s *store.Store) {
	s1 := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	s2 := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s2", at: at(10)}
	bad := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s3", at: at(20)}
	h1 := fixture{agent: "ag-2", host: "db-1", source: wire.SourceHost, scan: "h1", at: at(5)}
	h2 := fixture{agent: "ag-2", host: "db-1", source: wire.SourceHost, scan: "h2", at: at(5)}
	user := func(f fixture, name string) wire.Record {
		r := f.env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType = wire.LocalPrincipalID(f.host, "user", name), name, "user"
		return r
	}
	grant := func(f fixture, name, path string) wire.Record {
		r := f.env(wire.KindEntitlement)
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = wire.LocalPrincipalID(f.host, "user", name), assetID("web-1", path), "file", "read"
		return r
	}
	hostDone := func(f fixture) wire.Record {
		r := f.done(wire.StatusOK)
		r.Scanner = "host"
		return r
	}
	insert(t, s, s1.asset("/a"), s1.pii("/a", "email", "contact", 3), s1.asset("/b"), s1.pii("/b", "ssn", "government_id", 1),
		s1.done(wire.StatusOK))
	insert(t, s, s2.asset("/a"), s2.pii("/a", "email", "contact", 4))
	insert(t, s, bad.asset("/z"), bad.pii("/z", "iban", "financial", 1), bad.done(wire.StatusFailed))
	insert(t, s, user(h1, "ann"), grant(h1, "ann", "/a"), hostDone(h1))
	insert(t, s, user(h2, "bob"), grant(h2, "bob", "/b"), hostDone(h2))
}

// A fresh install and one made by the 11 migrations before views were
// declared (with the views those created), then upgraded, end with the
// same views giving the same answers.
func TestViewsSameOnFreshAndUpgradedInstall(t *testing.T) {
	ctx := context.Background()
	fresh := storetest.New(t)

	old := storetest.Open(t)
	_, err := old.MigrateUpTo(ctx, 11)
	require.NoError(t, err)
	legacy, err := os.ReadFile("testdata/legacy_views.sql")
	require.NoError(t, err)
	for _, st := range store.SplitStatements(string(legacy)) {
		require.NoError(t, old.Exec(ctx, st))
	}
	viewFixture(t, old)                              // data stored before the upgrade
	before := viewRows(t, old, currentViews[1:5]...) // the views the 11 migrations made
	_, err = old.Migrate(ctx)
	require.NoError(t, err)

	viewFixture(t, fresh)
	require.Equal(t, viewSchema(t, fresh), viewSchema(t, old))
	require.Len(t, viewSchema(t, fresh), len(currentViews))
	got := viewRows(t, fresh, currentViews...)
	require.Equal(t, got, viewRows(t, old, currentViews...))
	// The old views had no current_scans: the rows they showed are the
	// same as the new ones, line for line.
	var oldLines []string
	for _, l := range strings.Split(got, "\n") {
		if l != "" && !strings.HasPrefix(l, "current_scans\t") {
			oldLines = append(oldLines, l)
		}
	}
	require.Equal(t, strings.Join(oldLines, "\n")+"\n", before)

	require.Contains(t, got, "current_pii_findings\tfs:web-1:/a\tfile:///a\tweb-1\tfs\tag-1\ts2\t", "the running scan's row replaced s1's")
	require.Contains(t, got, "current_pii_findings\tfs:web-1:/b\tfile:///b\tweb-1\tfs\tag-1\ts1\t", "s2 is still running: s1's rows stay")
	require.NotContains(t, got, "fs:web-1:/z", "a failed scan's rows are never current")
}

// Migrate re-creates a view only when its definition changed or it is
// gone.
func TestDeclareViewsOnlyWhenChanged(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	again, err := s.DeclareViews(ctx)
	require.NoError(t, err)
	require.Empty(t, again)

	require.NoError(t, s.Exec(ctx, `DROP TABLE {db}.current_assets`))
	again, err = s.DeclareViews(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"current_assets"}, again)

	// An old definition with no record of it (an install made before
	// views were declared): every view is replaced.
	require.NoError(t, s.Exec(ctx, `DROP TABLE {db}.schema_views`))
	require.NoError(t, s.Exec(ctx, `DROP TABLE {db}.current_scans`))
	require.NoError(t, s.Exec(ctx, `CREATE VIEW {db}.current_scans AS SELECT agent_id, source FROM {db}.scans`))
	again, err = s.DeclareViews(ctx)
	require.NoError(t, err)
	require.Equal(t, currentViews, again)
	var cols []struct {
		N uint64 `ch:"n"`
	}
	require.NoError(t, s.Select(ctx, &cols, `SELECT count() AS n FROM system.columns WHERE database = ? AND table = 'current_scans'`, s.Database()))
	require.Equal(t, uint64(5), cols[0].N)
}

// An index built before migration 0012 has no reach tables: the upgrade
// forgets it, so readers wait for a new build.
func TestUpgradeForgetsOldIndexBuilds(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	_, err := s.MigrateUpTo(ctx, 11)
	require.NoError(t, err)
	require.NoError(t, s.Exec(ctx, `INSERT INTO {db}.idx_builds (gen, watermark, built_at, duration_ms, findings, assets) SELECT 7, 7, now(), 1, 0, 0`))
	st, err := s.IndexState(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(7), st.Gen)
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	st, err = s.IndexState(ctx)
	require.NoError(t, err)
	require.Zero(t, st.Gen)
	require.False(t, st.Fresh())
}
