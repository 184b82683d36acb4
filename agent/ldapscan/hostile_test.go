package ldapscan

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/hostiletest"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// search is a search request a hostile directory received.
type search struct {
	id     int64
	base   string
	attrs  []string
	cookie []byte // the paged-results cookie sent back, nil on the first page
}

// hostileLDAP is a directory on a local listener that speaks just enough
// LDAP (BER, RFC 4511) to a client: binds succeed, each search goes to
// serve, which writes what it likes to w (entryPacket, donePacket) and
// returns; an error writing ends the connection. It counts searches.
func hostileLDAP(t *testing.T, serve func(s search, w io.Writer) error) (string, *atomic.Int64) {
	return hostileLDAPTLS(t, "", nil, serve)
}

// hostileLDAPTLS is hostileLDAP over TLS: mode "ldaps" (TLS from the
// start) or "starttls" (answers StartTLS, then TLS), with cfg's
// certificate; "" is plain LDAP.
func hostileLDAPTLS(t *testing.T, mode string, cfg *tls.Config, serve func(s search, w io.Writer) error) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	scheme := "ldap"
	if mode == "ldaps" {
		ln, scheme = tls.NewListener(ln, cfg), "ldaps"
	}
	var searches atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { c.Close() }()
				for {
					p, err := ber.ReadPacket(c)
					if err != nil || len(p.Children) < 2 {
						return
					}
					id, _ := p.Children[0].Value.(int64)
					op := p.Children[1]
					switch op.Tag {
					case ldap.ApplicationExtendedRequest:
						if _, err := c.Write(resultPacket(id, ldap.ApplicationExtendedResponse, 0, nil).Bytes()); err != nil || mode != "starttls" {
							return
						}
						c = tls.Server(c, cfg)
					case ldap.ApplicationBindRequest:
						if _, err := c.Write(resultPacket(id, ldap.ApplicationBindResponse, 0, nil).Bytes()); err != nil {
							return
						}
					case ldap.ApplicationSearchRequest:
						searches.Add(1)
						s := search{id: id, base: op.Children[0].Data.String()}
						for _, a := range op.Children[7].Children {
							s.attrs = append(s.attrs, a.Data.String())
						}
						if len(p.Children) > 2 {
							for _, child := range p.Children[2].Children {
								if pc, ok := mustControl(child).(*ldap.ControlPaging); ok && len(pc.Cookie) > 0 {
									s.cookie = pc.Cookie
								}
							}
						}
						if serve(s, c) != nil {
							return
						}
					case ldap.ApplicationUnbindRequest:
						return
					}
				}
			}()
		}
	}()
	return scheme + "://" + ln.Addr().String(), &searches
}

func mustControl(p *ber.Packet) ldap.Control {
	c, err := ldap.DecodeControl(p)
	if err != nil {
		return nil
	}
	return c
}

// attr is one attribute of an entry.
type attr struct {
	name   string
	values []string
}

func entryPacket(id int64, dn string, attrs ...attr) *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, ""))
	list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for _, a := range attrs {
		pa := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		pa.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a.name, ""))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
		for _, v := range a.values {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, ""))
		}
		pa.AppendChild(set)
		list.AppendChild(pa)
	}
	op.AppendChild(list)
	p.AppendChild(op)
	return p
}

// resultPacket is an LDAPResult of application tag with code; controls
// (a paging control) go after it.
func resultPacket(id int64, tag ber.Tag, code int64, controls []ldap.Control) *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, tag, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	p.AppendChild(op)
	if len(controls) > 0 {
		cs := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
		for _, c := range controls {
			cs.AppendChild(c.Encode())
		}
		p.AppendChild(cs)
	}
	return p
}

// donePacket ends a search; a non-empty cookie says more pages follow.
func donePacket(id int64, cookie string) *ber.Packet {
	var cs []ldap.Control
	if cookie != "" {
		pc := ldap.NewControlPaging(0)
		pc.SetCookie([]byte(cookie))
		cs = append(cs, pc)
	}
	return resultPacket(id, ldap.ApplicationSearchResultDone, 0, cs)
}

func write(w io.Writer, ps ...*ber.Packet) error {
	for _, p := range ps {
		if _, err := w.Write(p.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func person(id int64, uid string) *ber.Packet {
	return entryPacket(id, "uid="+uid+",dc=x", attr{"objectClass", []string{"inetOrgPerson"}}, attr{"uid", []string{uid}}, attr{"cn", []string{uid}})
}

// rootDSE answers the root DSE search (not Active Directory) and says
// whether s was it.
func rootDSE(s search, w io.Writer) (bool, error) {
	if s.base != "" {
		return false, nil
	}
	return true, write(w, donePacket(s.id, ""))
}

// TestHostileDirectory: a directory that pages without end (the same
// cookie again, empty pages with fresh cookies, ever more entries) or
// sends entries (or members) without ever ending the search stops the
// read; the scan
// is partial with the reason, reports the entries it read, and its heap
// stays bounded.
func TestHostileDirectory(t *testing.T) {
	big := strings.Repeat("v", 4096)
	for _, tc := range []struct {
		name  string
		serve func(s search, w io.Writer) error
		want  string
	}{
		// A cookie may repeat (Samba AD sends the same one for every page):
		// the same entries again end at MaxEntries, empty pages at 1,000.
		{"same cookie, same entry", func(s search, w io.Writer) error {
			return write(w, person(s.id, "ann"), donePacket(s.id, "again"))
		}, "more than 5000 entries"},
		{"same cookie, empty pages", func(s search, w io.Writer) error {
			if len(s.cookie) == 0 {
				return write(w, person(s.id, "ann"), donePacket(s.id, "again"))
			}
			return write(w, donePacket(s.id, "again"))
		}, "the server answered 1000 pages in a row with nothing in them"},
		{"fresh cookies, empty pages", func(s search, w io.Writer) error {
			if len(s.cookie) == 0 {
				return write(w, person(s.id, "ann"), donePacket(s.id, "c0"))
			}
			return write(w, donePacket(s.id, "c"+string(s.cookie)))
		}, "the server answered 1000 pages in a row with nothing in them"},
		{"fresh cookies, ever more entries", func(s search, w io.Writer) error {
			for i := range 100 {
				if err := write(w, person(s.id, fmt.Sprintf("u%d-%d", len(s.cookie), i))); err != nil {
					return err
				}
			}
			return write(w, donePacket(s.id, "c"+string(s.cookie)))
		}, "more than 5000 entries"},
		{"groups with ever more members", func(s search, w io.Writer) error {
			members := make([]string, 1000)
			for i := range members {
				members[i] = fmt.Sprintf("uid=member-with-a-long-name-%d,ou=people,dc=x", i)
			}
			for i := 0; ; i++ {
				g := entryPacket(s.id, fmt.Sprintf("cn=g%d,dc=x", i), attr{"objectClass", []string{"groupOfNames"}},
					attr{"cn", []string{fmt.Sprint("g", i)}}, attr{"member", members})
				if err := write(w, g); err != nil {
					return err
				}
			}
		}, "the names, DNs and member lists read passed 16 MiB"},
		{"entries without end in one page", func(s search, w io.Writer) error {
			for i := 0; ; i++ {
				e := entryPacket(s.id, fmt.Sprintf("uid=u%d,dc=x", i), attr{"objectClass", []string{"inetOrgPerson"}},
					attr{"uid", []string{fmt.Sprint("u", i)}}, attr{"description", []string{big}})
				if err := write(w, e); err != nil {
					return err
				}
			}
		}, "more than 5000 entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, searches := hostileLDAP(t, func(s search, w io.Writer) error {
				if ok, err := rootDSE(s, w); ok {
					return err
				}
				return tc.serve(s, w)
			})
			// A safety net only: without a guard the read runs until it.
			// The operation timeout is far above what reaching the bounds
			// takes (about 2 s under -race here), so that a loaded CI
			// machine ends each case at its bound, not at the timeout.
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
			defer cancel()
			var users int
			var res *wire.Record
			var err error
			peak := hostiletest.PeakHeap(func() {
				res, err = Scan(ctx, Options{URL: url, BaseDN: "dc=x", MaxEntries: 5000, MaxKeptBytes: 16 << 20, Timeout: 120 * time.Second}, func(r *wire.Record) error {
					if r.Kind == wire.KindPrincipal {
						users++
					}
					return nil
				})
			})
			t.Logf("%d searches, %d principals, peak heap %d MiB", searches.Load(), users, peak>>20)
			require.NoError(t, err)
			require.Equal(t, wire.StatusPartial, res.Status, "%v", res.Errors)
			require.Contains(t, strings.Join(res.Errors, "\n"), tc.want)
			require.Positive(t, users, "the entries read are reported")
			require.Less(t, peak, uint64(256<<20))
		})
	}
}

// TestSilentDirectory: a directory that never answers fails the scan at
// the operation timeout with a clear reason; a cancelled scan returns at
// once, whatever the timeout.
func TestSilentDirectory(t *testing.T) {
	url := "ldap://" + hostiletest.Silent(t)
	t.Run("timeout", func(t *testing.T) {
		res, err := Scan(context.Background(), Options{URL: url, BaseDN: "dc=x", Timeout: 500 * time.Millisecond}, func(*wire.Record) error { return nil })
		require.ErrorContains(t, err, "search under dc=x failed on page 1")
		require.ErrorContains(t, err, "timed out")
		require.Equal(t, wire.StatusFailed, res.Status)
	})
	for _, bind := range []string{"", "cn=admin,dc=x"} {
		t.Run("cancelled, bind "+bind, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := Scan(ctx, Options{URL: url, BaseDN: "dc=x", BindDN: bind, Password: "p", Timeout: time.Hour}, func(*wire.Record) error { return nil })
				done <- err
			}()
			time.Sleep(200 * time.Millisecond) // the scan waits on the server
			cancel()
			select {
			case err := <-done:
				require.Error(t, err)
			case <-time.After(20 * time.Second): // a safety net: the timeout is an hour
				t.Fatal("the cancelled scan still waits on the server")
			}
		})
	}
}

// TestHostileRangedMembers: an Active Directory whose member;range=…
// answers never end (never "-*", a fresh member each time) stops after
// MaxEntries members of the group; the scan is partial and reports it.
func TestHostileRangedMembers(t *testing.T) {
	url, searches := hostileLDAP(t, func(s search, w io.Writer) error {
		switch {
		case s.base == "":
			return write(w, entryPacket(s.id, "", attr{"supportedCapabilities", []string{"1.2.840.113556.1.4.800"}}), donePacket(s.id, ""))
		case len(s.attrs) == 1 && strings.HasPrefix(s.attrs[0], "member;range="):
			var start int
			_, _ = fmt.Sscanf(s.attrs[0], "member;range=%d-", &start)
			return write(w, entryPacket(s.id, s.base, attr{fmt.Sprintf("member;range=%d-%d", start, start), []string{fmt.Sprintf("cn=m%d,dc=x", start)}}),
				donePacket(s.id, ""))
		default:
			return write(w, entryPacket(s.id, "cn=g,dc=x", attr{"objectClass", []string{"group"}}, attr{"cn", []string{"g"}},
				attr{"sAMAccountName", []string{"g"}}, attr{"member;range=0-0", []string{"cn=m0,dc=x"}}), donePacket(s.id, ""))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a safety net only
	defer cancel()
	res, err := Scan(ctx, Options{URL: url, BaseDN: "dc=x", MaxEntries: 300}, func(*wire.Record) error { return nil })
	require.NoError(t, err, "after %d searches", searches.Load())
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Contains(t, strings.Join(res.Errors, "\n"), "reading the members of g in ranges: more than 300")
}

// TestHostileMessageSize: an entry larger than MaxMessageBytes ends the
// read before the client holds it (a 100 MiB value cost 1.1 GiB of heap),
// over plain LDAP, LDAPS and StartTLS alike; the entries before it stay.
func TestHostileMessageSize(t *testing.T) {
	cfg, ca := hostiletest.Cert(t)
	big := strings.Repeat("v", 8<<20)
	for _, mode := range []string{"", "ldaps", "starttls"} {
		t.Run("mode "+mode, func(t *testing.T) {
			url, _ := hostileLDAPTLS(t, mode, cfg, func(s search, w io.Writer) error {
				if ok, err := rootDSE(s, w); ok {
					return err
				}
				return write(w, person(s.id, "ann"), entryPacket(s.id, "uid=bob,dc=x", attr{"objectClass", []string{"inetOrgPerson"}},
					attr{"uid", []string{"bob"}}, attr{"description", []string{big}}), donePacket(s.id, ""))
			})
			var users []string
			res, err := Scan(context.Background(), Options{URL: url, BaseDN: "dc=x", CAFile: ca, StartTLS: mode == "starttls",
				MaxMessageBytes: 1 << 20, Timeout: 10 * time.Second}, func(r *wire.Record) error {
				if r.Kind == wire.KindPrincipal {
					users = append(users, r.Name)
				}
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, wire.StatusPartial, res.Status, "%v", res.Errors)
			require.Contains(t, strings.Join(res.Errors, "\n"), "the server sent a message of 8388")
			require.Contains(t, strings.Join(res.Errors, "\n"), "over the 1 MiB one message may hold")
			require.Equal(t, []string{"ann"}, users)
		})
	}
}

// TestNotLDAP: a server that answers with something else (an HTTP
// server on the LDAP port) fails the scan with a reason.
func TestNotLDAP(t *testing.T) {
	addr := hostiletest.Listen(t, func(c net.Conn) {
		defer c.Close()
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	})
	res, err := Scan(context.Background(), Options{URL: "ldap://" + addr, BaseDN: "dc=x", Timeout: 5 * time.Second}, func(*wire.Record) error { return nil })
	require.ErrorContains(t, err, "not an LDAP message")
	require.Equal(t, wire.StatusFailed, res.Status)
}

// FuzzLimitConn: whatever bytes a server sends, the message bound never
// panics, passes through every byte of messages within the bound, and
// stops at the first one over it.
func FuzzLimitConn(f *testing.F) {
	f.Add(person(1, "ann").Bytes(), int64(1<<20))
	f.Add(person(1, "ann").Bytes(), int64(10))
	f.Add([]byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff}, int64(1<<20))
	f.Add([]byte{0x30, 0x80, 0, 0}, int64(100))
	f.Add([]byte{0x1f, 0x30}, int64(100))
	f.Fuzz(func(t *testing.T, data []byte, max int64) {
		a, b := net.Pipe()
		go func() {
			_, _ = a.Write(data)
			a.Close()
		}()
		lc := &limitConn{Conn: b, max: max}
		got, err := io.ReadAll(lc)
		if err == nil {
			require.Equal(t, data, got)
		} else {
			require.True(t, len(got) <= len(data))
		}
	})
}

// TestHostileNames: an entry whose name is longer than a record may hold
// is left out and counted (its record would be refused by the collector
// with the rest of its batch); the others are reported.
func TestHostileNames(t *testing.T) {
	url, _ := hostileLDAP(t, func(s search, w io.Writer) error {
		if ok, err := rootDSE(s, w); ok {
			return err
		}
		return write(w, person(s.id, "ann"), person(s.id, strings.Repeat("n", 5000)), donePacket(s.id, ""))
	})
	var names []string
	res, err := Scan(context.Background(), Options{URL: url, BaseDN: "dc=x"}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r, "what the collector checks")
		if r.Kind == wire.KindPrincipal {
			names = append(names, r.Name)
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"ann"}, names)
	require.Equal(t, wire.StatusPartial, res.Status)
	require.Contains(t, res.Errors, "1 entries with a name or DN longer than 4096 bytes: left out")
}

// TLS on every hop: ldap:// without StartTLS to a host other than
// loopback is refused before anything is sent (a simple bind sends the
// password as it is), unless allow_plaintext says so; loopback stays
// allowed (a directory on the same host).
func TestPlaintextOffLoopbackRefused(t *testing.T) {
	scan := func(o Options) (*wire.Record, error) {
		o.BaseDN, o.BindDN, o.Password, o.Timeout = "dc=x", "cn=admin,dc=x", "pw", 300*time.Millisecond
		return Scan(context.Background(), o, func(*wire.Record) error { return nil })
	}
	res, err := scan(Options{URL: "ldap://192.0.2.10:389"})
	require.ErrorContains(t, err, "would send the bind password and the directory in clear")
	require.Equal(t, wire.StatusFailed, res.Status)

	for _, o := range []Options{
		{URL: "ldap://192.0.2.10:389", AllowPlaintext: true},
		{URL: "ldap://192.0.2.10:389", StartTLS: true},
		{URL: "ldap://127.0.0.1:1"},
	} {
		_, err := scan(o)
		require.Error(t, err, "nothing listens there")
		require.NotContains(t, err.Error(), "in clear", "%+v", o)
	}
}

// RFC 2696 cookies are opaque: Samba AD sends the same cookie for every
// page of a search. A repeated cookie with new entries is paging, read to
// its end.
func TestRepeatedCookieIsNoLoop(t *testing.T) {
	var pages atomic.Int32
	url, _ := hostileLDAP(t, func(s search, w io.Writer) error {
		if ok, err := rootDSE(s, w); ok {
			return err
		}
		p := int(pages.Add(1))
		for i := range 3 {
			if err := write(w, person(s.id, fmt.Sprintf("p%d-u%d", p, i))); err != nil {
				return err
			}
		}
		if p == 4 {
			return write(w, donePacket(s.id, ""))
		}
		return write(w, donePacket(s.id, "same-cookie-every-page"))
	})
	users := 0
	res, err := Scan(context.Background(), Options{URL: url, BaseDN: "dc=x", Timeout: 8 * time.Second}, func(r *wire.Record) error {
		if r.Kind == wire.KindPrincipal {
			users++
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, wire.StatusOK, res.Status, "%v", res.Errors)
	require.Equal(t, 12, users)
}

// TestLongDiagnosticMessage: a directory that fails a search with a
// diagnostic message of megabytes gets its message into the scan record
// clipped, so the record still fits a line the collector takes (a scan
// record refused would leave the collector without the scan's end).
func TestLongDiagnosticMessage(t *testing.T) {
	diag := "no such object: " + strings.Repeat("x", 2<<20)
	url, _ := hostileLDAP(t, func(s search, w io.Writer) error {
		if ok, err := rootDSE(s, w); ok {
			return err
		}
		p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, s.id, ""))
		op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultDone, nil, "")
		op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(ldap.LDAPResultOperationsError), ""))
		op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
		op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, ""))
		p.AppendChild(op)
		return write(w, p)
	})
	var scan *wire.Record
	res, err := Scan(context.Background(), Options{URL: url, BaseDN: "dc=x", Timeout: 5 * time.Second}, func(r *wire.Record) error {
		if r.Kind == wire.KindScan {
			scan = r
		}
		return nil
	})
	require.Error(t, err)
	require.NotNil(t, scan, "the scan record is emitted")
	require.Equal(t, res, scan)
	require.NotEmpty(t, scan.Errors)
	require.Contains(t, scan.Errors[0], "no such object: xxx", "the start of the server's message is kept")
	var line strings.Builder
	require.NoError(t, wire.NewEncoder(&line).Encode(scan))
	require.Less(t, line.Len(), 16<<10, "the scan record stays small")
	require.NoError(t, wire.NewDecoder(strings.NewReader(line.String())).Decode(new(wire.Record)), "the collector takes the line")
}
