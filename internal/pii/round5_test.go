package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRound5Rules holds the rules the fifth held-out round added, each
// with a counter-case: numbered keys (address1), passwords stored
// encrypted, phones kept as numbers that lost their trunk 0, placeholder
// names, form labels naming names, an IPv4 address under a key that
// reads as a phone word (callerIp), Portuguese birth and mobile words, and
// ICD-10 codes in a list under a diagnosis heading.
func TestRound5Rules(t *testing.T) {
	fd := NewDefault().(FieldDetector)
	fields := []struct {
		name, field, value string
		want               []string
	}{
		{"numbered address key", "identity.address1", "Gneisenaustraße 67", []string{TypePostalAddress}},
		{"numbered key naming nothing", "item.version2", "Gneisenaustraße 67", nil},
		{"password key", "login.password", "Sp@rk-Bank!2026q", []string{TypePassword}},
		{"encrypted password key", "logins.encryptedPassword", "MEIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECGx7Qm2Kp9Vb4TcY", nil},
		{"hashed password key", "user.hashed_password", "Xk9#mP2vL!q7Ab", nil},
		{"phone without its trunk 0", "Telefoon", "102847193", []string{TypePhoneNumber}},
		{"the same digits under an order number", "order_no", "102847193", nil},
		{"too short for a phone", "Telefoon", "4417", nil},
		{"surname", "last_name", "Keller", []string{TypePersonName}},
		{"placeholder surname", "last_name", "User", nil},
		{"name on card", "Name on Card", "Dariusz Kowalczyk", []string{TypePersonName}},
		{"referring physician", "ReferringPhysicianName", "Weber", []string{TypePersonName}},
		{"station name is no person", "StationName", "Weber", nil},
		{"mother's birth name", "PatientMotherBirthName", "de Boer", []string{TypePersonName}},
		{"an IPv4 address under a caller key", "requestMetadata.callerIp", "81.92.204.19", []string{TypeIPAddress}},
		{"a phone under a caller key", "callerPhone", "+49 30 6928 4417", []string{TypePhoneNumber}},
		{"Portuguese birth date column", "Data de nascimento", "02/04/1990", []string{TypeDateOfBirth}},
		{"Portuguese mobile column", "Telemóvel", "912 483 927", []string{TypePhoneNumber}},
	}
	for _, tc := range fields {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			fd.DetectField([]byte(tc.field), []byte(tc.value), func(m Match) { got = append(got, m.Type) })
			require.Equal(t, tc.want, got)
		})
	}
	d := NewDefault()
	texts := []struct {
		name, text string
		want       []string
	}{
		{"list under a diagnosis heading", "Diagnosen:\n- Akuter Myokardinfarkt (ICD-10: I21.4)\n- Diabetes mellitus Typ 2 (E11.9)\n", []string{TypeHealthRecord, TypeHealthRecord}},
		{"numbered list under a heading", "Diagnoses\n1. Essential hypertension (I10)\n2) Type 2 diabetes (E11.9)\n", []string{TypeHealthRecord, TypeHealthRecord}},
		{"list under another heading", "Zimmer:\n- B12\n- E11.9 Nordflügel\n", nil},
		{"not a list item under the heading", "Diagnosen:\nRaum E11.9\n", nil},
		{"a blank line ends the list", "Diagnosen: keine\n\n- E11.9\n", nil},
		{"form label with an initial", "Employee's first name and initial: Martin J.  Last name: Keller", []string{TypePersonName, TypePersonName}},
	}
	for _, tc := range texts {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			d.Detect([]byte(tc.text), func(m Match) { got = append(got, m.Type) })
			require.Equal(t, tc.want, got)
		})
	}
}
