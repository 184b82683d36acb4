package ntsd

import (
	"encoding/binary"
	"testing"

	"github.com/cloudsoda/sddl"
	"github.com/stretchr/testify/require"
)

const dom = "S-1-5-21-1004336348-1177238915-682003330"

// fromSDDL builds the binary form with an independent implementation
// (github.com/cloudsoda/sddl), so the parser is not checked against itself.
func fromSDDL(t testing.TB, s string) []byte {
	sd, err := sddl.FromString(s)
	require.NoError(t, err, s)
	return sd.Binary()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		sddl   string
		owner  string
		group  string
		aces   []ACE
		grants []Access
	}{
		{
			name:  "file with group read, user full control, inherited admins",
			sddl:  "O:" + dom + "-500G:" + dom + "-513D:PAI(A;;FR;;;" + dom + "-1105)(A;;FA;;;" + dom + "-1106)(A;ID;FA;;;BA)",
			owner: dom + "-500", group: dom + "-513",
			aces: []ACE{
				{Type: AccessAllowed, Mask: 0x120089, SID: dom + "-1105"},
				{Type: AccessAllowed, Mask: FileAllAccess, SID: dom + "-1106"},
				{Type: AccessAllowed, Flags: FlagInherited, Mask: FileAllAccess, SID: "S-1-5-32-544"},
			},
			grants: []Access{
				{SID: dom + "-1105", Read: true},
				{SID: dom + "-1106", Read: true, Write: true, Full: true},
				{SID: "S-1-5-32-544", Read: true, Write: true, Full: true, Inherited: true},
			},
		},
		{
			name: "deny for the same SID removes read; inherit-only entries do not apply",
			sddl: "D:(D;;FR;;;" + dom + "-1107)(A;;FA;;;" + dom + "-1107)(A;OICIIO;GA;;;S-1-3-0)(A;;GR;;;WD)",
			aces: []ACE{
				{Type: AccessDenied, Mask: 0x120089, SID: dom + "-1107"},
				{Type: AccessAllowed, Mask: FileAllAccess, SID: dom + "-1107"},
				{Type: AccessAllowed, Flags: FlagObjectInherit | FlagContainerInherit | FlagInheritOnly, Mask: GenericAll, SID: CreatorOwner},
				{Type: AccessAllowed, Mask: GenericRead, SID: Everyone},
			},
			grants: []Access{
				{SID: dom + "-1107", Write: true},
				{SID: Everyone, Read: true},
			},
		},
		{
			name:   "empty DACL grants nothing",
			sddl:   "D:P",
			aces:   []ACE{},
			grants: nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(fromSDDL(t, tc.sddl))
			require.NoError(t, err)
			require.Equal(t, tc.owner, d.Owner)
			require.Equal(t, tc.group, d.Group)
			require.NotNil(t, d.DACL)
			require.Equal(t, tc.aces, d.DACL.ACEs)
			require.Equal(t, tc.grants, d.Grants())
		})
	}
}

func TestNullDACLGrantsEveryone(t *testing.T) {
	// Header only: self-relative, no DACL present.
	b := make([]byte, 20)
	b[0] = 1
	binary.LittleEndian.PutUint16(b[2:], ControlSelfRelative)
	d, err := Parse(b)
	require.NoError(t, err)
	require.Nil(t, d.DACL)
	require.Equal(t, []Access{{SID: Everyone, Read: true, Write: true, Full: true}}, d.Grants())
}

// An object ACE with its object type GUID, built by hand (cloudsoda/sddl
// writes object ACEs without their flags and GUIDs).
func TestObjectACE(t *testing.T) {
	au := []byte{1, 1, 0, 0, 0, 0, 0, 5, 11, 0, 0, 0}
	ace := []byte{AccessAllowedObject, 0, 40, 0, 0x10, 0, 0, 0, 1, 0, 0, 0}
	ace = append(append(ace, make([]byte, 16)...), au...)
	acl := append([]byte{2, 0, byte(8 + len(ace)), 0, 1, 0, 0, 0}, ace...)
	b := make([]byte, 20)
	b[0] = 1
	binary.LittleEndian.PutUint16(b[2:], ControlSelfRelative|ControlDACLPresent)
	binary.LittleEndian.PutUint32(b[16:], 20)
	d, err := Parse(append(b, acl...))
	require.NoError(t, err)
	require.Equal(t, []ACE{{Type: AccessAllowedObject, Mask: 0x10, SID: AuthenticatedUsers}}, d.DACL.ACEs)
}

func TestMalformed(t *testing.T) {
	good := fromSDDL(t, "O:BAD:(A;;FR;;;"+dom+"-1105)")
	tests := []struct {
		name string
		mut  func([]byte) []byte
		want string
	}{
		{"short", func(b []byte) []byte { return b[:10] }, "shorter than its 20-byte header"},
		{"revision", func(b []byte) []byte { b[0] = 2; return b }, "revision 2"},
		{"absolute", func(b []byte) []byte { b[3] &^= 0x80; return b }, "not self-relative"},
		{"owner offset past the end", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 5000); return b }, "owner: offset 5000"},
		{"DACL offset in the header", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[16:], 4); return b }, "DACL: offset 4"},
		{"truncated", func(b []byte) []byte { return b[:len(b)-3] }, "DACL"},
		{"too many entries", func(b []byte) []byte {
			off := binary.LittleEndian.Uint32(b[16:])
			binary.LittleEndian.PutUint16(b[off+4:], 60000)
			return b
		}, "claims 60000 entries"},
		{"too large", func(b []byte) []byte { return append(b, make([]byte, MaxSize)...) }, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.mut(append([]byte(nil), good...)))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestSIDString(t *testing.T) {
	b := []byte{1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0}
	for _, v := range []uint32{1, 2, 3, 512} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	require.Equal(t, "S-1-5-21-1-2-3-512", SIDString(b))
	require.Equal(t, "", SIDString(b[:9]))
	require.Equal(t, "", SIDString(append(b, 0)))
	b[1] = 16
	require.Equal(t, "", SIDString(b))
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"O:BAG:DUD:PAI(A;;FR;;;" + dom + "-1105)(D;;FW;;;WD)(A;OICIIO;GA;;;CO)",
		"D:P",
	} {
		f.Add(fromSDDL(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Parse(b)
		if err != nil {
			return
		}
		g := d.Grants()
		if d.DACL != nil {
			require.LessOrEqual(t, len(d.DACL.ACEs), len(b)/4)
			require.LessOrEqual(t, len(g), len(d.DACL.ACEs))
		}
	})
}
