package smbscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf16"

	smb2 "github.com/cloudsoda/go-smb2"
)

// The share's own permissions (what Windows shows as "Share Permissions",
// checked in addition to each file's NT ACL) come from the Server Service
// (MS-SRVS) NetrShareGetInfo at level 502, a DCE/RPC call over the
// \pipe\srvsvc named pipe of the IPC$ share. go-smb2 calls srvsvc only to
// list shares (level 1), so the few PDUs needed are written here:
// bind, one request, its response (MS-RPCE, NDR 2.0, little-endian).

// Packet types and flags of connection-oriented DCE/RPC (C706 12.6).
const (
	rpcRequest  = 0
	rpcResponse = 2
	rpcFault    = 3
	rpcBind     = 11
	rpcBindAck  = 12
	rpcBindNak  = 13
	rpcFirst    = 0x01
	rpcLast     = 0x02
	rpcMaxFrag  = 4280
	// opNetrShareGetInfo is NetrShareGetInfo's operation number (MS-SRVS 3.1.4.10).
	opNetrShareGetInfo = 16
	shareInfoLevel502  = 502
)

// srvsvc 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0 and NDR 2.0
// 8a885d04-1ceb-11c9-9fe8-08002b104860 v2, as UUIDs go on the wire (the
// first three fields little-endian).
var (
	srvsvcSyntax = syntax([16]byte{0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01, 0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88}, 3)
	ndrSyntax    = syntax([16]byte{0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60}, 2)
)

func syntax(uuid [16]byte, version uint32) []byte {
	return binary.LittleEndian.AppendUint32(uuid[:], version)
}

// rpcPDU is a whole PDU: the common header, then body.
func rpcPDU(ptype byte, callID uint32, body []byte) []byte {
	b := []byte{5, 0, ptype, rpcFirst | rpcLast, 0x10, 0, 0, 0}
	b = binary.LittleEndian.AppendUint16(b, uint16(16+len(body)))
	b = binary.LittleEndian.AppendUint16(b, 0) // no authentication
	b = binary.LittleEndian.AppendUint32(b, callID)
	return append(b, body...)
}

func bindPDU(callID uint32) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, rpcMaxFrag)
	b = binary.LittleEndian.AppendUint16(b, rpcMaxFrag)
	b = binary.LittleEndian.AppendUint32(b, 0) // new association group
	b = append(b, 1, 0, 0, 0)                  // one presentation context
	b = append(b, 0, 0, 1, 0)                  // context 0, one transfer syntax
	b = append(b, srvsvcSyntax...)
	b = append(b, ndrSyntax...)
	return rpcPDU(rpcBind, callID, b)
}

// ndrString appends a conformant varying UTF-16 string with its
// terminating NUL, padded to 4 bytes.
func ndrString(b []byte, s string) []byte {
	u := append(utf16.Encode([]rune(s)), 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(u)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(u)))
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// shareGetInfoPDU is NetrShareGetInfo(\\server, share, 502).
func shareGetInfoPDU(callID uint32, server, share string) []byte {
	var stub []byte
	stub = binary.LittleEndian.AppendUint32(stub, 0x00020000) // ServerName: a unique pointer's referent id
	stub = ndrString(stub, `\\`+server)
	stub = ndrString(stub, share) // NetName: a reference pointer, no id
	stub = binary.LittleEndian.AppendUint32(stub, shareInfoLevel502)
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, uint32(len(stub))) // alloc hint
	b = binary.LittleEndian.AppendUint16(b, 0)                 // context 0
	b = binary.LittleEndian.AppendUint16(b, opNetrShareGetInfo)
	return rpcPDU(rpcRequest, callID, append(b, stub...))
}

// errNoShareInfo is a server's refusal to give the share's permissions
// to this account (ERROR_ACCESS_DENIED and the like): Windows answers
// level 502 to administrators and server operators only.
var errNoShareInfo = errors.New("the server refused the share's permissions")

// rpcHeader checks a PDU's common header and returns its type, its
// fragment flags and body.
func rpcHeader(b []byte, callID uint32) (ptype, flags byte, body []byte, err error) {
	if len(b) < 16 || b[0] != 5 || b[4] != 0x10 {
		return 0, 0, nil, fmt.Errorf("not a little-endian DCE/RPC v5 PDU (%d bytes)", len(b))
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	auth := int(binary.LittleEndian.Uint16(b[10:]))
	if n < 16 || n > len(b) || auth > n-16 {
		return 0, 0, nil, fmt.Errorf("DCE/RPC PDU length %d of %d bytes", n, len(b))
	}
	if id := binary.LittleEndian.Uint32(b[12:]); id != callID {
		return 0, 0, nil, fmt.Errorf("DCE/RPC answer to call %d, not %d", id, callID)
	}
	if auth > 0 {
		n -= auth + 8 // no authentication was asked for; drop its trailer
		if n < 16 {
			return 0, 0, nil, errors.New("DCE/RPC PDU shorter than its auth trailer")
		}
	}
	return b[2], b[3], b[16:n], nil
}

// parseBindAck says whether the server took the srvsvc context.
func parseBindAck(b []byte, callID uint32) error {
	ptype, _, body, err := rpcHeader(b, callID)
	if err != nil {
		return err
	}
	switch ptype {
	case rpcBindAck:
	case rpcBindNak:
		return errors.New("the server refused the srvsvc bind")
	default:
		return fmt.Errorf("DCE/RPC PDU type %d where a bind ack belongs", ptype)
	}
	if len(body) < 10 {
		return errors.New("short bind ack")
	}
	off := 10 + int(binary.LittleEndian.Uint16(body[8:])) // the secondary address
	off = (off + 3) &^ 3
	if off+8 > len(body) || body[off] < 1 {
		return errors.New("bind ack without a result")
	}
	if r := binary.LittleEndian.Uint16(body[off+4:]); r != 0 {
		return fmt.Errorf("the server refused srvsvc over NDR (result %d)", r)
	}
	return nil
}

// ndrReader reads an NDR 2.0 little-endian stub.
type ndrReader struct {
	b   []byte
	off int
	err error
}

func (r *ndrReader) u32() uint32 {
	r.off = (r.off + 3) &^ 3
	if r.err != nil || r.off+4 > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *ndrReader) skip(n uint64) {
	if r.err != nil || n > uint64(len(r.b)-r.off) {
		r.err = io.ErrUnexpectedEOF
		return
	}
	r.off += int(n)
}

// skipString skips a conformant varying UTF-16 string.
func (r *ndrReader) skipString() {
	r.u32()
	r.u32()
	r.skip(2 * uint64(r.u32()))
}

// parseShareInfo502 returns the security descriptor in a
// NetrShareGetInfo level 502 response stub (nil when the share has
// none), or errNoShareInfo when the call returned an error status.
func parseShareInfo502(stub []byte) ([]byte, error) {
	r := &ndrReader{b: stub}
	if lvl := r.u32(); r.err == nil && lvl != shareInfoLevel502 {
		// A failed call may answer level 0 with a null arm: the status says.
		if len(stub) >= 4 {
			if st := binary.LittleEndian.Uint32(stub[len(stub)-4:]); st != 0 {
				return nil, fmt.Errorf("%w (status 0x%x)", errNoShareInfo, st)
			}
		}
		return nil, fmt.Errorf("share info of level %d, not 502", lvl)
	}
	if ref := r.u32(); ref == 0 {
		st := r.u32()
		if r.err != nil {
			return nil, fmt.Errorf("share info: %w", r.err)
		}
		return nil, fmt.Errorf("%w (status 0x%x)", errNoShareInfo, st)
	}
	// SHARE_INFO_502_I: netname*, type, remark*, permissions, max_uses,
	// current_uses, path*, passwd*, reserved (the descriptor's length),
	// security_descriptor*; then what the pointers point to, in order.
	var ptr [10]uint32
	for i := range ptr {
		ptr[i] = r.u32()
	}
	for _, i := range []int{0, 2, 6, 7} {
		if ptr[i] != 0 {
			r.skipString()
		}
	}
	var sd []byte
	if ptr[9] != 0 {
		n := r.u32()
		if n != ptr[8] {
			r.err = fmt.Errorf("descriptor of %d bytes announced as %d", n, ptr[8])
		}
		start := r.off
		r.skip(uint64(n))
		if r.err == nil {
			sd = stub[start : start+int(n)]
		}
	}
	st := r.u32()
	if r.err != nil {
		return nil, fmt.Errorf("share info: %w", r.err)
	}
	if st != 0 {
		return nil, fmt.Errorf("%w (status 0x%x)", errNoShareInfo, st)
	}
	return sd, nil
}

// shareDescriptor reads the share's permissions (its self-relative
// security descriptor) over \pipe\srvsvc on IPC$.
func shareDescriptor(ipc *smb2.Share, server, share string) ([]byte, error) {
	f, err := ipc.OpenFile("srvsvc", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open \\pipe\\srvsvc: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	call := func(pdu []byte) ([]byte, error) {
		if _, err := f.Write(pdu); err != nil {
			return nil, err
		}
		n, err := f.Read(buf)
		if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return nil, err
		}
		return buf[:n], nil
	}
	out, err := call(bindPDU(1))
	if err != nil {
		return nil, fmt.Errorf("srvsvc bind: %w", err)
	}
	if err := parseBindAck(out, 1); err != nil {
		return nil, err
	}
	out, err = call(shareGetInfoPDU(2, server, share))
	if err != nil {
		return nil, fmt.Errorf("NetrShareGetInfo: %w", err)
	}
	var stub []byte
	for {
		ptype, flags, body, err := rpcHeader(out, 2)
		if err != nil {
			return nil, err
		}
		if ptype == rpcFault {
			if len(body) >= 12 {
				return nil, fmt.Errorf("%w (fault 0x%x)", errNoShareInfo, binary.LittleEndian.Uint32(body[8:]))
			}
			return nil, errNoShareInfo
		}
		if ptype != rpcResponse || len(body) < 8 {
			return nil, fmt.Errorf("DCE/RPC PDU type %d where a response belongs", ptype)
		}
		stub = append(stub, body[8:]...)
		if flags&rpcLast != 0 {
			break
		}
		if len(stub) > 1<<20 {
			return nil, errors.New("share info larger than 1 MiB")
		}
		n, err := f.Read(buf)
		if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
			return nil, fmt.Errorf("NetrShareGetInfo: %w", err)
		}
		out = buf[:n]
	}
	return parseShareInfo502(stub)
}
