// Package dbscan scans a database server (PostgreSQL, MySQL/MariaDB): one
// asset per table with its estimated row count, personal data found per
// column in a bounded random sample of rows (the column name as the field
// detector's context), and who may read or write each table: roles and
// users as principals (superusers and equivalents privileged, with why),
// role memberships, and table, schema and global grants expanded to the
// tables they cover — the same asset, pii, principal and entitlement
// records the file and bucket scanners emit, so the collector's data map,
// subject search, effective access and reviews need no special case.
//
// Everything is read in read-only transactions with a statement timeout;
// no table is ever read in full (see each engine's sample). Values are
// reduced to masked samples and keyed tokens by the shared aggregator
// before anything leaves the scan.
package dbscan

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sightline-dev/sightline/agent/content"
	"github.com/sightline-dev/sightline/agent/scanrun"
	"github.com/sightline-dev/sightline/agent/scanstate"
	"github.com/sightline-dev/sightline/internal/defaults"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Defaults and bounds.
const (
	DefaultSampleRows = 1000
	DefaultMaxTables  = 10000
	// DefaultMaxCatalogBytes bounds the catalog's names a scan keeps:
	// 10,000 tables of 100 columns with names of 64 bytes are 64 MB.
	DefaultMaxCatalogBytes = 64 << 20
	DefaultTimeout         = 30 * time.Second
	// maxValueBytes is how much of one value is read (the engine cuts it
	// in SQL, so a megabyte text column costs 4 KiB).
	maxValueBytes = 4096
	// maxSampleRows bounds --sample-rows whatever the configuration says.
	maxSampleRows = 100000
)

// Options configures a database scan.
type Options struct {
	// DSN is postgres://USER@HOST:PORT/DB?sslmode=… or
	// mysql://USER@HOST:PORT[/DB]?tls=…; it must not hold a password.
	DSN string
	// Password comes from a file or the environment, never the DSN.
	Password string
	// CAFile is a PEM bundle of the CAs that sign the server's certificate
	// (PostgreSQL: sslrootcert; MySQL: tls=custom).
	CAFile string
	// SampleRows is the row budget per table (default 1000).
	SampleRows int
	// MaxTables bounds the tables read (default 10000).
	MaxTables int
	// MaxCatalogBytes bounds the names of tables and columns the scan
	// keeps (default 64 MiB): past it the listing stops, the reason on
	// the scan record.
	MaxCatalogBytes int64
	// StatementTimeout bounds every statement (default 30s).
	StatementTimeout time.Duration
	Detector         pii.Detector
	Tokenizer        *pii.Tokenizer
	// State makes the scan incremental (nil: sample every table).
	State   *State
	AgentID string
	Logger  *slog.Logger
	Now     func() time.Time
	// Seed fixes the random sample positions (0: a fresh one per scan).
	Seed int64
}

// column is a table column as the catalog describes it.
type column struct {
	name, typ string
	// skip says the column is not sampled (binary, geometry).
	skip bool
}

// selectList is the select list of a sample of columns: NULL for a column
// not sampled, else cut(name), the engine's expression of the column's
// first maxValueBytes as text; "" when there is no column.
func selectList(columns []column, cut func(name string) string) string {
	exprs := make([]string, len(columns))
	for i, c := range columns {
		exprs[i] = "NULL"
		if !c.skip {
			exprs[i] = cut(c.name)
		}
	}
	return strings.Join(exprs, ", ")
}

// table is one table as the catalog describes it.
type table struct {
	db, schema, name string
	loc              string
	rows             int64  // estimate from the catalog
	rowsSource       string // where the estimate comes from
	size             int64  // bytes, table and indexes
	marker           string // changes when the table's content may have
	columns          []column
	intKey           string // MySQL: a single-column integer primary key
	owner            string
	// problem says why the table is not sampled (a catalog that is not a
	// real table's), reported on the scan.
	problem string
	// longColumns counts the columns left out for their name's length.
	longColumns int
}

// catalogNames bounds the names of tables and columns a scan keeps: the
// server chooses them (a hostile one as long as its protocol carries a
// value: 16 MiB for MySQL's guard, more for PostgreSQL), and every
// table's columns are listed before any is sampled. A name no record may
// hold is not kept at all but counted (its table or column could not be
// reported); the others spend left, and past it the listing stops.
type catalogNames struct {
	left       int64
	longTables int // tables left out for their name's length
}

// errCatalogFull is a catalog whose names passed MaxCatalogBytes.
var errCatalogFull = errors.New("the names of the catalog's tables and columns passed max catalog bytes: not read further (a server with names this long is not one to sample)")

// table says whether a table named by parts may be kept: false for a
// name no record may hold (counted), errCatalogFull past the budget.
func (c *catalogNames) table(parts ...string) (bool, error) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > wire.MaxStringLen {
		c.longTables++
		return false, nil
	}
	return true, c.spend(n)
}

// column says whether a column of t named name may be kept: false for a
// name no record may hold (counted on t), errCatalogFull past the budget.
func (c *catalogNames) column(t *table, name string) (bool, error) {
	if len(name) > wire.MaxStringLen {
		t.longColumns++
		return false, nil
	}
	return true, c.spend(len(name))
}

func (c *catalogNames) spend(n int) error {
	c.left -= int64(n)
	if c.left < 0 {
		return errCatalogFull
	}
	return nil
}

// errTooManyColumns is a table with more columns than its engine allows.
var errTooManyColumns = errors.New("more columns than the engine allows")

// grant is a permission a principal holds on a table.
type grant struct {
	grantee string
	table   *table
	perm    string // read or write
	via     string
}

// role is a role or user of the server.
type role struct {
	name, kind string // kind: user, group (a role that cannot log in), role
	enabled    *bool
	why        []string // why it is privileged on its own
	attrs      map[string]string
}

// membership says member holds what role holds.
type membership struct {
	member, role string
	admin        bool
}

// access is the server's principals and who may reach which table.
type access struct {
	roles   []role
	members []membership
	grants  []grant
	// schemaGrants are grants on a schema (database on MySQL) itself,
	// reported as they are for access reviews.
	schemaGrants []schemaGrant
}

type schemaGrant struct{ grantee, schema, perm, via string }

// engine is what a scan needs of a database server.
type engine interface {
	// server is the location prefix, "postgres://HOST:PORT" or
	// "mysql://HOST:PORT".
	server() string
	// tables lists at most max tables with their columns, the names kept
	// within names.
	tables(ctx context.Context, max int, names *catalogNames) ([]*table, error)
	// sample reads at most n rows of t, calling row with each row's
	// values (nil for NULL) in t.columns order (skipped columns nil).
	sample(ctx context.Context, t *table, n int, seed int64, row func([][]byte)) (int, error)
	access(ctx context.Context, tables []*table) (*access, error)
	close() error
}

// Scan reads the server and emits its records, last the scan record.
func Scan(ctx context.Context, o Options, emit func(*wire.Record) error) (*wire.Record, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = cmp.Or(o.Logger, slog.Default())
	if o.Detector == nil {
		o.Detector = pii.NewDefault()
	}
	if o.Tokenizer == nil {
		return nil, errors.New("db scan: a token key is required")
	}
	o.SampleRows = defaults.Positive(o.SampleRows, DefaultSampleRows)
	o.SampleRows = min(o.SampleRows, maxSampleRows)
	o.MaxTables = defaults.Positive(o.MaxTables, DefaultMaxTables)
	o.MaxCatalogBytes = defaults.Positive(o.MaxCatalogBytes, DefaultMaxCatalogBytes)
	o.StatementTimeout = defaults.Positive(o.StatementTimeout, DefaultTimeout)
	if o.Seed == 0 {
		o.Seed = o.Now().UnixNano()
	}
	host, err := ServerOf(o.DSN)
	if err != nil {
		return nil, err
	}
	run := scanrun.Begin(scanrun.Options{Scanner: "db", Source: wire.SourceDB, Host: host, AgentID: o.AgentID, Now: o.Now})
	finish := func(status string) (*wire.Record, error) { return run.Finish(status, emit) }
	e, err := open(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		run.Problem(serverError(o.Detector, err))
		return finish(wire.StatusFailed)
	}
	defer e.close()
	names := &catalogNames{left: o.MaxCatalogBytes}
	tables, err := e.tables(ctx, o.MaxTables, names)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		run.Problem("listing tables: " + serverError(o.Detector, err))
		return finish(wire.StatusFailed)
	}
	if len(tables) == o.MaxTables {
		run.Problem(fmt.Sprintf("more than %d tables: the rest were not read (raise max_tables)", o.MaxTables))
	}
	// A name no engine allows (PostgreSQL's limit is 63 bytes, MySQL's 64
	// characters) would make a record the collector refuses with the rest
	// of its batch: such a table is left out and counted.
	kept, long := tables[:0:0], names.longTables
	for _, t := range tables {
		if len(t.loc) > wire.MaxStringLen {
			long++
			continue
		}
		kept = append(kept, t)
	}
	if long > 0 {
		run.Problem(fmt.Sprintf("%d tables with a name longer than a record may hold: left out", long))
	}
	tables = kept
	o.State.Begin()
	s := &scan{o: o, run: run, emit: emit, e: e, host: host}
	for _, t := range tables {
		if err := s.table(ctx, t); err != nil {
			return nil, err
		}
	}
	acc, err := e.access(ctx, tables)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		run.Problem("reading roles and grants: " + serverError(o.Detector, err))
	} else if err := s.principals(acc, host); err != nil {
		return nil, err
	}
	return finish(run.Status())
}

// open connects to the engine the DSN names.
func open(ctx context.Context, o Options) (engine, error) {
	u, err := parseDSN(o.DSN)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		return openPostgres(ctx, u, o)
	default:
		return openMySQL(ctx, u, o)
	}
}

// parseDSN checks a DSN: a known scheme, a host, no password.
func parseDSN(dsn string) (*url.URL, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("db scan: the DSN is not a URL (want postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB): %w", errors.Unwrap(err))
	}
	switch u.Scheme {
	case "postgres", "postgresql", "mysql", "mariadb":
	default:
		return nil, fmt.Errorf("db scan: unknown DSN scheme %q (want postgres:// or mysql://)", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("db scan: the DSN names no host")
	}
	if _, set := u.User.Password(); set {
		return nil, errors.New("db scan: the DSN holds a password; remove it and use password_file (--password-file) or SIGHTLINE_DB_PASSWORD, so it never shows in ps or the config")
	}
	return u, nil
}

// ServerOf is the server a DSN names, as records' host: "HOST:PORT".
func ServerOf(dsn string) (string, error) {
	u, err := parseDSN(dsn)
	if err != nil {
		return "", err
	}
	port := u.Port()
	if port == "" {
		port = "5432"
		if u.Scheme == "mysql" || u.Scheme == "mariadb" {
			port = "3306"
		}
	}
	return u.Hostname() + ":" + port, nil
}

// scan is one scan under way.
type scan struct {
	o    Options
	run  *scanrun.Run
	emit func(*wire.Record) error
	e    engine
	// host is the server as records name it ("HOST:PORT", ServerOf):
	// the scope of every id the scan derives (wire.AssetID).
	host string
}

// tableState is what the last scan found in a table.
type tableState struct {
	Marker  string        `json:"marker"`
	Sampled int           `json:"sampled"`
	Columns []columnState `json:"columns"`
}

type columnState struct {
	Column  string       `json:"column"`
	Results []pii.Result `json:"results"`
}

// assetID is the id of the table at loc.
func (s *scan) assetID(loc string) string { return wire.AssetID(wire.SourceDB, s.host, loc) }

// table emits t's asset and its findings per column, sampling it unless
// it is unchanged since the last scan.
func (s *scan) table(ctx context.Context, t *table) error {
	id := s.assetID(t.loc)
	st, ok := s.o.State.Prev(t.loc)
	if t.longColumns > 0 {
		s.run.Problem(fmt.Sprintf("%s: %d columns with a name longer than a record may hold: not sampled", t.loc, t.longColumns))
	}
	if t.problem != "" {
		s.run.Problem(t.loc + ": " + t.problem)
		st = tableState{}
	} else if ok && st.Marker == t.marker {
		s.run.Stats["tables_unchanged"]++
		s.o.State.Remember(t.loc, st)
	} else {
		var err error
		if st, err = s.sampleTable(ctx, t); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Reported without findings, and not remembered: sampled
			// again next time.
			s.run.Problem(t.loc + ": sampling: " + serverError(s.o.Detector, err))
			st = tableState{}
		} else {
			s.o.State.Remember(t.loc, st)
		}
	}
	rec := s.run.Record(wire.KindAsset)
	rec.AssetID, rec.AssetType, rec.Location, rec.Size, rec.Owner = id, "table", t.loc, t.size, t.owner
	rec.Attributes = map[string]string{"database": t.db, "table": t.name, "rows": strconv.FormatInt(t.rows, 10),
		"rows_estimated": "true", "rows_source": t.rowsSource, "columns": strconv.Itoa(len(t.columns)),
		"sampled_rows": strconv.Itoa(st.Sampled)}
	if t.schema != "" {
		rec.Attributes["schema"] = t.schema
	}
	if err := s.emit(&rec); err != nil {
		return err
	}
	s.run.Stats["tables"]++
	found := false
	for _, c := range st.Columns {
		if len(c.Results) == 0 {
			continue
		}
		if len(t.loc)+1+len(url.PathEscape(c.Column)) > wire.MaxStringLen {
			s.run.Problem(fmt.Sprintf("%s: a column name of %d bytes, longer than a record may hold: its findings are left out", t.loc, len(c.Column)))
			continue
		}
		found = true
		s.run.Stats["columns_with_pii"]++
		if err := content.EmitFindings(s.run.Record, id, t.loc+"#"+url.PathEscape(c.Column), c.Results, s.emit); err != nil {
			return err
		}
	}
	if found {
		s.run.Stats["tables_with_pii"]++
	}
	return nil
}

// sampleTable reads t's sample and detects per column.
func (s *scan) sampleTable(ctx context.Context, t *table) (tableState, error) {
	aggs := make([]*pii.Aggregator, len(t.columns))
	fields := make([]string, len(t.columns))
	for i, c := range t.columns {
		aggs[i] = pii.NewAggregator(s.o.Tokenizer)
		fields[i] = strings.ToLower(c.name)
	}
	n := 0
	got, err := s.e.sample(ctx, t, s.o.SampleRows, s.o.Seed, func(vals [][]byte) {
		n++
		for i, v := range vals {
			if i >= len(aggs) || len(v) == 0 {
				continue
			}
			agg := aggs[i]
			content.FieldDetect(s.o.Detector, fields[i], v, func(m pii.Match) {
				if agg.WantsWhere(m.Type) {
					agg.AddWhere(m, "sample row "+strconv.Itoa(n))
					return
				}
				agg.AddWhere(m, "")
			})
		}
	})
	s.run.Stats["rows_sampled"] += int64(got)
	if err != nil {
		return tableState{}, err
	}
	s.run.Stats["tables_sampled"]++
	st := tableState{Marker: t.marker, Sampled: got}
	for i, c := range t.columns {
		if r := aggs[i].Results(); len(r) > 0 {
			st.Columns = append(st.Columns, columnState{Column: c.name, Results: r})
		}
	}
	return st, nil
}

// serverError is err as a scan record may carry it. A server's own
// message may quote the data it was reading (PostgreSQL's data
// exceptions: invalid input syntax for type integer: "…"; MySQL's
// Incorrect … value: '…'), so the server's message in a data or
// integrity error is withheld, and so is any other server message in
// which the detectors find personal data; the rest of the error (ours:
// what was being done, the address, the code) is kept.
func serverError(det pii.Detector, err error) string {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	var msg, state string
	switch {
	case errors.As(err, &pg):
		msg, state = pg.Message, pg.Code
	case errors.As(err, &my):
		msg, state = my.Message, string(my.SQLState[:])
		if my.Number == 1366 { // Incorrect string value, with the value
			state = "22007"
		}
	default:
		return err.Error()
	}
	text := err.Error()
	if msg == "" {
		return text
	}
	if strings.HasPrefix(state, "22") || strings.HasPrefix(state, "23") {
		return strings.ReplaceAll(text, msg, "[a data error: the server's message is withheld, since it may quote a value]")
	}
	var types []string
	det.Detect([]byte(msg), func(m pii.Match) {
		if !slices.Contains(types, m.Type) {
			types = append(types, m.Type)
		}
	})
	if len(types) == 0 {
		return text
	}
	sort.Strings(types)
	return strings.ReplaceAll(text, msg, "[the server's message is withheld: it holds what looks like personal data ("+strings.Join(types, ", ")+")]")
}

// fingerprint is a short hash of parts, for markers.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// columnsMarker names a table's columns and types: a changed schema is a
// changed table.
func columnsMarker(cols []column) string {
	parts := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		parts = append(parts, c.name, c.typ)
	}
	return fingerprint(parts...)
}

// principalID is the id of a role or user of server (as records name it).
func principalID(server, name string) string {
	return wire.DBPrincipalID(server, name)
}

// principals emits the roles, their memberships and their grants.
// A role is privileged on its own (superuser, SUPER, …) or through a role
// it belongs to, named in why.
func (s *scan) principals(a *access, server string) error {
	byName := map[string]*role{}
	for i := range a.roles {
		byName[a.roles[i].name] = &a.roles[i]
	}
	memberOf := map[string][]string{}
	for _, m := range a.members {
		memberOf[m.member] = append(memberOf[m.member], m.role)
	}
	long := 0
	for i := range a.roles {
		r := &a.roles[i]
		if len(r.name) > wire.MaxStringLen {
			long++ // its record would be refused, with the rest of its batch
			continue
		}
		why := append([]string(nil), r.why...)
		// Breadth first through the roles r belongs to, each once.
		seen := map[string]bool{r.name: true}
		queue := append([]string(nil), memberOf[r.name]...)
		for len(queue) > 0 {
			g := queue[0]
			queue = queue[1:]
			if seen[g] {
				continue
			}
			seen[g] = true
			if gr := byName[g]; gr != nil {
				for _, w := range gr.why {
					why = append(why, "through role "+g+": "+w)
				}
			}
			queue = append(queue, memberOf[g]...)
		}
		rec := s.run.Record(wire.KindPrincipal)
		rec.PrincipalID, rec.Name, rec.PrincipalType, rec.Enabled = principalID(server, r.name), r.name, r.kind, r.enabled
		rec.Privileged, rec.PrivilegedVia, rec.Attributes = len(why) > 0, why, r.attrs
		if err := s.emit(&rec); err != nil {
			return err
		}
		s.run.Stats["principals"]++
		if rec.Privileged {
			s.run.Stats["privileged"]++
		}
	}
	if long > 0 {
		s.run.Problem(fmt.Sprintf("%d roles with a name longer than a record may hold: left out", long))
	}
	for _, m := range a.members {
		e := s.run.Record(wire.KindEntitlement)
		e.PrincipalID, e.ResourceID, e.Permission = principalID(server, m.member), principalID(server, m.role), "member"
		e.ResourceType = "role"
		if r := byName[m.role]; r != nil && r.kind == "group" {
			e.ResourceType = "group"
		}
		e.Via = []string{"member of " + m.role}
		if m.admin {
			e.Via = append(e.Via, "with admin option")
		}
		if err := s.emit(&e); err != nil {
			return err
		}
	}
	// One entitlement per (grantee, table, permission), every path in via.
	type key struct{ grantee, loc, perm string }
	vias := map[key][]string{}
	var order []key
	for _, g := range a.grants {
		k := key{g.grantee, g.table.loc, g.perm}
		if _, ok := vias[k]; !ok {
			order = append(order, k)
		}
		if !slices.Contains(vias[k], g.via) {
			vias[k] = append(vias[k], g.via)
		}
	}
	for _, k := range order {
		e := s.run.Record(wire.KindEntitlement)
		e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = principalID(server, k.grantee), s.assetID(k.loc), "table", k.perm
		e.Via = vias[k]
		sort.Strings(e.Via)
		if err := s.emit(&e); err != nil {
			return err
		}
		s.run.Stats["grants"]++
	}
	for _, g := range a.schemaGrants {
		e := s.run.Record(wire.KindEntitlement)
		e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = principalID(server, g.grantee), wire.StableID(wire.SourceDB, server, "schema:"+g.schema), "schema", g.perm
		e.Via = []string{g.via}
		if err := s.emit(&e); err != nil {
			return err
		}
	}
	return nil
}

// permission maps an SQL privilege to read or write ("" for the others:
// REFERENCES, TRIGGER, INDEX… give no access to the rows).
func permission(priv string) string {
	switch strings.ToUpper(priv) {
	case "SELECT":
		return "read"
	case "INSERT", "UPDATE", "DELETE", "TRUNCATE":
		return "write"
	}
	return ""
}

// State is the database scanner's incremental state: per table location,
// its marker and what its sample held.
type State = scanstate.Store[tableState]

// LoadState reads the state at path (missing: empty).
func LoadState(path string, tok *pii.Tokenizer) (*State, error) {
	return scanstate.Load[tableState](scanstate.Options{Path: path, Name: "sightline-db-state", Items: "tables", Label: "database scan state"}, tok)
}
