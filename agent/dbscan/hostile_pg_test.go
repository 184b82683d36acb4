package dbscan

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/hostiletest"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// pgResult is what a hostile PostgreSQL answers to a statement: columns
// of type OIDs (20 int8, 25 text, 26 oid) and rows of text values, which
// it encodes in the format the client asks; stall says never answer.
type pgResult struct {
	types []uint32
	rows  func(yield func(row [][]byte) bool)
	stall bool
	err   string // an ErrorResponse instead
	code  string // its SQLSTATE (default XX000)
}

// hostilePG is a PostgreSQL server on a local listener: it completes the
// startup without a password (no TLS: sslmode=disable) and answers each
// statement, simple or extended protocol, with answer(sql). Cancel
// requests are read and ignored. It returns a DSN for it.
func hostilePG(t *testing.T, answer func(sql string) pgResult) string {
	addr := hostiletest.Listen(t, func(c net.Conn) { servePG(c, answer, nil) })
	return "postgres://scanner@" + addr + "/app?sslmode=disable"
}

// servePG serves one connection; with password set, it refuses TLS and
// asks for the password in clear text, storing what it gets.
func servePG(c net.Conn, answer func(sql string) pgResult, password *atomic.Value) {
	defer c.Close()
	be := pgproto3.NewBackend(c, c)
	for {
		m, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		switch m.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			if _, err := c.Write([]byte("N")); err != nil {
				return
			}
			continue
		case *pgproto3.CancelRequest:
			return
		}
		break
	}
	if password != nil {
		be.Send(&pgproto3.AuthenticationCleartextPassword{})
		if be.Flush() != nil {
			return
		}
		be.SetAuthType(pgproto3.AuthTypeCleartextPassword) //nolint:errcheck // a known type
		m, err := be.Receive()
		if err != nil {
			return
		}
		if pm, ok := m.(*pgproto3.PasswordMessage); ok {
			password.Store(pm.Password)
		}
	}
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.ParameterStatus{Name: "server_version", Value: "15.0"})
	be.Send(&pgproto3.ParameterStatus{Name: "client_encoding", Value: "UTF8"})
	be.Send(&pgproto3.ParameterStatus{Name: "standard_conforming_strings", Value: "on"})
	be.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if be.Flush() != nil {
		return
	}
	stmts := map[string]string{}   // prepared statement → SQL
	portals := map[string]string{} // portal → SQL
	formats := map[string][]int16{}
	tx := byte('I')
	fields := func(r pgResult) *pgproto3.RowDescription {
		d := &pgproto3.RowDescription{}
		for i, oid := range r.types {
			d.Fields = append(d.Fields, pgproto3.FieldDescription{Name: []byte(fmt.Sprint("c", i)), DataTypeOID: oid, DataTypeSize: -1, TypeModifier: -1})
		}
		return d
	}
	// rows sends r's rows, in binary where asked; false: the client is gone.
	rows := func(r pgResult, format []int16) bool {
		n := 0
		ok := true
		r.rows(func(row [][]byte) bool {
			vals := make([][]byte, len(row))
			for i, v := range row {
				f := int16(0)
				if len(format) == 1 {
					f = format[0]
				} else if i < len(format) {
					f = format[i]
				}
				vals[i] = v
				if f == 1 && v != nil {
					var x int64
					fmt.Sscan(string(v), &x)
					switch r.types[i] {
					case 16:
						vals[i] = []byte{0}
						if string(v) == "t" {
							vals[i] = []byte{1}
						}
					case 20:
						vals[i] = binary.BigEndian.AppendUint64(nil, uint64(x))
					case 26:
						vals[i] = binary.BigEndian.AppendUint32(nil, uint32(x))
					}
				}
			}
			if len(vals) == 1 && len(vals[0]) > 1<<20 {
				// A huge value goes out without a copy, so the test's heap
				// is the client's.
				ok = be.Flush() == nil
				hdr := []byte{'D'}
				hdr = binary.BigEndian.AppendUint32(hdr, uint32(4+2+4+len(vals[0])))
				hdr = binary.BigEndian.AppendUint16(hdr, 1)
				hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(vals[0])))
				if _, err := c.Write(hdr); err != nil {
					ok = false
				}
				if _, err := c.Write(vals[0]); err != nil {
					ok = false
				}
			} else {
				be.Send(&pgproto3.DataRow{Values: vals})
				ok = be.Flush() == nil
			}
			n++
			return ok
		})
		if ok {
			be.Send(&pgproto3.CommandComplete{CommandTag: []byte(fmt.Sprint("SELECT ", n))})
		}
		return ok
	}
	stall := func() {
		var b [512]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				return
			}
		}
	}
	failed := false // in the extended protocol, skip to Sync after an error
	for {
		m, err := be.Receive()
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *pgproto3.Query:
			q := strings.TrimSpace(strings.ToLower(m.String))
			switch {
			case strings.HasPrefix(q, "begin"):
				tx = 'T'
				be.Send(&pgproto3.CommandComplete{CommandTag: []byte("BEGIN")})
			case strings.HasPrefix(q, "rollback"), strings.HasPrefix(q, "commit"):
				tx = 'I'
				be.Send(&pgproto3.CommandComplete{CommandTag: []byte("ROLLBACK")})
			default:
				r := answer(m.String)
				if r.stall {
					stall()
					return
				}
				if r.err != "" {
					be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", Code: cmp.Or(r.code, "XX000"), Message: r.err})
					break
				}
				be.Send(fields(r))
				if !rows(r, nil) {
					return
				}
			}
			be.Send(&pgproto3.ReadyForQuery{TxStatus: tx})
		case *pgproto3.Parse:
			if failed {
				continue
			}
			stmts[m.Name] = m.Query
			be.Send(&pgproto3.ParseComplete{})
		case *pgproto3.Describe:
			if failed {
				continue
			}
			q := stmts[m.Name]
			if m.ObjectType == 'P' {
				q = portals[m.Name]
			}
			r := answer(q)
			if r.stall {
				stall()
				return
			}
			if r.err != "" {
				be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", Code: "XX000", Message: r.err})
				failed = true
				continue
			}
			if m.ObjectType == 'S' {
				params := &pgproto3.ParameterDescription{}
				for range regexp.MustCompile(`\$\d+`).FindAllString(q, -1) {
					params.ParameterOIDs = append(params.ParameterOIDs, 20)
				}
				be.Send(params)
			}
			be.Send(fields(r))
		case *pgproto3.Bind:
			if failed {
				continue
			}
			portals[m.DestinationPortal] = stmts[m.PreparedStatement]
			formats[m.DestinationPortal] = m.ResultFormatCodes
			be.Send(&pgproto3.BindComplete{})
		case *pgproto3.Execute:
			if failed {
				continue
			}
			r := answer(portals[m.Portal])
			if r.stall {
				stall()
				return
			}
			if !rows(r, formats[m.Portal]) {
				return
			}
		case *pgproto3.Sync:
			failed = false
			be.Send(&pgproto3.ReadyForQuery{TxStatus: tx})
		case *pgproto3.Terminate:
			return
		}
		if be.Flush() != nil {
			return
		}
	}
}

// catalog answers the catalog queries of a scan: tables lists n tables
// (whatever LIMIT says), each with the columns cols; sample answers the
// sampling statement; anything else (roles, grants) is an error.
func catalog(n int, cols []string, sample func() pgResult) func(string) pgResult {
	return catalogRoles(n, cols, nil, sample)
}

// catalogRoles is catalog whose server also answers the roles and grants
// queries: roles (login, no attributes), no memberships or grants; nil
// roles: those queries fail as in catalog.
func catalogRoles(n int, cols, roles []string, sample func() pgResult) func(string) pgResult {
	return func(q string) pgResult {
		switch {
		case roles != nil && strings.Contains(q, "FROM pg_roles ORDER BY rolname"):
			return pgResult{types: []uint32{25, 16, 16, 16, 16, 16, 16, 16}, rows: func(yield func([][]byte) bool) {
				for _, r := range roles {
					if !yield([][]byte{[]byte(r), []byte("f"), []byte("t"), []byte("f"), []byte("f"), []byte("f"), []byte("t"), []byte("f")}) {
						return
					}
				}
			}}
		case roles != nil && strings.Contains(q, "FROM pg_auth_members"):
			return pgResult{types: []uint32{25, 25, 16}, rows: textRows()}
		case roles != nil && strings.Contains(q, "aclexplode(coalesce(c.relacl"):
			return pgResult{types: []uint32{25, 25, 25, 25, 16}, rows: textRows()}
		case roles != nil && strings.Contains(q, "aclexplode(coalesce(n.nspacl"):
			return pgResult{types: []uint32{25, 25, 25}, rows: textRows()}
		case strings.Contains(q, "FROM pg_class c JOIN pg_namespace n") && strings.Contains(q, "LIMIT $1"):
			return pgResult{types: []uint32{26, 25, 25, 20, 20, 20, 20, 25}, rows: func(yield func([][]byte) bool) {
				for i := range n {
					name := fmt.Sprint("t", i)
					if i == n-1 && len(roles) > 0 && len(roles[len(roles)-1]) > 1000 {
						name = strings.Repeat("t", 5000) // the last table's name is as long as the last role's
					}
					if !yield([][]byte{[]byte(fmt.Sprint(16384 + i)), []byte("public"), []byte(name), []byte("10"), []byte("1"), []byte("8192"), []byte("0"), []byte("owner")}) {
						return
					}
				}
			}}
		case strings.Contains(q, "FROM pg_attribute a"):
			return pgResult{types: []uint32{25, 25, 25}, rows: func(yield func([][]byte) bool) {
				for _, c := range cols {
					if !yield([][]byte{[]byte(c), []byte("text"), []byte("text")}) {
						return
					}
				}
			}}
		case strings.HasPrefix(q, "SELECT left("):
			return sample()
		}
		return pgResult{err: "permission denied"}
	}
}

// scanBounded scans dsn (statement timeout 1 s, max tables max) and
// checks that the scan ends, before a safety net, with want among its
// errors and tables table assets; it returns the peak heap of the scan
// over the test's own.
func scanBounded(t *testing.T, dsn string, max int, want string, tables int) uint64 {
	t.Helper()
	// A safety net only: without a bound the scan runs until it.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var res *wire.Record
	var recs []wire.Record
	var err error
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	peak := hostiletest.PeakHeap(func() {
		res, recs, err = scanHostile(t, ctx, dsn, Options{StatementTimeout: time.Second, MaxTables: max})
	})
	peak -= min(peak, ms.HeapAlloc)
	t.Logf("peak heap %d MiB over the test's own", peak>>20)
	require.NoError(t, err)
	require.Contains(t, strings.Join(res.Errors, "\n"), want)
	n := 0
	for _, r := range recs {
		if r.Kind == wire.KindAsset {
			n++
		}
	}
	require.Equal(t, tables, n)
	return peak
}

func scanHostile(t *testing.T, ctx context.Context, dsn string, o Options) (*wire.Record, []wire.Record, error) {
	o.DSN = dsn
	o.Tokenizer = pii.NewTokenizer([]byte("k"))
	var recs []wire.Record
	res, err := Scan(ctx, o, func(r *wire.Record) error {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("a record the collector refuses: %w", err)
		}
		recs = append(recs, *r)
		return nil
	})
	return res, recs, err
}

func textRows(rows ...[]string) func(yield func([][]byte) bool) {
	return func(yield func([][]byte) bool) {
		for _, r := range rows {
			vals := make([][]byte, len(r))
			for i, v := range r {
				vals[i] = []byte(v)
			}
			if !yield(vals) {
				return
			}
		}
	}
}

// TestHostilePostgresFake checks the fake itself: a scan of one table
// whose sample holds an email finds it.
func TestHostilePostgresFake(t *testing.T) {
	dsn := hostilePG(t, catalog(1, []string{"email"}, func() pgResult {
		return pgResult{types: []uint32{25}, rows: textRows([]string{"ann@example.com"})}
	}))
	res, recs, err := scanHostile(t, context.Background(), dsn, Options{StatementTimeout: 5 * time.Second})
	require.NoError(t, err)
	require.Equal(t, wire.StatusPartial, res.Status, "%v", res.Errors) // roles and grants denied
	var found []string
	for _, r := range recs {
		if r.Kind == wire.KindPII {
			found = append(found, r.Location+" "+r.Type)
		}
	}
	require.Equal(t, []string{"postgres://127.0.0.1:" + strings.Split(strings.Split(dsn, ":")[2], "/")[0] + "/app/public.t0#email email"}, found)
}

// TestHostilePostgres: a server that stalls, sends a row far bigger than
// the value cut the query asks for, ignores LIMIT, or lists a table with
// a million columns ends what it broke with a clear reason, bounded in
// time and memory; the scan goes on and reports what it read.
func TestHostilePostgres(t *testing.T) {
	email := func() pgResult { return pgResult{types: []uint32{25}, rows: textRows([]string{"ann@example.com"})} }
	for _, tc := range []struct {
		name   string
		answer func() func(string) pgResult // made in the subtest: its memory is its own
		max    int
		want   string
		tables int // table assets reported
		heap   bool
	}{
		{"stalls listing tables", func() func(string) pgResult {
			return func(q string) pgResult {
				if strings.Contains(q, "LIMIT $1") {
					return pgResult{stall: true}
				}
				return catalog(1, []string{"email"}, email)(q)
			}
		}, 0, "listing tables: no answer within 1.5s", 0, false},
		{"stalls in a sample", func() func(string) pgResult {
			return catalog(3, []string{"email"}, func() pgResult { return pgResult{stall: true} })
		}, 0, "sampling: no answer within 1.5s", 3, false},
		{"a 256 MiB value", func() func(string) pgResult {
			huge := make([]byte, 256<<20)
			return catalog(2, []string{"email"}, func() pgResult {
				return pgResult{types: []uint32{25}, rows: func(yield func([][]byte) bool) { yield([][]byte{huge}) }}
			})
		}, 0, "bytes from the server, over the 32 MiB a scan's statements can answer", 2, true},
		{"LIMIT ignored", func() func(string) pgResult { return catalog(200000, []string{"email"}, email) }, 10, "listing tables: the server answered more than 10 rows to LIMIT 10", 0, true},
		{"a million columns", func() func(string) pgResult {
			million := make([]string, 1000000)
			for i := range million {
				million[i] = fmt.Sprint("c", i)
			}
			return catalog(1, million, email)
		}, 0, "more than 1600 columns, PostgreSQL's own limit", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			peak := scanBounded(t, hostilePG(t, tc.answer()), tc.max, tc.want, tc.tables)
			if tc.heap {
				require.Less(t, peak, uint64(128<<20))
			}
		})
	}
}

// TestHostileCatalogNames: table and column names are the server's to
// choose; they reach our SQL only quoted, never as SQL.
func TestHostileCatalogNames(t *testing.T) {
	var sampled atomic.Value
	evil := `a" FROM x; DROP TABLE y; --`
	dsn := hostilePG(t, func(q string) pgResult {
		if strings.HasPrefix(q, "SELECT left(") {
			sampled.Store(q)
		}
		return catalog(1, []string{evil, "ok\x00\n"}, func() pgResult {
			return pgResult{types: []uint32{25, 25}, rows: textRows([]string{"x", "y"})}
		})(q)
	})
	_, _, err := scanHostile(t, context.Background(), dsn, Options{StatementTimeout: 5 * time.Second})
	require.NoError(t, err)
	require.Equal(t, `SELECT left("a"" FROM x; DROP TABLE y; --"::text, 4096), left("ok`+"\n"+`"::text, 4096) FROM "public"."t0" LIMIT 1000`, sampled.Load())
}

// TestServerErrorsWithheld: a server's error message may quote the data
// (PostgreSQL's "invalid input syntax for type …: "value""); such a
// message never reaches a record: a data exception's is withheld, and so
// is any other in which the detectors find personal data.
func TestServerErrorsWithheld(t *testing.T) {
	for _, tc := range []struct{ name, code, msg, want string }{
		{"data exception", "22P02", `invalid input syntax for type integer: "Ann Smith"`, "ERROR: [a data error: the server's message is withheld, since it may quote a value] (SQLSTATE 22P02)"},
		{"personal data in another error", "XX000", "row for ann.smith@example.com (SSN 212-55-0001) is broken", "ERROR: [the server's message is withheld: it holds what looks like personal data (email, us_ssn)] (SQLSTATE XX000)"},
		{"a plain error", "42501", "permission denied for table t0", "ERROR: permission denied for table t0 (SQLSTATE 42501)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := hostilePG(t, catalog(1, []string{"email"}, func() pgResult { return pgResult{err: tc.msg, code: tc.code} }))
			res, recs, err := scanHostile(t, context.Background(), dsn, Options{StatementTimeout: 5 * time.Second})
			require.NoError(t, err)
			errs := strings.Join(res.Errors, "\n")
			require.Contains(t, errs, "public.t0: sampling: "+tc.want)
			for _, r := range recs {
				b, err := json.Marshal(r)
				require.NoError(t, err)
				for _, raw := range []string{"Ann Smith", "ann.smith@example.com", "212-55-0001"} {
					require.NotContains(t, string(b), raw)
				}
			}
		})
	}
}

// TestHostileCatalogLengths: table, column and role names longer than a
// record may hold (PostgreSQL's own limit is 63 bytes) are left out and
// counted: their records would be refused by the collector with the rest
// of their batch.
func TestHostileCatalogLengths(t *testing.T) {
	long := strings.Repeat("x", 5000)
	dsn := hostilePG(t, catalogRoles(2, []string{"email", long}, []string{"scanner", long}, func() pgResult {
		return pgResult{types: []uint32{25, 25}, rows: textRows([]string{"ann@example.com", "bob@example.com"})}
	}))
	res, recs, err := scanHostile(t, context.Background(), dsn, Options{StatementTimeout: 5 * time.Second})
	require.NoError(t, err, "every record valid")
	require.Equal(t, wire.StatusPartial, res.Status)
	errs := strings.Join(res.Errors, "\n")
	require.Contains(t, errs, "1 tables with a name longer than a record may hold: left out")
	require.Contains(t, errs, "public.t0: 1 columns with a name longer than a record may hold: not sampled")
	require.Contains(t, errs, "1 roles with a name longer than a record may hold: left out")
	var got []string
	for _, r := range recs {
		switch r.Kind {
		case wire.KindPII:
			got = append(got, r.Location[strings.LastIndex(r.Location, "/"):]+" "+r.Type)
		case wire.KindPrincipal:
			got = append(got, "role "+r.Name)
		}
	}
	require.Equal(t, []string{"/public.t0#email email", "role scanner"}, got)
}

// TestTLSDowngrade: a server (or anyone in the path) that refuses TLS and
// asks for the password in clear text gets nothing: a DSN without
// sslmode verifies TLS, and the downgradable modes (prefer, allow) are
// refused; only an explicit sslmode=disable goes without TLS.
func TestTLSDowngrade(t *testing.T) {
	var got atomic.Value
	addr := hostiletest.Listen(t, func(c net.Conn) { servePG(c, catalog(0, nil, nil), &got) })
	for _, tc := range []struct{ query, want string }{
		{"", "TLS"},
		{"?sslmode=prefer", "sslmode=prefer falls back to plain text"},
		{"?sslmode=allow", "sslmode=allow falls back to plain text"},
	} {
		t.Run("dsn"+tc.query, func(t *testing.T) {
			res, _, err := scanHostile(t, context.Background(), "postgres://scanner@"+addr+"/app"+tc.query, Options{Password: "s3cret-pw", StatementTimeout: 5 * time.Second})
			require.NoError(t, err)
			require.Equal(t, wire.StatusFailed, res.Status)
			require.Contains(t, strings.Join(res.Errors, "\n"), tc.want)
			require.Nil(t, got.Load(), "the password was sent in clear text")
		})
	}
	res, _, err := scanHostile(t, context.Background(), "postgres://scanner@"+addr+"/app?sslmode=disable", Options{Password: "s3cret-pw", StatementTimeout: 5 * time.Second})
	require.NoError(t, err)
	require.NotEqual(t, wire.StatusFailed, res.Status, "%v", res.Errors)
	require.Equal(t, "s3cret-pw", got.Load(), "asked for: disable is a choice")
}
