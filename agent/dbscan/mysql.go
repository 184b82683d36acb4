package dbscan

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/sightline-dev/sightline/internal/clip"
)

// myEngine reads a MySQL or MariaDB server: the DSN's database, or every
// database but the system ones when it names none.
type myEngine struct {
	db     *sql.DB
	conn   *sql.Conn // one session: its timeout and read-only settings hold
	prefix string    // mysql://HOST:PORT
	only   string    // the DSN's database ("" for all)
	// w guards the connection: every statement is bounded in time and
	// the server's answers in size (see myWire).
	w *myWire
}

// openMySQL connects with the DSN's tls parameter (true, the default;
// custom, or a CAFile, verifies against that CA; skip-verify; false;
// preferred is refused), the password from Options, and a session whose transactions
// are read-only and whose statements time out (max_statement_time on
// MariaDB, max_execution_time on MySQL).
func openMySQL(ctx context.Context, u *url.URL, o Options) (*myEngine, error) {
	host, _ := ServerOf(u.String())
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = u.User.Username(), o.Password, "tcp", host
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	// Each statement is bounded by w at 1.5 x the statement timeout; the
	// driver's read timeout, later, is a backstop.
	w := &myWire{wait: o.StatementTimeout + o.StatementTimeout/2}
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = o.StatementTimeout, 2*o.StatementTimeout, o.StatementTimeout
	cfg.DialFunc = w.dial
	// The driver's own lines (a connection the guard ended, a packet it
	// could not read) go to the scan's logger, not to stderr in the
	// driver's format: the error the scan records says the same.
	cfg.Logger = driverLog{o.Logger}
	mode := u.Query().Get("tls")
	switch {
	case mode == "" && o.CAFile != "":
		mode = "custom"
	case mode == "":
		// TLS on every hop: without tls=, the server's certificate is
		// verified against the system's roots, as PostgreSQL's missing
		// sslmode means verify-full. Plain text is asked for by name.
		mode = "true"
	}
	switch mode {
	case "false":
	case "preferred":
		// Falls back to plain text when the server, or anyone in the
		// path, refuses TLS: the findings would cross the network in clear.
		return nil, errors.New("db scan: tls=preferred goes on in plain text when TLS is refused: use tls=true or tls=custom (with ca_file), or tls=false to accept plain text")
	case "skip-verify":
		cfg.TLS = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by name, for test servers
	case "true", "custom":
		t := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
		if mode == "custom" {
			if o.CAFile == "" {
				return nil, errors.New("db scan: tls=custom needs ca_file (--ca-file), the CA that signs the server's certificate")
			}
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("db scan: reading the CA file: %w", err)
			}
			t.RootCAs = x509.NewCertPool()
			if !t.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("db scan: %s holds no PEM certificate", o.CAFile)
			}
		}
		// The guard does the TLS (to see the framing, see myWire), not
		// the driver. The driver sends a password in clear text (which
		// caching_sha2_password's full authentication asks for) only over
		// TLS or a unix socket: Net "unix" tells it the channel is
		// secure; the guard's dial goes to the TCP address whatever Net
		// says.
		w.tls, cfg.Net = t, "unix"
	default:
		return nil, fmt.Errorf("db scan: unknown tls=%q in the MySQL DSN (want true, custom, skip-verify or false)", mode)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("db scan: %w", err)
	}
	db := sql.OpenDB(safeConnector{Connector: connector, w: w})
	db.SetMaxOpenConns(1)
	// The handshake is bounded as a whole: a server that trickles it a
	// byte at a time never trips the read timeout (one that goes silent
	// trips it at 1.5 x the statement timeout).
	wait := o.StatementTimeout
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	conn, err := db.Conn(cctx)
	if err == nil {
		err = conn.PingContext(cctx)
	}
	if err != nil {
		db.Close()
		if f := w.failure(); f != nil {
			err = f
		} else if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("connecting to MySQL at %s: no answer within %s: the server stalls in its handshake", host, wait)
		}
		return nil, fmt.Errorf("connecting to MySQL at %s as %s: %w (check the DSN, the password and tls)", host, cfg.User, err)
	}
	e := &myEngine{db: db, conn: conn, prefix: "mysql://" + host, only: cfg.DBName, w: w}
	secs := strconv.FormatFloat(o.StatementTimeout.Seconds(), 'f', 3, 64)
	if err := e.exec(ctx, "SET SESSION max_statement_time = "+secs); err != nil {
		ms := strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
		if err := e.exec(ctx, "SET SESSION max_execution_time = "+ms); err != nil {
			e.close()
			return nil, fmt.Errorf("setting a statement timeout on %s: %w", host, err)
		}
	}
	if err := e.exec(ctx, "SET SESSION TRANSACTION READ ONLY"); err != nil {
		e.close()
		return nil, fmt.Errorf("making the session read-only on %s: %w", host, err)
	}
	return e, nil
}

func (m *myEngine) server() string { return m.prefix }

// querier is a connection or a transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// run runs q as one statement bounded by the guard's wait, handing its
// rows to each; the error says why the guard ended the connection when
// it did. Once it has, nothing more is sent.
func (m *myEngine) run(ctx context.Context, on querier, q string, args []any, each func(*sql.Rows) error) error {
	if err := m.w.failure(); err != nil {
		return fmt.Errorf("not read: the connection ended on an earlier answer (%w)", err)
	}
	stop := m.w.arm()
	defer stop()
	rows, err := on.QueryContext(ctx, q, args...)
	if err == nil {
		err = each(rows)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}
	return m.why(err)
}

// why is err, or the guard's reason when it ended the connection.
func (m *myEngine) why(err error) error {
	if err == nil {
		return nil
	}
	if f := m.w.failure(); f != nil {
		return f
	}
	return err
}

// exec runs a statement without rows, bounded as run's.
func (m *myEngine) exec(ctx context.Context, q string) error {
	if err := m.w.failure(); err != nil {
		return err
	}
	stop := m.w.arm()
	defer stop()
	_, err := m.conn.ExecContext(ctx, q)
	return m.why(err)
}

// forEach runs q and scans each row into scans, calling fn.
func (m *myEngine) forEach(ctx context.Context, q string, args []any, scans []any, fn func() error) error {
	return m.run(ctx, m.conn, q, args, func(rows *sql.Rows) error {
		for rows.Next() {
			if err := rows.Scan(scans...); err != nil {
				return err
			}
			if err := fn(); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

func (m *myEngine) close() error {
	m.conn.Close()
	return m.db.Close()
}

func (m *myEngine) loc(db, name string) string {
	return m.prefix + "/" + url.PathEscape(db) + "." + url.PathEscape(name)
}

// quote is a MySQL identifier in backticks.
func quote(id string) string { return "`" + strings.ReplaceAll(id, "`", "``") + "`" }

// systemDBs hold the server's own tables.
const systemDBs = `('mysql', 'information_schema', 'performance_schema', 'sys')`

// tables lists base tables with their row estimate
// (information_schema.TABLES.TABLE_ROWS: exact for MyISAM, an estimate
// for InnoDB), size, and a marker from the size, the estimate, the
// auto-increment counter and UPDATE_TIME (which InnoDB keeps in memory:
// after a restart it is empty, so a table is read once more).
func (m *myEngine) tables(ctx context.Context, max int, names *catalogNames) ([]*table, error) {
	q := `SELECT TABLE_SCHEMA, TABLE_NAME, coalesce(TABLE_ROWS, 0), coalesce(DATA_LENGTH, 0) + coalesce(INDEX_LENGTH, 0),
			coalesce(CAST(UPDATE_TIME AS CHAR), ''), coalesce(AUTO_INCREMENT, 0)
		FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ` + systemDBs + `
			AND (? = '' OR TABLE_SCHEMA = ?)
		ORDER BY TABLE_SCHEMA, TABLE_NAME LIMIT ?`
	type row struct {
		t       *table
		updated string
		autoInc int64
	}
	var list []row
	var t table
	var r row
	err := m.forEach(ctx, q, []any{m.only, m.only, max}, []any{&t.db, &t.name, &t.rows, &t.size, &r.updated, &r.autoInc}, func() error {
		if len(list) == max {
			// Not MySQL's answer: stop reading it (the connection goes
			// with it) rather than read rows without end.
			err := fmt.Errorf("the server answered more than %d rows to LIMIT %d: not read further", max, max)
			m.w.kill(err)
			return err
		}
		if keep, err := names.table(t.db, t.name); err != nil {
			m.w.kill(err) // not read further: the connection goes with it
			return err
		} else if !keep {
			return nil
		}
		t.rowsSource = "information_schema.tables.table_rows"
		r.t = &table{db: t.db, name: t.name, rows: t.rows, size: t.size, rowsSource: t.rowsSource}
		list = append(list, r)
		return nil
	})
	if err != nil {
		return nil, m.why(err)
	}
	out := make([]*table, 0, len(list))
	for _, r := range list {
		t := r.t
		t.loc = m.loc(t.db, t.name)
		err := m.columns(ctx, t, names)
		if errors.Is(err, errTooManyColumns) {
			t.problem = fmt.Sprintf("more than %d columns, MySQL's own limit: not sampled", maxMyColumns)
			t.columns = nil
		} else if err != nil && m.w.failure() != nil {
			// The connection ended on a hostile answer: the rest of
			// the tables are listed without their columns.
			t.problem = "columns not read: " + err.Error()
			t.columns = nil
		} else if err != nil {
			return nil, fmt.Errorf("columns of %s.%s: %w", t.db, t.name, err)
		}
		t.marker = fingerprint(strconv.FormatInt(t.size, 10), strconv.FormatInt(t.rows, 10), r.updated,
			strconv.FormatInt(r.autoInc, 10), columnsMarker(t.columns))
		out = append(out, t)
	}
	return out, nil
}

// myUnsampled are column types whose bytes say nothing about a person.
var myUnsampled = map[string]bool{"binary": true, "varbinary": true, "tinyblob": true, "blob": true, "mediumblob": true,
	"longblob": true, "geometry": true, "point": true, "linestring": true, "polygon": true, "multipoint": true,
	"multilinestring": true, "multipolygon": true, "geometrycollection": true, "bit": true}

var myIntTypes = map[string]bool{"tinyint": true, "smallint": true, "mediumint": true, "int": true, "bigint": true}

func (m *myEngine) columns(ctx context.Context, t *table, names *catalogNames) error {
	var keys []column
	var c column
	var base, key string
	if err := m.forEach(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COLUMN_KEY FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, []any{t.db, t.name}, []any{&c.name, &base, &c.typ, &key}, func() error {
		if len(t.columns) == maxMyColumns {
			// Not MySQL's answer: the connection goes with it.
			err := fmt.Errorf("%w (%d)", errTooManyColumns, maxMyColumns)
			m.w.kill(err)
			return err
		}
		if keep, err := names.column(t, c.name); err != nil {
			m.w.kill(err)
			return err
		} else if !keep {
			return nil
		}
		base = strings.ToLower(base)
		c.skip = myUnsampled[base]
		if key == "PRI" {
			keys = append(keys, column{name: c.name, typ: base})
		}
		t.columns = append(t.columns, c)
		return nil
	}); err != nil {
		return err
	}
	if len(keys) == 1 && myIntTypes[keys[0].typ] {
		t.intKey = keys[0].name
	}
	return nil
}

// Sampling without TABLESAMPLE, never reading more than a bounded number
// of rows:
//   - a table the catalog estimates at no more than twice the budget:
//     LIMIT n (it stops after n rows);
//   - a table with a single-column integer primary key: MIN and MAX of
//     the key (both ends of the index), then rangeChunks random starting
//     keys in between, each read as `key >= start ORDER BY key LIMIT n/k`
//     through the index: about n rows from k random places;
//   - any other table: LIMIT n OFFSET r with r random below
//     maxOffsetRows, so at most maxOffsetRows+n rows are stepped over.
//     The sample is then random only within the table's first rows.
const (
	rangeChunks   = 10
	maxOffsetRows = 100000
)

// sample reads at most n rows of t in a read-only transaction.
func (m *myEngine) sample(ctx context.Context, t *table, n int, seed int64, row func([][]byte)) (int, error) {
	cut := strconv.Itoa(myCut(len(t.columns)))
	cols := selectList(t.columns, func(name string) string { return "LEFT(" + quote(name) + ", " + cut + ")" })
	if cols == "" {
		return 0, nil
	}
	from := "SELECT " + cols + " FROM " + quote(t.db) + "." + quote(t.name)
	rnd := rand.New(rand.NewPCG(uint64(seed), uint64(len(t.loc))))
	if err := m.w.failure(); err != nil {
		return 0, fmt.Errorf("not read: the connection ended on an earlier answer (%w)", err)
	}
	stop := m.w.arm()
	tx, err := m.conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	stop()
	if err != nil {
		return 0, m.why(err)
	}
	defer func() {
		stop := m.w.arm()
		tx.Rollback() //nolint:errcheck // read-only: nothing to keep
		stop()
	}()
	if t.rows <= int64(2*n) {
		return m.readRows(ctx, tx, row, len(t.columns), n, from+" LIMIT ?", n)
	}
	if t.intKey != "" {
		var lo, hi sql.NullInt64
		k := quote(t.intKey)
		err := m.run(ctx, tx, "SELECT MIN("+k+"), MAX("+k+") FROM "+quote(t.db)+"."+quote(t.name), nil, func(rows *sql.Rows) error {
			if !rows.Next() {
				return cmp.Or(rows.Err(), sql.ErrNoRows)
			}
			return rows.Scan(&lo, &hi)
		})
		if m.w.failure() != nil {
			return 0, err
		}
		if err == nil && (!lo.Valid || !hi.Valid) {
			return 0, nil // empty
		}
		if err == nil {
			return m.ranges(ctx, tx, len(t.columns), from, k, lo.Int64, hi.Int64, n, rnd, row)
		}
		// An unsigned key beyond int64: the offset path below.
	}
	off := rnd.Int64N(min(t.rows-int64(n), maxOffsetRows) + 1)
	return m.readRows(ctx, tx, row, len(t.columns), n, from+" LIMIT ? OFFSET ?", n, off)
}

// ranges reads about n rows from rangeChunks random places of the key
// range [lo, hi], each through the index.
func (m *myEngine) ranges(ctx context.Context, tx *sql.Tx, ncols int, from, k string, lo, hi int64, n int, rnd *rand.Rand, row func([][]byte)) (int, error) {
	per := max(1, n/rangeChunks)
	starts := make([]int64, rangeChunks)
	span := uint64(hi) - uint64(lo) // two's complement: right even across zero
	for i := range starts {
		r := rnd.Uint64()
		if span < math.MaxUint64 {
			r = rnd.Uint64N(span + 1)
		}
		starts[i] = int64(uint64(lo) + r)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	got := 0
	for _, s := range starts {
		c, err := m.readRows(ctx, tx, row, ncols, min(per, n-got), from+" WHERE "+k+" >= ? ORDER BY "+k+" LIMIT ?", s, min(per, n-got))
		got += c
		if err != nil || got >= n {
			return got, err
		}
	}
	return got, nil
}

// myCut is how many characters of each value a sample of a table of
// ncols columns reads: 4,096 (maxValueBytes), less for a table so wide
// that its row would not fit one packet (16 MiB, 4 bytes a character at
// most, and each value's length): the guard refuses longer packets.
func myCut(ncols int) int {
	per := (myMaxPayload - 64<<10) / max(ncols, 1)
	return max(1, min(maxValueBytes, (per-9)/4))
}

// readRows runs q, a select of ncols columns with LIMIT limit, handing
// each row to row; a server that answers more rows or other columns
// is not read further (the connection goes with it).
func (m *myEngine) readRows(ctx context.Context, tx *sql.Tx, row func([][]byte), ncols, limit int, q string, args ...any) (int, error) {
	n := 0
	err := m.run(ctx, tx, q, args, func(rows *sql.Rows) error {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		if len(cols) != ncols {
			err := fmt.Errorf("the server answered %d columns to a select of %d: not read", len(cols), ncols)
			m.w.kill(err)
			return err
		}
		raw := make([]sql.RawBytes, len(cols))
		dest := make([]any, len(cols))
		for i := range raw {
			dest[i] = &raw[i]
		}
		vals := make([][]byte, len(cols))
		for rows.Next() {
			if n == limit {
				err := fmt.Errorf("the server answered more than %d rows to LIMIT %d: not read further", limit, limit)
				m.w.kill(err)
				return err
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			for i, r := range raw {
				vals[i] = r
			}
			row(vals)
			n++
		}
		return rows.Err()
	})
	return n, err
}

// account is how a grantee names an account: user@host, or a role's
// name ('role'@” in information_schema).
func account(user, host string) string {
	if host == "" {
		return user
	}
	return user + "@" + host
}

// grantee reads information_schema's 'user'@'host'.
func grantee(s string) string {
	i := strings.LastIndex(s, "@")
	if i < 0 {
		return strings.Trim(s, "'")
	}
	return account(strings.Trim(s[:i], "'"), strings.Trim(s[i+1:], "'"))
}

// likeMatch reports whether s matches a MySQL grant's database pattern
// (% and _ wildcards, \ escapes), in time linear in len(pattern)×len(s)
// whatever the pattern (it comes from the server).
func likeMatch(pattern, s string) bool {
	type tok struct {
		c    byte
		kind byte // 0 a literal, '%' any run, '_' any one byte
	}
	p := make([]tok, 0, len(pattern))
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '\\' && i+1 < len(pattern):
			i++
			p = append(p, tok{c: pattern[i]})
		case c == '%' || c == '_':
			p = append(p, tok{kind: c})
		default:
			p = append(p, tok{c: c})
		}
	}
	// Greedy with one backtrack point: the last % seen.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi].kind == '_' || p[pi].kind == 0 && p[pi].c == s[si]):
			pi, si = pi+1, si+1
		case pi < len(p) && p[pi].kind == '%':
			star, mark = pi, si
			pi++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == '%' {
		pi++
	}
	return pi == len(p)
}

// allPrivileges is what ALL PRIVILEGES ON *.* holds at least.
var allPrivileges = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "RELOAD", "SHUTDOWN", "PROCESS", "FILE", "CREATE USER"}

// access reads accounts and roles (mysql.user; never a password),
// role grants (mysql.roles_mapping on MariaDB, mysql.role_edges on
// MySQL), and global, database and table privileges
// (information_schema.USER_, SCHEMA_ and TABLE_PRIVILEGES). Reading
// every account's needs SELECT on the mysql database.
func (m *myEngine) access(ctx context.Context, tables []*table) (*access, error) {
	a := &access{}
	engine := "mysql"
	idx := map[string]int{}
	var user, host, isRole string
	users := func(q string) error {
		a.roles, idx = nil, map[string]int{}
		return m.forEach(ctx, q, nil, []any{&user, &host, &isRole}, func() error {
			r := role{name: account(user, host), kind: "user", attrs: map[string]string{"engine": engine}}
			if isRole == "Y" {
				r.name, r.kind = user, "group"
			}
			idx[r.name] = len(a.roles)
			a.roles = append(a.roles, r)
			return nil
		})
	}
	engine = "mariadb"
	err := users(`SELECT User, Host, is_role FROM mysql.user ORDER BY User, Host`)
	if err != nil && m.w.failure() == nil {
		engine = "mysql"
		err = users(`SELECT User, Host, 'N' FROM mysql.user ORDER BY User, Host`)
	}
	if err != nil {
		return nil, fmt.Errorf("reading mysql.user (grant the scanning account SELECT ON mysql.*): %w", err)
	}
	mq := `SELECT User, Host, Role, Admin_option = 'Y' FROM mysql.roles_mapping`
	if engine == "mysql" {
		// MySQL's roles are accounts: user@host like the rest.
		mq = `SELECT TO_USER, TO_HOST, CONCAT(FROM_USER, '@', FROM_HOST), WITH_ADMIN_OPTION = 'Y' FROM mysql.role_edges`
	}
	var granted string
	var admin bool
	if err := m.forEach(ctx, mq, nil, []any{&user, &host, &granted, &admin}, func() error {
		if _, ok := idx[granted]; !ok {
			return nil
		}
		if _, ok := idx[account(user, host)]; ok {
			a.members = append(a.members, membership{member: account(user, host), role: granted, admin: admin})
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading role grants: %w", err)
	}
	byDB := map[string][]*table{}
	byLoc := map[string]*table{}
	for _, t := range tables {
		byDB[t.db] = append(byDB[t.db], t)
		byLoc[t.loc] = t
	}
	// Global privileges: privileged accounts, and reads/writes of every
	// table.
	global := map[string]map[string]bool{}
	if err := m.each(ctx, `SELECT GRANTEE, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.USER_PRIVILEGES`, func(v []string) {
		g := grantee(v[0])
		if global[g] == nil {
			global[g] = map[string]bool{}
		}
		global[g][v[1]] = true
		if v[2] == "YES" {
			global[g]["GRANT OPTION"] = true
		}
		if perm := permission(v[1]); perm != "" {
			for _, t := range tables {
				a.grants = append(a.grants, grant{grantee: g, table: t, perm: perm, via: v[1] + " ON *.*"})
			}
		}
	}); err != nil {
		return nil, err
	}
	for g, privs := range global {
		i, ok := idx[g]
		if !ok {
			continue
		}
		all := true
		for _, p := range allPrivileges {
			all = all && privs[p]
		}
		var why []string
		switch {
		case all && privs["GRANT OPTION"]:
			why = append(why, "ALL PRIVILEGES ON *.* WITH GRANT OPTION")
		case all:
			why = append(why, "ALL PRIVILEGES ON *.*")
		default:
			for _, p := range []string{"SUPER", "CREATE USER", "FILE", "GRANT OPTION"} {
				if privs[p] {
					why = append(why, p+" ON *.*")
				}
			}
		}
		a.roles[i].why = why
	}
	if err := m.each(ctx, `SELECT GRANTEE, TABLE_SCHEMA, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES`, func(v []string) {
		perm := permission(v[2])
		if perm == "" {
			return
		}
		g := grantee(v[0])
		a.schemaGrants = append(a.schemaGrants, schemaGrant{grantee: g, schema: v[1], perm: perm, via: v[2] + " ON " + v[1] + ".*"})
		for db, ts := range byDB {
			if !likeMatch(v[1], db) {
				continue
			}
			for _, t := range ts {
				a.grants = append(a.grants, grant{grantee: g, table: t, perm: perm, via: v[2] + " ON " + v[1] + ".*"})
			}
		}
	}); err != nil {
		return nil, err
	}
	if err := m.each(ctx, `SELECT GRANTEE, TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES`, func(v []string) {
		t, perm := byLoc[m.loc(v[1], v[2])], permission(v[3])
		if t != nil && perm != "" {
			a.grants = append(a.grants, grant{grantee: grantee(v[0]), table: t, perm: perm, via: v[3] + " ON " + v[1] + "." + v[2]})
		}
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// each runs a query of string columns, handing each row to f.
func (m *myEngine) each(ctx context.Context, q string, f func([]string)) error {
	return m.run(ctx, m.conn, q, nil, func(rows *sql.Rows) error {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		out := make([]string, len(cols))
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			for i, v := range vals {
				out[i] = v.String
			}
			f(out)
		}
		return rows.Err()
	})
}

// driverLog carries the MySQL driver's log lines to slog, at debug level.
type driverLog struct{ l *slog.Logger }

func (d driverLog) Print(v ...any) {
	if d.l != nil {
		d.l.Debug("mysql driver", "msg", clip.Middle(fmt.Sprint(v...), 1024))
	}
}
