package dbscan

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// bytesConn is a connection that reads the bytes it holds and takes
// whatever is written.
type bytesConn struct {
	net.Conn
	r *bytes.Reader
}

func (b bytesConn) Read(p []byte) (int, error)       { return b.r.Read(p) }
func (b bytesConn) Write(p []byte) (int, error)      { return len(p), nil }
func (b bytesConn) Close() error                     { return nil }
func (b bytesConn) SetDeadline(time.Time) error      { return nil }
func (b bytesConn) SetReadDeadline(time.Time) error  { return nil }
func (b bytesConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzMyGuard: whatever a server sends, the guard reads it without
// panicking, hands the driver no more than it read, and never passes on
// a packet of 16 MiB or a column count over MySQL's limit.
func FuzzMyGuard(f *testing.F) {
	f.Add([]byte("\x05\x00\x00\x01\x0a8.0\x00"), byte(myComQuery), false)
	f.Add([]byte("\x01\x00\x00\x01\x02\x05\x00\x00\x02\x03def\x00\x00"), byte(myComQuery), false)
	f.Add([]byte("\x09\x00\x00\x01\xfe\x00\x00\x00\x00\x00\x00\x00\x40"), byte(myComStmtExecute), false)
	f.Add([]byte("\x0c\x00\x00\x01\x00\x01\x00\x00\x00\xff\xff\x02\x00\x00\x00\x00"), byte(myComStmtPrepare), false)
	f.Add([]byte("\xff\xff\xff\x01x"), byte(myComQuery), false)
	f.Add([]byte("\x20\x00\x00\x00\x0a5.7.0\x00\x01\x00\x00\x00abcdefgh\x00\xff\xf7"), byte(0), true)
	f.Fuzz(func(t *testing.T, data []byte, cmd byte, withTLS bool) {
		c := bytesConn{r: bytes.NewReader(data)}
		w := &myWire{wait: time.Second}
		if withTLS {
			w.tls = &tls.Config{}
		}
		g := &myGuard{w: w, raw: c, src: c, tlsCfg: w.tls, hello: withTLS}
		w.g = g
		if !withTLS {
			_, err := g.Write([]byte{1, 0, 0, 0, cmd})
			require.NoError(t, err)
		}
		out, err := io.ReadAll(g)
		require.LessOrEqual(t, len(out), len(data))
		if w.failure() == nil {
			require.True(t, err == nil || err == io.ErrUnexpectedEOF || err == io.EOF, "%v", err)
			// Every header passed on is below 16 MiB.
			for p := out; len(p) >= 4; {
				n := int(p[0]) | int(p[1])<<8 | int(p[2])<<16
				require.Less(t, n, myMaxPayload)
				if len(p) < 4+n {
					break
				}
				p = p[4+n:]
			}
		}
	})
}

// TestMyCut: a sampled row of the widest table still fits one packet
// (the guard refuses longer ones), and a table InnoDB allows (up to
// 1,017 columns) keeps the full 4,096-character cut.
func TestMyCut(t *testing.T) {
	for _, n := range []int{1, 100, 1017, 1018, 4096} {
		cut := myCut(n)
		row := 1 + (n+9)/8 + n*(4+4*cut) // binary row: header, NULL bitmap, each value's length and bytes
		require.Less(t, row, myMaxPayload, "%d columns", n)
		if n <= 1017 {
			require.Equal(t, maxValueBytes, cut, "%d columns", n)
		}
	}
	require.Equal(t, 1017, myCut(4096))
}
