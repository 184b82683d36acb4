package dbscan

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/hostiletest"
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
