package smbscan

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

func TestLocation(t *testing.T) {
	require.Equal(t, "smb://fs1/hr", Location("fs1", "hr", ""))
	require.Equal(t, "smb://fs1/hr/a/b.csv", Location("fs1", "hr", "/a/b.csv"))
	require.Equal(t, "smb://fs1/hr/a", Location("fs1", "hr", "a/"))
}

func TestBadOptions(t *testing.T) {
	base := Options{Server: "fs1", Share: "hr", Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}
	tests := []struct {
		name string
		mut  func(*Options)
		want string
	}{
		{"no detector", func(o *Options) { o.Detector = nil }, "Detector and Tokenizer are required"},
		{"no share", func(o *Options) { o.Share = "" }, "--share"},
		{"a path for a share", func(o *Options) { o.Share = `hr\x` }, "no slashes"},
		{"bad glob", func(o *Options) { o.Exclude = []string{"["} }, `bad exclude glob "["`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.mut(&o)
			_, err := Scan(context.Background(), o, func(*wire.Record) error { return nil })
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// A server that does not answer, or is not there: a failed scan record
// that says what to check, and the error.
func TestUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	go func() { // accepts and says nothing: the logon must time out
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	defer l.Close()
	var recs []*wire.Record
	o := Options{Server: addr, Share: "hr", User: "u", Password: "p", Timeout: 300 * time.Millisecond,
		Detector: pii.NewDefault(), Tokenizer: pii.NewTokenizer([]byte("k"))}
	rec, err := Scan(context.Background(), o, func(r *wire.Record) error { recs = append(recs, r); return nil })
	require.ErrorContains(t, err, "log on to "+addr)
	require.Equal(t, wire.StatusFailed, rec.Status)
	require.Equal(t, []*wire.Record{rec}, recs)

	l.Close()
	o.Server = addr
	_, err = Scan(context.Background(), o, func(*wire.Record) error { return nil })
	require.ErrorContains(t, err, "connect to "+addr)
}
