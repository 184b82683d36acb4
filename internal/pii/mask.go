package pii

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

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
	case TypePersonName:
		_, n := utf8.DecodeRune(v)
		return string(v[:n]) + "***" // an initial: enough to tell samples apart
	}
	return stars(v, 2)
}

func stars(v []byte, keep int) string {
	if len(v) <= keep*2 {
		return strings.Repeat("*", len(v))
	}
	return strings.Repeat("*", len(v)-keep) + string(v[len(v)-keep:])
}
