package ldapscan

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/sightline-dev/sightline/agent/limits"
)

func dialer(timeout time.Duration) *net.Dialer { return &net.Dialer{Timeout: timeout} }

// DefaultMaxMessageBytes bounds one LDAP message from the server (an entry
// with every value the server sends of it): a group of several hundred
// thousand member DNs fits. The client library holds a message several
// times over while decoding it, so the bound is what keeps one entry from
// costing gigabytes (scans.ldap.max_message_bytes).
const DefaultMaxMessageBytes = limits.LDAPMaxMessageBytes

// limitConn is the connection under the LDAP client: it follows the BER
// framing of the server's messages (RFC 4511: each an LDAPMessage
// SEQUENCE of definite length) and fails the read that starts one over
// max bytes, before the client allocates it. It sits under nothing but
// the LDAP client (TLS, when used, is below it).
type limitConn struct {
	net.Conn
	max  int64
	left int64  // content bytes of the current message still to come
	hdr  []byte // the next message's header so far
	over atomic.Int64
	bad  atomic.Bool // the server sent what is not LDAP
	// failed is the error every read returns once the stream is refused.
	failed error
}

// errMessageTooLarge is a message over the bound; tooLarge names it.
var errMessageTooLarge = errors.New("message over the bound")

func (c *limitConn) Read(p []byte) (int, error) {
	if c.failed != nil {
		return 0, c.failed
	}
	n, err := c.Conn.Read(p)
	start := 0 // where in p the header being read began
	for i := 0; i < n; {
		if c.left > 0 {
			k := int(min(c.left, int64(n-i)))
			c.left -= int64(k)
			i += k
			continue
		}
		if len(c.hdr) == 0 {
			start = i
		}
		c.hdr = append(c.hdr, p[i])
		i++
		l, done, ok := berLength(c.hdr)
		switch {
		case !ok:
			c.bad.Store(true)
			c.failed = errNotLDAP
		case !done:
			continue
		case l > c.max:
			c.over.Store(l)
			c.failed = fmt.Errorf("%w: %d bytes", errMessageTooLarge, l)
		}
		if c.failed != nil {
			// The messages before this one are handed on whole; the
			// next read fails.
			if start > 0 && len(c.hdr) == i-start {
				return start, nil
			}
			return 0, c.failed
		}
		c.hdr = c.hdr[:0]
		c.left = l
	}
	return n, err
}

// errNotLDAP is a server that sent what no LDAP server sends.
var errNotLDAP = errors.New("the server sent bytes that are not an LDAP message (is it an LDAP server?)")

// explain rewrites err, when the bound or the framing ended the
// connection, to say so; other errors are returned as they are.
func (c *limitConn) explain(err error) error {
	switch {
	case err == nil:
		return nil
	case c.over.Load() > 0:
		return fmt.Errorf("the server sent a message of %d bytes, over the %d MiB one message may hold: the read stopped there", c.over.Load(), c.max>>20)
	case c.bad.Load():
		return errNotLDAP
	}
	return err
}

// berLength reads the length of an LDAPMessage's BER header h (the
// SEQUENCE tag 0x30, then a definite length): done once h holds all of
// it; not ok for what LDAP never sends (another tag, an indefinite or
// absurd length).
func berLength(h []byte) (length int64, done, ok bool) {
	if h[0] != 0x30 {
		return 0, false, false
	}
	if len(h) < 2 {
		return 0, false, true
	}
	if h[1] < 0x80 {
		return int64(h[1]), true, true
	}
	k := int(h[1] & 0x7f)
	if k == 0 || k > 7 {
		return 0, false, false
	}
	if len(h) < 2+k {
		return 0, false, true
	}
	for _, b := range h[2 : 2+k] {
		length = length<<8 | int64(b)
	}
	return length, true, true
}

// connect opens the connection the LDAP client runs on: TCP, TLS for
// ldaps:// or after StartTLS, and the message bound on top. The errors
// say what failed (reach, TLS, StartTLS) for the caller to word.
func connect(ctx context.Context, o Options, scheme, addr string, tc *tls.Config) (*ldap.Conn, *limitConn, error) {
	raw, err := dialer(o.Timeout).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, &stepError{"reach", err}
	}
	var c net.Conn = raw
	hctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if scheme == "ldap" && o.StartTLS {
		if err := startTLS(hctx, raw, o.Timeout); err != nil {
			raw.Close()
			return nil, nil, &stepError{"starttls", err}
		}
	}
	if scheme == "ldaps" || o.StartTLS {
		t := tls.Client(raw, tc)
		if err := t.HandshakeContext(hctx); err != nil {
			raw.Close()
			step := "tls"
			if scheme == "ldap" {
				step = "starttls"
			}
			return nil, nil, &stepError{step, err}
		}
		c = t
	}
	lc := &limitConn{Conn: c, max: int64(o.MaxMessageBytes)}
	conn := ldap.NewConn(lc, c != raw)
	conn.Start()
	conn.SetTimeout(o.Timeout)
	return conn, lc, nil
}

// stepError is a failure of one step of connect.
type stepError struct {
	step string // reach, tls, starttls
	err  error
}

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// startTLS asks for TLS on a plain connection (the StartTLS extended
// operation, RFC 4511 4.14) before the LDAP client takes it over, so the
// message bound can sit above TLS.
func startTLS(ctx context.Context, c net.Conn, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.SetDeadline(deadline); err != nil {
		return err
	}
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 1, "MessageID"))
	req := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "Start TLS")
	req.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "1.3.6.1.4.1.1466.20037", "TLS Extended Command"))
	p.AppendChild(req)
	if _, err := c.Write(p.Bytes()); err != nil {
		return err
	}
	resp, err := ber.ReadPacket(&limitConn{Conn: c, max: 64 << 10})
	if err != nil {
		return err
	}
	if len(resp.Children) < 2 || resp.Children[1].Tag != ldap.ApplicationExtendedResponse {
		return errors.New("the server's answer to StartTLS is not an extended response")
	}
	if err := ldap.GetLDAPError(resp); err != nil {
		return err
	}
	return c.SetDeadline(time.Time{})
}
