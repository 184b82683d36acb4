package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Cluster mode (Options.Cluster, clickhouse.cluster in collector.yaml).
//
// The migrations are written for one node; this file is the one place
// where their cluster form is derived, at migrate time, from a fixed set
// of statement shapes (clusterRewriter.rewrite; anything else is refused,
// so a new migration of an unknown shape fails its test instead of
// running half-clustered). Every table falls in one of two kinds:
//
//   - sharded (the scanned state, history, audit, settings …): the rows
//     live in NAME_local, a Replicated* engine under
//     /clickhouse/tables/{shard}/DB/NAME_local, and NAME becomes a
//     Distributed table over it. So every query of the collector, which
//     names NAME, reads and writes the whole cluster unchanged. The
//     sharding key is cityHash64 of the table's first ORDER BY key (its
//     identity): all versions of one row land on one shard, so FINAL and
//     argMax, which each shard applies to its own rows, give the answer a
//     single node gives. Later migrations only ever extend a sorting key
//     (0011), so the first key stays a prefix of the identity.
//   - everywhere (the read index idx_*, write_marks, schema_*): one
//     Replicated* table under /clickhouse/tables/all/DB/NAME that every
//     node of the cluster holds in full (replica names are unique across
//     the cluster). The index is derived, about the size of the current
//     state, and read on every API request with joins between its tables:
//     read locally, those joins stay what they are on one node (no GLOBAL
//     joins, no fan-out), and whichever node a collector talks to has it.
//     Its partitions are dropped by DROP PARTITION on the builder's node,
//     which the replication log carries to every node.
//
// Statement forms:
//   - CREATE DATABASE / CREATE VIEW / CREATE MATERIALIZED VIEW / DROP TABLE
//     (of a view) get ON CLUSTER; a materialized view reads and writes the
//     _local tables, so each node feeds its own shard;
//   - ALTER of a sharded table runs on NAME_local ON CLUSTER; one that adds
//     columns then re-creates the Distributed NAME (it holds no data:
//     inserts are synchronous), so it has the new columns. MODIFY ORDER BY
//     is refused by 18.16's ON CLUSTER, so such an ALTER runs once on one
//     replica of each shard (perShard), which replicates it;
//   - ALTER and TRUNCATE of an everywhere table run as they are: a
//     Replicated table replicates them to every node;
//   - INSERT … SELECT runs as it is, through the Distributed tables.

// reFinal finds a FINAL read of a table.
var reFinal = regexp.MustCompile(`\{db\}\.(\w+)\s+FINAL\b`)

// wrapFinal turns each FINAL read of a sharded table into a subquery of
// all its columns: `{db}.t FINAL` becomes `(SELECT * FROM {db}.t FINAL) AS
// t`. ClickHouse 18.16 fails a query on a Distributed table with FINAL
// and ORDER BY or LIMIT when the columns it selects leave out the sorting
// key or the version ("Cannot find column … in source stream": the shard
// it holds locally answers with those columns added, the remote ones
// without). Filters then apply to the merged rows, which is what FINAL
// means anyway; the price is that a filter on the key no longer narrows
// what each shard reads (current releases push it down again).
func (r *clusterRewriter) wrapFinal(q string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return reFinal.ReplaceAllStringFunc(q, func(m string) string {
		name := reFinal.FindStringSubmatch(m)[1]
		if r.shardKey[name] == "" {
			return m // on every node, a _local table, or not a table
		}
		return "(SELECT * FROM {db}." + name + " FINAL) AS " + name
	})
}

var (
	reMutate = regexp.MustCompile(`^(?is)\s*ALTER\s+TABLE\s+\{db\}\.(\w+)\s+((?:DELETE|UPDATE)\s.*)$`)
	reEmpty  = regexp.MustCompile(`^(?is)\s*TRUNCATE\s+TABLE\s+\{db\}\.(\w+)\s*$`)
)

// maintenance gives the cluster form of the store's own maintenance
// statements on sharded tables (key rotation, re-keying): ALTER …
// DELETE/UPDATE run on the _local tables ON CLUSTER (OPTIMIZE: see
// optimizeFinal); TRUNCATE,
// which 18.16 cannot run ON CLUSTER on a Replicated table (it hangs),
// becomes a DELETE of every row (a mutation: it covers the rows stored
// before it, not those inserted after). Other statements are returned as
// they are.
func (r *clusterRewriter) maintenance(q string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := reMutate.FindStringSubmatch(q); m != nil && r.shardKey[m[1]] != "" {
		return "ALTER TABLE {db}." + m[1] + "_local" + r.onCluster() + " " + m[2]
	}
	if m := reEmpty.FindStringSubmatch(q); m != nil && r.shardKey[m[1]] != "" {
		return "ALTER TABLE {db}." + m[1] + "_local" + r.onCluster() + " DELETE WHERE 1"
	}
	return q
}

// tablesAll is the ZooKeeper path under which the everywhere tables live.
const tablesAll = "all"

// clusterStmt is one statement of a migration in cluster mode.
type clusterStmt struct {
	sql string
	// perShard: run on one replica of each shard, not ON CLUSTER.
	perShard bool
}

// shardKeyOverride: tables whose rows must sit with another table's rows.
// pii_tokens is filled by a materialized view on each shard's
// pii_findings_local, so rows of one token key sit where their finding's
// key (asset_id, type) sends them; an INSERT through the Distributed
// pii_tokens (migration 0007's back-fill) must send them to the same shard.
// pii_by_host and assets_by_host (0032) likewise: copies of pii_findings
// and assets whose rows must sit with the rows they copy, so each shard's
// FINAL sees every version of a row.
var shardKeyOverride = map[string]string{"pii_tokens": "asset_id, type", "pii_by_host": "asset_id, type", "assets_by_host": "asset_id"}

var (
	reCreateDB    = regexp.MustCompile(`(?is)^CREATE\s+DATABASE\s+IF\s+NOT\s+EXISTS\s+\{db\}$`)
	reCreateTable = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+\{db\}\.(\w+)\s`)
	reEngine      = regexp.MustCompile(`(?is)\bENGINE\s*=\s*(MergeTree|ReplacingMergeTree)(\s*\(([^()]*)\))?`)
	reOrderBy     = regexp.MustCompile("(?is)\\bORDER\\s+BY\\s+(\\([^()]*\\)|`?\\w+`?)\\s*$")
	reCreateView  = regexp.MustCompile(`(?is)^CREATE\s+VIEW\s+IF\s+NOT\s+EXISTS\s+\{db\}\.(\w+)\s+AS\s`)
	reCreateMV    = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+\{db\}\.(\w+)\s+TO\s+\{db\}\.(\w+)\s+AS\s+(.*\sFROM\s+)\{db\}\.(\w+)\s*$`)
	reDropTable   = regexp.MustCompile(`(?is)^DROP\s+TABLE\s+IF\s+EXISTS\s+\{db\}\.(\w+)$`)
	reAlter       = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+\{db\}\.(\w+)\s+(.*)$`)
	reAddColumn   = regexp.MustCompile(`(?is)\bADD\s+COLUMN\b`)
	reModifyOrder = regexp.MustCompile(`(?is)\bMODIFY\s+ORDER\s+BY\b`)
	reTruncate    = regexp.MustCompile(`(?is)^TRUNCATE\s+TABLE\s+\{db\}\.(\w+)$`)
	reInsert      = regexp.MustCompile(`(?is)^INSERT\s+INTO\s+\{db\}\.\w+\s*\(`)
	reAsTable     = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+\{db\}\.(\w+)\s+AS\s+\{db\}\.(\w+)\s+ENGINE`)
)

// everywhere reports whether table is copied to every node.
func everywhere(table string) bool {
	return strings.HasPrefix(table, "idx_") || strings.HasPrefix(table, "schema_") || table == "write_marks"
}

// clusterRewriter turns single-node statements into their cluster form.
type clusterRewriter struct {
	mu      sync.Mutex // guards shardKey during rewrite
	cluster string     // validated identifier
	db      string     // validated identifier, unquoted
	// shardKey: for each sharded table, the columns of its sharding key,
	// learnt from its CREATE statement (so ALTERs later can re-create its
	// Distributed table).
	shardKey map[string]string
}

func newClusterRewriter(cluster, db string) (*clusterRewriter, error) {
	if !validIdent(cluster) {
		return nil, fmt.Errorf("cluster name %q: use letters, digits and underscores only (at most 64, not starting with a digit); check clickhouse.cluster in the collector config", cluster)
	}
	if !validIdent(db) {
		return nil, fmt.Errorf("database name %q is not an identifier", db)
	}
	return &clusterRewriter{cluster: cluster, db: db, shardKey: map[string]string{}}, nil
}

func (r *clusterRewriter) onCluster() string { return " ON CLUSTER `" + r.cluster + "`" }

// distributed creates the Distributed table name over name_local.
func (r *clusterRewriter) distributed(name string) string {
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS {db}.%s%s AS {db}.%s_local ENGINE = Distributed(`%s`, `%s`, %s_local, cityHash64(%s))",
		name, r.onCluster(), name, r.cluster, r.db, name, r.shardKey[name])
}

// replicated turns an engine clause into its Replicated form, stored
// under zkDir/DB/table.
func (r *clusterRewriter) replicated(st, zkDir, table string) (string, error) {
	locs := reEngine.FindAllStringSubmatchIndex(st, -1)
	if len(locs) != 1 {
		return "", fmt.Errorf("table %s: expected one ENGINE = [Replacing]MergeTree(…) clause", table)
	}
	m := locs[0]
	engine := st[m[2]:m[3]]
	args := ""
	if m[6] >= 0 {
		args = strings.TrimSpace(st[m[6]:m[7]])
	}
	repl := fmt.Sprintf("ENGINE = Replicated%s('/clickhouse/tables/%s/%s/%s', '{replica}'", engine, zkDir, r.db, table)
	if args != "" {
		repl += ", " + args
	}
	repl += ")"
	return st[:m[0]] + repl + st[m[1]:], nil
}

// rewrite returns the cluster form of one migration statement.
func (r *clusterRewriter) rewrite(st string) ([]clusterStmt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st = strings.TrimSpace(st)
	one := func(s string) ([]clusterStmt, error) { return []clusterStmt{{sql: s}}, nil }
	insertOn := func(s string, at int) string { return s[:at] + r.onCluster() + s[at:] }
	switch {
	case reCreateDB.MatchString(st):
		return one(st + r.onCluster())

	case reAsTable.MatchString(st):
		// CREATE TABLE x AS y ENGINE = …: a table shaped like another.
		m := reAsTable.FindStringSubmatch(st)
		name, like := m[1], m[2]
		if !everywhere(name) || !everywhere(like) {
			return nil, fmt.Errorf("CREATE TABLE %s AS %s: only read-index tables may copy another's shape in cluster mode", name, like)
		}
		s, err := r.replicated(st, tablesAll, name)
		if err != nil {
			return nil, err
		}
		return one(insertOn(s, reCreateTable.FindStringSubmatchIndex(s)[3]))

	case reCreateTable.MatchString(st):
		name := reCreateTable.FindStringSubmatch(st)[1]
		at := reCreateTable.FindStringSubmatchIndex(st)[3]
		if everywhere(name) {
			s, err := r.replicated(st, tablesAll, name)
			if err != nil {
				return nil, err
			}
			return one(insertOn(s, at))
		}
		ob := reOrderBy.FindStringSubmatch(st)
		if ob == nil {
			return nil, fmt.Errorf("table %s: expected ORDER BY at the end of its CREATE", name)
		}
		key := strings.TrimSuffix(strings.TrimPrefix(ob[1], "("), ")")
		if k, ok := shardKeyOverride[name]; ok {
			key = k
		}
		r.shardKey[name] = key
		s, err := r.replicated(st, "{shard}", name+"_local")
		if err != nil {
			return nil, err
		}
		local := s[:at] + "_local" + r.onCluster() + s[at:]
		return []clusterStmt{{sql: local}, {sql: r.distributed(name)}}, nil

	case reCreateView.MatchString(st):
		return one(insertOn(st, reCreateView.FindStringSubmatchIndex(st)[3]))

	case reCreateMV.MatchString(st):
		m := reCreateMV.FindStringSubmatch(st)
		name, to, sel, from := m[1], m[2], m[3], m[4]
		if r.shardKey[to] == "" || r.shardKey[from] == "" {
			return nil, fmt.Errorf("materialized view %s: it must read and write sharded tables in cluster mode", name)
		}
		return one(fmt.Sprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.%s%s TO {db}.%s_local AS %s{db}.%s_local",
			name, r.onCluster(), to, sel, from))

	case reDropTable.MatchString(st):
		name := reDropTable.FindStringSubmatch(st)[1]
		if r.shardKey[name] != "" || everywhere(name) {
			return nil, fmt.Errorf("DROP TABLE %s: only views may be dropped by a migration in cluster mode", name)
		}
		return one(st + r.onCluster())

	case reTruncate.MatchString(st):
		name := reTruncate.FindStringSubmatch(st)[1]
		if !everywhere(name) {
			// 18.16 hangs on TRUNCATE … ON CLUSTER of a Replicated table.
			return nil, fmt.Errorf("TRUNCATE %s: only read-index tables may be truncated by a migration in cluster mode", name)
		}
		return one(st)

	case reAlter.MatchString(st):
		m := reAlter.FindStringSubmatch(st)
		name, rest := m[1], m[2]
		if everywhere(name) {
			return one(st)
		}
		if r.shardKey[name] == "" {
			return nil, fmt.Errorf("ALTER TABLE %s: no table of that name was created before", name)
		}
		local := "ALTER TABLE {db}." + name + "_local"
		var out []clusterStmt
		if reModifyOrder.MatchString(rest) {
			out = append(out, clusterStmt{sql: local + " " + rest, perShard: true})
		} else {
			out = append(out, clusterStmt{sql: local + r.onCluster() + " " + rest})
		}
		if reAddColumn.MatchString(rest) {
			out = append(out,
				clusterStmt{sql: "DROP TABLE IF EXISTS {db}." + name + r.onCluster()},
				clusterStmt{sql: r.distributed(name)})
		}
		return out, nil

	case reInsert.MatchString(st):
		return one(st)
	}
	first, _, _ := strings.Cut(st, "\n")
	return nil, fmt.Errorf("statement %.60q: no cluster form is known for it; add its shape to collector/store/cluster.go", first)
}

// rewriteMigrations rewrites every statement of migs (all of them, in
// order, so the sharding keys of tables created earlier are known).
// ValidIdent reports whether name may be spliced into SQL as a database
// or cluster name (identifiers cannot be bound): the config checks
// clickhouse.cluster with it.
func ValidIdent(name string) bool { return validIdent(name) }

// newPrimedClusterRewriter returns a rewriter that has seen every
// migration (so it knows every table's kind and sharding key) and checked
// that each has a cluster form.
func newPrimedClusterRewriter(cluster, db string) (*clusterRewriter, error) {
	r, err := newClusterRewriter(cluster, db)
	if err != nil {
		return nil, err
	}
	migs, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if _, err := r.rewriteMigrations(migs); err != nil {
		return nil, fmt.Errorf("preparing the migrations for cluster %s: %w", cluster, err)
	}
	return r, nil
}

// clusterSettings are the query settings every connection sends in
// cluster mode (nil on one node). insert_distributed_sync: an INSERT
// through a Distributed table returns once every shard has stored its rows
// (not when they are queued on the node that took it), so an acknowledged
// batch is stored, and a read or index build that follows sees it.
//
// Two more are needed but are strings, which 18.16's protocol cannot
// carry as query settings, so they must be in the profile of the
// collector's ClickHouse user (checkClusterProfile says so at start):
//   - distributed_product_mode = global: a subquery (IN, JOIN) on a
//     Distributed table inside a query on another runs once and is sent
//     to the shards (GLOBAL), right whatever the rows' placement (the
//     views join rows sharded by different keys); 18.16 refuses such
//     queries by default;
//   - load_balancing = in_order: every collector reads and writes the
//     first live replica of each shard, so it reads what it and the other
//     collectors wrote before the replicas caught up (a replica that is
//     down is skipped).
func clusterSettings(r *clusterRewriter) clickhouse.Settings {
	if r == nil {
		return nil
	}
	return clickhouse.Settings{"insert_distributed_sync": 1}
}

// requiredProfile: the user-profile settings cluster mode relies on.
var requiredProfile = map[string]string{
	"distributed_product_mode": "global",
	"load_balancing":           "in_order",
}

// checkClusterProfile fails unless the collector's user has the settings
// cluster mode needs, and the cluster is known to the server.
func (s *Store) checkClusterProfile(ctx context.Context) error {
	var rows []struct {
		Name  string `ch:"name"`
		Value string `ch:"value"`
	}
	if err := s.conn.Select(ctx, &rows, `SELECT name, value FROM system.settings WHERE name IN ('distributed_product_mode', 'load_balancing')`); err != nil {
		return s.wrap("reading the ClickHouse user's settings", err)
	}
	for _, r := range rows {
		if want := requiredProfile[r.Name]; r.Value != want {
			return fmt.Errorf("cluster mode needs %s = %s in the profile of ClickHouse user %q (users.xml), found %q: add <%s>%s</%s> to that profile on every node", r.Name, want, s.o.Username, r.Value, r.Name, want, r.Name)
		}
	}
	var n []struct {
		N uint64 `ch:"n"`
	}
	if err := s.conn.Select(ctx, &n, `SELECT count() AS n FROM system.clusters WHERE cluster = ?`, s.cluster.cluster); err != nil {
		return s.wrap("reading system.clusters", err)
	}
	if len(n) == 0 || n[0].N == 0 {
		return fmt.Errorf("ClickHouse at %s knows no cluster %q (remote_servers): check clickhouse.cluster in the collector config", s.o.Addr, s.cluster.cluster)
	}
	return nil
}

// ddl runs one schema statement: as it is on one node, in its cluster
// form (rewrite) in cluster mode.
func (s *Store) ddl(ctx context.Context, st string) error {
	if s.cluster == nil {
		return s.long.Exec(ctx, s.sql(st))
	}
	stmts, err := s.cluster.rewrite(st)
	if err != nil {
		return err
	}
	// An ON CLUSTER statement waits for every replica to run it; the
	// server's default of 180 s gave up on a busy replica (TIMEOUT_EXCEEDED,
	// the statement left to finish in the background) and the migration
	// failed half done. A migration waits longer instead.
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"distributed_ddl_task_timeout": ddlTimeout}))
	for _, cs := range stmts {
		if cs.perShard {
			err = s.execPerShard(ctx, s.sql(cs.sql))
		} else {
			err = s.long.Exec(ctx, s.sql(cs.sql))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ddlTimeout is how long, in seconds, an ON CLUSTER statement waits for
// every replica to run it.
const ddlTimeout = 900

// optimizeFinal merges every part of a table (a fixed table name, never
// a user value). In cluster mode it runs on one replica of each shard,
// which replicates the merge: 18.16 fails OPTIMIZE … ON CLUSTER of a
// Replicated table now and then ("Unknown log entry type").
func (s *Store) optimizeFinal(ctx context.Context, table string) error {
	if s.cluster == nil || everywhere(table) {
		return s.long.Exec(ctx, s.sql("OPTIMIZE TABLE {db}."+table+" FINAL"))
	}
	// replication_alter_partitions_sync = 0: 18.16 fails an OPTIMIZE that
	// finds nothing to merge while it waits for the replicas ("Unknown log
	// entry type: 0"); the callers check the result themselves
	// (mergeUntil counts what is left).
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"replication_alter_partitions_sync": 0}))
	return s.execPerShard(ctx, s.sql("OPTIMIZE TABLE {db}."+table+"_local FINAL"))
}

// clusterNode is one replica of the cluster as system.clusters lists it.
type clusterNode struct {
	Shard   uint32 `ch:"shard_num"`
	Address string `ch:"host_address"`
	Port    uint16 `ch:"port"`
}

func (n clusterNode) addr() string { return fmt.Sprintf("%s:%d", n.Address, n.Port) }

// clusterNodes lists the cluster's replicas by shard, then in the order
// load_balancing = in_order tries them.
func (s *Store) clusterNodes(ctx context.Context) ([]clusterNode, error) {
	var nodes []clusterNode
	if err := s.conn.Select(ctx, &nodes, `SELECT shard_num, host_address, port FROM system.clusters
		WHERE cluster = ? ORDER BY shard_num, replica_num`, s.cluster.cluster); err != nil {
		return nil, fmt.Errorf("listing the nodes of cluster %s: %w", s.cluster.cluster, err)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("cluster %s is not in system.clusters of ClickHouse at %s: check clickhouse.cluster and the server's remote_servers", s.cluster.cluster, s.o.Addr)
	}
	return nodes, nil
}

// onePerShard calls fn on the first replica of each shard that answers
// (fn's error says whether it did: IsUnavailable means try the next), the
// replica a query with load_balancing = in_order reads.
func (s *Store) onePerShard(ctx context.Context, fn func(ctx context.Context, c driver.Conn) error) error {
	nodes, err := s.clusterNodes(ctx)
	if err != nil {
		return err
	}
	done := map[uint32]bool{}
	errs := map[uint32]error{}
	for _, n := range nodes {
		if done[n.Shard] {
			continue
		}
		err := s.atNode(ctx, n.addr(), fn)
		if err == nil {
			done[n.Shard] = true
			continue
		}
		if !IsUnavailable(err) {
			return fmt.Errorf("on %s (shard %d): %w", n.addr(), n.Shard, err)
		}
		errs[n.Shard] = err
	}
	for shard, err := range errs {
		if !done[shard] {
			return fmt.Errorf("no replica of shard %d answered: %w", shard, err)
		}
	}
	return nil
}

// execPerShard runs a statement on one live replica of each shard of the
// cluster (system.clusters), for the ALTERs 18.16 cannot run ON CLUSTER;
// the replica's table replicates it to the others of its shard.
func (s *Store) execPerShard(ctx context.Context, st string) error {
	return s.onePerShard(ctx, func(ctx context.Context, c driver.Conn) error { return c.Exec(ctx, st) })
}

// unreplicatedParts counts the parts of this database that the replicas
// reads go to (the first live one of each shard) know of but do not hold
// yet: parts another replica stored and this one has still to fetch. A
// read sees none of their rows. Normally 0, since the collectors write to
// the replica they read; after a fail-over it counts what only the
// replica that is down holds, until it is back and they are fetched. 0 on
// one node. Only the sharded tables (NAME_local) count: they are what
// reads go through Distributed tables to; the everywhere tables (the read
// index itself, write marks) are read on the node the collector talks to,
// and every build's new parts would otherwise keep the count above 0 on
// the other nodes while they copy them.
func (s *Store) unreplicatedParts(ctx context.Context) (uint64, error) {
	if s.cluster == nil {
		return 0, nil
	}
	var total uint64
	err := s.onePerShard(ctx, func(ctx context.Context, c driver.Conn) error {
		var n uint64
		if err := c.QueryRow(ctx, `SELECT toUInt64(sum(inserts_in_queue)) FROM system.replicas WHERE database = ? AND endsWith(table, '_local')`, s.o.Database).Scan(&n); err != nil {
			return err
		}
		total += n
		return nil
	})
	if err != nil {
		return 0, s.wrap("reading the replicas' queues", err)
	}
	return total, nil
}

// atNode calls fn with a connection to the node at addr, with this
// store's credentials and TLS.
func (s *Store) atNode(ctx context.Context, addr string, fn func(ctx context.Context, c driver.Conn) error) error {
	c, err := clickhouse.Open(&clickhouse.Options{
		Protocol:    clickhouse.Native,
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Username: s.o.Username, Password: s.o.Password},
		TLS:         s.o.TLS,
		DialTimeout: s.o.DialTimeout,
		ReadTimeout: longReadTimeout,
	})
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(ctx, c)
}

func (r *clusterRewriter) rewriteMigrations(migs []migration) (map[uint32][]clusterStmt, error) {
	out := make(map[uint32][]clusterStmt, len(migs))
	for _, m := range migs {
		for i, st := range m.statements {
			cs, err := r.rewrite(st)
			if err != nil {
				return nil, fmt.Errorf("migration %04d_%s (statement %d): %w", m.version, m.name, i+1, err)
			}
			out[m.version] = append(out[m.version], cs...)
		}
	}
	return out, nil
}

// replicaWaitLimit bounds awaitReplicas.
const replicaWaitLimit = 5 * time.Minute

// awaitReplicas waits, in cluster mode, until every node of the cluster
// that answers has done what its replicas of tables (names as the store
// uses them; a sharded table's rows are in NAME_local) were asked to:
// no unfinished mutation and, with queues, nothing left in its
// replication queue (merges, fetches, mutations) and no entry of the
// replication log it has not read. The maintenance that rewrites or removes tokens (key rotation,
// re-keying) issues merges and DELETE mutations on one replica of each
// shard and the others apply them from ZooKeeper's log moments later;
// until they have, those replicas still hold the old tokens. A node that
// does not answer is skipped: it applies the same log when it is back.
// On one node it returns at once (OPTIMIZE and mutations there are
// awaited by their callers).
func (s *Store) awaitReplicas(ctx context.Context, queues bool, tables ...string) error {
	if s.cluster == nil {
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t
		if !everywhere(t) {
			names[i] = t + "_local"
		}
	}
	nodes, err := s.clusterNodes(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, replicaWaitLimit)
	defer cancel()
	q := `SELECT toUInt64(0 + (SELECT count() FROM system.mutations WHERE database = ? AND has(?, table) AND is_done = 0))`
	if queues {
		q = `SELECT toUInt64((SELECT count() FROM system.mutations WHERE database = ? AND has(?, table) AND is_done = 0)
			+ (SELECT sum(queue_size + (log_pointer <= log_max_index AND log_pointer + log_max_index > 0))
			   FROM system.replicas WHERE database = ? AND has(?, table)))`
	}
	for _, n := range nodes {
		err := s.atNode(ctx, n.addr(), func(ctx context.Context, c driver.Conn) error {
			for {
				var pending uint64
				args := []any{s.o.Database, names}
				if queues {
					args = append(args, s.o.Database, names)
				}
				if err := c.QueryRow(ctx, q, args...).Scan(&pending); err != nil {
					return err
				}
				if pending == 0 {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("%d replication tasks of %s still pending after %s: %w", pending, strings.Join(names, ", "), replicaWaitLimit, ctx.Err())
				case <-time.After(100 * time.Millisecond):
				}
			}
		})
		if err != nil && IsUnavailable(err) && ctx.Err() == nil {
			s.o.Logger.Warn("a node of the cluster does not answer; it applies the pending changes when it is back", "node", n.addr(), "shard", n.Shard)
			continue
		}
		if err != nil {
			return fmt.Errorf("waiting for the replicas on %s (shard %d) to apply the changes to %s (see system.replication_queue there; then run the same command again): %w",
				n.addr(), n.Shard, strings.Join(names, ", "), err)
		}
	}
	return nil
}
