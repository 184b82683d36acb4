package pii

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail, NormalizeCard and NormalizeSSN turn a value as a person
// types it into the normalized form that tokens are computed over, so the
// collector's subject search finds what agents tokenized. They validate as
// the detectors do.
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || !validLocal([]byte(s[:at])) || !validDomain([]byte(s[at+1:])) {
		return "", false
	}
	return s, true
}

// NormalizeCard keeps the digits of a card number.
func NormalizeCard(s string) (string, bool) {
	d := onlyDigits(s)
	if len(d) < 13 || len(d) > 19 || !issuerKnown([]byte(d)) || !luhn([]byte(d)) {
		return "", false
	}
	return d, true
}

// NormalizeSSN keeps the digits of an SSN.
func NormalizeSSN(s string) (string, bool) {
	d := onlyDigits(s)
	if len(d) != 9 || !validSSN([]byte(d)) {
		return "", false
	}
	return d, true
}

func onlyDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			b.WriteByte(c)
		case c == ' ' || c == '-':
		default:
			return ""
		}
	}
	return b.String()
}

// subjectField is the field name that gives each type's context when a
// person types one identifier (nine bare digits are an SSN under "ssn").
var subjectField = map[string]string{
	TypeEmail: "email", TypePhoneNumber: "phone", TypeUSSSN: "ssn", TypeDateOfBirth: "date of birth",
	TypeCreditCard: "card", TypeIBAN: "iban", TypeUKNINO: "nino", TypeIPAddress: "ip",
	TypeAWSAccessKey: "aws key", TypePrivateKey: "key",
	// The "Next" types (ids.go, keyvalue.go) and token credentials.
	TypeDETaxID: "steuer-id", TypeFRNIR: "nir", TypeESDNI: "dni", TypeITFiscalCode: "codice fiscale",
	TypeNLBSN: "bsn", TypeINAadhaar: "aadhaar", TypePassport: "passport", TypePersonName: "full name",
	TypePostalAddress: "address", TypeHealthRecord: "mrn", TypeGitHubToken: "token", TypeGitLabToken: "token",
	TypeSlackToken: "token", TypeStripeKey: "token", TypeJWT: "token", TypeAzureStorageKey: "AccountKey",
	TypeGCPServiceKey: "private_key_id",
}

// NormalizeAs turns an identifier as a person types it into the
// normalized value agents tokenize for typ (the first of SubjectForms with
// no region). It fails when the value is not a valid typ.
func NormalizeAs(typ, value string) (string, bool) {
	f, err := SubjectForms(typ, value, "")
	if err != nil {
		return "", false
	}
	return f[0], true
}

// SubjectForms turns an identifier as a person states it into every
// normalized value agents may have tokenized it as, accepting each form
// its standard allows: an IBAN in any case, grouped by spaces, after
// "IBAN" (ISO 13616); a card or SSN with spaces, dashes or dots; an email
// address in any case, after "mailto:" or in angle brackets; a NINO in
// any case and spacing; an IP address in any RFC 4291/5952 form, in
// brackets; a phone number as PhoneForms reads it (region, ISO 3166, is
// for a national number). Each form is then read by the type's own
// detector under the type's field name, so the search hashes exactly what
// agents hashed. The error says why the value is not a valid typ without
// repeating it.
func SubjectForms(typ, value, region string) ([]string, error) {
	field, ok := subjectField[typ]
	if !ok {
		return nil, fmt.Errorf("%q is not a searchable type", typ)
	}
	if len(value) > 4096 {
		return nil, errors.New("longer than 4096 bytes")
	}
	v := strings.TrimSpace(stated(typ, value))
	if v == "" {
		return nil, errors.New("empty")
	}
	if typ == TypePhoneNumber {
		forms, err := PhoneForms(v, region)
		if err != nil {
			return nil, err
		}
		for _, f := range forms { // the detector's own reading of each
			if out := detectAs(typ, field, f); out != f {
				return nil, errors.New("not a valid phone number")
			}
		}
		return forms, nil
	}
	if region != "" {
		return nil, errors.New("region applies to phone numbers only")
	}
	if typ == TypeDateOfBirth {
		return birthDateForms(field, v)
	}
	v = lenient(typ, v)
	if out := detectAs(typ, field, v); out != "" {
		return []string{out}, nil
	}
	return nil, fmt.Errorf("not a valid %s", typ)
}

// stated undoes what word processors, PDFs and web pages do to an
// identifier a person copies from them into a request: no-break and thin
// spaces between its groups, en dashes and minus signs for hyphens,
// full-width letters and digits (Unicode compatibility forms, NFKC).
// Names and addresses keep their letters as written (the detector folds
// them, foldText); only their spaces are made plain.
func stated(typ, v string) string {
	if typ != TypePersonName && typ != TypePostalAddress {
		v = norm.NFKC.String(v)
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\u2212' || unicode.Is(unicode.Pd, r):
			if typ == TypePersonName || typ == TypePostalAddress {
				return r
			}
			return '-'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, v)
}

// lenient rewrites v into the form typ's detector reads, as far as typ's
// standard allows.
func lenient(typ, v string) string {
	drop := func(v, chars string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(chars, r) {
				return -1
			}
			return r
		}, v)
	}
	switch typ {
	case TypeIBAN:
		v = strings.ToUpper(drop(v, " \t-."))
		v = strings.TrimPrefix(strings.TrimPrefix(v, "IBAN"), ":")
	case TypeUKNINO, TypeAWSAccessKey:
		v = strings.ToUpper(drop(v, " \t-"))
	case TypeCreditCard, TypeUSSSN:
		v = drop(v, " \t-.")
	case TypeEmail:
		v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		if len(v) > 7 && strings.EqualFold(v[:7], "mailto:") {
			v = v[7:]
		}
	case TypeIPAddress:
		v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
		if a, err := netip.ParseAddr(v); err == nil && a.Zone() == "" {
			v = a.Unmap().String() // ::ffff:10.1.2.3 is 10.1.2.3, as the detector reads it
		}
	}
	return v
}

// detectAs runs the default detector over v with field as context and
// returns the first typ value it reads.
func detectAs(typ, field, v string) string {
	out := ""
	defaultDetector{}.DetectField([]byte(field), []byte(v), func(m Match) {
		if out == "" && m.Type == typ {
			out = string(m.Value)
		}
	})
	return out
}

// numericDate is a date written in digits with one kind of separator,
// year first or last, its day and month in one or two digits.
var numericDate = regexp.MustCompile(`^(?:(\d{4})([-/.])(\d{1,2})([-/.])(\d{1,2})|(\d{1,2})([-/.])(\d{1,2})([-/.])(\d{4}))$`)

// birthDateForms is SubjectForms for a date of birth. Agents store a date
// whose order is plain as ISO 8601 (1985-03-12), but one whose day and
// month are both 12 or less as written (12.03.1985 may be the 3rd of
// December): a person's date may be stored in any of those writings, so
// each is searched. A stated date that is itself ambiguous is searched in
// both readings; 1985-3-12 is read as 1985-03-12.
func birthDateForms(field, v string) ([]string, error) {
	if m := numericDate.FindStringSubmatch(v); m != nil {
		pad := func(s string) string {
			if len(s) == 1 {
				return "0" + s
			}
			return s
		}
		if m[1] != "" && m[2] == m[4] {
			v = m[1] + m[2] + pad(m[3]) + m[4] + pad(m[5])
		} else if m[10] != "" && m[7] == m[9] {
			v = pad(m[6]) + m[7] + pad(m[8]) + m[9] + m[10]
		}
	}
	read := detectAs(TypeDateOfBirth, field, v)
	if read == "" {
		return nil, errors.New("not a valid date_of_birth")
	}
	var out []string
	add := func(y, mo, d int) {
		for _, f := range dateWritings(y, mo, d) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n } // digits the detector read
	if read[4] == '-' {                                             // ISO: the order is known
		add(num(read[:4]), num(read[5:7]), num(read[8:10]))
		return out, nil
	}
	a, b, y := num(read[:2]), num(read[3:5]), num(read[6:10])
	add(y, b, a) // day first
	add(y, a, b) // month first
	return out, nil
}

// dateWritings are the values agents may have stored a date as: its ISO
// form, and when day and month are both 12 or less (an order no reader
// can tell), each numeric writing as it stands.
func dateWritings(y, m, d int) []string {
	out := []string{fmt.Sprintf("%04d-%02d-%02d", y, m, d)}
	if d > 12 || m > 12 {
		return out
	}
	for _, sep := range []string{".", "/", "-"} {
		out = append(out, fmt.Sprintf("%02d%s%02d%s%04d", d, sep, m, sep, y), fmt.Sprintf("%02d%s%02d%s%04d", m, sep, d, sep, y))
	}
	return out
}
