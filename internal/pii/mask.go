package pii

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// tokenPrefixes are the issuers' prefixes a masked token keeps.
var tokenPrefixes = []string{"github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "glpat-", "xoxb-", "xoxp-", "xoxa-",
	"xoxr-", "xoxs-", "sk_live_", "rk_live_", "eyJ"}

// Mask returns a masked form of a normalized value that shows its shape
// and just enough to tell samples apart, never enough to recover it.
func Mask(typ string, v []byte) string {
	switch typ {
	case TypeEmail:
		at := bytes.LastIndexByte(v, '@')
		dot := bytes.LastIndexByte(v, '.')
		if at <= 0 || dot < at+2 {
			return stars(v, 0)
		}
		return string(v[:1]) + "***@" + string(v[at+1:at+2]) + "***" + string(v[dot:])
	case TypeCreditCard:
		if len(v) < 4 {
			return stars(v, 0)
		}
		return "**** **** **** " + string(v[len(v)-4:])
	case TypeUSSSN:
		if len(v) != 9 {
			return stars(v, 0)
		}
		return "***-**-" + string(v[5:])
	case TypeIBAN:
		if len(v) < 8 {
			return stars(v, 0)
		}
		return string(v[:2]) + strings.Repeat("*", len(v)-6) + string(v[len(v)-4:])
	case TypeUKNINO:
		if len(v) != 9 {
			return stars(v, 0)
		}
		return string(v[:2]) + "******" + string(v[8:])
	case TypeIPAddress:
		if i, j := bytes.IndexByte(v, '.'), bytes.LastIndexByte(v, '.'); i > 0 && j > i {
			return string(v[:i]) + ".*.*" + string(v[j:])
		}
		if i := bytes.IndexByte(v, ':'); i > 0 {
			return string(v[:i]) + ":****"
		}
		return stars(v, 0)
	case TypeAWSAccessKey:
		return stars(v, 4)
	case TypePhoneNumber:
		if len(v) < 6 {
			return stars(v, 0)
		}
		return string(v[:2]) + strings.Repeat("*", len(v)-4) + string(v[len(v)-2:])
	case TypeDateOfBirth:
		return "****-**-**" // even the year narrows down a person
	case TypePrivateKey:
		return "-----BEGIN PRIVATE KEY----- (redacted)"
	}
	return maskMore(typ, v)
}

// maskMore masks the types of the "Next" table and the token credentials.
func maskMore(typ string, v []byte) string {
	switch typ {
	case TypeDETaxID, TypeNLBSN, TypeHealthRecord:
		// An ICD-10 code is the diagnosis itself: nothing of it shows
		// (health_record values that are record numbers keep two).
		if bytes.IndexByte(v, '.') >= 0 || (len(v) == 3 && isAlpha(v[0])) {
			return stars(v, 0)
		}
		return stars(v, 2)
	case TypeFRNIR, TypeESDNI, TypeITFiscalCode:
		// The NIR's first digit is the sex, a codice fiscale spells name,
		// birth date and place: only the check character shows.
		return stars(v, 1)
	case TypeINAadhaar:
		if len(v) != 12 {
			return stars(v, 0)
		}
		return "XXXX XXXX " + string(v[8:]) // UIDAI's masked Aadhaar
	case TypePassport:
		return stars(v, 2)
	case TypePersonName, TypePostalAddress:
		// Each word's first character: tells samples apart, recovers none.
		var b strings.Builder
		for k, w := range bytes.Fields(v) {
			if k > 0 {
				b.WriteByte(' ')
			}
			_, n := utf8.DecodeRune(w)
			b.Write(w[:n])
			b.WriteString("***")
		}
		return b.String()
	case TypePassword:
		return "********" // not even its length
	case TypeGitHubToken, TypeGitLabToken, TypeSlackToken, TypeStripeKey, TypeJWT:
		// The issuer's prefix (ghp_, glpat-, xoxb-, sk_live_, eyJ) says
		// what it is; nothing after it shows.
		for _, p := range tokenPrefixes {
			if bytes.HasPrefix(v, []byte(p)) {
				return p + "****"
			}
		}
		return stars(v, 0)
	case TypeAzureStorageKey:
		return "****=="
	case TypeGCPServiceKey:
		return stars(v, 4)
	}
	return stars(v, 2)
}

func stars(v []byte, keep int) string {
	if len(v) <= keep*2 {
		return strings.Repeat("*", len(v))
	}
	return strings.Repeat("*", len(v)-keep) + string(v[len(v)-keep:])
}
