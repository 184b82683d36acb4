package dbscan

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// pgEngine reads one PostgreSQL database (a connection reaches one; the
// roles are the cluster's).
type pgEngine struct {
	conn   *pgx.Conn
	prefix string // postgres://HOST:PORT
	db     string
	// wait bounds each statement on the client (statement_timeout is the
	// server's to honour; a stalled or hostile server would not).
	wait time.Duration
}

// maxMessageBytes bounds one message from the server: a sampled row of
// the widest table (1,600 columns, each cut to 4,096 characters of up to
// four bytes) fits; a bigger one is not a scan's answer.
const maxMessageBytes = 32 << 20

// maxPGColumns is PostgreSQL's own limit on a table's columns.
const maxPGColumns = 1600

// bound is ctx limited to one statement's wait.
func (p *pgEngine) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.wait)
}

// stalled names a statement ended by its wait (not by ctx) or by a message
// over maxMessageBytes; other errors are returned as they are.
func (p *pgEngine) stalled(qctx, ctx context.Context, err error) error {
	var big *pgproto3.ExceededMaxBodyLenErr
	switch {
	case err == nil:
		return nil
	case ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("no answer within %s: the server stalls (its statement_timeout did not end the statement)", p.wait)
	case errors.As(err, &big):
		return fmt.Errorf("a message of %d bytes from the server, over the %d MiB a scan's statements can answer: not read", big.ActualBodyLen, maxMessageBytes>>20)
	}
	return err
}

// openPostgres connects with the DSN's TLS settings (sslmode,
// sslrootcert; CAFile fills sslrootcert), the password from Options, and
// a session that is read-only with a statement timeout whatever a
// statement asks.
func openPostgres(ctx context.Context, u *url.URL, o Options) (*pgEngine, error) {
	// TLS on every hop: without sslmode, TLS with the server verified
	// (libpq's default, prefer, goes on in plain text when TLS is refused,
	// and the password with it); a mode that falls back so is refused.
	q := u.Query()
	switch m := q.Get("sslmode"); m {
	case "":
		q.Set("sslmode", "verify-full")
		u.RawQuery = q.Encode()
	case "prefer", "allow":
		return nil, fmt.Errorf("db scan: sslmode=%s falls back to plain text when the server, or anyone in the path, refuses TLS, and the password then goes in clear text: use require, verify-ca or verify-full (or disable, knowingly)", m)
	}
	if o.CAFile != "" {
		q := u.Query()
		if q.Get("sslrootcert") == "" {
			q.Set("sslrootcert", o.CAFile)
		}
		if q.Get("sslmode") == "" {
			q.Set("sslmode", "verify-full")
		}
		u.RawQuery = q.Encode()
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("db scan: reading the PostgreSQL DSN: %w", err)
	}
	cfg.Password = o.Password
	cfg.ConnectTimeout = o.StatementTimeout
	ms := strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["statement_timeout"] = ms
	cfg.RuntimeParams["lock_timeout"] = ms
	cfg.RuntimeParams["application_name"] = "sightline-agent"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s:%d as %s: %w (check the DSN, the password and sslmode)", cfg.Host, cfg.Port, cfg.User, err)
	}
	conn.PgConn().Frontend().SetMaxBodyLen(maxMessageBytes)
	return &pgEngine{conn: conn, prefix: fmt.Sprintf("postgres://%s:%d", cfg.Host, cfg.Port), db: cfg.Database,
		wait: o.StatementTimeout + o.StatementTimeout/2}, nil
}

func (p *pgEngine) server() string { return p.prefix }

func (p *pgEngine) close() error { return p.conn.Close(context.Background()) }

// userSchemas leaves out the catalogs, TOAST and temporary schemas.
const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'`

func (p *pgEngine) loc(schema, name string) string {
	return p.prefix + "/" + url.PathEscape(p.db) + "/" + url.PathEscape(schema) + "." + url.PathEscape(name)
}

// tables lists ordinary tables and materialized views with their row
// estimate (pg_class.reltuples, as of the last VACUUM/ANALYZE), size and
// a marker from the size and the cumulative insert/update/delete counts
// (pg_stat_all_tables): an unchanged marker means an unchanged table.
func (p *pgEngine) tables(ctx context.Context, max int, names *catalogNames) ([]*table, error) {
	q := `SELECT c.oid, n.nspname, c.relname, c.reltuples::bigint, c.relpages::bigint, pg_total_relation_size(c.oid),
			coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, -1), pg_get_userbyid(c.relowner)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
		WHERE c.relkind IN ('r', 'm') AND ` + userSchemas + `
		ORDER BY n.nspname, c.relname LIMIT $1`
	qctx, cancel := p.bound(ctx)
	defer cancel()
	rows, err := p.conn.Query(qctx, q, max)
	if err != nil {
		return nil, p.stalled(qctx, ctx, err)
	}
	type row struct {
		oid   uint32
		t     *table
		pages int64
		mods  int64
	}
	var list []row
	for rows.Next() {
		if len(list) == max {
			// Not PostgreSQL's answer: stop reading it (the connection
			// goes with it) rather than read rows without end.
			cancel()
			rows.Close()
			return nil, fmt.Errorf("the server answered more than %d rows to LIMIT %d: not read further", max, max)
		}
		r := row{t: &table{db: p.db, rowsSource: "pg_class.reltuples"}}
		if err := rows.Scan(&r.oid, &r.t.schema, &r.t.name, &r.t.rows, &r.pages, &r.t.size, &r.mods, &r.t.owner); err != nil {
			rows.Close()
			return nil, err
		}
		if keep, err := names.table(p.db, r.t.schema, r.t.name, r.t.owner); err != nil {
			cancel()
			rows.Close()
			return nil, err
		} else if !keep {
			continue
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, p.stalled(qctx, ctx, err)
	}
	out := make([]*table, 0, len(list))
	for _, r := range list {
		t := r.t
		t.loc = p.loc(t.schema, t.name)
		if t.rows < 0 { // never analyzed: guess from the pages
			t.rows = r.pages * 100
			t.rowsSource = "pg_class.relpages"
		}
		cols, err := p.columns(ctx, r.oid, t, names)
		if errors.Is(err, errTooManyColumns) {
			t.problem = fmt.Sprintf("more than %d columns, PostgreSQL's own limit: not sampled", maxPGColumns)
			cols = nil
		} else if err != nil {
			return nil, fmt.Errorf("columns of %s.%s: %w", t.schema, t.name, err)
		}
		t.columns = cols
		t.marker = fingerprint(strconv.FormatInt(t.size, 10), strconv.FormatInt(r.mods, 10), columnsMarker(cols))
		out = append(out, t)
	}
	return out, nil
}

// unsampled are column types whose text says nothing about a person.
var unsampled = map[string]bool{"bytea": true, "point": true, "line": true, "lseg": true, "box": true, "path": true,
	"polygon": true, "circle": true, "tsvector": true, "tsquery": true, "bit": true, "varbit": true}

func (p *pgEngine) columns(ctx context.Context, oid uint32, t *table, names *catalogNames) ([]column, error) {
	qctx, cancel := p.bound(ctx)
	defer cancel()
	rows, err := p.conn.Query(qctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, oid)
	if err != nil {
		return nil, p.stalled(qctx, ctx, err)
	}
	var out []column
	var c column
	var base string
	_, err = pgx.ForEachRow(rows, []any{&c.name, &c.typ, &base}, func() error {
		if len(out) == maxPGColumns {
			return errTooManyColumns
		}
		if keep, err := names.column(t, c.name); !keep || err != nil {
			return err
		}
		c.skip = unsampled[base]
		out = append(out, c)
		return nil
	})
	if errors.Is(err, errTooManyColumns) {
		return nil, err
	}
	return out, p.stalled(qctx, ctx, err)
}

// samplePercent is the TABLESAMPLE SYSTEM percentage that yields about
// twice n rows of a table estimated at rows (SYSTEM picks whole pages at
// random, so it reads about that share of the pages and nothing else;
// BERNOULLI would visit every page of a big table). 0: no sampling
// clause, the table is small enough for LIMIT alone.
func samplePercent(rows int64, n int) float64 {
	if rows <= int64(2*n) {
		return 0
	}
	return min(100, 100*float64(2*n)/float64(rows))
}

// sample reads at most n rows through TABLESAMPLE SYSTEM (random pages;
// REPEATABLE with the scan's seed) in a read-only transaction, each value
// cut to maxValueBytes in SQL. A sample that comes back empty from a
// table the catalog says is big (a stale estimate) is tried once more
// with four times the share.
func (p *pgEngine) sample(ctx context.Context, t *table, n int, seed int64, row func([][]byte)) (int, error) {
	cols := selectList(t.columns, func(name string) string {
		return "left(" + pgx.Identifier{name}.Sanitize() + "::text, " + strconv.Itoa(maxValueBytes) + ")"
	})
	if cols == "" {
		return 0, nil
	}
	pct := samplePercent(t.rows, n)
	got := 0
	for try := 0; try < 2; try++ {
		clause := ""
		if pct > 0 {
			clause = fmt.Sprintf(" TABLESAMPLE SYSTEM (%s) REPEATABLE (%d)", strconv.FormatFloat(pct, 'f', 6, 64), max(seed, -seed)%1_000_000_007)
		}
		q := "SELECT " + cols + " FROM " + pgx.Identifier{t.schema, t.name}.Sanitize() + clause + " LIMIT " + strconv.Itoa(n)
		var err error
		got, err = p.readOnly(ctx, q, row)
		if err != nil || got > 0 || pct == 0 || pct >= 100 {
			return got, err
		}
		pct = min(100, pct*4)
	}
	return got, nil
}

// readOnly runs q in a read-only transaction, handing each row's values
// to row. The values are only valid during the call.
func (p *pgEngine) readOnly(ctx context.Context, q string, row func([][]byte)) (int, error) {
	qctx, cancel := p.bound(ctx)
	defer cancel()
	tx, err := p.conn.BeginTx(qctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, p.stalled(qctx, ctx, err)
	}
	defer tx.Rollback(qctx) //nolint:errcheck // read-only: nothing to keep
	rows, err := tx.Query(qctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return 0, p.stalled(qctx, ctx, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		row(rows.RawValues())
		n++
	}
	return n, p.stalled(qctx, ctx, rows.Err())
}

// predefined are PostgreSQL's predefined roles that give what a
// superuser has, in part: members are privileged, and the two data roles
// read or write every table.
var predefined = map[string]string{
	"pg_read_all_data":          "pg_read_all_data: reads every table",
	"pg_write_all_data":         "pg_write_all_data: writes every table",
	"pg_read_server_files":      "pg_read_server_files: reads any file the server can",
	"pg_write_server_files":     "pg_write_server_files: writes any file the server can",
	"pg_execute_server_program": "pg_execute_server_program: runs programs on the server",
}

// access reads roles (pg_roles: never a password hash), memberships
// (pg_auth_members), and table and schema privileges (aclexplode over
// the ACLs, the owner's implicit ones included through acldefault).
// Superusers and the data roles reach every table scanned; a grant to
// PUBLIC is a grant to a PUBLIC group every role belongs to.
func (p *pgEngine) access(ctx context.Context, tables []*table) (*access, error) {
	a := &access{}
	rows, err := p.conn.Query(ctx, `SELECT rolname, rolsuper, rolcanlogin, rolcreaterole, rolbypassrls, rolreplication,
			rolinherit, coalesce(rolvaliduntil < now(), false)
		FROM pg_roles ORDER BY rolname`)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	var supers []string
	var name string
	var super, login, createrole, bypass, repl, inherit, expired bool
	if _, err := pgx.ForEachRow(rows, []any{&name, &super, &login, &createrole, &bypass, &repl, &inherit, &expired}, func() error {
		why, pre := predefined[name]
		if strings.HasPrefix(name, "pg_") && !pre {
			return nil // monitoring and maintenance roles: no data
		}
		r := role{name: name, kind: "group", attrs: map[string]string{"engine": "postgres", "inherit": strconv.FormatBool(inherit)}}
		if pre {
			r.why = []string{why}
			r.attrs["predefined"] = "true"
		}
		if login {
			r.kind = "user"
			on := !expired
			r.enabled = &on
		}
		if super {
			r.why = append(r.why, "superuser: bypasses every privilege check")
			supers = append(supers, name)
		}
		if createrole {
			r.why = append(r.why, "CREATEROLE: creates roles and grants itself theirs")
		}
		if bypass {
			r.why = append(r.why, "BYPASSRLS: row-level security does not apply")
		}
		if repl {
			r.why = append(r.why, "REPLICATION: can stream every table's data")
		}
		known[name] = true
		a.roles = append(a.roles, r)
		return nil
	}); err != nil {
		return nil, err
	}
	rows, err = p.conn.Query(ctx, `SELECT m.rolname, r.rolname, am.admin_option FROM pg_auth_members am
		JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	var m membership
	if _, err := pgx.ForEachRow(rows, []any{&m.member, &m.role, &m.admin}, func() error {
		if known[m.member] && known[m.role] {
			a.members = append(a.members, m)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	byLoc := map[string]*table{}
	for _, t := range tables {
		byLoc[t.loc] = t
	}
	rows, err = p.conn.Query(ctx, `SELECT n.nspname, c.relname, coalesce(g.rolname, 'PUBLIC'), a.privilege_type, a.grantee = c.relowner
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) AS a
		LEFT JOIN pg_roles g ON g.oid = a.grantee
		WHERE c.relkind IN ('r', 'm') AND `+userSchemas)
	if err != nil {
		return nil, err
	}
	public := false
	var schema, rel, grantee, priv string
	var owner bool
	if _, err := pgx.ForEachRow(rows, []any{&schema, &rel, &grantee, &priv, &owner}, func() error {
		t, perm := byLoc[p.loc(schema, rel)], permission(priv)
		if t == nil || perm == "" || (grantee != "PUBLIC" && !known[grantee]) {
			return nil
		}
		via := "GRANT " + priv + " ON " + schema + "." + rel
		if owner {
			via = "owner of " + schema + "." + rel
		}
		public = public || grantee == "PUBLIC"
		a.grants = append(a.grants, grant{grantee: grantee, table: t, perm: perm, via: via})
		return nil
	}); err != nil {
		return nil, err
	}
	rows, err = p.conn.Query(ctx, `SELECT n.nspname, coalesce(g.rolname, 'PUBLIC'), a.privilege_type
		FROM pg_namespace n CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) AS a
		LEFT JOIN pg_roles g ON g.oid = a.grantee WHERE `+userSchemas+` ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, err
	}
	var sg schemaGrant
	if _, err := pgx.ForEachRow(rows, []any{&sg.schema, &sg.grantee, &sg.perm}, func() error {
		if sg.grantee != "PUBLIC" && !known[sg.grantee] {
			return nil
		}
		public = public || sg.grantee == "PUBLIC"
		sg.via = "GRANT " + sg.perm + " ON SCHEMA " + sg.schema
		sg.schema = p.db + "/" + sg.schema
		sg.perm = strings.ToLower(sg.perm)
		a.schemaGrants = append(a.schemaGrants, sg)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, t := range tables {
		for _, s := range supers {
			a.grants = append(a.grants, grant{grantee: s, table: t, perm: "read", via: "superuser"},
				grant{grantee: s, table: t, perm: "write", via: "superuser"})
		}
		if known["pg_read_all_data"] {
			a.grants = append(a.grants, grant{grantee: "pg_read_all_data", table: t, perm: "read", via: "pg_read_all_data"})
		}
		if known["pg_write_all_data"] {
			a.grants = append(a.grants, grant{grantee: "pg_write_all_data", table: t, perm: "write", via: "pg_write_all_data"})
		}
	}
	if public {
		// PUBLIC is every role: a group they all belong to.
		for _, r := range a.roles {
			if r.attrs["predefined"] == "" {
				a.members = append(a.members, membership{member: r.name, role: "PUBLIC"})
			}
		}
		a.roles = append(a.roles, role{name: "PUBLIC", kind: "group", attrs: map[string]string{"engine": "postgres", "pseudo": "every role"}})
	}
	return a, nil
}
