package smbscan

import (
	"encoding/binary"
	"testing"

	"github.com/cloudsoda/sddl"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/ntsd"
)

// shareInfoStub encodes a NetrShareGetInfo level 502 response stub as
// MS-SRVS lays it out (NDR 2.0), with sd as the share's descriptor.
func shareInfoStub(sd []byte, status uint32) []byte {
	u32 := func(b []byte, v uint32) []byte {
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return binary.LittleEndian.AppendUint32(b, v)
	}
	b := u32(nil, 502)
	b = u32(b, 0x20000)
	sdPtr := uint32(0)
	if sd != nil {
		sdPtr = 0x20010
	}
	for _, v := range []uint32{0x20004, 0, 0x20008, 0, 0xffffffff, 1, 0x2000c, 0, uint32(len(sd)), sdPtr} {
		b = u32(b, v)
	}
	for _, str := range []string{"files", "", `C:\srv\files`} {
		b = ndrString(b, str)
	}
	if sd != nil {
		b = u32(b, uint32(len(sd)))
		b = append(b, sd...)
	}
	return u32(b, status)
}

func TestParseShareInfo502(t *testing.T) {
	want, err := sddl.FromString("D:(A;;0x1200a9;;;WD)(A;;FA;;;S-1-5-21-1-2-3-1104)")
	require.NoError(t, err)
	raw := want.Binary()
	for _, tc := range []struct {
		name   string
		stub   []byte
		sd     []byte
		denied bool
		bad    bool
	}{
		{name: "descriptor", stub: shareInfoStub(raw, 0), sd: raw},
		{name: "no descriptor", stub: shareInfoStub(nil, 0)},
		{name: "access denied", stub: []byte{0xf6, 1, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0}, denied: true},
		{name: "status after a body", stub: shareInfoStub(raw, 5), denied: true},
		{name: "truncated", stub: shareInfoStub(raw, 0)[:60], bad: true},
		{name: "length disagrees", stub: func() []byte {
			b := shareInfoStub(raw, 0)
			binary.LittleEndian.PutUint32(b[40:], uint32(len(raw)+1))
			return b
		}(), bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := parseShareInfo502(tc.stub)
			switch {
			case tc.denied:
				require.ErrorIs(t, err, errNoShareInfo)
			case tc.bad:
				require.Error(t, err)
				require.NotErrorIs(t, err, errNoShareInfo)
			default:
				require.NoError(t, err)
				require.Equal(t, tc.sd, sd)
			}
		})
	}
	sd, err := parseShareInfo502(shareInfoStub(raw, 0))
	require.NoError(t, err)
	d, err := ntsd.Parse(sd)
	require.NoError(t, err)
	require.Equal(t, []ntsd.Access{{SID: ntsd.Everyone, Read: true}, {SID: "S-1-5-21-1-2-3-1104", Read: true, Write: true, Full: true}}, d.Grants())
}

func TestShareAccess(t *testing.T) {
	for _, tc := range []struct{ sddl, want string }{
		{"D:(A;;FA;;;WD)", "everyone"},
		{"D:(A;;0x1200a9;;;AU)", "everyone"},
		{"D:(A;;FA;;;S-1-5-21-1-2-3-1104)(A;;0x1200a9;;;BA)", "restricted"},
		{"D:(A;;0x116;;;WD)(A;;FA;;;S-1-5-21-1-2-3-1104)", "restricted"}, // everyone may write, not read
		{"D:", "restricted"},                                             // an empty DACL lets no one through
	} {
		sd, err := sddl.FromString(tc.sddl)
		require.NoError(t, err)
		d, err := ntsd.Parse(sd.Binary())
		require.NoError(t, err)
		require.Equal(t, tc.want, shareAccess(d), tc.sddl)
	}
	require.Equal(t, "everyone", shareAccess(&ntsd.Descriptor{}), "no DACL: everyone full control")
	require.Equal(t, "unknown", shareAccess(nil))
}

func TestRPCFraming(t *testing.T) {
	req := shareGetInfoPDU(7, "srv", "files")
	ptype, flags, body, err := rpcHeader(req, 7)
	require.NoError(t, err)
	require.Equal(t, byte(rpcRequest), ptype)
	require.Equal(t, byte(rpcFirst|rpcLast), flags)
	require.Equal(t, uint16(opNetrShareGetInfo), binary.LittleEndian.Uint16(body[6:]))
	_, _, _, err = rpcHeader(req, 8)
	require.ErrorContains(t, err, "call 7, not 8")

	// A bind ack: max frags, group, secondary address "\PIPE\srvsvc"
	// (13 bytes, then padding), one result: accepted.
	ack := []byte{0xb8, 0x10, 0xb8, 0x10, 1, 0, 0, 0, 13, 0}
	ack = append(ack, []byte("\\PIPE\\srvsvc\x00")...)
	for len(ack)%4 != 0 {
		ack = append(ack, 0)
	}
	ack = append(ack, 1, 0, 0, 0, 0, 0, 0, 0)
	ack = append(ack, ndrSyntax...)
	require.NoError(t, parseBindAck(rpcPDU(rpcBindAck, 1, ack), 1))
	refused := append([]byte(nil), ack...)
	binary.LittleEndian.PutUint16(refused[24+4:], 2)
	require.ErrorContains(t, parseBindAck(rpcPDU(rpcBindAck, 1, refused), 1), "refused")
	require.ErrorContains(t, parseBindAck(rpcPDU(rpcBindNak, 1, []byte{0, 0}), 1), "refused")
}

// FuzzShareInfo: the server's bytes never panic the parsers.
func FuzzShareInfo(f *testing.F) {
	sd, err := sddl.FromString("D:(A;;FR;;;WD)")
	if err != nil {
		f.Fatal(err)
	}
	raw := sd.Binary()
	f.Add(shareInfoStub(raw, 0))
	f.Add(shareInfoStub(nil, 5))
	f.Add(shareGetInfoPDU(1, "s", "f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseShareInfo502(b)
		_, _, _, _ = rpcHeader(b, 1)
		_ = parseBindAck(b, 1)
	})
}
