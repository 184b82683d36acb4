package pii

import "strings"

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
// normalized value agents tokenize for typ, by running the same detector
// over it with the type's field name as context: the collector's subject
// search then hashes exactly what agents hashed. It fails when the value
// is not a valid typ.
func NormalizeAs(typ, value string) (string, bool) {
	field, ok := subjectField[typ]
	if !ok || len(value) > 4096 {
		return "", false
	}
	out := ""
	defaultDetector{}.DetectField([]byte(field), []byte(strings.TrimSpace(value)), func(m Match) {
		if out == "" && m.Type == typ {
			out = string(m.Value)
		}
	})
	return out, out != ""
}
