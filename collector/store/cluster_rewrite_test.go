package store

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every embedded migration has a cluster form, and each form is one of
// the expected shapes.
func TestClusterRewriteEveryMigration(t *testing.T) {
	migs, err := loadMigrations()
	require.NoError(t, err)
	r, err := newClusterRewriter("c1", "db")
	require.NoError(t, err)
	out, err := r.rewriteMigrations(migs)
	require.NoError(t, err)
	for v, stmts := range out {
		for _, cs := range stmts {
			q := cs.sql
			switch {
			case strings.HasPrefix(q, "INSERT INTO"), strings.HasPrefix(q, "TRUNCATE TABLE {db}.idx_"):
			case cs.perShard:
				require.Contains(t, q, "MODIFY ORDER BY", "migration %d", v)
				require.Contains(t, q, "_local ", "migration %d", v)
			case strings.HasPrefix(q, "ALTER TABLE {db}.idx_"):
				require.NotContains(t, q, "ON CLUSTER", "a table on every node replicates its ALTER itself")
			default:
				require.Contains(t, q, " ON CLUSTER `c1`", "migration %d: %s", v, q)
			}
			require.NotRegexp(t, `ENGINE = (Replacing)?MergeTree`, q, "every stored table is replicated")
		}
	}
	// Each sharded table has a key taken from its identity.
	require.Equal(t, "asset_id, type", r.shardKey["pii_findings"])
	require.Equal(t, "scan_id", r.shardKey["scans"])
	require.Equal(t, "`key`", r.shardKey["settings"])
	require.Equal(t, "asset_id, type", r.shardKey["pii_tokens"], "tokens sit with their findings")
	require.Empty(t, r.shardKey["idx_findings"], "the read index is on every node")
	// The tables of 0032 are fed on each node from its own shard's rows,
	// the copies sitting with the rows they copy.
	require.Equal(t, "version", r.shardKey["row_changes"])
	require.Equal(t, "asset_id, type", r.shardKey["pii_by_host"])
	require.Equal(t, "asset_id", r.shardKey["assets_by_host"])
	var mv []string
	for _, cs := range out[32] {
		if strings.Contains(cs.sql, "MATERIALIZED VIEW") {
			mv = append(mv, cs.sql)
		}
	}
	require.Len(t, mv, 6)
	for i, want := range [][2]string{
		{"row_changes", "pii_findings"}, {"row_changes", "assets"}, {"asset_hosts", "pii_findings"},
		{"asset_hosts", "assets"}, {"pii_by_host", "pii_findings"}, {"assets_by_host", "assets"},
	} {
		require.Contains(t, mv[i], "TO {db}."+want[0]+"_local AS")
		require.True(t, strings.HasSuffix(mv[i], "FROM {db}."+want[1]+"_local"), mv[i])
	}
}

func TestClusterRewriteShapes(t *testing.T) {
	r, err := newClusterRewriter("c1", "db")
	require.NoError(t, err)
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{
			in: "CREATE TABLE IF NOT EXISTS {db}.things (\n id String,\n version UInt64\n) ENGINE = ReplacingMergeTree(version)\nORDER BY (id)",
			want: []string{
				"CREATE TABLE IF NOT EXISTS {db}.things_local ON CLUSTER `c1` (\n id String,\n version UInt64\n) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/things_local', '{replica}', version)\nORDER BY (id)",
				"CREATE TABLE IF NOT EXISTS {db}.things ON CLUSTER `c1` AS {db}.things_local ENGINE = Distributed(`c1`, `db`, things_local, cityHash64(id))",
			},
		},
		{
			in:   "CREATE TABLE IF NOT EXISTS {db}.idx_x (gen UInt64) ENGINE = MergeTree() PARTITION BY gen ORDER BY gen",
			want: []string{"CREATE TABLE IF NOT EXISTS {db}.idx_x ON CLUSTER `c1` (gen UInt64) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/db/idx_x', '{replica}') PARTITION BY gen ORDER BY gen"},
		},
		{
			in: "ALTER TABLE {db}.things ADD COLUMN o String, MODIFY ORDER BY (id, o)",
			want: []string{
				"ALTER TABLE {db}.things_local ADD COLUMN o String, MODIFY ORDER BY (id, o)",
				"DROP TABLE IF EXISTS {db}.things ON CLUSTER `c1`",
				"CREATE TABLE IF NOT EXISTS {db}.things ON CLUSTER `c1` AS {db}.things_local ENGINE = Distributed(`c1`, `db`, things_local, cityHash64(id))",
			},
		},
		{
			in:   "ALTER TABLE {db}.things DELETE WHERE o = ''",
			want: []string{"ALTER TABLE {db}.things_local ON CLUSTER `c1` DELETE WHERE o = ''"},
		},
		{in: "CREATE DATABASE IF NOT EXISTS {db}", want: []string{"CREATE DATABASE IF NOT EXISTS {db} ON CLUSTER `c1`"}},
		{in: "DROP TABLE IF EXISTS {db}.v", want: []string{"DROP TABLE IF EXISTS {db}.v ON CLUSTER `c1`"}},
		{in: "CREATE VIEW IF NOT EXISTS {db}.v AS\nSELECT 1", want: []string{"CREATE VIEW IF NOT EXISTS {db}.v ON CLUSTER `c1` AS\nSELECT 1"}},
	} {
		got, err := r.rewrite(tc.in)
		require.NoError(t, err, tc.in)
		var sqls []string
		for _, g := range got {
			sqls = append(sqls, g.sql)
		}
		require.Equal(t, tc.want, sqls, tc.in)
	}
	for _, bad := range []string{
		"DROP TABLE IF EXISTS {db}.things",
		"TRUNCATE TABLE {db}.things",
		"ALTER TABLE {db}.unknown ADD COLUMN x String",
		"CREATE TABLE IF NOT EXISTS {db}.y (a String) ENGINE = Log",
		"RENAME TABLE {db}.a TO {db}.b",
	} {
		_, err := r.rewrite(bad)
		require.Error(t, err, bad)
	}
	_, err = newClusterRewriter("c1`; DROP DATABASE x; --", "db")
	require.Error(t, err, "a cluster name is an identifier")
}

func TestClusterQueryForms(t *testing.T) {
	r, err := newClusterRewriter("c1", "db")
	require.NoError(t, err)
	_, err = r.rewrite("CREATE TABLE IF NOT EXISTS {db}.things (id String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY id")
	require.NoError(t, err)
	require.Equal(t, "SELECT a FROM (SELECT * FROM {db}.things FINAL) AS things WHERE id = ? ORDER BY a LIMIT 1",
		r.wrapFinal("SELECT a FROM {db}.things FINAL WHERE id = ? ORDER BY a LIMIT 1"))
	require.Equal(t, "SELECT a FROM {db}.idx_x FINAL", r.wrapFinal("SELECT a FROM {db}.idx_x FINAL"))
	require.Equal(t, "OPTIMIZE TABLE {db}.things_local FINAL", r.wrapFinal("OPTIMIZE TABLE {db}.things_local FINAL"))
	require.Equal(t, "ALTER TABLE {db}.things_local ON CLUSTER `c1` DELETE WHERE 1", r.maintenance("TRUNCATE TABLE {db}.things"))
	require.Equal(t, "TRUNCATE TABLE {db}.idx_builds", r.maintenance("TRUNCATE TABLE {db}.idx_builds"))
}
