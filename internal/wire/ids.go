package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/sightline-dev/sightline/internal/ntsd"
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

// MemberLocation is the location of a member inside an archive. A
// member's name is whatever the archive says: bytes that are not UTF-8,
// control characters and format characters (a right-to-left override
// shows "z.zip!/\u202egnp.exe" as "…exe.png") are written %XX, as a
// file's own path is (FileLocation). Raw, an invalid byte reached the
// collector as U+FFFD, so it derived another asset id than the agent's,
// and a control or bidi character showed another name in the console.
func MemberLocation(archive, member string) string {
	if member == "" { // the stream itself, not a member of it
		return archive
	}
	return archive + "!/" + escapeHidden(member)
}

// escapeHidden writes %XX for each byte of s that is not valid UTF-8 or
// belongs to a control, format, line or paragraph separator character;
// anything else stays as it is (an honest name's location, and so its
// asset id, is unchanged).
func escapeHidden(s string) string {
	clean := true
	for i, r := range s {
		if hiddenRune(r, s[i:]) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if hiddenRune(r, s[i:]) {
			for _, c := range []byte(s[i : i+n]) {
				b.WriteString(fmt.Sprintf("%%%02X", c))
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// hiddenRune reports whether r, decoded at the start of rest, is not shown
// as itself: invalid UTF-8, a control, format, line or paragraph separator
// character.
func hiddenRune(r rune, rest string) bool {
	if r == utf8.RuneError {
		_, n := utf8.DecodeRuneInString(rest)
		return n <= 1 // U+FFFD written as such is a character
	}
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
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

// HostKey is the name two agents' host names are the same host by: host
// names are case-insensitive and "web-1." is "web-1". The fleet view flags
// agents enrolled with one key, and one agent at a time speaks for a key's
// host-local records (collector/identity), so an agent enrolled as
// "WEB-1" cannot pass as another host that looks the same in the console,
// nor one enrolled as "web-1" speak for web-1's files and accounts.
//
// Names are compared after compatibility normalization and full case
// folding (NFKC, casefold, NFKC again as casefolding may leave a
// decomposed form): lower case alone let "ｗｅｂ－１" (full-width), a
// decomposed "café" or "STRAẞE" be a host of their own, shown as (or
// folded to) another host's name with no conflict flagged
// (TestLookalikeHostnameIsTheSameHost). For ASCII names this is lower
// case, as before. Look-alikes from other scripts (a Cyrillic "е") are
// still other names.
func HostKey(host string) string {
	k := norm.NFKC.String(cases.Fold().String(norm.NFKC.String(host)))
	return strings.TrimSuffix(k, ".")
}

// HostLocation is the location of a host asset.
func HostLocation(host string) string { return "host://" + host }

// AssetID is the id of the asset a record of source names at location (as
// the record carries it: FitLocation's when the whole was too long) in the
// scope host: the host a host-local record came from, the server or
// account of a shared source. Every scanner names its assets with it, and
// the collector derives each record's asset id again from the record's own
// source, host and location (DeriveIDs): ids are hashes anyone can
// compute, and an agent that reported another host's file's id merged its
// rows into that host's asset.
func AssetID(source, host, location string) string { return StableID(source, host, location) }

// DeriveIDs sets the ids of r that the collector decides from what r says
// of itself and the scope it speaks for (r.Source and r.Host, which the
// collector has already fixed or checked): an asset or pii record's asset
// id (AssetID), and a principal record's id where its source's ids are
// derived from it (a host's accounts, a directory's entries, a database's
// roles, an AWS account's identities). The ids an entitlement names are
// references, left as they are: whether they count is the access map's
// decision (collector/store/reach.go). It reports whether it changed an
// id; an honest agent's never change.
func DeriveIDs(r *Record) bool {
	var id string
	switch r.Kind {
	case KindAsset, KindPII:
		id = AssetID(r.Source, r.Host, assetLocation(r))
		if id == r.AssetID {
			return false
		}
		r.AssetID = id
		return true
	case KindPrincipal:
		id = principalID(r)
		if id == r.PrincipalID {
			return false
		}
		r.PrincipalID = id
		return true
	}
	return false
}

// assetLocation is the location of the asset r names: a database
// column's findings are at their table's location with "#column" after
// it (the column's name path-escaped, so the last '#' starts it).
func assetLocation(r *Record) string {
	if r.Kind == KindPII && r.Source == SourceDB {
		if i := strings.LastIndexByte(r.Location, '#'); i >= 0 {
			return r.Location[:i]
		}
	}
	return r.Location
}

// principalID is the id a principal record's source derives from it.
func principalID(r *Record) string {
	switch r.Source {
	case SourceHost, SourceFS:
		kind := "user" // a service account is a user whose id the scanner keys as one
		if r.PrincipalType == "group" {
			kind = "group"
		}
		return LocalPrincipalID(r.Host, kind, r.Name)
	case SourceLDAP:
		key := r.Attributes["sid"] // SIDs survive renames and moves
		if key == "" {
			key = r.Attributes["dn"]
		}
		if key == "" { // not a scanner's: named by what it says, within its scope
			key = "name:" + r.Name
		}
		return DirectoryPrincipalID(r.Host, key)
	case SourceDB:
		return DBPrincipalID(r.Host, r.Name)
	case SourceSMB:
		// A share's scan names only well-known SIDs (Everyone, Unix
		// User 1000), under the directory's ids so an ACL naming one
		// and the directory's own entry meet. Any other SID it names
		// is kept in the share's scope: it cannot speak for the
		// directory's accounts.
		sid := r.Attributes["sid"]
		if ntsd.WellKnownName(sid) == "" {
			return StableID(SourceSMB, r.Host, "sid:"+sid)
		}
		dir := r.Attributes["directory"]
		if dir == "" {
			dir = r.Host // the scanner's default directory is the server
		}
		return DirectoryPrincipalID(dir, sid)
	case SourceIAM:
		if r.Attributes["arn"] == "" { // not a scanner's: named by what it says, within its scope
			return StableID(SourceIAM, r.Host, "name:"+r.Name)
		}
		return IAMPrincipalID(r.Host, r.Attributes["arn"])
	case SourceGCS:
		// A member is a Google account, the same in every project: its
		// id names no project (so a made-up project's authority can
		// still call one privileged), but it is always a member's.
		if m := r.Attributes["member"]; m != "" {
			return GCSPrincipalID(m)
		}
	}
	// Not a scanner's (an Azure Blob scan reports no principals): named
	// by what it says, within its scope, so it cannot take another
	// source's principal's id (a host's administrator's) and call it
	// privileged.
	return StableID(r.Source, r.Host, "name:"+r.Name)
}

// GCSPrincipalID is the id of a Google Cloud IAM member
// ("user:ann@example.com", "group:hr@example.com", "serviceAccount:…",
// "domain:example.com", "allUsers", …). Members are global to Google
// Cloud, so the id names no project or bucket: the same account bound on
// two buckets, or scanned by two agents, is one principal. The email of a
// user, group or service account, and a domain, are not case-sensitive.
func GCSPrincipalID(member string) string { return StableID(SourceGCS, "iam", GCSMember(member)) }

// GCSMember is a Google Cloud IAM member as its id names it: the email of
// a user, group or service account, and a domain, in lower case.
func GCSMember(member string) string {
	if kind, value, ok := strings.Cut(member, ":"); ok &&
		(kind == "user" || kind == "group" || kind == "serviceAccount" || kind == "domain") {
		return kind + ":" + strings.ToLower(value)
	}
	return member
}

// DBPrincipalID is the id of a role or user of a database server.
func DBPrincipalID(server, name string) string { return StableID(SourceDB, server, "role:"+name) }

// IAMPrincipalID is the id of an AWS identity by its ARN, as an account's
// IAM scan and the S3 scan's bucket policies name it. An ARN of another
// account than the record's is kept in that account's scope by the
// record's (so an account's authority cannot speak for another's
// identities): a different id from the real one's. So is what names no
// account ("*", a service principal): a bucket policy's "*" is everyone,
// which no account's authority may rename, call privileged or add
// members to.
func IAMPrincipalID(account, arn string) string {
	if a := strings.Split(arn, ":"); len(a) < 5 || a[4] != account {
		return StableID(SourceIAM, account, arn)
	}
	return StableID(SourceIAM, arn)
}
