package dbscan

import (
	"context"
	"crypto/tls"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// The MySQL driver (go-sql-driver/mysql) trusts the server's framing: it
// joins packets of 16 MiB into one value without a bound, allocates the
// column count a result announces before reading a column, and panics
// on some malformed packets (a panic inside database/sql also leaves its
// locks held: the scan hangs). A hostile server could so take the agent's
// memory, abort it or hang it. myWire is what the scanner puts between
// the driver and the server:
//
//   - a guard connection (the driver's net.Conn) that reads the server's
//     packet framing in plain text and ends the connection, with the
//     reason, on a packet of 16 MiB or more (a scan's answers never need
//     one: values are cut, see myCut), a result of more columns than
//     MySQL allows, or a column definition over 4 KiB; and on a
//     statement's wait, whatever the driver is doing (its own context
//     watch does not cover the draining of unread rows at Close). To see
//     the framing under TLS the guard does the TLS itself (the driver is
//     given none): it sends the SSLRequest, verifies the server and
//     shifts the sequence numbers of the authentication by the one packet
//     the driver did not send;
//   - a driver wrapper (safeConnector) that turns a panic of the driver
//     into an error before database/sql sees it.
type myWire struct {
	tls  *tls.Config // nil: plain text
	wait time.Duration

	mu    sync.Mutex
	g     *myGuard // the current connection
	fail  error    // why the guard ended it
	timer *time.Timer
}

// Bounds of a server's answer.
const (
	// maxMyColumns is MySQL's own limit on a table's (and a result's)
	// columns.
	maxMyColumns = 4096
	// maxMyColumnDef bounds one column definition: six names of at most
	// 256 characters of up to 4 bytes are about 2 KiB.
	maxMyColumnDef = 4096
	// myMaxPayload is the protocol's packet payload: one this long is
	// continued by the next.
	myMaxPayload = 0xffffff
)

// MySQL commands the guard follows.
const (
	myComQuery       = 0x03
	myComStmtPrepare = 0x16
	myComStmtExecute = 0x17
)

// dial is the driver's DialFunc: a TCP connection behind a guard.
func (w *myWire) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	g := &myGuard{w: w, raw: raw, src: raw, tlsCfg: w.tls, hello: true}
	w.mu.Lock()
	w.g, w.fail = g, nil
	w.mu.Unlock()
	return g, nil
}

// kill ends the current connection with why, the first reason kept.
func (w *myWire) kill(why error) {
	w.mu.Lock()
	g := w.g
	if w.fail == nil {
		w.fail = why
	}
	w.mu.Unlock()
	if g != nil {
		g.raw.Close()
	}
}

// failure is why the guard ended the connection (nil: it did not).
func (w *myWire) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fail
}

// arm bounds a statement: when wait passes before the returned stop is
// called, the connection ends (any read or write under way fails).
func (w *myWire) arm() (stop func()) {
	t := time.AfterFunc(w.wait, func() {
		w.kill(fmt.Errorf("no answer within %s: the server stalls (its statement timeout did not end the statement)", w.wait))
	})
	return func() { t.Stop() }
}

// myGuard is one connection as the driver sees it; see myWire.
type myGuard struct {
	w      *myWire
	raw    net.Conn // TCP
	src    net.Conn // raw, or TLS over it
	tlsCfg *tls.Config

	hello bool // the server's handshake is still to come
	shift byte // packets the guard sent that the driver did not (TLS: the SSLRequest)
	auth  bool // TLS: in the authentication exchange (sequence numbers shifted)

	out  []byte // what the driver is to read next of the current packet's start
	left int    // payload bytes of the current packet still to pass through

	cmd   byte // the command under way (the first byte of the last seq-0 packet)
	first bool // the next packet is the first of the command's answer
	defs  int  // column (or parameter) definitions still to come
}

func (g *myGuard) failf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	g.w.kill(err)
	return err
}

// Read hands the driver the server's packets, checking each header.
func (g *myGuard) Read(p []byte) (int, error) {
	if len(g.out) == 0 && g.left == 0 {
		if err := g.next(); err != nil {
			return 0, err
		}
	}
	if len(g.out) > 0 {
		n := copy(p, g.out)
		g.out = g.out[n:]
		return n, nil
	}
	n, err := g.src.Read(p[:min(len(p), g.left)])
	g.left -= n
	return n, err
}

// next reads the next packet's header (and the start of its payload
// when it must be looked at) into g.out.
func (g *myGuard) next() error {
	var h [4]byte
	if _, err := io.ReadFull(g.src, h[:]); err != nil {
		return err
	}
	size := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	if size == myMaxPayload {
		return g.failf("a packet of 16 MiB or more from the server, which a scan's statements never need: not read (a hostile or broken server)")
	}
	look := 0 // bytes of the payload to read now
	switch {
	case g.hello || g.auth:
		look = size // small: a handshake, an authentication step
		if size > 64<<10 {
			return g.failf("a handshake packet of %d bytes from the server: not read", size)
		}
	case g.first:
		look = min(size, 9) // a column count, or a prepared statement's counts
	case g.defs > 0:
		g.defs--
		if size > maxMyColumnDef {
			return g.failf("a column definition of %d bytes from the server (MySQL's are under %d): not read", size, maxMyColumnDef)
		}
	}
	buf := make([]byte, 4+look)
	copy(buf, h[:])
	if _, err := io.ReadFull(g.src, buf[4:]); err != nil {
		return err
	}
	pay := buf[4:]
	switch {
	case g.hello:
		g.hello = false
		if g.tlsCfg != nil {
			// Capabilities (low half) follow the version, the
			// connection id and the scramble's first 8 bytes.
			i := 1
			for i < len(pay) && pay[i] != 0 {
				i++
			}
			i += 1 + 4 + 8 + 1
			if i+2 > len(pay) || binary.LittleEndian.Uint16(pay[i:])&0x800 == 0 {
				return g.failf("the server does not offer TLS (use tls=false to accept plain text)")
			}
		}
	case g.auth:
		buf[3] -= g.shift
		if len(pay) > 0 && (pay[0] == 0x00 || pay[0] == 0xff) { // OK or ERR: authentication is over
			g.auth = false
		}
	case g.first:
		g.first = false
		if err := g.answer(pay); err != nil {
			return err
		}
	}
	g.out, g.left = buf, size-look
	return nil
}

// answer checks the first packet of a command's answer.
func (g *myGuard) answer(pay []byte) error {
	if len(pay) == 0 {
		return nil
	}
	switch {
	case g.cmd == myComStmtPrepare && pay[0] == 0x00 && len(pay) >= 9:
		cols, params := int(binary.LittleEndian.Uint16(pay[5:])), int(binary.LittleEndian.Uint16(pay[7:]))
		if cols > maxMyColumns || params > maxMyColumns {
			return g.failf("a statement of %d columns and %d parameters from the server, over MySQL's own limit of %d: not read", cols, params, maxMyColumns)
		}
		g.defs = cols + params
	case g.cmd == myComQuery || g.cmd == myComStmtExecute:
		var n uint64
		switch c := pay[0]; {
		case c == 0x00 || c == 0xff || c == 0xfb: // OK, ERR, LOCAL INFILE
			return nil
		case c < 0xfb:
			n = uint64(c)
		case c == 0xfc && len(pay) >= 3:
			n = uint64(binary.LittleEndian.Uint16(pay[1:]))
		case c == 0xfd && len(pay) >= 4:
			n = uint64(pay[1]) | uint64(pay[2])<<8 | uint64(pay[3])<<16
		case c == 0xfe && len(pay) >= 9:
			n = binary.LittleEndian.Uint64(pay[1:])
		default:
			return g.failf("a malformed answer from the server (a column count of %d bytes): not read", len(pay))
		}
		if n > maxMyColumns {
			return g.failf("a result of %d columns from the server, over MySQL's own limit of %d: not read", n, maxMyColumns)
		}
		g.defs = int(n)
	}
	return nil
}

// Write passes the driver's packets on: a command starts an answer to
// follow; with TLS, the handshake response is preceded by the SSLRequest
// and TLS, and the authentication's sequence numbers are shifted.
func (g *myGuard) Write(b []byte) (int, error) {
	if len(b) < 5 {
		return g.src.Write(b)
	}
	if b[3] == 0 && !g.auth {
		g.cmd, g.first, g.defs = b[4], true, 0
	}
	if g.tlsCfg == nil {
		return g.src.Write(b)
	}
	if g.shift == 0 {
		// The handshake response: capabilities, max packet, charset and
		// 23 reserved bytes, then the user and what proves the password.
		if len(b) < 4+32 {
			return 0, g.failf("a handshake response of %d bytes: not sent", len(b))
		}
		resp := append([]byte(nil), b...)
		resp[5] |= 0x08 // CLIENT_SSL (0x800: the capabilities are little-endian)
		req := append([]byte{32, 0, 0, resp[3]}, resp[4:36]...)
		if _, err := g.raw.Write(req); err != nil {
			return 0, err
		}
		// The handshake in one statement's wait, whatever deadline the
		// driver set on its write.
		_ = g.raw.SetDeadline(time.Now().Add(g.w.wait))
		tc := tls.Client(g.raw, g.tlsCfg)
		if err := tc.Handshake(); err != nil {
			return 0, g.failf("TLS with the server: %w", err)
		}
		_ = g.raw.SetDeadline(time.Time{})
		g.src, g.shift, g.auth = tc, 1, true
		resp[3] += g.shift
		if _, err := g.src.Write(resp); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	if g.auth {
		b = append([]byte(nil), b...)
		b[3] += g.shift
	}
	return g.src.Write(b)
}

func (g *myGuard) Close() error                       { return g.src.Close() }
func (g *myGuard) LocalAddr() net.Addr                { return g.raw.LocalAddr() }
func (g *myGuard) RemoteAddr() net.Addr               { return g.raw.RemoteAddr() }
func (g *myGuard) SetDeadline(t time.Time) error      { return g.raw.SetDeadline(t) }
func (g *myGuard) SetReadDeadline(t time.Time) error  { return g.raw.SetReadDeadline(t) }
func (g *myGuard) SetWriteDeadline(t time.Time) error { return g.raw.SetWriteDeadline(t) }

// safe turns a panic of the driver into an error (errMalformed, with
// what the driver said) and ends the connection: database/sql does not
// release its locks on a panic, and the agent would abort or hang.
func (w *myWire) safe(err *error) {
	if r := recover(); r != nil {
		e := fmt.Errorf("%w (the MySQL driver failed on it: %v): not read", errMalformed, r)
		w.kill(e)
		*err = e
	}
}

// errMalformed says the driver failed (panicked) on the server's answer.
var errMalformed = errors.New("a malformed answer from the server")

// safeConnector is the driver's connector whose connections, statements,
// rows and transactions recover from the driver's panics (myWire.safe).
type safeConnector struct {
	driver.Connector
	w *myWire
}

func (s safeConnector) Connect(ctx context.Context) (c driver.Conn, err error) {
	defer s.w.safe(&err)
	c, err = s.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &safeConn{c: c, w: s.w}, nil
}

type safeConn struct {
	c driver.Conn
	w *myWire
}

var (
	_ driver.ConnPrepareContext = (*safeConn)(nil)
	_ driver.ConnBeginTx        = (*safeConn)(nil)
	_ driver.QueryerContext     = (*safeConn)(nil)
	_ driver.ExecerContext      = (*safeConn)(nil)
	_ driver.Pinger             = (*safeConn)(nil)
	_ driver.NamedValueChecker  = (*safeConn)(nil)
	_ driver.SessionResetter    = (*safeConn)(nil)
	_ driver.Validator          = (*safeConn)(nil)
)

func (s *safeConn) Prepare(q string) (driver.Stmt, error) {
	return s.PrepareContext(context.Background(), q)
}

func (s *safeConn) PrepareContext(ctx context.Context, q string) (st driver.Stmt, err error) {
	defer s.w.safe(&err)
	st, err = s.c.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &safeStmt{s: st, w: s.w}, nil
}

func (s *safeConn) Close() (err error) {
	defer s.w.safe(&err)
	return s.c.Close()
}

func (s *safeConn) Begin() (driver.Tx, error) { //nolint:staticcheck // the interface's
	return s.BeginTx(context.Background(), driver.TxOptions{})
}

func (s *safeConn) BeginTx(ctx context.Context, o driver.TxOptions) (tx driver.Tx, err error) {
	defer s.w.safe(&err)
	tx, err = s.c.(driver.ConnBeginTx).BeginTx(ctx, o)
	if err != nil {
		return nil, err
	}
	return safeTx{tx: tx, w: s.w}, nil
}

func (s *safeConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (r driver.Rows, err error) {
	defer s.w.safe(&err)
	r, err = s.c.(driver.QueryerContext).QueryContext(ctx, q, args)
	if err != nil {
		return nil, err
	}
	return &safeRows{r: r, w: s.w}, nil
}

func (s *safeConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (r driver.Result, err error) {
	defer s.w.safe(&err)
	return s.c.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (s *safeConn) Ping(ctx context.Context) (err error) {
	defer s.w.safe(&err)
	return s.c.(driver.Pinger).Ping(ctx)
}

func (s *safeConn) CheckNamedValue(v *driver.NamedValue) error {
	return s.c.(driver.NamedValueChecker).CheckNamedValue(v)
}

func (s *safeConn) ResetSession(ctx context.Context) (err error) {
	defer s.w.safe(&err)
	if s.w.failure() != nil {
		return driver.ErrBadConn
	}
	return s.c.(driver.SessionResetter).ResetSession(ctx)
}

func (s *safeConn) IsValid() bool {
	return s.w.failure() == nil && s.c.(driver.Validator).IsValid()
}

type safeStmt struct {
	s driver.Stmt
	w *myWire
}

var (
	_ driver.StmtQueryContext  = (*safeStmt)(nil)
	_ driver.StmtExecContext   = (*safeStmt)(nil)
	_ driver.NamedValueChecker = (*safeStmt)(nil)
)

func (s *safeStmt) Close() (err error) {
	defer s.w.safe(&err)
	return s.s.Close()
}

func (s *safeStmt) NumInput() int { return s.s.NumInput() }

func (s *safeStmt) Exec(args []driver.Value) (driver.Result, error) { //nolint:staticcheck // the interface's
	return nil, errors.New("db scan: Stmt.Exec without a context")
}

func (s *safeStmt) Query(args []driver.Value) (driver.Rows, error) { //nolint:staticcheck // the interface's
	return nil, errors.New("db scan: Stmt.Query without a context")
}

func (s *safeStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (r driver.Result, err error) {
	defer s.w.safe(&err)
	return s.s.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *safeStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (r driver.Rows, err error) {
	defer s.w.safe(&err)
	r, err = s.s.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	return &safeRows{r: r, w: s.w}, nil
}

func (s *safeStmt) CheckNamedValue(v *driver.NamedValue) error {
	return s.s.(driver.NamedValueChecker).CheckNamedValue(v)
}

type safeRows struct {
	r driver.Rows
	w *myWire
}

func (s *safeRows) Columns() []string { return s.r.Columns() }

func (s *safeRows) Close() (err error) {
	defer s.w.safe(&err)
	return s.r.Close()
}

func (s *safeRows) Next(dest []driver.Value) (err error) {
	defer s.w.safe(&err)
	return s.r.Next(dest)
}

type safeTx struct {
	tx driver.Tx
	w  *myWire
}

func (s safeTx) Commit() (err error) {
	defer s.w.safe(&err)
	return s.tx.Commit()
}

func (s safeTx) Rollback() (err error) {
	defer s.w.safe(&err)
	return s.tx.Rollback()
}
