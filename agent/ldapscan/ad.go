package ldapscan

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/sightline-dev/sightline/internal/ntsd"
)

// Active Directory: well-known privileged groups by SID (builtin) or by
// the RID under the domain's SID.
var (
	builtinPrivileged = map[string]string{
		"S-1-5-32-544": "Administrators", "S-1-5-32-548": "Account Operators", "S-1-5-32-549": "Server Operators",
		"S-1-5-32-550": "Print Operators", "S-1-5-32-551": "Backup Operators",
	}
	domainPrivileged = map[uint32]string{
		512: "Domain Admins", 516: "Domain Controllers", 517: "Cert Publishers", 518: "Schema Admins",
		519: "Enterprise Admins", 520: "Group Policy Creator Owners", 526: "Key Admins", 527: "Enterprise Key Admins",
	}
)

// privilegedSID names the well-known privileged group a SID is, or "".
func privilegedSID(sid string) string {
	if n, ok := builtinPrivileged[sid]; ok {
		return n
	}
	if strings.HasPrefix(sid, "S-1-5-21-") {
		if i := strings.LastIndexByte(sid, '-'); i > 0 {
			if rid, err := strconv.ParseUint(sid[i+1:], 10, 32); err == nil {
				return domainPrivileged[uint32(rid)]
			}
		}
	}
	return ""
}

// sidString renders a binary objectSid as S-1-…; "" when malformed.
func sidString(b []byte) string { return ntsd.SIDString(b) }

// userAccountControl bits (MS-ADTS 2.2.16).
const (
	uacDisabled            = 0x2
	uacLockout             = 0x10
	uacPasswdNotReqd       = 0x20
	uacWorkstationTrust    = 0x1000
	uacServerTrust         = 0x2000
	uacDontExpirePassword  = 0x10000
	uacSmartcardRequired   = 0x40000
	uacTrustedForDelegate  = 0x80000
	uacDontReqPreauth      = 0x400000
	uacTrustedToAuthForDel = 0x1000000
)

// uacFlags names the flags that matter to a reviewer.
func uacFlags(uac int64) []string {
	var out []string
	for _, f := range []struct {
		bit  int64
		name string
	}{
		{uacDisabled, "disabled"}, {uacLockout, "locked"}, {uacPasswdNotReqd, "password_not_required"},
		{uacDontExpirePassword, "password_never_expires"}, {uacSmartcardRequired, "smartcard_required"},
		{uacTrustedForDelegate, "trusted_for_delegation"}, {uacDontReqPreauth, "no_kerberos_preauth"},
		{uacTrustedToAuthForDel, "trusted_to_auth_for_delegation"},
	} {
		if uac&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// fileTime reads an AD 100-ns interval count since 1601 (lastLogonTimestamp,
// pwdLastSet); zero and "never" (max int64) are nil.
func fileTime(s string) *time.Time {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v == 1<<63-1 {
		return nil
	}
	t := time.Unix((v-116444736000000000)/10000000, 0).UTC()
	return &t
}

// isActiveDirectory reads the root DSE: AD announces its capability OID.
func isActiveDirectory(ctx context.Context, conn *ldap.Conn) bool {
	ad := false
	_, _, _ = searchEach(ctx, conn, ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{"supportedCapabilities"}, nil), 1, func(e *ldap.Entry) error {
		for _, c := range e.GetAttributeValues("supportedCapabilities") {
			if c == "1.2.840.113556.1.4.800" { // LDAP_CAP_ACTIVE_DIRECTORY_OID
				ad = true
			}
		}
		return nil
	})
	return ad
}

func readAD(x *entry, e *ldap.Entry) {
	x.sid = sidString(e.GetRawAttributeValue("objectSid"))
	x.sam = e.GetAttributeValue("sAMAccountName")
	if x.sam != "" {
		x.name = x.sam
	}
	x.primaryGroupID = e.GetAttributeValue("primaryGroupID")
	x.uac, _ = strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64)
	x.adminCount, _ = strconv.ParseInt(e.GetAttributeValue("adminCount"), 10, 64)
	x.lastLogon = fileTime(e.GetAttributeValue("lastLogonTimestamp"))
	x.pwdLastSet = fileTime(e.GetAttributeValue("pwdLastSet"))
	x.spns = len(e.GetAttributeValues("servicePrincipalName"))
	if t, err := time.Parse("20060102150405.0Z", e.GetAttributeValue("whenCreated")); err == nil {
		x.created = &t
	}
	x.disabled = x.uac&uacDisabled != 0
	x.computer = x.computer || x.uac&(uacWorkstationTrust|uacServerTrust) != 0
}

func adAttributes(a map[string]string, x *entry) {
	a["sid"] = x.sid
	if x.sam != "" {
		a["sam_account_name"] = x.sam
	}
	if f := uacFlags(x.uac); len(f) > 0 {
		a["uac"] = strings.Join(f, ",")
	}
	if x.adminCount != 0 {
		a["admin_count"] = strconv.FormatInt(x.adminCount, 10)
	}
	if x.spns > 0 {
		a["spns"] = strconv.Itoa(x.spns)
	}
	if x.created != nil {
		a["when_created"] = x.created.UTC().Format(time.RFC3339)
	}
}

// hygiene lists what a reviewer should look at first.
func hygiene(x *entry, privileged, stale bool) []string {
	if x.isGroup {
		return nil
	}
	var h []string
	add := func(ok bool, s string) {
		if ok {
			h = append(h, s)
		}
	}
	add(x.disabled && privileged, "disabled_but_privileged")
	add(stale && privileged, "stale_and_privileged")
	add(x.spns > 0 && !x.computer && x.sid != "", "kerberoastable")
	add(x.uac&uacDontReqPreauth != 0, "asrep_roastable")
	add(x.uac&uacDontExpirePassword != 0, "password_never_expires")
	add(x.uac&uacPasswdNotReqd != 0, "password_not_required")
	add(x.adminCount == 1 && !privileged, "orphaned_admin_count")
	return h
}

// rangedMembers completes the member lists of groups the server sent in
// ranges (or, with RangeStep, of every group) with member;range=a-b reads
// until the range ends in '*'.
func rangedMembers(ctx context.Context, conn *ldap.Conn, o Options, entries map[string]*entry, kept *budget) error {
	for dn, x := range entries {
		if !x.isGroup || (!x.rangedMembers && o.RangeStep <= 0) {
			continue
		}
		step := o.RangeStep
		if step <= 0 {
			step = len(x.members) // the server's own range size
		}
		var members []string
		for start := 0; ; {
			if err := ctx.Err(); err != nil {
				return err
			}
			attr := fmt.Sprintf("member;range=%d-%d", start, start+step-1)
			var e *ldap.Entry
			_, _, err := searchEach(ctx, conn, ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
				"(objectClass=*)", []string{attr}, nil), 1, func(got *ldap.Entry) error { e = got; return nil })
			if err != nil && !errors.Is(err, errTooMany) {
				return fmt.Errorf("reading the members of %s in ranges: %w", x.name, err)
			}
			done := true
			got := 0
			if e != nil {
				for _, a := range e.Attributes {
					n := strings.ToLower(a.Name)
					if n != "member" && !strings.HasPrefix(n, "member;range=") {
						continue
					}
					for _, m := range a.Values {
						if err := kept.take(16 + len(m)); err != nil {
							x.members = members
							return fmt.Errorf("reading the members of %s in ranges: the names, DNs and member lists read passed %d MiB: the rest were not read", x.name, o.MaxKeptBytes>>20)
						}
						members = append(members, strings.ToLower(m))
					}
					got += len(a.Values)
					done = n == "member" || strings.HasSuffix(n, "-*")
				}
			}
			if done || got == 0 {
				break
			}
			if len(members) > o.MaxEntries {
				x.members = members
				return fmt.Errorf("reading the members of %s in ranges: more than %d: the rest were not read", x.name, o.MaxEntries)
			}
			start += got
		}
		x.members = members
	}
	return nil
}

// primaryGroups adds each account to its primary group (primaryGroupID is
// the RID of a group under the account's domain SID): AD does not list
// primary members in member.
func primaryGroups(entries map[string]*entry) {
	bySID := map[string]*entry{}
	for _, x := range entries {
		if x.isGroup && x.sid != "" {
			bySID[x.sid] = x
		}
	}
	for dn, x := range entries {
		if x.isGroup || x.primaryGroupID == "" || x.sid == "" {
			continue
		}
		domain := x.sid[:strings.LastIndexByte(x.sid, '-')]
		if g := bySID[domain+"-"+x.primaryGroupID]; g != nil {
			g.members = append(g.members, dn)
		}
	}
}
