package hostiletest

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// A fake MySQL server: enough of the client/server protocol
// (https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html)
// to take go-sql-driver/mysql through its handshake and statements, so a
// test can answer each statement as it likes, well-formed or hostile.
//
// It speaks the 4.1 protocol (with TLS when given a certificate, see
// MySQLTLS), without compression and with
// EOF packets (it does not offer CLIENT_DEPRECATE_EOF); it offers
// mysql_native_password and accepts whatever the client answers. Every
// column it describes is a VAR_STRING, which the driver hands over as
// bytes, text or binary protocol alike.

// Commands the fake serves (the first byte of a client packet).
const (
	comQuit        = 0x01
	comInitDB      = 0x02
	comQuery       = 0x03
	comPing        = 0x0e
	comStmtPrepare = 0x16
	comStmtExecute = 0x17
	comStmtClose   = 0x19
	comStmtReset   = 0x1a
)

// maxPayload is the largest payload of one packet; a longer one goes as
// packets of this size and a last shorter (maybe empty) one.
const maxPayload = 0xffffff

// MySQLConn is one client connection to the fake, as an answer sees it.
type MySQLConn struct {
	c      net.Conn
	w      *bufio.Writer
	seq    byte
	binary bool // the statement is a prepared one: rows in the binary protocol
	err    error
}

// MySQL serves the fake MySQL protocol on a local listener until the test
// ends and returns HOST:PORT. Each statement (COM_QUERY, or the SQL of a
// prepared statement at COM_STMT_EXECUTE) is answered by answer, which
// writes a result set, an OK or an error with c's methods; one that
// writes nothing leaves the client waiting. COM_STMT_PREPARE is answered
// by the fake: no column described, one parameter per '?'.
func MySQL(t testing.TB, answer func(c *MySQLConn, sql string)) string {
	return MySQLTLS(t, nil, answer)
}

// MySQLTLS is MySQL offering TLS with cfg (nil: no TLS): a client that
// asks for it (an SSLRequest) gets it, one that does not goes on in
// plain text.
func MySQLTLS(t testing.TB, cfg *tls.Config, answer func(c *MySQLConn, sql string)) string {
	return Listen(t, func(nc net.Conn) {
		defer nc.Close()
		c := &MySQLConn{c: nc, w: bufio.NewWriterSize(nc, 64<<10)}
		c.serve(cfg, answer)
	})
}

func (c *MySQLConn) serve(cfg *tls.Config, answer func(c *MySQLConn, sql string)) {
	r := bufio.NewReader(c.c)
	// HandshakeV10: protocol 10, version, connection id, the scramble in
	// two parts, capabilities (LONG_PASSWORD, LONG_FLAG, CONNECT_WITH_DB,
	// PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION, PLUGIN_AUTH,
	// PLUGIN_AUTH_LENENC_CLIENT_DATA), utf8mb4, autocommit.
	caps := uint32(0x1 | 0x4 | 0x8 | 0x200 | 0x2000 | 0x8000 | 0x80000 | 0x200000)
	if cfg != nil {
		caps |= 0x800 // SSL
	}
	hs := []byte{10}
	hs = append(hs, "8.0.0-hostile\x00"...)
	hs = binary.LittleEndian.AppendUint32(hs, 1)
	hs = append(hs, "abcdefgh\x00"...)
	hs = binary.LittleEndian.AppendUint16(hs, uint16(caps))
	hs = append(hs, 255, 2, 0)
	hs = binary.LittleEndian.AppendUint16(hs, uint16(caps>>16))
	hs = append(hs, 21)
	hs = append(hs, make([]byte, 10)...)
	hs = append(hs, "ijklmnopqrst\x00"...)
	hs = append(hs, "mysql_native_password\x00"...)
	c.seq = 0
	c.Packet(hs)
	c.flush()
	p, err := c.read(r) // the handshake response, whatever it says
	if err != nil {
		return
	}
	if cfg != nil && len(p) == 32 && p[1]&0x08 != 0 {
		// An SSLRequest: TLS, then the handshake response in it.
		tc := tls.Server(bufConn{c.c, r}, cfg) // r may hold the ClientHello already
		if tc.Handshake() != nil {
			return
		}
		c.c, c.w, r = tc, bufio.NewWriterSize(tc, 64<<10), bufio.NewReader(tc)
		if _, err := c.read(r); err != nil {
			return
		}
	}
	c.OK()
	if c.flush() != nil {
		return
	}
	stmts := map[uint32]string{}
	for {
		p, err := c.read(r)
		if err != nil || len(p) == 0 {
			return
		}
		c.binary = false
		switch p[0] {
		case comQuit:
			return
		case comQuery:
			answer(c, string(p[1:]))
		case comStmtPrepare:
			id := uint32(len(stmts) + 1)
			stmts[id] = string(p[1:])
			params := strings.Count(string(p[1:]), "?")
			ok := []byte{0}
			ok = binary.LittleEndian.AppendUint32(ok, id)
			ok = binary.LittleEndian.AppendUint16(ok, 0) // columns: told at execution
			ok = binary.LittleEndian.AppendUint16(ok, uint16(params))
			ok = append(ok, 0, 0, 0)
			c.Packet(ok)
			if params > 0 {
				for range params {
					c.Column("?")
				}
				c.EOF()
			}
		case comStmtExecute:
			if len(p) < 5 {
				return
			}
			c.binary = true
			answer(c, stmts[binary.LittleEndian.Uint32(p[1:5])])
		case comStmtClose:
			continue // no answer
		case comInitDB, comPing, comStmtReset:
			c.OK()
		default:
			c.Error(1047, "08S01", "unknown command")
		}
		if c.flush() != nil {
			return
		}
	}
}

// read reads one client packet (the fake's clients send small ones) and
// sets the sequence of the answer.
func (c *MySQLConn) read(r *bufio.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	p := make([]byte, int(h[0])|int(h[1])<<8|int(h[2])<<16)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, err
	}
	c.seq = h[3] + 1
	return p, nil
}

func (c *MySQLConn) flush() error {
	if c.err == nil {
		c.err = c.w.Flush()
	}
	return c.err
}

// Err is the first error writing to the client (it went away): an
// answer that sends without end stops on it.
func (c *MySQLConn) Err() error { return c.err }

// header writes a packet header for a payload of n bytes.
func (c *MySQLConn) header(n int) {
	if c.err != nil {
		return
	}
	_, c.err = c.w.Write([]byte{byte(n), byte(n >> 8), byte(n >> 16), c.seq})
	c.seq++
}

func (c *MySQLConn) write(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}

// Packet writes payload as one logical packet: packets of 0xffffff
// bytes and a last shorter one, as the protocol splits a long payload.
func (c *MySQLConn) Packet(payload []byte) {
	for {
		n := min(len(payload), maxPayload)
		c.header(n)
		c.write(payload[:n])
		payload = payload[n:]
		if n < maxPayload {
			return
		}
	}
}

// OK writes an OK packet (no rows affected, autocommit).
func (c *MySQLConn) OK() { c.Packet([]byte{0, 0, 0, 2, 0, 0, 0}) }

// EOF writes an EOF packet: the end of the column definitions or rows.
func (c *MySQLConn) EOF() { c.Packet([]byte{0xfe, 0, 0, 2, 0}) }

// Error writes an ERR packet.
func (c *MySQLConn) Error(code uint16, state, msg string) {
	p := binary.LittleEndian.AppendUint16([]byte{0xff}, code)
	p = append(p, '#')
	p = append(p, state...)
	c.Packet(append(p, msg...))
}

// Count writes the first packet of a result set: its number of columns
// (any number: the fake does not check that the definitions follow).
func (c *MySQLConn) Count(n uint64) { c.Packet(AppendLenEnc(nil, n)) }

// Column writes the definition of a VAR_STRING column named name.
func (c *MySQLConn) Column(name string) {
	p := []byte{}
	for _, s := range []string{"def", "app", "t", "t", name, name} {
		p = AppendLenEnc(p, uint64(len(s)))
		p = append(p, s...)
	}
	p = append(p, 0x0c, 255, 0)                     // fixed fields follow; utf8mb4
	p = binary.LittleEndian.AppendUint32(p, 4096*4) // column length
	p = append(p, 0xfd, 0, 0, 0, 0, 0)              // VAR_STRING, flags, decimals, filler
	c.Packet(p)
}

// Row writes a row of values (nil: NULL) in the protocol of the
// statement: text for COM_QUERY, binary for a prepared statement.
func (c *MySQLConn) Row(vals [][]byte) {
	var p []byte
	if c.binary {
		// 0x00, then a NULL bitmap whose first two bits are unused.
		p = make([]byte, 1+(len(vals)+7+2)/8)
		for i, v := range vals {
			if v == nil {
				p[1+(i+2)/8] |= 1 << ((i + 2) % 8)
			}
		}
	}
	for _, v := range vals {
		switch {
		case v != nil:
			p = AppendLenEnc(p, uint64(len(v)))
			p = append(p, v...)
		case !c.binary:
			p = append(p, 0xfb)
		}
	}
	c.Packet(p)
}

// BigRow writes a row of one value of n bytes ('x'), as the protocol
// splits it into packets of 0xffffff bytes, without holding it in
// memory: a test's heap stays the client's.
func (c *MySQLConn) BigRow(n int) {
	var pre []byte
	if c.binary {
		pre = []byte{0, 0}
	}
	pre = AppendLenEnc(pre, uint64(n))
	chunk := []byte(strings.Repeat("x", 64<<10))
	total := len(pre) + n
	for first := true; ; first = false {
		size := min(total, maxPayload)
		c.header(size)
		body := size
		if first {
			c.write(pre)
			body -= len(pre)
		}
		for body > 0 {
			k := min(body, len(chunk))
			c.write(chunk[:k])
			body -= k
		}
		total -= size
		if c.err != nil || size < maxPayload {
			return
		}
	}
}

// Result writes a well-formed result set: the columns named cols, then
// the rows rows yields (stopping when the client goes away), then EOF.
func (c *MySQLConn) Result(cols []string, rows func(yield func([][]byte) bool)) {
	c.Count(uint64(len(cols)))
	for _, n := range cols {
		c.Column(n)
	}
	c.EOF()
	if rows != nil {
		rows(func(r [][]byte) bool {
			c.Row(r)
			return c.err == nil
		})
	}
	c.EOF()
}

// Flush sends what was written; false: the client went away.
func (c *MySQLConn) Flush() bool { return c.flush() == nil }

// Stall flushes what was written and then reads what the client sends,
// answering nothing, until it goes away.
func (c *MySQLConn) Stall() {
	if c.flush() != nil {
		return
	}
	_, _ = io.Copy(io.Discard, c.c)
	c.err = io.EOF
}

// AppendLenEnc appends n as a length-encoded integer.
func AppendLenEnc(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xfe), n)
}

// Trickle announces a packet of n bytes and then sends one byte of it
// every 100 ms, never finishing it, until the client goes away: each
// read gets a byte before any read timeout.
func (c *MySQLConn) Trickle(n int) {
	c.header(n)
	for c.flush() == nil {
		time.Sleep(100 * time.Millisecond)
		c.write([]byte("x"))
	}
}

// bufConn is a connection whose reads go through a reader of it.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }
