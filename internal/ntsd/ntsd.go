// Package ntsd parses Windows security descriptors in their self-relative
// binary form (MS-DTYP 2.4.6: SECURITY_DESCRIPTOR, ACL, ACE, SID), as an
// SMB server returns them for a file's query-info, and tells which SIDs an
// ACL lets read or write. The bytes come from a remote server: every
// offset and length is checked against the buffer, nothing is allocated
// from a count the buffer cannot hold, and the input size is bounded.
package ntsd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxSize bounds a descriptor: an ACL's size is 16 bits, so owner, group
// and two ACLs fit well under it.
const MaxSize = 256 << 10

// Control bits (MS-DTYP 2.4.6).
const (
	ControlDACLPresent  = 0x0004
	ControlDACLProtect  = 0x1000
	ControlSelfRelative = 0x8000
)

// ACE types with a mask and a SID (MS-DTYP 2.4.4.1).
const (
	AccessAllowed       = 0x00
	AccessDenied        = 0x01
	AccessAllowedObject = 0x05
	AccessDeniedObject  = 0x06
	AccessAllowedCB     = 0x09
	AccessDeniedCB      = 0x0A
)

// ACE flags.
const (
	FlagObjectInherit    = 0x01
	FlagContainerInherit = 0x02
	FlagInheritOnly      = 0x08
	FlagInherited        = 0x10
)

// Access mask bits that matter for files (MS-SMB2 2.2.13.1.1, MS-DTYP 2.4.3).
const (
	FileReadData   = 0x00000001
	FileWriteData  = 0x00000002
	FileAppendData = 0x00000004
	Delete         = 0x00010000
	WriteDAC       = 0x00040000
	WriteOwner     = 0x00080000
	GenericAll     = 0x10000000
	GenericWrite   = 0x40000000
	GenericRead    = 0x80000000
	// FileAllAccess is FILE_ALL_ACCESS ("Full control").
	FileAllAccess = 0x001F01FF
)

// Descriptor is a parsed security descriptor.
type Descriptor struct {
	Control      uint16
	Owner, Group string // "" when absent
	// DACL is nil when the descriptor has none, which grants everyone
	// full access (a "null DACL"); an empty DACL grants nothing.
	DACL *ACL
}

// ACL is an access control list.
type ACL struct {
	Revision byte
	ACEs     []ACE
}

// ACE is one access control entry. SID is "" for ACE types that carry
// none this package reads (audit, alarm, resource attributes): they grant
// nothing.
type ACE struct {
	Type, Flags byte
	Mask        uint32
	SID         string
}

// Allow tells whether the ACE grants (an allow type).
func (a ACE) Allow() bool {
	return a.Type == AccessAllowed || a.Type == AccessAllowedObject || a.Type == AccessAllowedCB
}

// Deny tells whether the ACE refuses (a deny type).
func (a ACE) Deny() bool {
	return a.Type == AccessDenied || a.Type == AccessDeniedObject || a.Type == AccessDeniedCB
}

// Applies tells whether the ACE applies to the object itself (not only
// to what inherits from it).
func (a ACE) Applies() bool { return a.Flags&FlagInheritOnly == 0 && a.SID != "" }

// Read tells whether the mask includes reading a file's data.
func Read(mask uint32) bool { return mask&(FileReadData|GenericRead|GenericAll) != 0 }

// Write tells whether the mask includes changing a file's data.
func Write(mask uint32) bool {
	return mask&(FileWriteData|FileAppendData|GenericWrite|GenericAll) != 0
}

// Full tells whether the mask is full control.
func Full(mask uint32) bool { return mask&GenericAll != 0 || mask&FileAllAccess == FileAllAccess }

// Parse reads a self-relative security descriptor.
func Parse(b []byte) (*Descriptor, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("security descriptor of %d bytes is larger than %d", len(b), MaxSize)
	}
	if len(b) < 20 {
		return nil, fmt.Errorf("security descriptor of %d bytes is shorter than its 20-byte header", len(b))
	}
	if b[0] != 1 {
		return nil, fmt.Errorf("security descriptor revision %d, want 1", b[0])
	}
	d := &Descriptor{Control: binary.LittleEndian.Uint16(b[2:])}
	if d.Control&ControlSelfRelative == 0 {
		return nil, errors.New("security descriptor is not self-relative")
	}
	offOwner, offGroup := binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])
	offDACL := binary.LittleEndian.Uint32(b[16:])
	var err error
	if offOwner != 0 {
		if d.Owner, err = sidAt(b, offOwner); err != nil {
			return nil, fmt.Errorf("owner: %w", err)
		}
	}
	if offGroup != 0 {
		if d.Group, err = sidAt(b, offGroup); err != nil {
			return nil, fmt.Errorf("group: %w", err)
		}
	}
	if d.Control&ControlDACLPresent != 0 && offDACL != 0 {
		if d.DACL, err = aclAt(b, offDACL); err != nil {
			return nil, fmt.Errorf("DACL: %w", err)
		}
	}
	return d, nil
}

func sidAt(b []byte, off uint32) (string, error) {
	if off < 20 || uint64(off) >= uint64(len(b)) {
		return "", fmt.Errorf("offset %d outside the %d-byte descriptor", off, len(b))
	}
	s, _, err := ParseSID(b[off:])
	return s, err
}

func aclAt(b []byte, off uint32) (*ACL, error) {
	if off < 20 || uint64(off)+8 > uint64(len(b)) {
		return nil, fmt.Errorf("offset %d outside the %d-byte descriptor", off, len(b))
	}
	a := b[off:]
	size, count := int(binary.LittleEndian.Uint16(a[2:])), int(binary.LittleEndian.Uint16(a[4:]))
	if size < 8 || size > len(a) {
		return nil, fmt.Errorf("ACL size %d does not fit the %d bytes left", size, len(a))
	}
	acl := &ACL{Revision: a[0]}
	if acl.Revision != 2 && acl.Revision != 4 {
		return nil, fmt.Errorf("ACL revision %d, want 2 or 4", acl.Revision)
	}
	// Each ACE takes at least 4 bytes: a count the size cannot hold is a lie.
	if count > (size-8)/4 {
		return nil, fmt.Errorf("ACL claims %d entries in %d bytes", count, size)
	}
	acl.ACEs = make([]ACE, 0, count)
	rest := a[8:size]
	for i := 0; i < count; i++ {
		if len(rest) < 4 {
			return nil, fmt.Errorf("entry %d: truncated header", i)
		}
		n := int(binary.LittleEndian.Uint16(rest[2:]))
		if n < 4 || n > len(rest) || n%4 != 0 {
			return nil, fmt.Errorf("entry %d: size %d does not fit the %d bytes left", i, n, len(rest))
		}
		ace, err := parseACE(rest[:n])
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		acl.ACEs = append(acl.ACEs, ace)
		rest = rest[n:]
	}
	return acl, nil
}

func parseACE(e []byte) (ACE, error) {
	ace := ACE{Type: e[0], Flags: e[1]}
	body := e[4:]
	switch ace.Type {
	case AccessAllowed, AccessDenied, AccessAllowedCB, AccessDeniedCB:
	case AccessAllowedObject, AccessDeniedObject:
		// Mask, Flags, then each GUID the flags say is present.
		if len(body) < 8 {
			return ace, errors.New("object entry shorter than its mask and flags")
		}
		flags := binary.LittleEndian.Uint32(body[4:])
		skip := 8
		if flags&1 != 0 {
			skip += 16
		}
		if flags&2 != 0 {
			skip += 16
		}
		if len(body) < skip {
			return ace, errors.New("object entry shorter than its GUIDs")
		}
		ace.Mask = binary.LittleEndian.Uint32(body)
		sid, _, err := ParseSID(body[skip:])
		ace.SID = sid
		return ace, err
	default:
		return ace, nil // audit, alarm, label, ...: no access granted
	}
	if len(body) < 4 {
		return ace, errors.New("entry shorter than its mask")
	}
	ace.Mask = binary.LittleEndian.Uint32(body)
	sid, _, err := ParseSID(body[4:])
	ace.SID = sid
	return ace, err
}

// ParseSID reads the SID at the start of b (MS-DTYP 2.4.2.2) and returns
// it as S-1-… with its length in bytes.
func ParseSID(b []byte) (string, int, error) {
	if len(b) < 8 {
		return "", 0, fmt.Errorf("SID of %d bytes is shorter than its 8-byte header", len(b))
	}
	if b[0] != 1 {
		return "", 0, fmt.Errorf("SID revision %d, want 1", b[0])
	}
	n := int(b[1])
	if n > 15 {
		return "", 0, fmt.Errorf("SID with %d sub-authorities, at most 15", n)
	}
	size := 8 + 4*n
	if len(b) < size {
		return "", 0, fmt.Errorf("SID of %d sub-authorities needs %d bytes, has %d", n, size, len(b))
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	var s strings.Builder
	s.WriteString("S-1-")
	s.WriteString(strconv.FormatUint(auth, 10))
	for i := 0; i < n; i++ {
		s.WriteByte('-')
		s.WriteString(strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10))
	}
	return s.String(), size, nil
}

// SIDString renders a binary SID that is exactly b (an objectSid value)
// as S-1-…; "" when malformed.
func SIDString(b []byte) string {
	s, n, err := ParseSID(b)
	if err != nil || n != len(b) {
		return ""
	}
	return s
}

// Access is what an ACL lets one SID do to the object itself.
type Access struct {
	SID         string
	Read, Write bool
	Full        bool
	Inherited   bool // every granting entry was inherited from a parent
}

// Grants folds an ACL into what each SID may do: allow entries that apply
// to the object, less what an entry for the same SID denies. (Windows
// checks entries in order against the caller's token; a deny naming a
// group the caller is in cannot be resolved without membership, so only
// same-SID denials are subtracted. Canonical ACLs put explicit denies
// first, so a denied right stays denied.) Order: first grant of each SID.
// A nil DACL grants everyone (S-1-1-0) full control.
func (d *Descriptor) Grants() []Access {
	if d.DACL == nil {
		return []Access{{SID: Everyone, Read: true, Write: true, Full: true}}
	}
	var denyMask = map[string]uint32{}
	for _, a := range d.DACL.ACEs {
		if a.Deny() && a.Applies() {
			denyMask[a.SID] |= expand(a.Mask)
		}
	}
	idx := map[string]int{}
	var out []Access
	for _, a := range d.DACL.ACEs {
		if !a.Allow() || !a.Applies() {
			continue
		}
		m := expand(a.Mask) &^ denyMask[a.SID]
		i, ok := idx[a.SID]
		if !ok {
			i = len(out)
			idx[a.SID] = i
			out = append(out, Access{SID: a.SID, Inherited: true})
		}
		x := &out[i]
		if m == 0 {
			continue
		}
		x.Read = x.Read || Read(m)
		x.Write = x.Write || Write(m)
		x.Full = x.Full || Full(m)
		x.Inherited = x.Inherited && a.Flags&FlagInherited != 0
	}
	kept := out[:0]
	for _, x := range out {
		if x.Read || x.Write {
			kept = append(kept, x)
		}
	}
	return kept
}

// expand maps generic rights to the file rights they stand for, so a
// deny of FILE_READ_DATA cancels an allow of GENERIC_READ.
func expand(m uint32) uint32 {
	if m&GenericAll != 0 {
		m |= FileAllAccess
	}
	if m&GenericRead != 0 {
		m |= FileReadData
	}
	if m&GenericWrite != 0 {
		m |= FileWriteData | FileAppendData
	}
	return m &^ (GenericAll | GenericRead | GenericWrite)
}

// Well-known SIDs that are not directory objects.
const (
	Everyone           = "S-1-1-0"
	CreatorOwner       = "S-1-3-0"
	AuthenticatedUsers = "S-1-5-11"
	LocalSystem        = "S-1-5-18"
)

// WellKnownName names the well-known SIDs a file ACL commonly holds that
// no directory scan reports, and Samba's SIDs for Unix accounts
// (S-1-22-1-UID, S-1-22-2-GID, which it puts in descriptors it derives
// from a file's mode); "" for any other.
func WellKnownName(sid string) string {
	if uid, ok := strings.CutPrefix(sid, "S-1-22-1-"); ok {
		return "Unix User " + uid
	}
	if gid, ok := strings.CutPrefix(sid, "S-1-22-2-"); ok {
		return "Unix Group " + gid
	}
	switch sid {
	case Everyone:
		return "Everyone"
	case CreatorOwner:
		return "CREATOR OWNER"
	case "S-1-3-1":
		return "CREATOR GROUP"
	case AuthenticatedUsers:
		return "Authenticated Users"
	case LocalSystem:
		return "SYSTEM"
	case "S-1-5-7":
		return "ANONYMOUS LOGON"
	case "S-1-5-4":
		return "INTERACTIVE"
	case "S-1-5-2":
		return "NETWORK"
	}
	return ""
}
