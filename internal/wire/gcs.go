package wire

import "strings"

// GCSMemberInfo is a Google Cloud IAM member as a principal: its name,
// type (a principal type), whether it is known to be gone (a deleted
// account), and whether it is everyone on the internet.
type GCSMemberInfo struct {
	Name, Type      string
	Deleted, Public bool
}

// gcsPublic are the IAM members that are everyone.
var gcsPublic = map[string]bool{"allUsers": true, "allAuthenticatedUsers": true}

// DescribeGCSMember reads a member string. Every member is some
// principal: a kind this code does not know is named as it is, as a group
// (it may stand for many). The GCS scanner names its principals with it,
// and the collector names every GCS principal record with it again: a
// member's id is global (GCSPrincipalID), so a made-up project's
// authority could otherwise rename anyone's account in everyone's access
// map.
func DescribeGCSMember(member string) GCSMemberInfo {
	m := describeGCS(member)
	if strings.TrimSuffix(m.Name, " (deleted)") == "" {
		m.Name = member // "user:" names no one else: say it as it is
	}
	return m
}

func describeGCS(member string) GCSMemberInfo {
	if gcsPublic[member] {
		return GCSMemberInfo{Name: member, Type: "group", Public: true}
	}
	kind, value, _ := strings.Cut(member, ":")
	switch kind {
	case "user":
		return GCSMemberInfo{Name: strings.ToLower(value), Type: "user"}
	case "serviceAccount":
		return GCSMemberInfo{Name: strings.ToLower(value), Type: "service"}
	case "group":
		return GCSMemberInfo{Name: strings.ToLower(value), Type: "group"}
	case "deleted":
		// deleted:user:EMAIL?uid=N: an account removed since it was bound.
		inner := describeGCS(value)
		if i := strings.IndexByte(inner.Name, '?'); i >= 0 {
			inner.Name = inner.Name[:i]
		}
		inner.Name += " (deleted)"
		inner.Deleted = true
		return inner
	case "principal":
		// A workload or workforce identity pool's single identity.
		return GCSMemberInfo{Name: member, Type: "user"}
	}
	// domain:D, projectOwner:P, projectEditor:P, projectViewer:P,
	// principalSet://…: sets of accounts.
	return GCSMemberInfo{Name: member, Type: "group"}
}
