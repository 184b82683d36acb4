package dbscan

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/hostiletest"
	"github.com/sightline-dev/sightline/internal/syncbuf"
	"github.com/sightline-dev/sightline/internal/wire"
)

// trickle is a MySQL server that announces a handshake packet of 1,000
// bytes and then sends one byte every 100 ms, never finishing it: each
// read gets a byte before any read timeout.
func trickle(t *testing.T) string {
	addr := hostiletest.Listen(t, func(c net.Conn) {
		defer c.Close()
		if _, err := c.Write([]byte{0xe8, 0x03, 0x00, 0x00, 10}); err != nil { // length 1000, sequence 0, protocol 10
			return
		}
		for {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte("5")); err != nil {
				return
			}
		}
	})
	return "mysql://scanner@" + addr + "/app?tls=false"
}

// TestHostileHandshake: a server that never answers the handshake, or
// trickles it a byte at a time (a read timeout alone never fires on
// that), fails the scan within the statement timeout's bound, with the
// reason.
func TestHostileHandshake(t *testing.T) {
	for _, tc := range []struct{ name, dsn, want string }{
		{"mysql trickles", trickle(t), "no answer within 500ms"},
		{"mysql silent", "mysql://scanner@" + hostiletest.Silent(t) + "/app?tls=false", "connecting to MySQL at"}, // the handshake bound or the read timeout, whichever first
		{"postgres silent", "postgres://scanner@" + hostiletest.Silent(t) + "/app?sslmode=disable", "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second) // a safety net only
			defer cancel()
			res, _, err := scanHostile(t, ctx, tc.dsn, Options{StatementTimeout: 500 * time.Millisecond})
			require.NoError(t, err)
			require.Equal(t, wire.StatusFailed, res.Status)
			require.Contains(t, strings.Join(res.Errors, "\n"), tc.want)
		})
	}
}

// myCatalog answers a MySQL scan's statements on the fake server: the
// session settings and transactions with OK, the table listing with n
// tables (whatever LIMIT says) of database app, each with the columns
// cols, and the sampling statement with sample; anything else (accounts,
// grants) is refused.
func myCatalog(n int, cols []string, sample func(c *hostiletest.MySQLConn)) func(*hostiletest.MySQLConn, string) {
	return func(c *hostiletest.MySQLConn, q string) {
		switch {
		case strings.HasPrefix(q, "SET "), strings.HasPrefix(q, "START TRANSACTION"), q == "ROLLBACK", q == "COMMIT":
			c.OK()
		case strings.Contains(q, "FROM information_schema.TABLES"):
			c.Result([]string{"TABLE_SCHEMA", "TABLE_NAME", "TABLE_ROWS", "SIZE", "UPDATE_TIME", "AUTO_INCREMENT"}, func(yield func([][]byte) bool) {
				for i := range n {
					if !yield([][]byte{[]byte("app"), []byte(fmt.Sprint("t", i)), []byte("10"), []byte("8192"), []byte(""), []byte("0")}) {
						return
					}
				}
			})
		case strings.Contains(q, "FROM information_schema.COLUMNS"):
			c.Result([]string{"COLUMN_NAME", "DATA_TYPE", "COLUMN_TYPE", "COLUMN_KEY"}, func(yield func([][]byte) bool) {
				for _, name := range cols {
					if !yield([][]byte{[]byte(name), []byte("text"), []byte("text"), []byte("")}) {
						return
					}
				}
			})
		case strings.HasPrefix(q, "SELECT LEFT("):
			sample(c)
		default:
			c.Error(1142, "42000", "SELECT command denied to user 'scanner'@'localhost'")
		}
	}
}

// myEmail answers a sample with one row holding an email.
func myEmail(c *hostiletest.MySQLConn) {
	c.Result([]string{"email"}, textRows([]string{"ann@example.com"}))
}

// TestHostileMySQLFake checks the fake itself: a scan of one table whose
// sample holds an email finds it.
func TestHostileMySQLFake(t *testing.T) {
	addr := hostiletest.MySQL(t, myCatalog(1, []string{"email"}, myEmail))
	res, recs, err := scanHostile(t, context.Background(), "mysql://scanner@"+addr+"/app?tls=false", Options{StatementTimeout: 5 * time.Second})
	require.NoError(t, err)
	require.Equal(t, wire.StatusPartial, res.Status, "%v", res.Errors) // accounts and grants denied
	require.Contains(t, strings.Join(res.Errors, "\n"), "reading mysql.user")
	var found []string
	for _, r := range recs {
		if r.Kind == wire.KindPII {
			found = append(found, r.Location+" "+r.Type)
		}
	}
	require.Equal(t, []string{"mysql://" + addr + "/app.t0#email email"}, found)
}

// myRows answers a sample with rows rows of one value each; -1: without
// end (until the client goes away).
func myRows(rows int) func(c *hostiletest.MySQLConn) {
	return func(c *hostiletest.MySQLConn) {
		c.Count(1)
		c.Column("email")
		c.EOF()
		for i := 0; (rows < 0 || i < rows) && c.Err() == nil; i++ {
			c.Row([][]byte{[]byte("ann@example.com")})
		}
		c.EOF()
	}
}

// myColumnDef is a column definition packet whose name is name.
func myColumnDef(name []byte) []byte {
	p := []byte{}
	for _, s := range []string{"def", "app", "t", "t"} {
		p = append(append(p, byte(len(s))), s...)
	}
	p = append(p, name...)
	return append(p, 0, 0x0c, 255, 0, 0, 0, 1, 0, 0xfd, 0, 0, 0, 0, 0)
}

// TestHostileMySQL: a MySQL server whose answers are hostile (a value of
// hundreds of MiB in packets of 16 MiB, rows or tables without end, a
// million columns, a result announcing more columns than memory holds,
// malformed column definitions, a stall or a trickle mid-result) ends
// what it broke with a clear reason, bounded in time and memory, and the
// scan reports what it read.
func TestHostileMySQL(t *testing.T) {
	const big = 256 << 20 // sent from a 64 KiB chunk: the test's heap is the client's
	sampled := func(sample func(c *hostiletest.MySQLConn)) func() func(*hostiletest.MySQLConn, string) {
		return func() func(*hostiletest.MySQLConn, string) { return myCatalog(2, []string{"email"}, sample) }
	}
	for _, tc := range []struct {
		name   string
		answer func() func(*hostiletest.MySQLConn, string) // made in the subtest: its memory is its own
		max    int
		want   string
		tables int // table assets reported
	}{
		{"a value of hundreds of MiB", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(1)
			c.Column("email")
			c.EOF()
			c.BigRow(big)
			c.EOF()
		}), 0, "a packet of 16 MiB or more from the server", 2},
		{"rows without end", sampled(myRows(-1)), 0, "the server answered more than 1000 rows to LIMIT 1000", 2},
		{"tables without end", func() func(*hostiletest.MySQLConn, string) { return myCatalog(1<<30, []string{"email"}, myEmail) },
			10, "listing tables: the server answered more than 10 rows to LIMIT 10", 0},
		{"a million columns", func() func(*hostiletest.MySQLConn, string) {
			million := make([]string, 1000000)
			for i := range million {
				million[i] = fmt.Sprint("c", i)
			}
			return myCatalog(1, million, myEmail)
		}, 0, "more than 4096 columns, MySQL's own limit", 1},
		{"a result of 2^24 columns, defined without end", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(1 << 24)
			for c.Err() == nil {
				c.Column("c")
			}
		}), 0, "a result of 16777216 columns from the server, over MySQL's own limit of 4096", 2},
		{"a result of 2^62 columns", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(1 << 62)
			c.Stall()
		}), 0, "a result of 4611686018427387904 columns from the server", 2},
		{"column definitions of 64 KiB names", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(4000)
			name := hostiletest.AppendLenEnc(nil, 64<<10)
			name = append(name, strings.Repeat("n", 64<<10)...)
			for range 4000 {
				c.Packet(myColumnDef(name))
			}
			c.EOF()
			c.EOF()
		}), 0, "a column definition of 65566 bytes from the server", 2},
		{"a column name of 2^63 bytes", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(1)
			c.Packet(myColumnDef(hostiletest.AppendLenEnc(nil, 1<<63)))
			c.EOF()
			c.EOF()
		}), 0, "a malformed answer from the server", 2},
		{"a column definition of 4 bytes", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(1)
			c.Packet([]byte("\x03def"))
			c.EOF()
			c.EOF()
		}), 0, "a malformed answer from the server", 2},
		{"a value of 2^63 bytes", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(1)
			c.Column("email")
			c.EOF()
			c.Packet(hostiletest.AppendLenEnc([]byte{0, 0}, 1<<63)) // a binary row
			c.EOF()
		}), 0, "a malformed answer from the server", 2},
		{"more columns than asked", sampled(func(c *hostiletest.MySQLConn) {
			c.Result([]string{"email", "more"}, textRows([]string{"ann@example.com", "x"}))
		}), 0, "the server answered 2 columns to a select of 1", 2},
		{"stalls mid-result", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(1)
			c.Column("email")
			c.EOF()
			c.Row([][]byte{[]byte("ann@example.com")})
			c.Stall()
		}), 0, "sampling: no answer within 1.5s", 2},
		{"trickles a row", sampled(func(c *hostiletest.MySQLConn) {
			c.Count(1)
			c.Column("email")
			c.EOF()
			c.Trickle(1000)
		}), 0, "sampling: no answer within 1.5s", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := hostiletest.MySQL(t, tc.answer())
			peak := scanBounded(t, "mysql://scanner@"+addr+"/app?tls=false", tc.max, tc.want, tc.tables)
			require.Less(t, peak, uint64(128<<20), "bounded (GC lag included), not the 300 MiB of names sent")
		})
	}
}

// TestHostileMySQLTLS: the guard does the TLS itself, to see the framing
// under it: a scan over TLS verifies the server's certificate against
// ca_file and finds what a plain one finds; a certificate of another CA,
// or a server that offers no TLS, fails the scan with the reason; and a
// hostile answer under TLS is refused as in plain text.
func TestHostileMySQLTLS(t *testing.T) {
	cfg, ca := hostiletest.Cert(t)
	_, other := hostiletest.Cert(t)
	good := hostiletest.MySQLTLS(t, cfg, myCatalog(1, []string{"email"}, myEmail))
	for _, tc := range []struct {
		name, addr, ca, status, want string
	}{
		{"verified", good, ca, wire.StatusPartial, "reading mysql.user"}, // accounts and grants denied, as in plain text
		{"another CA", good, other, wire.StatusFailed, "TLS with the server: tls: failed to verify certificate"},
		{"no TLS offered", hostiletest.MySQL(t, myCatalog(1, []string{"email"}, myEmail)), ca, wire.StatusFailed, "the server does not offer TLS"},
		{"hostile under TLS", hostiletest.MySQLTLS(t, cfg, myCatalog(1, []string{"email"}, func(c *hostiletest.MySQLConn) {
			c.Count(1 << 62)
			c.Stall()
		})), ca, wire.StatusPartial, "app.t0: sampling: a result of 4611686018427387904 columns from the server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second) // a safety net only
			defer cancel()
			res, recs, err := scanHostile(t, ctx, "mysql://scanner@"+tc.addr+"/app", Options{StatementTimeout: time.Second, CAFile: tc.ca})
			require.NoError(t, err)
			t.Logf("status %s, errors %q", res.Status, res.Errors)
			require.Equal(t, tc.status, res.Status, "%v", res.Errors)
			require.Contains(t, strings.Join(res.Errors, "\n"), tc.want)
			var found []string
			for _, r := range recs {
				if r.Kind == wire.KindPII {
					found = append(found, r.Location+" "+r.Type)
				}
			}
			if tc.name == "verified" {
				require.Equal(t, []string{"mysql://" + tc.addr + "/app.t0#email email"}, found)
			} else {
				require.Empty(t, found)
			}
		})
	}
}

// TestMySQLCatalogNamesBounded: the catalog's names are the server's to
// choose, up to what the guard lets through (16 MiB a value). Names no
// record may hold are not kept, only counted (300 tables with names of
// 1 MiB held 300 MiB before), and the names kept are bounded by
// MaxCatalogBytes: past it the rest of the tables are reported without
// their columns, unsampled, with the reason.
func TestMySQLCatalogNamesBounded(t *testing.T) {
	long := strings.Repeat("n", 1<<20)
	wide := make([]string, 3000)
	for i := range wide {
		wide[i] = fmt.Sprintf("%04d%s", i, strings.Repeat("c", 4000))
	}
	for _, tc := range []struct {
		name     string
		tables   func(i int) string
		n        int
		cols     []string
		maxBytes int64
		status   string
		want     string
		assets   int
	}{
		{"table names of 1 MiB", func(i int) string {
			if i == 0 {
				return "t0"
			}
			return fmt.Sprint(long, i)
		}, 301, []string{"email"}, 0, wire.StatusPartial, "300 tables with a name longer than a record may hold: left out", 1},
		{"column names past the budget", func(i int) string { return fmt.Sprint("t", i) }, 2, wide, 1 << 20, wire.StatusPartial,
			"app.t0: columns not read: the names of the catalog's tables and columns passed max catalog bytes", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := myCatalog(1, tc.cols, myEmail)
			addr := hostiletest.MySQL(t, func(c *hostiletest.MySQLConn, q string) {
				if !strings.Contains(q, "FROM information_schema.TABLES") {
					base(c, q)
					return
				}
				c.Result([]string{"TABLE_SCHEMA", "TABLE_NAME", "TABLE_ROWS", "SIZE", "UPDATE_TIME", "AUTO_INCREMENT"}, func(yield func([][]byte) bool) {
					for i := range tc.n {
						if !yield([][]byte{[]byte("app"), []byte(tc.tables(i)), []byte("10"), []byte("8192"), []byte(""), []byte("0")}) {
							return
						}
					}
				})
			})
			// A safety net; the statement timeout is a hang bound too: 300
			// MiB of names under -race on a loaded CI took over 15 s.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			var res *wire.Record
			var recs []wire.Record
			var err error
			peak := hostiletest.PeakHeap(func() {
				res, recs, err = scanHostile(t, ctx, "mysql://scanner@"+addr+"/app?tls=false",
					Options{StatementTimeout: time.Minute, MaxCatalogBytes: tc.maxBytes})
			})
			peak -= min(peak, ms.HeapAlloc)
			t.Logf("peak heap %d MiB over the test's own", peak>>20)
			if tc.status == wire.StatusFailed {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			t.Logf("status %s, errors %q", res.Status, res.Errors)
			require.Equal(t, tc.status, res.Status, "%v", res.Errors)
			require.Contains(t, strings.Join(res.Errors, "\n"), tc.want)
			n := 0
			for _, r := range recs {
				if r.Kind == wire.KindAsset {
					n++
				}
			}
			require.Equal(t, tc.assets, n)
			require.Less(t, peak, uint64(128<<20), "bounded (GC lag included), not the 300 MiB of names sent")
		})
	}
}

// The MySQL driver's own log lines (here: the packet the guard refused)
// go to the scan's logger, not to stderr in the driver's format.
func TestMySQLDriverLogsToTheScanLogger(t *testing.T) {
	addr := hostiletest.MySQL(t, myCatalog(1, []string{"email"}, func(c *hostiletest.MySQLConn) {
		c.Count(1)
		c.Column("email")
		c.EOF()
		c.BigRow(20 << 20)
		c.EOF()
	}))
	var buf syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res, _, err := scanHostile(t, context.Background(), "mysql://scanner@"+addr+"/app?tls=false", Options{StatementTimeout: 5 * time.Second, Logger: log})
	require.NoError(t, err)
	require.Contains(t, strings.Join(res.Errors, "\n"), "a packet of 16 MiB or more")
	require.Contains(t, buf.String(), `msg="mysql driver"`)
	require.Contains(t, buf.String(), "a packet of 16 MiB or more from the server")
}
