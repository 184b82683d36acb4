package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path/filepath"
)

// StableID derives an id that stays the same across scans from the parts
// that identify a thing (source, host, location; a DN; an ARN). Parts are
// separated by a NUL so ("a","bc") and ("ab","c") differ.
func StableID(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// FileLocation is the location URI of a local file: file:///abs/path.
func FileLocation(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	if u.Path != "" && u.Path[0] != '/' { // Windows: C:/x → /C:/x
		u.Path = "/" + u.Path
	}
	return u.String()
}

// MemberLocation is the location of a member inside an archive.
func MemberLocation(archive, member string) string {
	if member == "" { // the stream itself, not a member of it
		return archive
	}
	return archive + "!/" + member
}

// LocalPrincipalID is the id of a host's local account or group ("user",
// "group"), or of everyone on it ("everyone", name ""). The host and file
// scanners both use it, so "alice may read /srv/x.csv" and "alice is in
// sudo" name the same principal.
func LocalPrincipalID(host, kind, name string) string {
	return StableID(SourceHost, host, kind+":"+name)
}

// DirectoryPrincipalID is the id of a directory entry read from the
// directory server (the host of the LDAP URL a directory scan used), keyed
// by its objectSid on Active Directory (else its DN). The directory
// scanner and the SMB scanner (whose NT ACLs name SIDs) both use it, so
// "CORP\\hr may read smb://fs/share/x.csv" and "alice is in CORP\\hr" name
// the same principal.
func DirectoryPrincipalID(server, sidOrDN string) string {
	return StableID(SourceLDAP, server, sidOrDN)
}

// HostLocation is the location of a host asset.
func HostLocation(host string) string { return "host://" + host }
